"""The greedy's bookkeeping (dead heap entries dropped, candidates tried in blocks) changes its
speed, never its answer; its mending and pruning steps stop at the deadline."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
import yaml

from optimizer import greedy, load_scenario
from optimizer.arrays import build_arrays
from optimizer.candidates import select_candidates
from optimizer.engine import prepare
from optimizer.greedy import FILL_KEYS, _DeadEnds, _State, greedy_slots, round_lp
from optimizer.synthetic import write_instance


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = write_instance(tmp_path_factory.mktemp("greedy"), 4_000, "typical", seed=2)
    text = yaml.safe_load(path.read_text(encoding="utf-8"))
    text["constraints"]["targets"]["reach"] = 1.0  # a reach row: shared reach counts there
    text["constraints"]["max_influencers"] = 4_000  # the budget, not the cap, ends the filling
    path.write_text(yaml.safe_dump(text), encoding="utf-8")
    scenario = load_scenario(path)
    prepared = prepare(scenario)
    candidates = select_candidates(scenario, prepared.roster)
    return build_arrays(scenario, prepared.roster, prepared.overlap, candidates)


def _heap(slots: list[int]) -> list[tuple[float, int, int]]:
    heap = [(float(-slot % 7), k, slot) for k, slot in enumerate(slots)]
    heapq.heapify(heap)
    return heap


def _popped(heap: list[tuple[float, int, int]]) -> list[int]:
    heap = list(heap)
    return [heapq.heappop(heap)[2] for _ in range(len(heap))]


def test_prune_drops_dead_and_picked_entries_and_keeps_the_order(model):
    state = _State(model)
    ends = _DeadEnds(state)
    heap = _heap(list(range(40)))
    ends.dead[[1, 5, 9, 13, 17, 21, 25]] = True
    state.x[[2, 6, 30]] = True  # 10 of 40 gone: a quarter
    kept = ends.prune(heap)
    gone = {1, 5, 9, 13, 17, 21, 25, 2, 6, 30}
    assert _popped(kept) == [slot for slot in _popped(heap) if slot not in gone]


def test_prune_leaves_a_mostly_live_heap_alone(model):
    state = _State(model)
    ends = _DeadEnds(state)
    heap = _heap(list(range(40)))
    ends.dead[[3, 4, 5]] = True  # 3 of 40: under a quarter
    state.x[[7, 8, 9, 10, 11, 12]] = True  # 9 of 40 in all
    assert ends.prune(heap) is heap


def test_pruning_changes_no_greedy_answer(model, monkeypatch):
    """The same portfolios with and without pruning, and the pruning did run."""
    calls = []
    real = _DeadEnds.prune

    def counted(self, heap):
        pruned = real(self, heap)
        calls.append(len(heap) - len(pruned))
        return pruned

    monkeypatch.setattr(_DeadEnds, "prune", counted)
    x_lp = np.clip(np.random.default_rng(0).random(model.n) * 1.3 - 0.2, 0.0, 1.0)
    pruned = [*(greedy_slots(model, per=per) for per in FILL_KEYS), round_lp(model, x_lp)]
    assert any(removed > 0 for removed in calls)
    monkeypatch.setattr(_DeadEnds, "prune", lambda self, heap: heap)
    plain = [*(greedy_slots(model, per=per) for per in FILL_KEYS), round_lp(model, x_lp)]
    for with_pruning, without in zip(pruned, plain, strict=True):
        assert np.array_equal(with_pruning, without)


def _some_state(model, seed: int) -> _State:
    """A state part-way through a greedy: a random set of picks that keeps every limit."""
    state = _State(model)
    rng = np.random.default_rng(seed)
    for j in rng.permutation(model.n)[:400].tolist():
        if state.fits(j):
            state.change(j, 1.0)
    return state


@pytest.mark.parametrize("seed", range(4))
def test_first_fit_agrees_with_fits_one_by_one(model, seed):
    state = _some_state(model, seed)
    assert state.pen_reach.any()  # the reach correction is exercised
    rng = np.random.default_rng(100 + seed)
    outside = np.flatnonzero(~state.x)
    for size in (1, 7, 64, 300):
        slots = rng.choice(outside, size, replace=False)
        fits = [state.fits(int(j)) for j in slots]
        expected = fits.index(True) if True in fits else -1
        assert state.first_fit(slots) == expected
        refused = slots[~np.asarray(fits)]
        assert state.first_fit(refused) == -1


@pytest.mark.parametrize("own_reach", [None, 0.25])
def test_first_fit_counts_the_reach_a_slot_shares(model, own_reach):
    """Adding a slot takes away the reach it shares with the picks (as column() does), whether
    its column has a reach entry (here a quarter of what it shares) or none: that can break
    the reach row's lower limit."""
    state = _some_state(model, 0)
    r = model.reach_row
    assert r is not None
    shared = [j for j in np.flatnonzero(~state.x & (state.pen_reach > 0)).tolist() if state.fits(j)]
    j = shared[0]
    p0, p1 = state.indptr[j], state.indptr[j + 1]
    at = p0 + int(np.flatnonzero(state.indices[p0:p1] == r)[0])
    state.data = state.data.copy()
    if own_reach is None:  # j's column without its reach entry
        state.indices = np.delete(state.indices, at)
        state.data = np.delete(state.data, at)
        state.indptr = state.indptr.copy()
        state.indptr[j + 1 :] -= 1
        loss = state.pen_reach[j]
    else:
        state.data[at] = own_reach * state.pen_reach[j]
        loss = (1.0 - own_reach) * state.pen_reach[j]
    state.lo_tol = state.lo_tol.copy()  # a reach floor that holds now, by half j's loss
    state.lo_tol[r] = state.act[r] - 0.5 * loss
    assert not state.fits(j)
    assert state.first_fit(np.array([j])) == -1
    state.lo_tol[r] = state.act[r] - 2.0 * loss  # room for the loss: it fits
    assert state.fits(j)
    assert state.first_fit(np.array([j])) == 0


def test_covering_in_blocks_adds_what_one_by_one_adds(tmp_path, monkeypatch):
    """On a tight mix (most candidates refused while covering) the blocks are used, and the
    greedy and the LP rounding give the same portfolios as trying candidates one by one."""
    scenario = load_scenario(write_instance(tmp_path, 3_000, "adversarial", seed=1))
    prepared = prepare(scenario)
    candidates = select_candidates(scenario, prepared.roster)
    tight = build_arrays(scenario, prepared.roster, prepared.overlap, candidates)
    x_lp = np.clip(np.random.default_rng(1).random(tight.n) * 1.3 - 0.2, 0.0, 1.0)
    blocks = []
    real = _State.first_fit

    def counted(self, slots):
        blocks.append(len(slots))
        return real(self, slots)

    monkeypatch.setattr(_State, "first_fit", counted)
    runs = [*(greedy_slots(tight, per=per) for per in FILL_KEYS), round_lp(tight, x_lp)]
    assert max(blocks) >= 32
    monkeypatch.setattr(greedy, "BLOCK_FROM", 10**9)  # one by one only
    blocks.clear()
    plain = [*(greedy_slots(tight, per=per) for per in FILL_KEYS), round_lp(tight, x_lp)]
    assert not blocks
    for in_blocks, one_by_one in zip(runs, plain, strict=True):
        assert np.array_equal(in_blocks, one_by_one)


def _past() -> float:
    import time

    return time.perf_counter() - 1.0


def test_mending_an_exceeded_limit_stops_at_the_deadline(model):
    """The rounding's mending looks at the clock: past the deadline it leaves the state as
    it is (a limit still exceeded, so the rounding does not count) instead of running on."""
    order = np.argsort(-model.c)
    late, timely = _State(model), _State(model)
    for state in (late, timely):
        state.add_all(order[:3_000])  # far over the budget
    assert np.any(late.act > late.hi_tol)
    greedy._shed_over(late, _past())
    assert np.array_equal(late.x, timely.x) and np.any(late.act > late.hi_tol)
    greedy._shed_over(timely, None)
    assert not np.any(timely.act > timely.hi_tol)


def test_mending_an_unmet_share_stops_at_the_deadline(model):
    falls = np.flatnonzero(model.can_fall & np.isfinite(model.lo))
    assert len(falls)  # a spend-share minimum: other groups' spend pulls it down
    r = int(falls[0])
    row = model.A.getrow(r)
    pulling = row.indices[row.data < 0]
    late, timely = _State(model), _State(model)
    for state in (late, timely):
        state.add_all(pulling[:200])
    assert r in late.unmet()
    greedy._shed_under(late, _past())
    assert np.array_equal(late.x, timely.x)
    greedy._shed_under(timely, None)
    assert timely.x.sum() < late.x.sum()


def test_pruning_a_dear_portfolio_stops_at_the_deadline(model):
    late, timely = _State(model), _State(model)
    for state in (late, timely):
        state.add_all(np.argsort(model.cost)[:50])
    greedy._prune(late, _past())
    assert late.x.sum() == 50
    greedy._prune(timely, None)
    assert timely.x.sum() < 50


def test_the_floor_on_a_complete_conflict_graph_is_the_best_single_creator(
    scenario_maker, monkeypatch
):
    """Every pair conflicts, so one creator is the whole portfolio. By value per cost the
    greedy took the cheapest good ratio (2 % of the optimum on a real-size case); by value
    alone it takes the best creator the budget allows, which is the optimum."""
    import pandas as pd

    from optimizer.fullpath import greedy_start
    from optimizer.greedy import greedy_portfolio

    rng = np.random.default_rng(7)
    n = 14
    roster = pd.DataFrame(
        {
            "id": [f"c{k:02d}" for k in range(n)],
            "platform": "instagram",
            "niche": "beauty",
            "followers": rng.integers(5_000, 900_000, n),
            "cost": 0.0,
            "engagement_rate": rng.uniform(0.005, 0.06, n).round(4),
        }
    )
    roster["cost"] = (roster["followers"] * rng.uniform(0.002, 0.02, n)).round(-1) + 50
    roster.loc[0, ["followers", "cost"]] = [6_000, 50]  # the best ratio, a small value
    budget = float(roster["cost"].sort_values().iloc[-3])  # the two dearest do not fit
    scenario = scenario_maker(
        roster,
        {
            "budget": budget,
            "objective": {"reach": 0.01, "engagement": 0.1},
            "overlap": {"estimate": {"same_niche_platform": 0.5}},
            "constraints": {"max_pair_overlap": 0.1},
        },
    )
    prepared = prepare(scenario)
    candidates = select_candidates(scenario, prepared.roster)
    model = build_arrays(scenario, prepared.roster, prepared.overlap, candidates)
    singles = [
        model.objective(np.eye(model.n)[j]) for j in range(model.n) if model.cost[j] <= budget
    ]
    best = greedy_portfolio(scenario, prepared.roster, prepared.overlap, model)
    assert best is not None and len(best.picked) == 1
    assert best.value == pytest.approx(max(singles), rel=1e-9)
    assert greedy_slots(model).sum() == 1  # by value per cost: one pick, a worse one
    assert model.objective(greedy_slots(model)) < max(singles)
    start = greedy_start(scenario, prepared.roster, prepared.overlap, candidates)
    assert start is not None and start.value == pytest.approx(best.value, rel=1e-9)
    monkeypatch.setattr(greedy, "PICK_ORDER_CANDIDATES", 0)  # as on a large roster: the
    found = greedy.greedy_tries(model)  # few picks still call for the order by value
    assert max(model.objective(x) for x in found) == pytest.approx(max(singles), rel=1e-9)
    monkeypatch.setattr(greedy, "PICK_ORDER_PICKS", 0)
    assert len(greedy.greedy_tries(model)) == len(FILL_KEYS) - 1
    gated = greedy_start(scenario, prepared.roster, prepared.overlap, candidates)
    assert gated is not None and gated.value < best.value  # the full path is gated alike
