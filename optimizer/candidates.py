"""Which influencers a scenario's filters leave in (no solver needed)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .roster import Roster
from .scenario import Scenario


@dataclass
class Candidates:
    """Influencers that pass the filters, and why the others were left out."""

    positions: np.ndarray  # roster positions of the candidates, ascending
    excluded_by: dict[int, str] = field(default_factory=dict)  # roster position → rule


def group_values(roster: Roster, column: str) -> np.ndarray:
    """A categorical column as lower-case text, for matching mix groups."""
    codes, uniques = pd.factorize(roster.frame[column], use_na_sentinel=False)  # few values
    text = np.array([str(v).strip().lower() for v in uniques.tolist()], dtype=object)
    return text[codes]


def select_candidates(scenario: Scenario, roster: Roster) -> Candidates:
    """Apply filters: exclude list, minimum authenticity, allowed tiers and platforms."""
    rules = scenario.constraints
    frame = roster.frame
    excluded_by: dict[int, str] = {}

    def drop(mask: np.ndarray, rule: str) -> None:
        for position in np.flatnonzero(mask):
            excluded_by.setdefault(int(position), rule)

    excluded = set(rules.exclude)
    drop(np.array([i in excluded for i in roster.ids], dtype=bool), "exclude")
    if rules.min_authenticity is not None:
        drop(
            frame["authenticity"].to_numpy() < rules.min_authenticity,
            f"min_authenticity {rules.min_authenticity:g}",
        )
    if rules.tiers is not None:
        allowed = {t.lower() for t in rules.tiers}
        drop(~np.isin(group_values(roster, "tier"), list(allowed)), f"tiers {rules.tiers}")
    if rules.platforms is not None:
        allowed = {p.lower() for p in rules.platforms}
        drop(
            ~np.isin(group_values(roster, "platform"), list(allowed)),
            f"platforms {rules.platforms}",
        )
    keep = np.array([p not in excluded_by for p in range(len(roster))], dtype=bool)
    return Candidates(np.flatnonzero(keep), excluded_by)
