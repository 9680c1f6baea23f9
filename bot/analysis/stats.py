"""The statistics every figure uses, once: intervals for shares, tests for differences.

Wilson for a share's 95% interval, the two-proportion z-test for a share that moved, and the
Poisson rate test for a daily volume that moved."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def two_prop_z(k1: int, n1: int, k2: int, n2: int) -> float:
    if n1 == 0 or n2 == 0:
        return 0.0
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return 0.0 if se == 0 else (k1 / n1 - k2 / n2) / se


def poisson_rate_z(k_now: int, days_now: int, k_before: int, days_before: int) -> float:
    """z for two Poisson rates (counts per day): is the daily volume really different?"""
    if days_now <= 0 or days_before <= 0:
        return 0.0
    se = math.sqrt(k_now / days_now**2 + k_before / days_before**2)
    return 0.0 if se == 0 else (k_now / days_now - k_before / days_before) / se
