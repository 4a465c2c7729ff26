"""Seeded large instances for benchmarks and scale tests: a typical and an adversarial family.

:mod:`optimizer.generate` writes small, export-style samples; this module writes big ones fast
(vectorised, numeric columns, overlap shares as fractions) with **every constraint family**
switched on: budget and min spend, min/max influencers, min authenticity, a conflict threshold,
tier/platform/niche mix (counts and spend shares), include and exclude, a resource limit,
offers per creator, and a KPI target.

* ``typical``: 12 niches, about 10 overlap partners per influencer (Beta(2, 8) shares), a budget
  of 2 % of total cost, mild mix rules.
* ``adversarial``: 4 niches with about 20 partners each and larger shares (so many conflicts
  and strong de-duplication), a tight mix (micro ≥ 45 % of spend, macro ≤ 3 % of picks, every
  platform ≥ 20 % of spend) and a reach-heavy objective.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .generate import build_roster

FAMILIES = ("typical", "adversarial")


def _pairs(niche: np.ndarray, degree: float, rng: np.random.Generator) -> np.ndarray:
    """About ``degree`` partners per influencer, within its niche (unique pairs, i < j)."""
    chunks = []
    for value in np.unique(niche):
        members = np.flatnonzero(niche == value)
        size = len(members)
        if size < 2:
            continue
        count = int(degree * size / 2)
        a = members[rng.integers(0, size, count)]
        b = members[rng.integers(0, size, count)]
        keep = a != b
        chunks.append(np.column_stack([np.minimum(a, b)[keep], np.maximum(a, b)[keep]]))
    pairs = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.int64)
    return np.unique(pairs, axis=0)


def build_instance(n: int, family: str = "typical", seed: int = 0) -> dict[str, Any]:
    """``{"roster": DataFrame, "overlap": DataFrame, "scenario": dict}`` of one instance."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}")
    rng = np.random.default_rng(seed + (0 if family == "typical" else 10_000))
    adversarial = family == "adversarial"
    niches = tuple(f"n{k:02d}" for k in range(4 if adversarial else 12))
    roster = build_roster(n, seed, niches)
    roster["id"] = [f"c{k:07d}" for k in range(n)]
    roster["creator"] = [f"cr{k:07d}" for k in rng.integers(0, max(1, int(n * 0.9)), n)]
    roster["hours"] = rng.integers(1, 9, n)
    degree = 20.0 if adversarial else 10.0
    pairs = _pairs(roster["niche"].to_numpy(), degree, rng)
    share = rng.beta(3, 6, len(pairs)) if adversarial else rng.beta(2, 8, len(pairs))
    same_platform = (
        roster["platform"].to_numpy()[pairs[:, 0]] == roster["platform"].to_numpy()[pairs[:, 1]]
    )
    share = np.round(np.minimum(share * np.where(same_platform, 1.5, 1.0), 0.9), 4)
    ids = roster["id"].to_numpy()
    overlap = pd.DataFrame({"a": ids[pairs[:, 0]], "b": ids[pairs[:, 1]], "shared": share})
    overlap = overlap[overlap["shared"] > 0]

    total = float(roster["cost"].sum())
    budget = round(0.02 * total, -2)
    affordable = roster[roster["cost"] <= 0.05 * budget]
    best = affordable.loc[(affordable["followers"] / affordable["cost"]).idxmax(), "id"]
    worst = roster.sort_values("followers").iloc[0]["id"]
    if adversarial:
        mix = {
            "tier": {"micro": {"min_share": 0.45}, "macro": {"max_count": max(2, n // 3000)}},
            "platform": {p: {"min_share": 0.2} for p in ("instagram", "tiktok", "youtube")},
            "niche": {"n00": {"min_count": 3, "max_share": 0.4}},
        }
        objective = {"reach": 0.05, "engagement": 0.2, "conversions": 20}
        theta = 0.35
    else:
        mix = {
            "tier": {"micro": {"min_share": 0.3}, "mega": {"max_count": max(2, n // 2000)}},
            "platform": {"youtube": {"max_share": 0.5}},
            "niche": {"n00": {"min_count": 2}},
        }
        objective = {"reach": 0.02, "engagement": 0.1, "conversions": 25}
        theta = 0.45
    scenario = {
        "name": f"{family} {n}",
        "roster": "roster.csv",
        "overlap": {"file": "overlap.csv", "shared": "fraction"},
        "budget": budget,
        "objective": objective,
        "constraints": {
            "max_influencers": max(10, n // 10),
            "min_influencers": 5,
            "min_spend": round(0.3 * budget, -2),
            "min_authenticity": 0.6,
            "max_pair_overlap": theta,
            "max_offers_per_creator": 1,
            "mix": mix,
            "include": [str(best)],
            "exclude": [str(worst)],
            "resources": {"hours": {"max": float(roster["hours"].sum()) * 0.2}},
            "targets": {"engagement": 1.0},
        },
        "solver": {"time_limit": 60, "gap": 1e-6},
    }
    return {"roster": roster, "overlap": overlap, "scenario": scenario}


def write_instance(folder: Path, n: int, family: str = "typical", seed: int = 0) -> Path:
    """Write roster.csv, overlap.csv and scenario.yaml into ``folder``; returns the scenario."""
    folder.mkdir(parents=True, exist_ok=True)
    instance = build_instance(n, family, seed)
    instance["roster"].to_csv(folder / "roster.csv", index=False)
    instance["overlap"].to_csv(folder / "overlap.csv", index=False)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(instance["scenario"], sort_keys=False), encoding="utf-8")
    return path
