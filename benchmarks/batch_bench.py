"""Batch benchmark: wall time of N scenarios on 1 vs 2 local workers, and per-task overhead.

    .venv/bin/python benchmarks/batch_bench.py                  # 100 scenarios × 2,000 rows
    .venv/bin/python benchmarks/batch_bench.py --scenarios 20   # a quicker variant

Scenarios share one seeded roster and differ in budget (10k … 60k USD), so each is its own
task. Results go to benchmarks/results/batch-<timestamp>.json (gitignored). Per-task
overhead = (wall time on one worker − the same tiny tasks run inline) / task count, in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from optimizer.generate import write_sample
from optimizer.runner import run_tasks
from optimizer.scenario import load_scenario
from optimizer.tasks import Task, execute, make_task

RESULTS = Path(__file__).parent / "results"


def make_tasks(folder: Path, count: int, size: int, seed: int = 1) -> list[Task]:
    """``count`` scenarios over one roster of ``size`` influencers, budgets spread 10k…60k."""
    write_sample(folder, size, seed)
    tasks = []
    for k in range(count):
        budget = 10_000 + round(50_000 * k / max(count - 1, 1))
        data = {
            "name": f"client {k}",
            "roster": "roster.csv",
            "overlap": "overlap.csv",
            "budget": budget,
            "objective": {"reach": 0.01, "engagement": 0.1, "conversions": 25},
            "constraints": {"max_influencers": 25, "max_pair_overlap": 0.3},
        }
        path = folder / f"client{k:03d}.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        tasks.append(make_task(load_scenario(path), None))
    return tasks


def timed(label: str, action: Any) -> tuple[float, Any]:
    """Run ``action()``; print and return its wall seconds and value."""
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    print(f"{label:<38} {seconds:8.2f} s", flush=True)
    return seconds, value


def bench_scaling(tasks: list[Task], workers: tuple[int, ...]) -> dict[str, Any]:
    """Wall seconds of the whole batch per worker count, and the answers' agreement."""
    walls: dict[str, float] = {}
    objectives: dict[int, list[Any]] = {}
    for count in workers:
        seconds, outcomes = timed(
            f"{len(tasks)} tasks, {count} worker(s)", lambda c=count: run_tasks(tasks, workers=c)
        )
        walls[str(count)] = round(seconds, 3)
        objectives[count] = [o.result and o.result["objective"] for o in outcomes]
        assert all(o.solved for o in outcomes), [o.error for o in outcomes if not o.solved]
    same = len({json.dumps(v) for v in objectives.values()}) == 1
    return {"wall_seconds": walls, "same_objectives": same}


def bench_overhead(tasks: list[Task]) -> dict[str, float]:
    """Per-task overhead in ms of the pool (1 worker) and of Dask (1 local worker process)."""
    inline, _ = timed(f"{len(tasks)} tiny tasks inline", lambda: [execute(t) for t in tasks])
    pool, _ = timed("  same on the pool, 1 worker", lambda: run_tasks(tasks, workers=1))
    result = {
        "inline_ms_per_task": 1000 * inline / len(tasks),
        "pool_overhead_ms": 1000 * (pool - inline) / len(tasks),
    }
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return result
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        run_tasks(tasks[:2], dask=client)  # warm the worker's imports
        dask, _ = timed("  same on Dask, 1 worker process", lambda: run_tasks(tasks, dask=client))
        limited, _ = timed(
            "  Dask with a task limit (child/task)", lambda: run_tasks(tasks, dask=client, limit=60)
        )
    result["dask_overhead_ms"] = 1000 * (dask - inline) / len(tasks)
    result["dask_limited_overhead_ms"] = 1000 * (limited - inline) / len(tasks)
    return {k: round(v, 1) for k, v in result.items()}


def main() -> None:
    """Run both benchmarks and save the numbers as JSON under benchmarks/results/."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--tiny", type=int, default=40, help="tasks in the overhead benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tasks = make_tasks(Path(tmp) / "big", args.scenarios, args.size)
        scaling = bench_scaling(tasks, (1, 2))
        overhead = bench_overhead(make_tasks(Path(tmp) / "tiny", args.tiny, 20))
    walls = scaling["wall_seconds"]
    report = {
        "scenarios": args.scenarios,
        "size": args.size,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        **scaling,
        "speedup_2_vs_1": round(walls["1"] / walls["2"], 2),
        "overhead": overhead,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"batch-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
