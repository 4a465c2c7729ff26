"""Scale benchmark: the engine (fast path) against the greedy and the plain full model.

    python benchmarks/run.py --sizes 1000,10000,100000 [--families typical,adversarial]
                             [--time-limit 60] [--full-limit 60] [--no-full]

Each (family, size) runs in its own subprocess (peak memory = that process's max RSS). Per run:
load seconds (roster + overlap files → validated data), build and solve seconds, status,
objective, certified bound and gap of the engine; the same for the greedy baseline and for
PuLP + HiGHS on the plain full model (``--exact-full``) with ``--full-limit``. Results are
printed side by side and saved as JSON under benchmarks/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def one(family: str, size: int, time_limit: float, full_limit: float | None, seed: int) -> dict:
    """Run one instance in this process; returns its figures."""
    from optimizer import load_scenario
    from optimizer.arrays import build_arrays
    from optimizer.engine import prepare, solve_effective, with_solver_overrides
    from optimizer.greedy import greedy_portfolio
    from optimizer.synthetic import write_instance

    folder = HERE / "results" / "instances" / f"{family}-{size}-{seed}"
    if not (folder / "scenario.yaml").exists():
        write_instance(folder, size, family, seed)
    started = time.perf_counter()
    scenario = load_scenario(folder / "scenario.yaml")
    prepared = prepare(scenario)
    load = time.perf_counter() - started
    out: dict = {"family": family, "size": size, "edges": prepared.overlap.edge_count}
    out["load_seconds"] = load

    def engine(strategy: str, limit: float) -> dict:
        sc = with_solver_overrides(scenario, time_limit=limit, strategy=strategy)
        sc = sc.model_copy(update={"uncertainty": sc.uncertainty.model_copy(update={"draws": 100})})
        sc._source, sc._base_dir = scenario.source, scenario.base_dir
        t0 = time.perf_counter()
        result = solve_effective(sc, prepared.roster, prepared.overlap)
        return {
            "status": str(result.status),
            "objective": result.objective,
            "bound": result.bound,
            "gap": result.gap,
            "build_seconds": result.build_seconds,
            "solve_seconds": result.solve_seconds,
            "wall_seconds": time.perf_counter() - t0,
            "model_size": result.model_size,
        }

    out["engine"] = engine("auto" if size >= 5000 else "fast", time_limit)
    t0 = time.perf_counter()
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    build = time.perf_counter() - t0
    greedy = greedy_portfolio(scenario, prepared.roster, prepared.overlap, model)
    out["greedy"] = {
        "status": "feasible" if greedy else "no_solution",
        "objective": model.reported(greedy.value) if greedy else None,
        "build_seconds": build,
        "solve_seconds": greedy.seconds if greedy else None,
    }
    if full_limit is not None:
        out["full"] = engine("full", full_limit)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _fmt(value, spec: str = ",.1f") -> str:
    return "—" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--families", default="typical,adversarial")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--full-limit", type=float, default=60.0)
    parser.add_argument("--no-full", action="store_true", help="Skip the plain full model.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # family:size, internal
    args = parser.parse_args()
    full_limit = None if args.no_full else args.full_limit
    if args.one:
        family, size = args.one.split(":")
        print(json.dumps(one(family, int(size), args.time_limit, full_limit, args.seed)))
        return

    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for family in args.families.split(","):
            command = [sys.executable, __file__, "--one", f"{family}:{size}"]
            command += ["--time-limit", str(args.time_limit), "--seed", str(args.seed)]
            command += ["--no-full"] if full_limit is None else ["--full-limit", str(full_limit)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{family} {size}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                rows.append({"family": family, "size": size, "error": done.stderr[-2000:]})
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            e, g = row["engine"], row["greedy"]
            f = row.get("full") or {}
            print(
                f"{family:11s} {size:>9,} edges {row['edges']:>9,}"
                f" | load {row['load_seconds']:6.2f}s"
                f" | engine build {e['build_seconds']:6.2f}s solve {e['solve_seconds']:6.2f}s"
                f" {e['status']:9s} obj {_fmt(e['objective'])} bound {_fmt(e['bound'])}"
                f" gap {_fmt(e['gap'], '.2e')}"
                f" | greedy {_fmt(g['solve_seconds'], '.2f')}s obj {_fmt(g['objective'])}"
                f" | full {f.get('status', '—')} {_fmt(f.get('solve_seconds'), '.2f')}s"
                f" obj {_fmt(f.get('objective'))} gap {_fmt(f.get('gap'), '.2e')}"
                f" | peak {row['peak_mb']:,.0f} MB",
                flush=True,
            )
    machine = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    folder = HERE / "results"
    folder.mkdir(exist_ok=True)
    path = folder / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"machine": machine, "runs": rows}, indent=2), encoding="utf-8")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
