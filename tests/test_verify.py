"""The independent re-check names every rule a selection breaks, and passes a valid one."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_scenario

from optimizer.engine import prepare
from optimizer.kpis import portfolio_kpis
from optimizer.verify import check_selection

ROSTER = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "followers": [20_000, 30_000, 500_000, 5_000],  # micro, micro, macro, nano
        "cost": [100, 200, 1_000, 50],
        "platform": ["instagram", "tiktok", "youtube", "instagram"],
        "authenticity": [0.9, 0.5, 0.8, 0.95],
        "creator": ["x", "x", "y", "z"],
        "hours": [2, 3, 10, 1],
    }
)
PAIRS = pd.DataFrame({"a": ["a"], "b": ["d"], "shared": [0.5]})  # a and d share half
ANY = {"budget": 10_000, "objective": {"reach": 1}, "overlap": {"shared": "fraction"}}


def _check(tmp_path, constraints: dict, picked_ids: list[str], **scenario) -> list[str]:
    data = {**ANY, **scenario, "constraints": constraints}
    loaded = make_scenario(tmp_path, ROSTER, data, PAIRS)
    prepared = prepare(loaded)
    picked = [prepared.roster.index_of[i] for i in picked_ids]
    return check_selection(loaded, prepared.roster, prepared.overlap, picked)


@pytest.mark.parametrize(
    ("constraints", "picked", "scenario", "expected"),
    [
        ({}, ["a", "c"], {"budget": 1_000}, "budget: spend 1,100.00 exceeds 1,000.00"),
        ({"min_spend": 500}, ["a"], {}, "min_spend: spend 100.00 is below 500.00"),
        ({"min_influencers": 3}, ["a"], {}, "min_influencers: 1 picked, need 3"),
        ({"max_influencers": 1}, ["a", "c"], {}, "max_influencers: 2 picked, limit 1"),
        ({"include": ["c"]}, ["a"], {}, "include: c is not picked"),
        ({"exclude": ["a"]}, ["a"], {}, "exclude: a is picked"),
        ({"min_authenticity": 0.6}, ["a", "b"], {}, "min_authenticity: b has 0.500"),
        ({"tiers": ["micro"]}, ["a", "c"], {}, "tiers: c is macro"),
        ({"platforms": ["Instagram"]}, ["a", "c"], {}, "platforms: c is on youtube"),
        (
            {"mix": {"tier": {"micro": {"min_count": 3}}}},
            ["a", "b"],
            {},
            "mix tier micro min_count: 2 picked, need 3",
        ),
        (
            {"mix": {"tier": {"micro": {"max_count": 1}}}},
            ["a", "b"],
            {},
            "mix tier micro max_count: 2 picked, limit 1",
        ),
        (
            {"mix": {"tier": {"micro": {"min_share": 0.5}}}},
            ["a", "c"],
            {},
            "mix tier micro min_share: 100.00 of 1,100.00 spent",
        ),
        (
            {"mix": {"platform": {"YouTube": {"max_share": 0.5}}}},
            ["a", "c"],
            {},
            "mix platform YouTube max_share: 1,000.00 of 1,100.00 spent",
        ),
        (
            {"max_pair_overlap": 0.4},
            ["a", "d"],
            {},
            "max_pair_overlap: a and d share 50% of the smaller audience",
        ),
        (
            {"max_offers_per_creator": 1},
            ["a", "b"],
            {},
            "max_offers_per_creator: 2 offers of x (limit 1)",
        ),
        ({"resources": {"hours": {"max": 5}}}, ["a", "c"], {}, "resource hours: 12.00 exceeds"),
        ({"resources": {"hours": {"min": 5}}}, ["a"], {}, "resource hours: 2.00 is below"),
    ],
)
def test_each_broken_rule_is_named(tmp_path, constraints, picked, scenario, expected):
    found = _check(tmp_path, constraints, picked, **scenario)
    assert any(message.startswith(expected) for message in found), found


def test_a_valid_selection_breaks_nothing(tmp_path):
    rules = {
        "min_spend": 100,
        "min_influencers": 2,
        "max_influencers": 3,
        "include": ["a"],
        "exclude": ["b"],
        "min_authenticity": 0.6,
        "tiers": ["micro", "macro"],
        "platforms": ["instagram", "youtube"],
        "mix": {"tier": {"micro": {"min_count": 1, "max_share": 0.2}}},
        "max_pair_overlap": 0.4,
        "max_offers_per_creator": 1,
        "resources": {"hours": {"max": 12}},
    }
    assert _check(tmp_path, rules, ["a", "c"]) == []


def test_a_broken_target_is_named(tmp_path):
    found = _check(tmp_path, {"targets": {"reach": 10_000_000}}, ["a"])
    assert any(message.startswith("target reach:") for message in found), found


def test_an_unproven_claim_may_undercount_the_value_but_never_exceed_data_or_bound(tmp_path):
    """An incumbent stopped by a deadline may carry a de-duplication variable above what its
    picks need: the solver then says less than the data give. That is no error as long as
    the data stay within the solver's bound; saying more than the data is always one."""
    loaded = make_scenario(tmp_path, ROSTER, {**ANY, "constraints": {}}, PAIRS)
    prepared = prepare(loaded)
    picked = [prepared.roster.index_of[i] for i in ("a", "d")]
    value = portfolio_kpis(loaded, prepared.roster, prepared.overlap, picked)["value"]

    def check(claimed: float, bound: float | None) -> list[str]:
        return check_selection(loaded, prepared.roster, prepared.overlap, picked, claimed, bound)

    assert check(value, value) == []
    assert check(value - 2_000, None) == []  # unproven, no bound: any value above the claim
    assert check(value - 2_000, value + 1) == []
    assert check(value - 2_000, value - 1_000) == [  # the data exceed the proven bound
        f"objective: solver says {value - 2_000:,.4f}, data give {value:,.4f}"
    ]
    assert check(value + 1_000, None) == [  # more than the data give
        f"objective: solver says {value + 1_000:,.4f}, data give {value:,.4f}"
    ]


def test_a_cost_claim_must_match_the_spend_exactly(tmp_path):
    data = {**ANY, "goal": "minimize_cost", "constraints": {"targets": {"reach": 1}}}
    loaded = make_scenario(tmp_path, ROSTER, data, PAIRS)
    prepared = prepare(loaded)
    picked = [prepared.roster.index_of["a"]]
    for claimed in (90.0, 110.0):
        assert check_selection(loaded, prepared.roster, prepared.overlap, picked, claimed, None)
    assert not check_selection(loaded, prepared.roster, prepared.overlap, picked, 100.0, None)


def test_counts_are_judged_exactly_and_amounts_with_the_tolerance() -> None:
    """One over a count limit is a breach however large the limit (the relative tolerance of
    amounts, 1e-6, would hide one in two million); a cent in a million is within it."""
    from optimizer.verify import RuleCheck

    def check(kind: str, value: float, limit: float, upper: bool) -> RuleCheck:
        return RuleCheck(kind, kind, value, limit, upper, "")

    assert check("max_influencers", 2_000_001, 2_000_000, True).broken
    assert check("mix_count", 2_999_999, 3_000_000, False).broken
    assert not check("max_influencers", 2_000_000, 2_000_000, True).broken
    assert not check("budget", 1_000_000.01, 1_000_000, True).broken
    assert check("budget", 1_000_002, 1_000_000, True).broken
    assert not check("min_spend", 999_999.99, 1_000_000, False).broken
