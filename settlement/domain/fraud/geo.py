"""Country centroids and great-circle distance, for the impossible-travel rule.

A centroid is a coarse stand-in for where a card was used: two neighbours' centroids can be
far apart while their border towns touch, so the rule ignores short hops (`min_distance_km`).
Distances are floats: they are kilometres, never money. Coordinates: geographic centres of
the countries (ISO 3166 alpha-2), to about 0.1 degree.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Final

_CENTROIDS_TEXT: Final = """
AE 23.42 53.85  AR -38.42 -63.62  AT 47.52 14.55  AU -25.27 133.78  BE 50.50 4.47
BG 42.73 25.49  BR -14.24 -51.93  CA 56.13 -106.35  CH 46.82 8.23  CL -35.68 -71.54
CN 35.86 104.20  CO 4.57 -74.30  CY 35.13 33.43  CZ 49.82 15.47  DE 51.17 10.45
DK 56.26 9.50  EE 58.60 25.01  EG 26.82 30.80  ES 40.46 -3.75  FI 61.92 25.75
FR 46.23 2.21  GB 55.38 -3.44  GR 39.07 21.82  HK 22.40 114.11  HR 45.10 15.20
HU 47.16 19.50  ID -0.79 113.92  IE 53.41 -8.24  IL 31.05 34.85  IN 20.59 78.96
IS 64.96 -19.02  IT 41.87 12.57  JP 36.20 138.25  KE -0.02 37.91  KR 35.91 127.77
KW 29.31 47.48  LT 55.17 23.88  LU 49.82 6.13  LV 56.88 24.60  MA 31.79 -7.09
MT 35.94 14.38  MX 23.63 -102.55  MY 4.21 101.98  NG 9.08 8.68  NL 52.13 5.29
NO 60.47 8.47  NZ -40.90 174.89  PE -9.19 -75.02  PH 12.88 121.77  PK 30.38 69.35
PL 51.92 19.15  PT 39.40 -8.22  QA 25.35 51.18  RO 45.94 24.97  RS 44.02 21.01
RU 61.52 105.32  SA 23.89 45.08  SE 60.13 18.64  SG 1.35 103.82  SI 46.15 15.00
SK 48.67 19.70  TH 15.87 100.99  TR 38.96 35.24  TW 23.70 120.96  UA 48.38 31.17
US 37.09 -95.71  VN 14.06 108.28  ZA -30.56 22.94
"""
EARTH_RADIUS_KM: Final = 6371.0


def _centroids() -> dict[str, tuple[float, float]]:
    words = _CENTROIDS_TEXT.split()
    return {words[i]: (float(words[i + 1]), float(words[i + 2])) for i in range(0, len(words), 3)}


CENTROIDS: Final[dict[str, tuple[float, float]]] = _centroids()


@cache
def distance_km(country_a: str, country_b: str) -> float | None:
    """Great-circle distance between two countries' centroids; None if either is unknown."""
    a, b = CENTROIDS.get(country_a), CENTROIDS.get(country_b)
    if a is None or b is None:
        return None
    lat_a, lon_a, lat_b, lon_b = map(math.radians, (*a, *b))
    half_chord = (
        math.sin((lat_b - lat_a) / 2) ** 2
        + math.cos(lat_a) * math.cos(lat_b) * math.sin((lon_b - lon_a) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(half_chord))
