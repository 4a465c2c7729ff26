"""The overlap estimate (no overlap file): vectorised, it gives the pairs of the documented
rule, pair by pair and in the same order as a plain loop over the niche's pairs."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from optimizer.overlap import estimate_overlap
from optimizer.roster import Roster
from optimizer.scenario import Scenario


def _reference(frame: pd.DataFrame, same_platform: float, same_niche: float) -> list[tuple]:
    """Every two influencers of one niche (niches in sorted order, pairs in roster order):
    ``same_platform`` on one platform, else ``same_niche``; a missing platform matches none;
    pairs with share 0 are no pairs."""
    rows = []
    for niche in sorted(frame["niche"].dropna().unique()):
        members = frame.index[frame["niche"] == niche].tolist()
        for a, b in combinations(members, 2):
            pa, pb = frame.at[a, "platform"], frame.at[b, "platform"]
            same = pa == pb and not pd.isna(pa)
            share = same_platform if same else same_niche
            if share > 0:
                rows.append((a, b, share))
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_the_estimate_gives_the_documented_pairs_in_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    platforms = rng.choice(["instagram", "tiktok", "youtube", None], n, p=[0.4, 0.3, 0.2, 0.1])
    frame = pd.DataFrame(
        {
            "id": [f"c{k}" for k in range(n)],
            "followers": rng.integers(1_000, 90_000, n),
            "niche": rng.choice(["beauty", "food", "travel"], n),
            "platform": platforms,
        }
    )
    same_platform = float(rng.choice([0.0, 0.1, 0.5]))
    same_niche = float(rng.choice([0.0, 0.05]))
    scenario = Scenario.model_validate(
        {
            "name": "estimate",
            "roster": "roster.csv",
            "budget": 1000,
            "objective": {"reach": 1},
            "overlap": {
                "estimate": {"same_niche_platform": same_platform, "same_niche": same_niche}
            },
        }
    )
    pairs = estimate_overlap(scenario, Roster(frame, "roster.csv"))
    assert list(pairs.itertuples(index=False, name=None)) == _reference(
        frame, same_platform, same_niche
    )
    assert pairs["i"].dtype == np.int64 and pairs["j"].dtype == np.int64
