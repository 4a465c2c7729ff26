"""Local search (add / drop / swap) against brute force on the oracle's small instances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario
from test_fastpath import _scenario
from test_oracle import SEEDS, violations

from optimizer import swaps
from optimizer.arrays import build_arrays
from optimizer.candidates import select_candidates
from optimizer.diagnose import include_clashes
from optimizer.engine import prepare
from optimizer.greedy import greedy_slots
from optimizer.verify import check_selection


def _setup(seed, tmp_path):
    scenario, data, found = _scenario(seed, tmp_path)
    prepared = prepare(scenario)
    if include_clashes(scenario, prepared.roster, select_candidates(scenario, prepared.roster)):
        return None
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    return scenario, data, found, prepared, model


def _greedy_starts(tmp_path):
    """(brute-force data, model, greedy start) of every oracle instance with a model."""
    for seed in SEEDS:
        setup = _setup(seed, tmp_path)
        if setup is not None:
            yield setup[1], setup[4], greedy_slots(setup[4])


def _neighbours(model, x):
    """Every portfolio one add, one drop or one swap away from ``x`` (0/1 over slots)."""
    inside, outside = np.flatnonzero(x > 0.5), np.flatnonzero(x < 0.5)
    for j in outside:
        yield np.where(np.arange(model.n) == j, 1.0, x)
    for i in inside:
        yield np.where(np.arange(model.n) == i, 0.0, x)
    for i in inside:
        for j in outside:
            y = x.copy()
            y[i], y[j] = 0.0, 1.0
            yield y


def _picked(model, x) -> set[int]:
    return {int(p) for p in model.positions[x > 0.5]}


@pytest.mark.parametrize("seed", SEEDS)
def test_local_search_ends_verified_and_no_single_move_beats_it(seed, tmp_path):
    """From the greedy portfolio: the result passes the re-check and the oracle's rules, is no
    worse than the start and no better than the optimum, and brute force over every add, drop
    and swap finds no valid neighbour worth more (the move values and row checks are exact)."""
    setup = _setup(seed, tmp_path)
    if setup is None:
        return
    scenario, data, found, prepared, model = setup
    start = greedy_slots(model)
    if violations(data, _picked(model, start)):
        return  # the greedy missed a lower limit: no valid start
    x = swaps.improve(model, start)
    picked = _picked(model, x)
    assert violations(data, picked) == []
    assert check_selection(scenario, prepared.roster, prepared.overlap, sorted(picked)) == []
    value = model.objective(x)
    assert value >= model.objective(start) - 1e-9
    assert found.best is not None
    assert value <= model.sense_value(found.best_value) + 1e-6
    tolerance = 1e-9 * (1.0 + abs(value))
    for y in _neighbours(model, x):
        if model.objective(y) > value + tolerance:
            assert violations(data, _picked(model, y)) != [], (seed, sorted(_picked(model, y)))


@pytest.mark.parametrize("seed", SEEDS)
def test_local_search_keeps_the_optimum(seed, tmp_path):
    """Started at the brute-force optimum it can only stay at its value, valid."""
    setup = _setup(seed, tmp_path)
    if setup is None or setup[2].best is None:
        return
    _, data, found, _prepared, model = setup
    start = np.zeros(model.n)
    start[model.slots_of(sorted(found.best))] = 1.0
    x = swaps.improve(model, start)
    assert violations(data, _picked(model, x)) == []
    assert model.objective(x) == pytest.approx(model.sense_value(found.best_value), abs=1e-6)


def test_includes_stay(tmp_path):
    """Every include stays picked, on every oracle instance that has one."""
    seen = 0
    for _data, model, start in _greedy_starts(tmp_path):
        if not np.any(model.lb > 0.5):
            continue
        x = swaps.improve(model, start)
        assert np.all(x[model.lb > 0.5] == 1.0)
        seen += 1
    assert seen


def test_a_pool_below_its_minimum_means_no_search(tmp_path, monkeypatch):
    """Where a search moves from the greedy portfolio, it does not when the pool would fall
    below MIN_POOL: the portfolio comes back as it went in."""
    for _data, model, start in _greedy_starts(tmp_path):
        if not np.array_equal(swaps.improve(model, start), start):
            break
    else:
        pytest.fail("the search moves on no oracle instance")
    monkeypatch.setattr(swaps, "MAX_CELLS", 1)
    assert np.array_equal(swaps.improve(model, start), start)


ENGAGEMENT = {"reach": 0.0, "engagement": 1.0, "conversions": 0.0}


def _three(tmp_path, reach=(1_000, 1_000, 1_000), engagement=(10, 10, 20), objective=None,
           targets=None, rules=None):  # fmt: skip
    """a (included), b and c at equal cost and an hour each; two picks at most (unless
    ``rules`` says otherwise); b and c share half their audience, a shares nothing with b and
    0.3 with c. Returns the model, the slots of a, b and c, and the portfolio {a, b}."""
    roster = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "followers": [20_000, 20_000, 20_000],
            "cost": [100, 100, 100],
            "platform": ["instagram"] * 3,
            "expected_reach": list(reach),
            "expected_engagement": list(engagement),
            "expected_conversions": [0.0, 0.0, 0.0],
            "hours": [1, 1, 1],
        }
    )
    pairs = pd.DataFrame({"a": ["a", "b"], "b": ["c", "c"], "shared": [0.3, 0.5]})
    scenario = {
        "budget": 1_000,
        "objective": objective or ENGAGEMENT,
        "overlap": {"shared": "fraction"},
        "constraints": {
            "max_influencers": 2,
            "include": ["a"],
            "targets": targets or {},
            **(rules or {}),
        },
    }
    scenario = make_scenario(tmp_path, roster, scenario, pairs)
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    slots = model.slots_of([prepared.roster.index_of[k] for k in ("a", "b", "c")])
    start = np.zeros(model.n)
    start[slots[:2]] = 1.0
    return model, slots, start


def test_a_swap_counts_the_reach_its_outgoing_pick_shared(tmp_path):
    """Hand-solved: {a, b} reaches 2,000 people; {a, c} reaches 1,000 + 1,000 − 300 = 1,700,
    exactly the target, and engages more. Only the swap b → c gets there (dropping b misses
    the target, adding c breaks the count), and only if c's 500 people shared with b are not
    taken off the reach, since b leaves."""
    model, abc, start = _three(tmp_path, targets={"reach": 1_700})
    assert swaps.improve(model, start)[abc].tolist() == [1.0, 0.0, 1.0]


def test_a_swap_values_the_overlap_with_its_outgoing_pick_at_nothing(tmp_path):
    """Hand-solved, reach-weighted: {a, b} is worth 2,000 people; {a, c} is worth
    1,000 + 1,100 − 300 = 1,800 (stay), or with c reaching 1,400 people 2,100 (swap: the 500
    people c shares with b cost nothing once b leaves)."""
    reach_only = {"reach": 1.0, "engagement": 0.0, "conversions": 0.0}
    for reach_c, expected in ((1_100, [1.0, 1.0, 0.0]), (1_400, [1.0, 0.0, 1.0])):
        model, abc, start = _three(
            tmp_path, reach=(1_000, 1_000, reach_c), engagement=(0, 0, 0), objective=reach_only
        )
        assert swaps.improve(model, start)[abc].tolist() == expected, reach_c


def test_an_include_is_never_swapped_out(tmp_path):
    """Hand-solved: a is included but worth least; the best two are b and c, the best valid
    pair is {a, c}."""
    model, abc, start = _three(tmp_path, engagement=(0, 10, 20))
    assert swaps.improve(model, start)[abc].tolist() == [1.0, 0.0, 1.0]
    assert np.array_equal(swaps.improve(model, start, deadline=0.0), start)  # no time: no move


def test_a_row_of_ones_with_a_fractional_limit_takes_no_extra_member(tmp_path):
    """Hand-solved: hours 1 each, at most 2.5 hours, so two picks at most although the count
    allows three; the best pair with the include is {a, c}."""
    rules = {"max_influencers": 3, "resources": {"hours": {"max": 2.5}}}
    model, abc, start = _three(tmp_path, rules=rules)
    assert swaps.improve(model, start)[abc].tolist() == [1.0, 0.0, 1.0]


def test_checking_swaps_in_chunks_finds_the_same_moves(tmp_path, monkeypatch):
    """Swaps are checked best first, a chunk at a time: one swap per chunk ends where all at
    once do, on every oracle instance with a valid greedy start."""
    runs = []
    for data, model, start in _greedy_starts(tmp_path):
        if violations(data, _picked(model, start)):
            continue
        runs.append((model, start, swaps.improve(model, start)))
    assert runs
    monkeypatch.setattr(swaps, "SWAP_CHUNK", 1)
    for model, start, whole in runs:
        assert np.array_equal(swaps.improve(model, start), whole)


def test_the_best_swap_wins_whatever_order_the_outsiders_come_in(tmp_path, monkeypatch):
    """Hand-solved: a (included) and b picked, two picks at most; swapping b for c gains 5,
    for d 15. With outsiders offered c first, one swap checked at a time and one move
    allowed, the move is b → d."""
    roster = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "followers": [20_000] * 4,
            "cost": [100] * 4,
            "platform": ["instagram"] * 4,
            "expected_reach": [1_000] * 4,
            "expected_engagement": [10, 10, 15, 25],
            "expected_conversions": [0.0] * 4,
        }
    )
    scenario = {
        "budget": 1_000,
        "objective": {"reach": 0.0, "engagement": 1.0, "conversions": 0.0},
        "constraints": {"max_influencers": 2, "include": ["a"]},
    }
    scenario = make_scenario(tmp_path, roster, scenario)
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    a, b, c, d = model.slots_of([prepared.roster.index_of[k] for k in "abcd"])
    start = np.zeros(model.n)
    start[[a, b]] = 1.0
    monkeypatch.setattr(swaps, "SWAP_CHUNK", 1)
    monkeypatch.setattr(swaps, "MAX_MOVES", 1)
    score = np.zeros(model.n)
    score[[c, d]] = [2.0, 1.0]  # c offered before d
    x = swaps.LocalSearch(model, score).improve(start)
    assert x[[a, b, c, d]].tolist() == [1.0, 0.0, 0.0, 1.0]
