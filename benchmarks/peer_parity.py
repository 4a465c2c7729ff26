"""Peer parity: the InfluenceOpt demo instance as an inflopt scenario, against its greedy.

The peer tool (Ferdawes-Benali/InfluenceOpt, data in ../shared/data/peer/) picks the cheapest
set of influencers whose closed neighbourhoods cover a share of the 20 nodes, under a budget
and a cap on summed risk; its fallback is a greedy by followers per cost under the budget only.
Here the same brief is an inflopt scenario: membership = closed neighbourhoods (unit = node,
weight 1), risk = a resource limit, goal minimize_cost with a reach (coverage) target. Every
answer is also checked against the exact optimum found by enumerating all 2^20 portfolios.

The peer data are read from ../shared/data/peer/ and written only to a temporary folder.

    .venv/bin/python benchmarks/peer_parity.py            # prints the markdown table
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

PEER = Path(__file__).resolve().parents[2] / "shared/data/peer"
BUDGETS = (3_000, 10_000, 25_000)
RISK_CAPS = (0.2, 0.3, 1.0)
COVERAGES = (0.5, 0.8)
TOL = 1e-9


@dataclass
class Peer:
    """The demo instance: users (id, followers, cost, risk…) and closed neighbourhoods."""

    users: pd.DataFrame
    neighbourhood: dict[str, set[str]]  # node → itself and its linked nodes

    @property
    def ids(self) -> list[str]:
        return self.users["id"].tolist()


@dataclass
class Plan:
    """One portfolio and what it achieves on the peer's own terms."""

    picked: list[str]
    cost: float
    covered: int
    risk: float


def load_peer(folder: Path = PEER) -> Peer:
    """Users and edges; region ``NA`` means North America, so no NA parsing."""
    users = pd.read_csv(folder / "demo_users.csv", keep_default_na=False)
    edges = pd.read_csv(folder / "demo_edges.csv", keep_default_na=False)
    users["id"] = users["id"].astype(str)
    neighbourhood = {i: {i} for i in users["id"]}
    for a, b in zip(edges["source"].astype(str), edges["target"].astype(str), strict=True):
        neighbourhood[a].add(b)
        neighbourhood[b].add(a)
    return Peer(users, neighbourhood)


def plan_of(peer: Peer, picked: list[str]) -> Plan:
    """Cost, covered nodes (closed neighbourhoods) and summed risk of a portfolio."""
    frame = peer.users.set_index("id")
    covered = set().union(*(peer.neighbourhood[i] for i in picked)) if picked else set()
    return Plan(
        sorted(picked, key=peer.ids.index),
        float(frame.loc[picked, "cost"].sum()) if picked else 0.0,
        len(covered),
        float(frame.loc[picked, "risk"].sum()) if picked else 0.0,
    )


def write_scenario(
    peer: Peer, folder: Path, budget: float, risk_cap: float, coverage: float
) -> Path:
    """Roster, membership and a minimize-cost scenario for one (budget, risk, coverage) case."""
    folder.mkdir(parents=True, exist_ok=True)
    roster = peer.users.rename(columns={"name": "handle"})[
        ["id", "handle", "platform", "followers", "cost", "risk"]
    ]
    roster.to_csv(folder / "roster.csv", index=False)
    rows = [(i, unit, 1) for i in peer.ids for unit in sorted(peer.neighbourhood[i])]
    pd.DataFrame(rows, columns=["influencer", "unit", "weight"]).to_csv(
        folder / "membership.csv", index=False
    )
    scenario = {
        "name": f"peer B={budget:g} risk≤{risk_cap:g} cover≥{coverage:.0%}",
        "roster": "roster.csv",
        "budget": budget,
        "goal": "minimize_cost",
        "reach": {"method": "coverage", "membership": "membership.csv"},
        "constraints": {
            "resources": {"risk": {"max": risk_cap}},
            "targets": {"reach": coverage * len(peer.ids)},
        },
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def greedy(peer: Peer, budget: float) -> list[str]:
    """The peer tool's fallback: by followers per cost, add whatever still fits the budget."""
    users = peer.users
    score = users["followers"] / users["cost"].clip(lower=1.0)
    order = users.assign(score=score).sort_values("score", ascending=False, kind="stable")
    picked, spent = [], 0.0
    for ident, cost in zip(order["id"], order["cost"].astype(float), strict=True):
        if spent + cost <= budget:
            picked.append(ident)
            spent += cost
    return picked


def enumerate_cheapest(peer: Peer, budget: float, risk_cap: float, coverage: float) -> float | None:
    """Exact optimum cost over all 2^n portfolios (None when no portfolio qualifies)."""
    ids = peer.ids
    bit = {ident: k for k, ident in enumerate(ids)}
    masks = [sum(1 << bit[u] for u in peer.neighbourhood[i]) for i in ids]
    cost = np.zeros(1)
    risk = np.zeros(1)
    union = np.zeros(1, dtype=np.int64)
    for k, ident in enumerate(ids):
        row = peer.users.iloc[k]
        assert row["id"] == ident
        cost = np.concatenate([cost, cost + float(row["cost"])])
        risk = np.concatenate([risk, risk + float(row["risk"])])
        union = np.concatenate([union, union | masks[k]])
    covered = np.array([int(m).bit_count() for m in union])
    ok = (cost <= budget + TOL) & (risk <= risk_cap + TOL) & (covered >= coverage * len(ids) - TOL)
    return float(cost[ok].min()) if ok.any() else None


def solve_case(peer: Peer, folder: Path, budget: float, risk_cap: float, coverage: float):
    """The inflopt result of one case."""
    from optimizer import load_scenario, solve

    return solve(load_scenario(write_scenario(peer, folder, budget, risk_cap, coverage)))


def comparison(peer: Peer) -> pd.DataFrame:
    """Every case: inflopt's plan, the greedy plan, and the enumerated optimum cost."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="peer-") as tmp:
        for n, (budget, risk_cap, coverage) in enumerate(product(BUDGETS, RISK_CAPS, COVERAGES)):
            result = solve_case(peer, Path(tmp) / str(n), budget, risk_cap, coverage)
            best = enumerate_cheapest(peer, budget, risk_cap, coverage)
            mine = plan_of(peer, result.selected) if result.solved else None
            theirs = plan_of(peer, greedy(peer, budget))
            need = coverage * len(peer.ids)
            rows.append(
                {
                    "budget": budget,
                    "risk cap": risk_cap,
                    "coverage": coverage,
                    "inflopt": str(result.status),
                    "inflopt picks": " ".join(mine.picked) if mine else "–",
                    "inflopt cost": mine.cost if mine else None,
                    "inflopt covered": mine.covered if mine else None,
                    "inflopt risk": round(mine.risk, 3) if mine else None,
                    "optimum (enumerated)": best,
                    "greedy picks": len(theirs.picked),
                    "greedy cost": theirs.cost,
                    "greedy covered": theirs.covered,
                    "greedy risk": round(theirs.risk, 3),
                    "greedy ok": theirs.covered >= need - TOL and theirs.risk <= risk_cap + TOL,
                }
            )
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """A GitHub markdown table (no extra dependency)."""

    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "–"
        if isinstance(value, float) and value.is_integer():
            return f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)
    ]
    return "\n".join(lines)


def main() -> int:
    if not PEER.exists():
        print(f"peer data not found at {PEER}", file=sys.stderr)
        return 1
    table = comparison(load_peer())
    print(markdown(table))
    mismatch = table[
        table["inflopt cost"].fillna(-1).to_numpy() != table["optimum (enumerated)"].fillna(-1)
    ]
    print(
        f"\n{len(table)} cases; inflopt cost differs from the enumerated optimum in {len(mismatch)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
