"""Merchant category codes (ISO 18245) with the traffic profile of each category.

Descriptions are the ISO 18245 wording (the card-scheme wording where ISO has none: 5815,
5816, 5818, 5977). Per code: the time-of-day shape, a lognormal amount distribution given by
its median in euros and its sigma (real basket sizes are right-skewed: many small bills, a
long tail), the share of merchants that sell online, how common the category is among
merchants and how busy one merchant is, the terminal count, and a typical MDR in basis
points. `high_value` marks what stolen cards are used on. `high_risk` is not kept here: it
is membership of the fraud rule `high_risk_mcc_night`'s shipped list (Visa's High-Integrity
Risk MCCs, settlement/domain/fraud/default_rules.toml), imported so the simulator's night
scenario draws exactly the MCCs the rule watches and the two can never drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from pos_simulator.shapes import SHAPES
from settlement.domain.fraud.rulebook import default_params

# The rule's list, not a copy: every code in it must have a profile below (checked at import).
_NIGHT_RULE = default_params("high_risk_mcc_night")
HIGH_RISK_MCCS: Final[frozenset[str]] = frozenset(_NIGHT_RULE.mccs)
CARD_ABSENT_ONLY: Final[frozenset[str]] = frozenset(_NIGHT_RULE.card_absent_only)


@dataclass(frozen=True, slots=True)
class Mcc:
    code: str
    description: str
    shape: str
    median_eur: float
    sigma: float
    online_share: float
    merchant_weight: float
    traffic: float
    terminals: int
    mdr_bps: int
    high_value: bool = False

    @property
    def high_risk(self) -> bool:
        return self.code in HIGH_RISK_MCCS

    @property
    def high_risk_card_absent_only(self) -> bool:
        return self.code in CARD_ABSENT_ONLY

    @property
    def log_median_eur(self) -> float:
        return math.log(self.median_eur)


# ISO 18245 wording (the schemes' where ISO has none). Verified against the iso18245 package.
DESCRIPTIONS: Final[dict[str, str]] = {
    "4111": "Local and suburban commuter passenger transportation, including ferries",
    "4121": "Taxi-cabs and limousines",
    "4131": "Bus lines",
    "4511": "Airlines and air carriers",
    "4722": "Travel agencies and tour operators",
    "4812": "Telecommunication equipment and telephone sales",
    "4814": (
        "Telecommunication services, including local and long distance calls, credit card "
        "calls, calls through use of magnetic stripe reading telephones and faxes"
    ),
    "4816": "Computer network/information services",
    "4829": "Wire transfers and money orders",
    "4899": "Cable and other pay television services",
    "4900": "Utilities -- electric, gas, water and sanitary",
    "5045": "Computers, computer peripheral equipment -- not elsewhere classified",
    "5094": "Precious stones and metals, watches and jewellery",
    "5111": "Stationery, office supplies and printing and writing paper",
    "5122": "Drugs, drug proprietors",
    "5200": "Home supply warehouse outlets",
    "5251": "Hardware shops",
    "5300": "Wholesale clubs",
    "5310": "Discount shops",
    "5311": "Department stores",
    "5331": "Variety stores",
    "5399": "Miscellaneous general merchandise",
    "5411": "Groceries and supermarkets",
    "5441": "Candy, nut and confectionery shops",
    "5462": "Bakeries",
    "5499": "Miscellaneous food shops -- convenience and speciality retail outlets",
    "5541": "Service stations (with or without ancillary services)",
    "5542": "Automated fuel dispensers",
    "5611": "Men's and boys' clothing and accessory shops",
    "5621": "Women's ready-to-wear shops",
    "5651": "Family clothing shops",
    "5655": "Sports and riding apparel shops",
    "5661": "Shoe shops",
    "5691": "Men's and women's clothing shops",
    "5712": "Furniture, home furnishings and equipment shops and manufacturers, except appliances",
    "5732": "Electronics shops",
    "5734": "Computer software outlets",
    "5735": "Record shops",
    "5812": "Eating places and restaurants",
    "5813": (
        "Drinking places (alcoholic beverages) -- bars, taverns, night-clubs, cocktail "
        "lounges and discotheques"
    ),
    "5814": "Fast food restaurants",
    "5815": "Digital Goods Media - Books, Movies, Digital artwork/images, Music",
    "5816": "Digital Goods - Games",
    "5818": "Digital Goods - Large Digital Goods Merchant",
    "5912": "Drug stores and pharmacies",
    "5921": "Package shops -- beer, wine and liquor",
    "5933": "Pawn shops",
    "5941": "Sporting goods shops",
    "5942": "Bookshops",
    "5944": "Jewellery, watch, clock and silverware shops",
    "5945": "Hobby, toy and game shops",
    "5947": "Gift, card, novelty and souvenir shops",
    "5964": "Direct marketing -- catalogue merchants",
    "5966": "Direct marketing -- outbound telemarketing merchants",
    "5967": "Direct marketing -- inbound telemarketing merchants",
    "5968": "Direct marketing -- continuity/subscription merchants",
    "5977": "Cosmetic Stores",
    "5992": "Florists",
    "5993": "Cigar shops and stands",
    "5995": "Pet shops, pet food and supplies",
    "5999": "Miscellaneous and speciality retail outlets",
    "6051": (
        "Non-financial institutions -- foreign currency, money orders (not wire "
        "transfer), scrip and travellers' checks"
    ),
    "6012": "Financial institutions -- merchandise and services",
    "6211": "Securities -- brokers and dealers",
    "7011": "Lodging -- hotels, motels and resorts",
    "7210": "Laundry, cleaning and garment services",
    "7230": "Beauty and barber shops",
    "7273": "Dating and escort services",
    "7298": "Health and beauty spas",
    "7399": "Business services -- not elsewhere classified",
    "7512": "Automobile rentals",
    "7523": "Parking lots and garages",
    "7832": "Motion picture theatres",
    "7922": "Theatrical producers (except motion pictures) and ticket agencies",
    "7941": "Commercial sports, professional sports clubs, athletic fields and sports promoters",
    "7991": "Tourist attractions and exhibits",
    "7994": "Video game arcades and establishments",
    "7995": (
        "Betting, including lottery tickets, casino gaming chips, off-track betting and "
        "wagers at race tracks"
    ),
    "7997": (
        "Membership clubs (sports, recreation, athletic), country clubs and private golf courses"
    ),
    "8011": "Doctors and physicians -- not elsewhere classified",
    "8021": "Dentists and orthodontists",
    "8062": "Hospitals",
    "8099": "Medical services and health practitioners -- not elsewhere classified",
    "8220": "Colleges, universities, professional schools and junior colleges",
    "8299": "Schools and educational services -- not elsewhere classified",
    "8398": "Charitable and social service organizations",
    "8999": "Professional services -- not elsewhere classified",
    "9399": "Government services -- not elsewhere classified",
}

# code, shape, median EUR, sigma, online share, merchant weight, traffic, terminals, MDR bps,
# flags (V = high value)
_PROFILES: Final = (
    ("4111", "transport", 3.5, 0.5, 0.3, 2, 8, 6, 120, ""),
    ("4121", "transport", 22, 0.5, 0.1, 2, 2, 1, 150, ""),
    ("4131", "transport", 12, 0.6, 0.4, 1, 2, 2, 120, ""),
    ("4511", "online", 320, 0.7, 0.9, 1, 3, 2, 200, ""),
    ("4722", "online", 450, 0.8, 0.7, 1, 1, 1, 180, ""),
    ("4812", "retail", 180, 0.9, 0.4, 1, 1, 2, 150, ""),
    ("4814", "online", 35, 0.6, 0.9, 1, 2, 1, 150, ""),
    ("4816", "online", 12, 0.7, 1.0, 0.3, 1, 1, 200, ""),
    ("4829", "online", 250, 0.9, 0.8, 0.5, 1, 1, 250, ""),
    ("4899", "online", 25, 0.4, 1.0, 0.5, 2, 1, 140, ""),
    ("4900", "always", 85, 0.6, 1.0, 0.5, 2, 1, 90, ""),
    ("5045", "retail", 450, 0.9, 0.5, 1, 1, 2, 170, "V"),
    ("5094", "retail", 900, 1.0, 0.2, 0.5, 0.5, 1, 220, "V"),
    ("5111", "services", 18, 0.8, 0.3, 1, 1, 2, 150, ""),
    ("5122", "online", 60, 0.8, 1.0, 0.2, 1, 1, 250, ""),
    ("5200", "retail", 65, 0.9, 0.2, 1, 3, 6, 130, ""),
    ("5251", "retail", 28, 0.9, 0.1, 1, 2, 2, 140, ""),
    ("5300", "grocery", 110, 0.7, 0.1, 0.5, 4, 8, 100, ""),
    ("5310", "retail", 25, 0.7, 0.2, 1, 3, 4, 120, ""),
    ("5311", "retail", 60, 0.9, 0.3, 1.5, 3, 8, 140, "V"),
    ("5331", "retail", 15, 0.7, 0.1, 1, 2, 3, 130, ""),
    ("5399", "retail", 30, 0.8, 0.4, 1, 2, 2, 150, ""),
    ("5411", "grocery", 32, 0.8, 0.05, 6, 8, 8, 90, ""),
    ("5441", "retail", 7, 0.6, 0.1, 1, 2, 1, 150, ""),
    ("5462", "grocery", 6, 0.5, 0.0, 2, 4, 2, 140, ""),
    ("5499", "grocery", 12, 0.7, 0.05, 3, 5, 2, 130, ""),
    ("5541", "fuel", 55, 0.5, 0.0, 2, 4, 6, 80, ""),
    ("5542", "fuel", 60, 0.4, 0.0, 1, 3, 4, 80, ""),
    ("5611", "retail", 70, 0.7, 0.3, 1, 1, 2, 160, ""),
    ("5621", "retail", 65, 0.7, 0.3, 1, 1, 2, 160, ""),
    ("5651", "retail", 55, 0.8, 0.3, 1.5, 2, 3, 150, ""),
    ("5655", "retail", 75, 0.8, 0.3, 0.5, 1, 2, 160, ""),
    ("5661", "retail", 80, 0.6, 0.3, 1, 1, 2, 160, ""),
    ("5691", "retail", 60, 0.8, 0.4, 1.5, 2, 3, 150, ""),
    ("5712", "retail", 350, 1.0, 0.3, 1, 0.5, 2, 170, ""),
    ("5732", "retail", 220, 1.0, 0.4, 1.5, 2, 4, 160, "V"),
    ("5734", "online", 40, 0.8, 0.9, 0.5, 1, 1, 180, ""),
    ("5735", "retail", 20, 0.6, 0.3, 0.5, 1, 1, 160, ""),
    ("5812", "restaurant", 38, 0.6, 0.05, 6, 4, 3, 150, ""),
    ("5813", "bar", 22, 0.7, 0.0, 3, 4, 2, 160, ""),
    ("5814", "fast_food", 11, 0.5, 0.15, 4, 6, 4, 140, ""),
    ("5815", "online", 9, 0.7, 1.0, 1, 3, 1, 200, ""),
    ("5816", "online", 12, 0.9, 1.0, 0.5, 2, 1, 220, ""),
    ("5818", "online", 15, 1.0, 1.0, 0.5, 5, 1, 200, ""),
    ("5912", "retail", 18, 0.8, 0.2, 2, 3, 3, 110, ""),
    ("5921", "retail", 25, 0.7, 0.1, 1, 2, 2, 150, ""),
    ("5933", "retail", 120, 0.9, 0.0, 0.5, 0.5, 1, 250, ""),
    ("5941", "retail", 70, 0.9, 0.4, 1, 1, 2, 160, ""),
    ("5942", "retail", 18, 0.6, 0.4, 1, 1, 2, 150, ""),
    ("5944", "retail", 600, 1.1, 0.2, 0.5, 0.5, 1, 220, "V"),
    ("5945", "retail", 30, 0.8, 0.4, 1, 1, 2, 160, ""),
    ("5947", "retail", 15, 0.7, 0.2, 1, 1, 1, 160, ""),
    ("5964", "online", 45, 0.8, 1.0, 1, 2, 1, 180, ""),
    ("5966", "online", 50, 0.8, 1.0, 0.2, 1, 1, 280, ""),
    ("5967", "online", 60, 0.9, 1.0, 0.3, 1, 1, 300, ""),
    ("5968", "online", 20, 0.6, 1.0, 0.3, 2, 1, 250, ""),
    ("5977", "retail", 30, 0.7, 0.3, 1, 1, 2, 160, ""),
    ("5992", "retail", 35, 0.6, 0.2, 0.5, 1, 1, 160, ""),
    ("5993", "retail", 20, 0.7, 0.0, 0.5, 1, 1, 180, ""),
    ("5995", "retail", 35, 0.8, 0.3, 0.5, 1, 1, 160, ""),
    ("5999", "retail", 30, 0.9, 0.4, 2, 2, 2, 160, ""),
    ("6051", "casino", 300, 0.9, 0.5, 0.3, 1, 1, 280, ""),
    ("6012", "online", 200, 1.0, 1.0, 0.2, 1, 1, 200, ""),
    ("6211", "online", 400, 1.0, 1.0, 0.2, 1, 1, 250, ""),
    ("7011", "lodging", 180, 0.8, 0.4, 2, 2, 2, 180, ""),
    ("7210", "services", 20, 0.6, 0.0, 0.5, 1, 1, 150, ""),
    ("7230", "services", 35, 0.6, 0.0, 1.5, 1, 1, 150, ""),
    ("7273", "casino", 60, 0.8, 0.9, 0.3, 1, 1, 300, ""),
    ("7298", "services", 80, 0.7, 0.1, 0.5, 1, 1, 160, ""),
    ("7399", "services", 150, 1.0, 0.5, 1, 1, 1, 170, ""),
    ("7512", "lodging", 220, 0.7, 0.5, 0.5, 1, 2, 180, ""),
    ("7523", "transport", 9, 0.7, 0.2, 1, 3, 3, 140, ""),
    ("7832", "entertainment", 14, 0.4, 0.5, 1, 3, 3, 150, ""),
    ("7922", "online", 75, 0.8, 0.9, 0.5, 1, 1, 180, ""),
    ("7941", "entertainment", 45, 0.8, 0.3, 0.5, 2, 4, 170, ""),
    ("7991", "entertainment", 25, 0.6, 0.3, 1, 2, 3, 160, ""),
    ("7994", "entertainment", 15, 0.7, 0.0, 0.3, 1, 2, 160, ""),
    ("7995", "casino", 50, 1.0, 0.6, 0.5, 2, 2, 300, ""),
    ("7997", "services", 90, 0.8, 0.3, 0.5, 1, 1, 160, ""),
    ("8011", "services", 90, 0.7, 0.0, 1, 1, 1, 130, ""),
    ("8021", "services", 120, 0.8, 0.0, 1, 1, 1, 130, ""),
    ("8062", "always", 250, 1.0, 0.0, 0.3, 1, 2, 120, ""),
    ("8099", "services", 70, 0.8, 0.1, 1, 1, 1, 130, ""),
    ("8220", "services", 400, 1.1, 0.5, 0.3, 0.5, 1, 120, ""),
    ("8299", "services", 120, 0.9, 0.5, 0.5, 0.5, 1, 140, ""),
    ("8398", "online", 40, 0.8, 0.9, 0.5, 0.5, 1, 100, ""),
    ("8999", "services", 200, 1.0, 0.2, 1, 0.5, 1, 170, ""),
    ("9399", "services", 60, 0.9, 0.5, 0.5, 1, 1, 60, ""),
)


def _mcc(row: tuple[str, str, float, float, float, float, float, int, int, str]) -> Mcc:
    code, shape, median, sigma, online, weight, traffic, terminals, mdr, flags = row
    return Mcc(
        code,
        DESCRIPTIONS[code],
        shape,
        median,
        sigma,
        online,
        weight,
        traffic,
        terminals,
        mdr,
        high_value="V" in flags,
    )


MCC_TABLE: Final[tuple[Mcc, ...]] = tuple(_mcc(row) for row in _PROFILES)

BY_CODE: Final[dict[str, Mcc]] = {mcc.code: mcc for mcc in MCC_TABLE}


def _check_table() -> None:
    """Fail at import, not mid-run, if an entry names an unknown shape or a duplicate code."""
    if len(BY_CODE) != len(MCC_TABLE):
        raise ValueError("duplicate MCC in MCC_TABLE")
    for mcc in MCC_TABLE:
        if mcc.shape not in SHAPES:
            raise ValueError(f"MCC {mcc.code}: unknown shape {mcc.shape!r}")
    missing = sorted(HIGH_RISK_MCCS - set(BY_CODE))
    if missing:
        raise ValueError(f"high-risk MCC {missing[0]} (the rule's list) has no profile here")


_check_table()
