"""Portfolio KPIs computed straight from the roster and overlap data, never from solver values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from .funnel import KPI_COLUMNS
from .overlap import OverlapGraph
from .reach import load_reach
from .roster import Roster
from .scenario import Scenario


def pairwise_waste(overlap: OverlapGraph, picked: Sequence[int]) -> float:
    """People counted twice by the picked pairs: Σ shared_reach over picked overlapping pairs."""
    return float(overlap.shared_reach[overlap.among(set(picked))].sum())


def effective_costs(scenario: Scenario, roster: Roster, picked: Sequence[int]) -> np.ndarray:
    """What each picked offer costs after package discounts (currency), in ``picked`` order."""
    index = np.asarray(list(picked), dtype=int)
    cost = roster.column("cost").astype(float)[index]
    deal = scenario.constraints.package_discount
    if deal is None or "creator" not in roster.frame.columns or not len(index):
        return cost
    creators = [str(c) for c in roster.frame["creator"].to_numpy()[index]]
    booked = Counter(c for c in creators if c)
    cut = [bool(c) and booked[c] >= deal.min_offers for c in creators]
    return cost * np.where(cut, 1.0 - deal.discount, 1.0)


def portfolio_kpis(
    scenario: Scenario, roster: Roster, overlap: OverlapGraph, picked: Sequence[int]
) -> dict[str, float]:
    """Spend, count, de-duplicated reach, engagement, conversions, value and unit costs.

    Units: spend and value in budget currency; reach in people; ``cpm`` = spend per 1,000
    de-duplicated people reached; ``overlap_waste`` = people paid for twice.

    With ``reach.method`` coverage or sainsbury, reach is recomputed exactly from the audience
    data (people in its unit), ``gross_reach`` and ``overlap_waste`` come from the same data, and
    ``reach_pairwise`` is the pairwise estimate of the same portfolio, for comparison.
    """
    index = np.asarray(list(picked), dtype=int)
    spend = float(effective_costs(scenario, roster, index.tolist()).sum())
    gross_reach = float(roster.column(KPI_COLUMNS["reach"]).astype(float)[index].sum())
    waste = pairwise_waste(overlap, index.tolist())
    engagement = float(roster.column(KPI_COLUMNS["engagement"]).astype(float)[index].sum())
    conversions = float(roster.column(KPI_COLUMNS["conversions"]).astype(float)[index].sum())
    reach = gross_reach - waste
    audience = load_reach(scenario, roster)
    extra: dict[str, float] = {}
    if audience is not None:
        gross_reach, reach = audience.gross_reach(index), audience.reach(index)
        waste = gross_reach - reach
        extra["reach_pairwise"] = audience.pairwise_reach(index)
    weights = scenario.objective.weights()
    value = weights["reach"] * reach + weights["engagement"] * engagement
    value += weights["conversions"] * conversions
    return {
        "spend": spend,
        "count": float(len(index)),
        "reach": reach,
        "gross_reach": gross_reach,
        "overlap_waste": waste,
        **extra,
        "engagement": engagement,
        "conversions": conversions,
        "value": value,
        "roi": (value - spend) / spend if spend > 0 else 0.0,
        "cost_per_engagement": spend / engagement if engagement > 0 else None,  # type: ignore[dict-item]
        "cost_per_conversion": spend / conversions if conversions > 0 else None,  # type: ignore[dict-item]
        "cpm": 1000.0 * spend / reach if reach > 0 else None,  # type: ignore[dict-item]
    }


def by_group(
    roster: Roster, picked: Sequence[int], column: str, costs: np.ndarray | None = None
) -> dict[str, dict[str, float]]:
    """Count and spend of the picked influencers per value of a categorical column.

    ``costs`` (aligned with ``picked``) are the effective costs; the roster's by default.
    """
    frame = roster.frame.iloc[list(picked)].copy()
    if costs is not None:
        frame["cost"] = costs
    out: dict[str, dict[str, float]] = {}
    for value, group in frame.groupby(column, sort=True):
        out[str(value)] = {"count": len(group), "spend": float(group["cost"].sum())}
    return out
