"""Seeded generator of synthetic rosters and overlap files (sample data, tests, benchmarks).

Followers are log-uniform within each tier; cost per post follows the platform × tier ranges of
:data:`optimizer.defaults.COST_PER_POST_USD` (higher within a tier for bigger accounts, with
noise); engagement rates scatter log-normally around the sourced defaults. Overlap pairs join
influencers of the same niche, with larger shares on the same platform. Nothing here is real.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import defaults
from .errors import InputError

NICHES: tuple[str, ...] = (
    "beauty",
    "fitness",
    "food",
    "gaming",
    "tech",
    "travel",
    "fashion",
    "parenting",
)
PLATFORM_SHARES: dict[str, float] = {"instagram": 0.5, "tiktok": 0.3, "youtube": 0.2}
PLATFORM_PREFIX: dict[str, str] = {"instagram": "ig", "tiktok": "tt", "youtube": "yt"}
TIER_SHARES: dict[str, float] = {"nano": 0.35, "micro": 0.45, "macro": 0.15, "mega": 0.05}
TIER_FOLLOWERS: dict[str, tuple[float, float]] = {
    "nano": (1_000, 10_000),
    "micro": (10_000, 100_000),
    "macro": (100_000, 1_000_000),
    "mega": (1_000_000, 20_000_000),
}
COUNTRIES: tuple[str, ...] = ("US", "GB", "DE", "FR", "BR", "IN", "ES", "CA")
SYLLABLES: tuple[str, ...] = (
    "lu",
    "ma",
    "ko",
    "ri",
    "sa",
    "te",
    "vo",
    "ne",
    "zi",
    "pa",
    "do",
    "mi",
)


def build_roster(n: int, seed: int = 0, niches: tuple[str, ...] = NICHES) -> pd.DataFrame:
    """A roster of ``n`` synthetic influencers (numeric columns; see :func:`export_style`).

    Columns: id, handle, platform, niche, country, followers, cost (USD per post),
    engagement_rate, click_rate (blank for ~30 % of rows, so defaults apply), authenticity,
    audience_fit (fractions) and posts.
    """
    rng = np.random.default_rng(seed)
    platforms = rng.choice(list(PLATFORM_SHARES), size=n, p=list(PLATFORM_SHARES.values()))
    tiers = rng.choice(list(TIER_SHARES), size=n, p=list(TIER_SHARES.values()))
    low = np.array([TIER_FOLLOWERS[t][0] for t in tiers])
    high = np.array([TIER_FOLLOWERS[t][1] for t in tiers])
    position = rng.random(n)  # where in its tier an account sits, 0…1 on a log scale
    followers = np.round(np.exp(np.log(low) + position * (np.log(high) - np.log(low))))
    cost_low = np.array(
        [defaults.COST_PER_POST_USD[p][t][0] for p, t in zip(platforms, tiers, strict=True)]
    )
    cost_high = np.array(
        [defaults.COST_PER_POST_USD[p][t][1] for p, t in zip(platforms, tiers, strict=True)]
    )
    cost_position = np.clip(position + rng.normal(0, 0.15, n), 0, 1)
    cost = np.exp(np.log(cost_low) + cost_position * (np.log(cost_high) - np.log(cost_low)))
    cost = np.round(cost / 5) * 5
    base_er = np.array(
        [defaults.ENGAGEMENT_RATE[p][t] for p, t in zip(platforms, tiers, strict=True)]
    )
    engagement_rate = np.clip(base_er * rng.lognormal(0, 0.35, n), 0.001, 0.5)
    base_click = np.array([defaults.CLICK_RATE[p] for p in platforms])
    click_rate = np.clip(base_click * rng.lognormal(0, 0.3, n), 0.001, 0.9)
    click_rate[rng.random(n) < 0.3] = np.nan
    base_auth = np.array([defaults.AUTHENTICITY[t] for t in tiers])
    authenticity = np.clip(base_auth + rng.normal(0, 0.06, n), 0.4, 0.99)
    audience_fit = np.round(rng.uniform(0.45, 0.95, n), 2)
    niche = rng.choice(list(niches), size=n)
    handles = [f"@{niche[k]}{''.join(rng.choice(SYLLABLES, 2))}{k}" for k in range(n)]
    ids = [f"{PLATFORM_PREFIX[p]}_{k:04d}" for k, p in enumerate(platforms)]
    return pd.DataFrame(
        {
            "id": ids,
            "handle": handles,
            "platform": platforms,
            "niche": niche,
            "country": rng.choice(list(COUNTRIES), size=n),
            "followers": followers.astype(int),
            "cost": cost,
            "engagement_rate": np.round(engagement_rate, 4),
            "click_rate": np.round(click_rate, 4),
            "authenticity": np.round(authenticity, 3),
            "audience_fit": audience_fit,
            "posts": rng.choice([1, 1, 1, 2, 3], size=n),
        }
    )


def build_overlap_pairs(roster: pd.DataFrame, seed: int = 0, degree: float = 6.0) -> pd.DataFrame:
    """Pairs ``a, b, shared`` (shared followers, a count) among influencers of one niche.

    Each influencer gets about ``degree`` partners; shares of the smaller audience are
    Beta(2, 8)-distributed (mean 20 %), × 1.5 on the same platform, capped at 90 %.
    """
    rng = np.random.default_rng(seed + 1)
    rows: dict[tuple[int, int], float] = {}
    followers = roster["followers"].to_numpy(dtype=float)
    platforms = roster["platform"].to_numpy()
    for _, group in roster.groupby("niche"):
        members = group.index.to_numpy()
        if len(members) < 2:
            continue
        probability = min(1.0, degree / (len(members) - 1))
        for k, i in enumerate(members[:-1]):
            others = members[k + 1 :]
            chosen = others[rng.random(len(others)) < probability]
            for j in chosen:
                share = rng.beta(2, 8) * (1.5 if platforms[i] == platforms[j] else 1.0)
                rows[(int(i), int(j))] = min(share, 0.9)
    ids = roster["id"].to_numpy()
    pairs = [
        (ids[i], ids[j], round(share * min(followers[i], followers[j])))
        for (i, j), share in sorted(rows.items())
    ]
    return pd.DataFrame(pairs, columns=["a", "b", "shared"])


def export_style(roster: pd.DataFrame) -> pd.DataFrame:
    """The roster as a discovery tool exports it: ``12.5K`` followers, ``3.1%`` rates, ``$450``."""
    out = roster.copy()

    def short(value: float) -> str:
        if value >= 1e6:
            return f"{value / 1e6:.2f}M"
        if value >= 1e4:
            return f"{value / 1e3:.1f}K"
        return f"{value:,.0f}"

    exact = np.arange(len(out)) % 4 == 0  # every fourth row keeps its exact count, with commas
    out["followers"] = [
        f"{v:,.0f}" if keep else short(v)
        for v, keep in zip(roster["followers"], exact, strict=True)
    ]
    out["cost"] = [f"${v:,.0f}" for v in roster["cost"]]
    out["engagement_rate"] = [f"{100 * v:.2f}%" for v in roster["engagement_rate"]]
    out["click_rate"] = ["" if np.isnan(v) else f"{100 * v:.2f}%" for v in roster["click_rate"]]
    return out


def write_sample(folder: Path, n: int, seed: int, degree: float = 6.0) -> tuple[Path, Path]:
    """Write ``roster.csv`` (export style) and ``overlap.csv`` into ``folder``; returns both paths.

    Export-style text is rounded (``12.5K``), so the overlap counts are computed from the
    followers as written, keeping every pair consistent with the roster a user reads. Both
    tables are built before anything is written; a folder that cannot be written is an
    :class:`InputError`.
    """
    roster = build_roster(n, seed)
    exported = export_style(roster)
    from .numbers import parse_number  # local: only needed here

    roster["followers"] = [int(parse_number(v)) for v in exported["followers"]]
    pairs = build_overlap_pairs(roster, seed, degree)
    roster_path = folder / "roster.csv"
    overlap_path = folder / "overlap.csv"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        exported.to_csv(roster_path, index=False)
        pairs.to_csv(overlap_path, index=False)
    except OSError as exc:
        where = exc.filename or folder
        raise InputError.single(str(where), "", f"cannot write: {exc.strerror or exc}") from None
    return roster_path, overlap_path
