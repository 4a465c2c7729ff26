"""Estimated costs when a roster has none: a rate card by platform and tier (USD per post).

Method ``tier_range`` (default): each platform × tier has a price range (low, high); an
account's price sits in that range where its follower count sits in the tier, on a log scale
(the smallest account of the tier pays ``low``, the largest ``high``). Method
``per_1000_followers``: price = followers ÷ 1,000 × the platform's rate. Defaults come from
:data:`optimizer.defaults.COST_PER_POST_USD` (sources in docs/roster-format.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import defaults
from .funnel import default_tier

# Follower span of each default tier used to place an account inside its price range.
TIER_SPAN: dict[str, tuple[float, float]] = {
    "nano": (1_000, 10_000),
    "micro": (10_000, 100_000),
    "macro": (100_000, 1_000_000),
    "mega": (1_000_000, 100_000_000),
}


def tier_range_price(
    followers: np.ndarray,
    platforms: np.ndarray,
    ranges: dict[str, dict[str, tuple[float, float]]],
) -> np.ndarray:
    """Price per post (currency) interpolated log-linearly inside each platform × tier range."""
    tiers = default_tier(followers)
    platform_codes, platform_names = pd.factorize(
        np.asarray(platforms, dtype=object), use_na_sentinel=False
    )
    tier_codes, tier_names = pd.factorize(tiers)
    combos = platform_codes * len(tier_names) + tier_codes
    bounds = np.empty((4, len(followers)))  # low, high, span_low, span_high per row
    for combo in pd.unique(combos):  # each platform × tier once, in order of appearance
        platform = platform_names[combo // len(tier_names)]
        tier = tier_names[combo % len(tier_names)]
        table = ranges.get(platform) or ranges["other"]
        bounds[:, combos == combo] = np.array([*table[tier], *TIER_SPAN[tier]])[:, None]
    low, high, span_low, span_high = bounds
    where = (np.log(np.maximum(followers, 1.0)) - np.log(span_low)) / (
        np.log(span_high) - np.log(span_low)
    )
    where = np.clip(where, 0.0, 1.0)
    prices = np.exp(np.log(low) + where * (np.log(high) - np.log(low)))
    return np.round(prices, 2)


def per_follower_price(
    followers: np.ndarray, platforms: np.ndarray, rates: dict[str, float]
) -> np.ndarray:
    """Price per post = followers / 1,000 × the platform's rate (currency per 1,000 followers)."""
    fallback = rates.get("other", float(np.median(list(rates.values()))))
    per_thousand = np.array([rates.get(p, fallback) for p in platforms], dtype=float)
    return np.round(followers / 1000.0 * per_thousand, 2)


def estimate_costs(frame: pd.DataFrame, card: object) -> tuple[np.ndarray, np.ndarray]:
    """Offer costs with estimates (price per post × posts) where the roster has none.

    Returns the costs (currency per offer) and the mask of estimated rows.
    ``card`` is the scenario's :class:`optimizer.scenario.RateCard`.
    """
    followers = frame["followers"].to_numpy(dtype=float)
    platforms = frame["platform"].to_numpy()
    if getattr(card, "method", "tier_range") == "per_1000_followers":
        estimate = per_follower_price(followers, platforms, card.per_1000_followers)  # type: ignore[attr-defined]
    else:
        ranges = {p: dict(t) for p, t in defaults.COST_PER_POST_USD.items()}
        for platform, tiers in (getattr(card, "tiers", None) or {}).items():
            ranges.setdefault(platform, dict(ranges["other"])).update(
                {tier: (float(lo), float(hi)) for tier, (lo, hi) in tiers.items()}
            )
        estimate = tier_range_price(followers, platforms, ranges)
    if "posts" in frame.columns:  # a rate card prices one post; an offer may bundle several
        posts = frame["posts"].to_numpy(dtype=float)
        estimate = np.round(estimate * np.where(np.isnan(posts), 1.0, posts), 2)
    if "cost" in frame.columns:
        given = frame["cost"].to_numpy(dtype=float)
        missing = np.isnan(given)
        return np.where(missing, estimate, given), missing
    return estimate, np.ones(len(frame), dtype=bool)
