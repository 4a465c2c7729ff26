"""Scale benchmark: the engine (fast path) beside the greedy, PuLP + HiGHS and PuLP + CBC.

    python benchmarks/run.py [--sizes 1000,10000,100000,1000000] [--families typical,adversarial]
                             [--time-limit 60] [--full-limit 60] [--full-max 100000]
                             [--cbc-max 10000] [--no-cli]

Instances come from :mod:`optimizer.synthetic` (seeded, every constraint family on) and are
written once under benchmarks/results/instances/. Every measurement runs in a subprocess of
its own, so "peak MB" is that run's own maximum resident memory:

* **engine** — load (files → validated data), then build + solve through the engine as the
  CLI runs it (``strategy: auto``; ``fast`` forced below 1,000), asked for the issue's gap
  target for that size and family (:data:`TARGETS`) within ``--time-limit``; "solve" is from
  the loaded scenario to the verified portfolio (the solver modules are imported before the
  clock starts: that is start-up, in the CLI column); the Monte Carlo summary runs inside the
  solve, by the same time limit, and is timed apart ("returned" = build + solve + summary);
* **greedy** — the rule-respecting greedy alone (:mod:`optimizer.greedy`), verified;
* **full** — PuLP + HiGHS on the plain full model (``--exact-full``), up to ``--full-max``;
* **cbc** — PuLP + CBC on the full model when CBC is installed (``pip install
  '.[cbc]'``), up to ``--cbc-max`` (PuLP 4.2 reads CBC's answer back row by row, which is
  quadratic: see ../shared/SOLVER_NOTES.md);
* **cli** — ``inflopt solve … --format json`` end to end (start-up, reading, solving, Monte
  Carlo, output), wall-clock seconds.

Printed as a table and saved as JSON and Markdown under benchmarks/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# (family, size) → (gap target, seconds target) from the scale issue's table
TARGETS: dict[tuple[str, int], tuple[float, float | None]] = {
    ("typical", 1_000): (1e-6, 0.3),
    ("typical", 10_000): (1e-5, 1.0),
    ("typical", 100_000): (1e-4, 3.0),
    ("typical", 1_000_000): (1e-3, 60.0),
    ("adversarial", 1_000): (1e-6, 1.0),
    ("adversarial", 10_000): (1e-3, 10.0),
    ("adversarial", 100_000): (1e-2, 60.0),
    ("adversarial", 1_000_000): (1e-2, None),
}
KINDS = ("engine", "greedy", "full", "cbc", "cli")


def _folder(family: str, size: int, seed: int) -> Path:
    from optimizer.synthetic import write_instance

    folder = HERE / "results" / "instances" / f"{family}-{size}-{seed}"
    if not (folder / "scenario.yaml").exists():
        write_instance(folder, size, family, seed)
    return folder


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(kind: str, family: str, size: int, seed: int, limit: float, gap: float) -> dict:
    """One measurement in this process (see the module doc)."""
    from optimizer import load_scenario
    from optimizer.engine import attach_simulation, prepare, solve_effective, with_solver_overrides

    folder = _folder(family, size, seed)
    started = time.perf_counter()
    scenario = load_scenario(folder / "scenario.yaml")
    prepared = prepare(scenario)
    out: dict = {"load_seconds": time.perf_counter() - started}
    out["edges"] = prepared.overlap.edge_count
    if kind == "greedy":
        from optimizer.arrays import build_arrays
        from optimizer.greedy import greedy_portfolio

        t0 = time.perf_counter()
        model = build_arrays(scenario, prepared.roster, prepared.overlap)
        out["build_seconds"] = time.perf_counter() - t0
        greedy = greedy_portfolio(scenario, prepared.roster, prepared.overlap, model)
        out["solve_seconds"] = time.perf_counter() - t0 - out["build_seconds"]
        out["status"] = "feasible" if greedy else "no_solution"
        out["objective"] = model.reported(greedy.value) if greedy else None
        out["peak_mb"] = _peak_mb()
        return out
    strategy = {"engine": "auto" if size >= 1000 else "fast", "full": "full", "cbc": "full"}[kind]
    solver = "cbc" if kind == "cbc" else "highs"
    sc = with_solver_overrides(scenario, time_limit=limit, strategy=strategy, name=solver, gap=gap)
    sc._source, sc._base_dir = scenario.source, scenario.base_dir
    import optimizer.engine as engine

    monte_carlo: list[float] = []  # the summary runs inside the solve, by the same deadline

    def timed_simulation(*args, **kwargs) -> None:
        t0 = time.perf_counter()
        attach_simulation(*args, **kwargs)
        monte_carlo.append(time.perf_counter() - t0)

    engine.attach_simulation = timed_simulation
    # the solver modules load lazily on the first solve; that is start-up (in the CLI column),
    # not solving: load those of this path (and no more: peak memory) before the clock starts
    import highspy  # noqa: F401

    import optimizer.fastpath

    if kind != "engine":
        import optimizer.fullpath  # noqa: F401

    t0 = time.perf_counter()
    result = solve_effective(sc, prepared.roster, prepared.overlap)
    out["wall_seconds"] = time.perf_counter() - t0  # Monte Carlo summary included
    out["monte_carlo_seconds"] = sum(monte_carlo) if monte_carlo else None
    out.update(
        status=str(result.status),
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        build_seconds=result.build_seconds,
        solve_seconds=out["wall_seconds"] - result.build_seconds - sum(monte_carlo),
        model_size=result.model_size,
        monte_carlo_draws=(result.uncertainty or {}).get("draws"),
    )
    out["peak_mb"] = _peak_mb()
    return out


def cli_seconds(family: str, size: int, seed: int, limit: float, gap: float) -> dict:
    """``inflopt solve`` end to end, in a fresh process (wall-clock seconds)."""
    folder = _folder(family, size, seed)
    exe = shutil.which("inflopt") or str(Path(sys.executable).parent / "inflopt")
    command = [exe, "solve", str(folder / "scenario.yaml"), "--format", "json"]
    command += ["--time-limit", str(limit), "--gap", str(gap)]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    status = json.loads(done.stdout)["status"] if done.returncode in (0, 1) else "error"
    return {"wall_seconds": seconds, "status": status, "exit_code": done.returncode}


def _run(kind: str, family: str, size: int, args: argparse.Namespace, gap: float) -> dict:
    limit = args.full_limit if kind in ("full", "cbc") else args.time_limit
    if kind == "cli":
        return cli_seconds(family, size, args.seed, limit, gap)
    command = [
        sys.executable,
        __file__,
        "--one",
        f"{kind}:{family}:{size}",
        "--seed",
        str(args.seed),
    ]
    command += ["--time-limit", str(limit), "--gap", str(gap)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt(value, spec: str = ",.2f") -> str:
    return "—" if value is None else format(value, spec)


def _cell(run: dict | None, engine: dict) -> str:
    """A baseline: seconds, status and its value as a share of the engine's."""
    if not run:
        return "not run"
    if "error" in run:
        return "failed"
    share = ""
    if run.get("objective") and engine.get("objective"):
        share = f", {100 * run['objective'] / engine['objective']:.2f}%"
    return f"{_fmt(run.get('solve_seconds'))} s, {run['status']}{share}"


def markdown(rows: list[dict]) -> str:
    """The summary table for docs/performance.md."""
    lines = [
        "| instance | edges | load s | engine build + solve s | engine status, gap (target)"
        " | MC s (draws) | returned s | peak MB | CLI s | greedy s, % of engine"
        " | PuLP+HiGHS full, % of engine | PuLP+CBC full, % of engine |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for row in rows:
        e, g = row.get("engine") or {}, row.get("greedy") or {}
        if "error" in e or not e:
            lines.append(f"| {row['family']} {row['size']:,} | failed | | | | | | | | | | |")
            continue
        share = ", no portfolio found" if g.get("status") == "no_solution" else ""
        if g.get("objective") and e.get("objective"):
            share = f", {100 * g['objective'] / e['objective']:.1f}%"
        cli = row.get("cli") or {}
        lines.append(
            f"| {row['family']} {row['size']:,} | {e['edges']:,} | {e['load_seconds']:.2f}"
            f" | {e['build_seconds']:.2f} + {e['solve_seconds']:.2f}"
            f" | {e['status']}, {_fmt(e.get('gap'), '.1e')} ({row['target_gap']:.0e})"
            f" | {_fmt(e.get('monte_carlo_seconds'))} ({_fmt(e.get('monte_carlo_draws'), ',')})"
            f" | {e['wall_seconds']:.2f} | {e['peak_mb']:,.0f}"
            f" | {_fmt(cli.get('wall_seconds'))}"
            f" | {_fmt(g.get('solve_seconds'))}{share}"
            f" | {_cell(row.get('full'), e)} | {_cell(row.get('cbc'), e)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--families", default="typical,adversarial")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--full-limit", type=float, default=60.0)
    parser.add_argument("--full-max", type=int, default=100_000, help="Largest size for 'full'.")
    parser.add_argument("--cbc-max", type=int, default=10_000, help="Largest size for CBC.")
    parser.add_argument("--no-cli", action="store_true", help="Skip the CLI end-to-end run.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gap", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # kind:family:size, internal
    parser.add_argument("--table", type=Path, help="Only print the table of a saved JSON run.")
    args = parser.parse_args()
    if args.table:
        print(markdown(json.loads(args.table.read_text(encoding="utf-8"))["runs"]))
        return
    if args.one:
        kind, family, size = args.one.split(":")
        print(json.dumps(one(kind, family, int(size), args.seed, args.time_limit, args.gap)))
        return

    import pulp

    has_cbc = "COIN_CMD" in pulp.listSolvers(onlyAvailable=True)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for family in args.families.split(","):
            gap, _seconds = TARGETS.get((family, size), (1e-4, None))
            row: dict = {"family": family, "size": size, "target_gap": gap}
            _folder(family, size, args.seed)  # write the instance outside any timing
            for kind in KINDS:
                if kind == "full" and size > args.full_max:
                    continue
                if kind == "cbc" and (not has_cbc or size > args.cbc_max):
                    continue
                if kind == "cli" and args.no_cli:
                    continue
                row[kind] = _run(kind, family, size, args, gap)
            rows.append(row)
            print(markdown([row]).splitlines()[-1], flush=True)
    machine = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "cbc": has_cbc,
    }
    folder = HERE / "results"
    folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"scale-{stamp}.json"
    path.write_text(json.dumps({"machine": machine, "runs": rows}, indent=2), encoding="utf-8")
    table = markdown(rows)
    (folder / f"scale-{stamp}.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"machine: {machine}")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
