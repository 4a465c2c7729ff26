"""The expected-outcome funnel: rates (given or defaulted) → expected KPIs.

audience     = followers × authenticity × audience_fit            (people)
reach        = audience × reach_rate                              (people who see a post)
engagement   = audience × engagement_rate × posts                 (likes, comments, shares…)
conversions  = engagement × click_rate × conversion_rate          (purchases / sign-ups)

Rates are fractions. Missing rates take the defaults of :mod:`optimizer.defaults`, looked up
by platform and by the *default* tier of the follower count (so custom tier names still get
sensible defaults). ``expected_*`` cells given in the roster are used as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import defaults

KPI_COLUMNS: dict[str, str] = {
    "reach": "expected_reach",
    "engagement": "expected_engagement",
    "conversions": "expected_conversions",
}


def assign_tiers(followers: np.ndarray, bounds: list[tuple[str, float]]) -> np.ndarray:
    """Tier name per influencer from ``(name, lower bound)`` pairs sorted ascending.

    Accounts below the smallest bound fall into the smallest tier.
    """
    names = np.array([name for name, _ in bounds], dtype=object)
    lows = np.array([low for _, low in bounds], dtype=float)
    position = np.searchsorted(lows, followers, side="right") - 1
    return names[np.clip(position, 0, len(names) - 1)]


def default_tier(followers: np.ndarray) -> np.ndarray:
    """Tier name by the default thresholds (nano 1K, micro 10K, macro 100K, mega 1M)."""
    bounds = sorted(defaults.DEFAULT_TIER_BOUNDS.items(), key=lambda item: item[1])
    return assign_tiers(followers, bounds)


def _fill(frame: pd.DataFrame, column: str, fallback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Given values where present, else the fallback; and a mask of the defaulted rows."""
    if column in frame.columns:
        given = frame[column].to_numpy(dtype=float)
        defaulted = np.isnan(given)
        return np.where(defaulted, fallback, given), defaulted
    return fallback.astype(float), np.ones(len(frame), dtype=bool)


def default_rates(platforms: np.ndarray, tiers: np.ndarray) -> dict[str, np.ndarray]:
    """Default rate per row for every rate column (fractions)."""
    plat = [p if p in defaults.ENGAGEMENT_RATE else "other" for p in platforms]
    return {
        "engagement_rate": np.array(
            [defaults.ENGAGEMENT_RATE[p][t] for p, t in zip(plat, tiers, strict=True)]
        ),
        "reach_rate": np.array(
            [defaults.REACH_RATE[p][t] for p, t in zip(plat, tiers, strict=True)]
        ),
        "click_rate": np.array([defaults.CLICK_RATE[p] for p in plat]),
        "conversion_rate": np.full(len(plat), defaults.CONVERSION_RATE),
        "authenticity": np.array([defaults.AUTHENTICITY[t] for t in tiers]),
        "audience_fit": np.full(len(plat), defaults.AUDIENCE_FIT),
    }


def derive_kpis(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every rate filled and the three expected KPIs computed.

    Adds ``defaulted``: for each row, the rate columns that took a default (comma list).
    """
    out = frame.copy()
    followers = out["followers"].to_numpy(dtype=float)
    fallback = default_rates(out["platform"].to_numpy(), default_tier(followers))
    defaulted_names: list[list[str]] = [[] for _ in range(len(out))]
    for column, values in fallback.items():
        filled, defaulted = _fill(out, column, values)
        out[column] = filled
        for position in np.flatnonzero(defaulted):
            defaulted_names[position].append(column)
    posts, _ = _fill(out, "posts", np.ones(len(out)))
    out["posts"] = posts

    audience = followers * out["authenticity"].to_numpy() * out["audience_fit"].to_numpy()
    derived = {
        "expected_reach": audience * out["reach_rate"].to_numpy(),
        "expected_engagement": audience * out["engagement_rate"].to_numpy() * posts,
    }
    reach, _ = _fill(out, "expected_reach", derived["expected_reach"])
    engagement, _ = _fill(out, "expected_engagement", derived["expected_engagement"])
    conversions_derived = (
        engagement * out["click_rate"].to_numpy() * out["conversion_rate"].to_numpy()
    )
    conversions, _ = _fill(out, "expected_conversions", conversions_derived)
    out["audience"] = audience
    out["expected_reach"] = reach
    out["expected_engagement"] = engagement
    out["expected_conversions"] = conversions
    out["defaulted"] = [",".join(names) for names in defaulted_names]
    return out
