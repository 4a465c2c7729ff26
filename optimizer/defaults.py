"""Default funnel rates, by platform and follower tier, and sample-data cost ranges.

Numbers in brackets refer to the numbered source list in docs/roster-format.md
("Default rates and their sources"). All rates are fractions in [0, 1].
Tags: seen = figure appears in the cited text; blend = rounded value inside
the range of several seen figures; assumption = our own estimate.

Tiers: nano 1K-10K, micro 10K-100K, macro 100K-1M, mega 1M+ followers.
"""

DEFAULT_TIER_BOUNDS: dict[str, float] = {
    "nano": 1_000,
    "micro": 10_000,
    "macro": 100_000,
    "mega": 1_000_000,
}
TIER_NAMES: tuple[str, ...] = tuple(DEFAULT_TIER_BOUNDS)
PLATFORMS: tuple[str, ...] = ("instagram", "tiktok", "youtube", "other")

# Solvers inflopt can drive, by our name (PuLP class in optimizer/solver.py).
SOLVER_NAMES: tuple[str, ...] = ("highs", "cbc")

# 1. Engagements per follower per post.
ENGAGEMENT_RATE: dict[str, dict[str, float]] = {
    "instagram": {
        "nano": 0.025,  # blend: 2.78% [4], 1.78% [5], 2.19% [6], Modash bands [1]
        "micro": 0.010,  # blend: Modash ~0.75-1.11% [1], HypeAuditor 2026 0.54% [5]
        "macro": 0.009,  # blend: Modash ~0.87-1.14% [1]; falling shape is our choice
        "mega": 0.008,  # blend: Modash 1.02-1.27% [1] vs HypeAuditor 2026 0.33% [5]
    },
    "tiktok": {
        "nano": 0.080,  # blend/assumption: HypeAuditor nano 12.6% [4], IQFluence <100K 7.5% [7]
        "micro": 0.050,  # assumption: ER-per-view [2] x REACH_RATE; Untapper 4-7% [8]
        "macro": 0.030,  # assumption: same derivation; Untapper 2-3.5% [8]
        "mega": 0.020,  # blend: IQFluence 10M+ 2.88% [7], Untapper 1-2% [8]
    },
    "youtube": {
        "nano": 0.012,  # blend: Modash 1.47-2.02% (1-5K) and 0.59-0.82% (5-10K) [3]
        "micro": 0.005,  # blend: Modash 0.23-0.51% [3], nudged up via [9] x [11]
        "macro": 0.003,  # blend: Modash 0.16-0.27% [3], nudged up via [9] x [11]
        "mega": 0.002,  # blend: Modash 0.13-0.18% [3]; CreatorIQ 1.6%/view [9] x 10% [11]
    },
    "other": {
        "nano": 0.025,  # assumption: copy of instagram
        "micro": 0.010,  # assumption: copy of instagram
        "macro": 0.009,  # assumption: copy of instagram
        "mega": 0.008,  # assumption: copy of instagram
    },
}

# 2b. Organic reach, one value per platform (for callers without a tier).
REACH_RATE_PLATFORM: dict[str, float] = {
    "instagram": 0.23,  # seen: Minter.io median 22.9% for 20K-1M accounts [10]
    "tiktok": 0.40,  # assumption: between FYP ">100%" [8] and Statista 2020 views/post [12]
    "youtube": 0.15,  # blend: BrightBean 14-20% mid-size [11]; Tubular 4-8% [11b]
    "other": 0.20,  # assumption
}

# 2. Organic reach: share of followers who see one post, by platform and tier (used by the funnel).
REACH_RATE: dict[str, dict[str, float]] = {
    "instagram": {
        "nano": 0.38,  # seen: Minter.io 37.72% (0-20K) [10]
        "micro": 0.23,  # seen: Minter.io 22.95% (20-100K) [10]
        "macro": 0.23,  # seen: Minter.io 22.89% (100K-1M) [10]
        "mega": 0.19,  # seen: Minter.io 19.09% (1M+) [10]
    },
    "tiktok": {
        "nano": 0.60,  # assumption [8][12]
        "micro": 0.45,  # assumption [8][12]
        "macro": 0.35,  # assumption [8][12]
        "mega": 0.25,  # assumption [8][12]
    },
    "youtube": {
        "nano": 0.35,  # blend: BrightBean 30-50% for <10K [11]
        "micro": 0.17,  # blend: BrightBean 14-20% for 10K-500K [11]
        "macro": 0.12,  # blend: BrightBean 14-20% (to 500K) and 5-15% (500K+) [11]
        "mega": 0.08,  # blend: BrightBean 5-15% [11], Tubular 4-8% [11b]
    },
    "other": {
        "nano": 0.38,  # assumption: copy of instagram
        "micro": 0.23,  # assumption: copy of instagram
        "macro": 0.23,  # assumption: copy of instagram
        "mega": 0.19,  # assumption: copy of instagram
    },
}

# 3. Link clicks per engagement (no direct source; derived from clicks-per-reach).
CLICK_RATE: dict[str, float] = {
    "instagram": 0.15,  # assumption: ~1% clicks/reach [13][14] / ~4-7% engagements/reach
    "tiktok": 0.05,  # assumption: many engagements per view [2], link in bio only
    "youtube": 0.20,  # assumption: few engagements per view, clickable description links
    "other": 0.10,  # assumption
}

# 4. Purchases per click (e-commerce typical).
CONVERSION_RATE: float = (
    0.015  # blend: Shopify avg 1.4% [15], Statista 1.6% [16]; social 0.8-1.7% [17]
)

# 5. Share of real followers, by tier (platform-independent).
AUTHENTICITY: dict[str, float] = {
    "nano": 0.88,  # assumption from Heepsy tier distribution [18]
    "micro": 0.87,  # assumption from Heepsy tier distribution [18]
    "macro": 0.85,  # assumption: interpolated between micro and mega [18]
    "mega": 0.82,  # assumption: Heepsy mega band midpoints 22.1/47.6/30.4% [18]; cf. [4][19]
}

# 6. Share of audience in the target market; neutral default (see defaults.md section 6).
AUDIENCE_FIT: float = 1.0  # assumption: neutral, leaves sourced rates unchanged

# 7. Cost per post in USD, (low, high); only for the seeded sample-data generator.
COST_PER_POST_USD: dict[str, dict[str, tuple[float, float]]] = {
    "instagram": {
        "nano": (10.0, 100.0),  # seen [20][21]
        "micro": (100.0, 500.0),  # seen [20][21]
        "macro": (500.0, 10_000.0),  # seen [20]
        "mega": (10_000.0, 50_000.0),  # seen lower bound [20]; upper = 5x (assumption)
    },
    "tiktok": {
        "nano": (5.0, 25.0),  # seen [20][21]
        "micro": (25.0, 125.0),  # seen [20][21]
        "macro": (125.0, 2_500.0),  # seen [20]
        "mega": (2_500.0, 12_500.0),  # seen lower bound [20]; upper = 5x (assumption)
    },
    "youtube": {
        "nano": (20.0, 200.0),  # seen [20][21]
        "micro": (200.0, 1_000.0),  # seen [20][21]
        "macro": (1_000.0, 20_000.0),  # seen [20]
        "mega": (20_000.0, 100_000.0),  # seen lower bound [20]; upper = 5x (assumption)
    },
    "other": {
        "nano": (10.0, 100.0),  # assumption: copy of instagram
        "micro": (100.0, 500.0),  # assumption: copy of instagram
        "macro": (500.0, 10_000.0),  # assumption: copy of instagram
        "mega": (10_000.0, 50_000.0),  # assumption: copy of instagram
    },
}
