"""The greedy's bookkeeping: dropping dead heap entries changes its speed, never its answer."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from optimizer import load_scenario
from optimizer.arrays import build_arrays
from optimizer.candidates import select_candidates
from optimizer.engine import prepare
from optimizer.greedy import _DeadEnds, _State, greedy_slots, round_lp
from optimizer.synthetic import write_instance


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = write_instance(tmp_path_factory.mktemp("greedy"), 4_000, "typical", seed=2)
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
    pruned = [greedy_slots(model), greedy_slots(model, count_aware=True), round_lp(model, x_lp)]
    assert any(removed > 0 for removed in calls)
    monkeypatch.setattr(_DeadEnds, "prune", lambda self, heap: heap)
    plain = [greedy_slots(model), greedy_slots(model, count_aware=True), round_lp(model, x_lp)]
    for with_pruning, without in zip(pruned, plain, strict=True):
        assert np.array_equal(with_pruning, without)
