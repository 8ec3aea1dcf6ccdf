"""Merchant and cardholder countries: currency, cities with their timezones, and a location.

Why a curated table: Faker's cities are invented and carry no timezone, while the settlement
side derives the business date from each terminal's local clock, so every city here is real
and has its IANA zone. `eur_rate` is a rough, static number of currency units per euro used
only to put amounts on a realistic scale (a 30 EUR grocery bill is about 4,800 JPY); real FX
is the settlement side's job. The weights make the default day Europe-heavy, as befits an
acquirer in Amsterdam; Kuwait (KWD, three decimals, no ECB rate) is kept to a token share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class City:
    name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    currency: str  # ISO 4217, the local and settlement currency
    eur_rate: float
    faker_locale: str
    latitude: float
    longitude: float
    merchant_weight: float
    cities: tuple[City, ...]


# code, currency, units per euro (rough), Faker locale, latitude, longitude, merchant weight
_ROWS: Final = (
    ("NL", "EUR", 1.0, "nl_NL", 52.37, 4.90, 30),
    ("DE", "EUR", 1.0, "de_DE", 52.52, 13.40, 12),
    ("FR", "EUR", 1.0, "fr_FR", 48.86, 2.35, 8),
    ("BE", "EUR", 1.0, "nl_BE", 50.85, 4.35, 6),
    ("ES", "EUR", 1.0, "es_ES", 40.42, -3.70, 5),
    ("IT", "EUR", 1.0, "it_IT", 41.90, 12.50, 5),
    ("IE", "EUR", 1.0, "en_IE", 53.35, -6.26, 2),
    ("AT", "EUR", 1.0, "de_AT", 48.21, 16.37, 2),
    ("PT", "EUR", 1.0, "pt_PT", 38.72, -9.14, 2),
    ("FI", "EUR", 1.0, "fi_FI", 60.17, 24.94, 1),
    ("GB", "GBP", 0.85, "en_GB", 51.51, -0.13, 6),
    ("CH", "CHF", 0.95, "de_CH", 47.38, 8.54, 3),
    ("SE", "SEK", 11.5, "sv_SE", 59.33, 18.07, 2),
    ("NO", "NOK", 11.7, "no_NO", 59.91, 10.75, 1),
    ("DK", "DKK", 7.46, "da_DK", 55.68, 12.57, 1),
    ("PL", "PLN", 4.3, "pl_PL", 52.23, 21.01, 2),
    ("CZ", "CZK", 25.0, "cs_CZ", 50.08, 14.44, 1),
    ("HU", "HUF", 390.0, "hu_HU", 47.50, 19.04, 1),
    ("US", "USD", 1.08, "en_US", 40.71, -74.01, 6),
    ("CA", "CAD", 1.5, "en_CA", 43.65, -79.38, 1),
    ("JP", "JPY", 160.0, "ja_JP", 35.68, 139.69, 2),
    ("AU", "AUD", 1.65, "en_AU", -33.87, 151.21, 1),
    ("SG", "SGD", 1.45, "en_GB", 1.35, 103.82, 0.5),
    ("IN", "INR", 90.0, "en_IN", 19.08, 72.88, 0.5),
    ("KW", "KWD", 0.33, "ar_AA", 29.38, 47.99, 0.2),
)

# Real cities by IANA zone: "zone: city; city | zone: city".
_CITIES: Final = {
    "NL": "Europe/Amsterdam: Amsterdam; Rotterdam; Utrecht; The Hague; Eindhoven",
    "DE": "Europe/Berlin: Berlin; Munich; Hamburg; Cologne; Frankfurt",
    "FR": "Europe/Paris: Paris; Lyon; Marseille; Toulouse; Nice",
    "BE": "Europe/Brussels: Brussels; Antwerp; Ghent",
    "ES": "Europe/Madrid: Madrid; Barcelona; Valencia; Seville",
    "IT": "Europe/Rome: Rome; Milan; Naples; Florence",
    "IE": "Europe/Dublin: Dublin; Cork; Galway",
    "AT": "Europe/Vienna: Vienna; Graz; Salzburg",
    "PT": "Europe/Lisbon: Lisbon; Porto",
    "FI": "Europe/Helsinki: Helsinki; Espoo; Tampere",
    "GB": "Europe/London: London; Manchester; Birmingham; Edinburgh",
    "CH": "Europe/Zurich: Zurich; Geneva; Basel",
    "SE": "Europe/Stockholm: Stockholm; Gothenburg; Malmö",
    "NO": "Europe/Oslo: Oslo; Bergen",
    "DK": "Europe/Copenhagen: Copenhagen; Aarhus",
    "PL": "Europe/Warsaw: Warsaw; Kraków; Gdańsk",
    "CZ": "Europe/Prague: Prague; Brno",
    "HU": "Europe/Budapest: Budapest; Debrecen",
    "US": (
        "America/New_York: New York; Miami | America/Chicago: Chicago"
        " | America/Denver: Denver | America/Los_Angeles: Los Angeles"
    ),
    "CA": "America/Toronto: Toronto; Montreal | America/Vancouver: Vancouver",
    "JP": "Asia/Tokyo: Tokyo; Osaka; Kyoto",
    "AU": "Australia/Sydney: Sydney | Australia/Melbourne: Melbourne",
    "SG": "Asia/Singapore: Singapore",
    "IN": "Asia/Kolkata: Mumbai; Bengaluru",
    "KW": "Asia/Kuwait: Kuwait City",
}


def _cities(text: str) -> tuple[City, ...]:
    cities: list[City] = []
    for group in text.split("|"):
        zone, _, names = group.partition(":")
        cities.extend(City(name.strip(), zone.strip()) for name in names.split(";"))
    return tuple(cities)


COUNTRIES: Final[tuple[Country, ...]] = tuple(
    Country(code, currency, rate, locale, lat, lon, weight, _cities(_CITIES[code]))
    for code, currency, rate, locale, lat, lon, weight in _ROWS
)
BY_CODE: Final[dict[str, Country]] = {country.code: country for country in COUNTRIES}
EARTH_RADIUS_KM: Final = 6371.0


def distance_km(a: Country, b: Country) -> float:
    """Great-circle distance between two countries' reference cities (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def countries_for(currencies: frozenset[str] | None) -> tuple[Country, ...]:
    """The merchant countries whose currency is allowed (all of them when `None`)."""
    if currencies is None:
        return COUNTRIES
    chosen = tuple(country for country in COUNTRIES if country.currency in currencies)
    unknown = currencies - {country.currency for country in COUNTRIES}
    if unknown:
        known = ", ".join(sorted({country.currency for country in COUNTRIES}))
        raise ValueError(f"no merchant country uses {', '.join(sorted(unknown))}; known: {known}")
    return chosen
