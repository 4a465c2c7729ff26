"""Budget sizing: solve a grid of scenario variants and read the response curve.

A grid axis is a scenario setting and its values, e.g. ``budget`` = ``10k:200k:10k``
(start:stop:step, stop included) or ``10k,20k,50k``; any numeric setting can be swept by its
dotted path (``constraints.max_influencers=5:40:5``). Several axes form their product.

For budget axes the curve says, per strategy: the KPIs at every budget, the *marginal
return* (KPI gained per extra 1,000 of budget between neighbouring solved grid points), the *knee*
(the budget after which every further step returns less than a threshold) and the
*minimum grid budget* whose optimum meets the targets.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .engine import effective_scenario
from .errors import InputError, Problem
from .numbers import NumberFormatError, parse_amount, parse_fraction
from .runner import TaskOutcome
from .scenario import KPI_NAMES, Scenario
from .tables import with_integers
from .tasks import Task, make_task, rebuild_scenario

MAX_POINTS = 10_000  # grid points per sweep (all axes multiplied), a guard against typos
BUDGET = "budget"
PER_BUDGET = 1_000.0  # marginal returns are per this much extra budget (currency units)
DEFAULT_KNEE_SHARE = 0.2  # default threshold: this share of the average return at the start
CURVE_KPIS: tuple[str, ...] = ("value", "conversions", "engagement", "reach", "spend", "count")

Axis = tuple[str, list[float]]


def _number(text: str, where: str) -> float:
    """One grid number, ``50k`` / ``$1.2M`` / ``0.3`` accepted; ``30%`` too for settings other
    than the budget (shares such as ``constraints.mix.niche.beauty.min_share``)."""
    shares = where.startswith("--set") and where != f"--set {BUDGET}"
    try:
        value = (parse_fraction if shares else parse_amount)(text.strip())
    except NumberFormatError as exc:
        raise InputError.single("cli", where, str(exc)) from None
    if not math.isfinite(value):
        raise InputError.single("cli", where, f"{text!r} is not a finite number")
    return value


def parse_grid(text: str, where: str = "--budget") -> list[float]:
    """Grid values from ``start:stop:step`` (stop included), ``a,b,c``, ``a;b;c`` (commas then
    group thousands: ``30,500;40,000``) or a single value; a comma that could be either is an
    error, never a guess.

    Values keep their order of appearance, duplicates removed; ``where`` names the option in
    error messages.
    """
    text = text.strip()
    if not text:
        raise InputError.single("cli", where, "give a grid such as 10k:200k:10k or 10k,20k")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise InputError.single("cli", where, f"{text!r}: a range is start:stop:step")
        start, stop, step = (_number(p, where) for p in parts)
        if step <= 0:
            raise InputError.single("cli", where, f"{text!r}: step must be positive")
        if stop < start:
            raise InputError.single("cli", where, f"{text!r}: stop is below start")
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > MAX_POINTS:
            raise InputError.single("cli", where, f"{text!r} has {count} points (max {MAX_POINTS})")
        values = [round(start + k * step, 9) for k in range(count)]
    elif ";" in text:  # 30,500;40,000: commas group thousands
        values = [_number(p, where) for p in text.split(";") if p.strip()]
    else:
        parts = [p for p in text.split(",") if p.strip()]
        for before, part in itertools.pairwise(parts):
            if re.fullmatch(r"\d{3}(\.\d*)?", part.strip()) and before.strip()[-1:].isdigit():
                message = (
                    f"{text!r}: is ',{part.strip()}' a thousands group or a new value? Separate "
                    "values with ';' (30,500;40,000) or write 30500 or 30.5k"
                )
                raise InputError.single("cli", where, message)
        values = [_number(p, where) for p in parts]
    return list(dict.fromkeys(values))


def parse_setting(text: str) -> Axis:
    """``path=grid`` (as given to ``--set``) → ``(path, values)``."""
    path, sep, grid = text.partition("=")
    path = path.strip()
    if not sep or not path:
        message = f"{text!r}: write PATH=GRID, e.g. budget=10k:50k:10k"
        raise InputError.single("cli", "--set", message)
    if path.split(".")[0] == "strategies":  # merged before the value is set: it would not count
        message = (
            f"{path}: a strategy's own setting cannot be swept; sweep the brief's setting "
            "(e.g. constraints.…, robust.gamma) for the strategies that take it from the brief"
        )
        raise InputError.single("cli", "--set", message)
    return path, parse_grid(grid, f"--set {path}")


def _plain(value: float) -> float | int:
    """Whole numbers as int, so integer settings (counts) validate."""
    return int(value) if float(value).is_integer() else value


def set_path(data: dict[str, Any], path: str, value: float, source: str) -> None:
    """Set a dotted ``path`` in raw scenario data; missing mapping levels are created.

    The scenario schema validates the result, so unknown keys are reported with hints later.
    """
    keys = path.split(".")
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key) if isinstance(node, dict) else None
        if child is None:
            child = {}
            node[key] = child
        if not isinstance(child, dict):
            where = ".".join(keys[: depth + 1])
            raise InputError.single(source, where, f"--set {path}: {where} is not a mapping")
        node = child
    current = node.get(keys[-1])
    if isinstance(current, dict | list | str | bool):
        raise InputError.single(source, path, f"--set {path}: only numeric settings can be swept")
    node[keys[-1]] = _plain(value)


def apply_settings(scenario: Scenario, settings: dict[str, float]) -> Scenario:
    """A copy of ``scenario`` with every dotted-path setting replaced (validated again)."""
    if not settings:
        return scenario
    data = scenario.as_data()
    for path, value in settings.items():
        set_path(data, path, value, scenario.source)
    return rebuild_scenario(data, scenario.source, scenario.base_dir)


def grid_points(axes: Sequence[Axis]) -> list[dict[str, float]]:
    """Every combination of the axes' values, first axis varying slowest."""
    names = [name for name, _ in axes]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError.single("cli", "--set", f"{duplicated[0]} is swept twice")
    count = math.prod(len(values) for _, values in axes)
    if count > MAX_POINTS:
        raise InputError.single("cli", "--set", f"the grid has {count} points (max {MAX_POINTS})")
    combos = itertools.product(*(values for _, values in axes))
    return [dict(zip(names, combo, strict=True)) for combo in combos]


def sweep_tasks(
    scenario: Scenario, axes: Sequence[Axis], strategies: Sequence[str | None]
) -> list[Task]:
    """One task per strategy × grid point; every bad point is reported at once.

    Grid values are applied to each strategy's effective scenario, so a swept budget wins over
    a budget a strategy sets.
    """
    points = grid_points(axes)
    tasks: list[Task] = []
    problems: dict[str, Problem] = {}
    for strategy in strategies:
        effective = effective_scenario(scenario, strategy)
        for point in points:
            try:
                tasks.append(make_task(apply_settings(effective, point), strategy, point))
            except InputError as exc:
                for problem in exc.problems:
                    labelled = Problem(
                        problem.source, problem.where, f"{problem.message} (at {_describe(point)})"
                    )
                    problems.setdefault(f"{problem.where}:{problem.message}", labelled)
    if problems:
        raise InputError(problems.values())
    return tasks


def _describe(point: dict[str, float]) -> str:
    return ", ".join(f"{k}={_plain(v):,}" for k, v in point.items())


# ---------------------------------------------------------------- the response curve


@dataclass
class SweepPoint:
    """One solved grid point with its place on the curve.

    ``marginal`` is KPI gained per extra 1,000 of budget since the previous *solved* grid budget
    of the same series, across any unsolved points between them (None for an unsolved point,
    the first solved one, and non-budget sweeps).
    """

    outcome: TaskOutcome
    marginal: float | None = None
    knee: bool = False
    meets_targets: bool | None = None

    @property
    def strategy(self) -> str:
        """The strategy name (``base`` for the scenario as written)."""
        return self.outcome.task.strategy or "base"

    @property
    def params(self) -> dict[str, float]:
        """The swept settings of this point."""
        return self.outcome.task.params

    def kpi(self, name: str) -> float | None:
        """A KPI of the verified portfolio (None when unsolved)."""
        if not self.outcome.solved or self.outcome.result is None:
            return None
        value = self.outcome.result["kpis"].get(name)
        return float(value) if value is not None else None


@dataclass
class SeriesSummary:
    """The curve of one strategy (and fixed values of the other swept settings) along
    ``axis``: the budget when it is swept, else the first ``--set`` setting."""

    strategy: str
    fixed: dict[str, float]
    kpi: str
    threshold: float | None
    axis: str = BUDGET
    knee_budget: float | None = None
    first_meeting: float | None = None  # the smallest grid value of ``axis`` meeting targets
    targets: dict[str, float] = field(default_factory=dict)
    points: list[SweepPoint] = field(default_factory=list)

    @property
    def min_budget(self) -> float | None:
        """The smallest grid budget whose portfolio meets the targets (budget sweeps only)."""
        return self.first_meeting if self.axis == BUDGET else None


def curve_axis(params: dict[str, float]) -> str:
    """What a series runs along: the budget when it is swept, else the first setting."""
    return BUDGET if BUDGET in params else next(iter(params), BUDGET)


def point_targets(point: SweepPoint, extra: dict[str, float]) -> dict[str, float]:
    """The scenario's own targets at this point, updated with ``extra`` (checked, not imposed)."""
    raw = point.outcome.task.data.get("constraints", {}).get("targets", {}) or {}
    targets = {k: float(v) for k, v in raw.items() if v is not None}
    targets.update(extra)
    return targets


def meets(point: SweepPoint, targets: dict[str, float]) -> bool:
    """True when the point is solved and every target KPI is reached (1e-9 relative slack)."""
    if not point.outcome.solved:
        return False
    for name, target in targets.items():
        value = point.kpi(name)
        if value is None or value < target * (1 - 1e-9) - 1e-9:
            return False
    return True


def analyse(
    outcomes: Sequence[TaskOutcome],
    kpi: str = "conversions",
    threshold: float | None = None,
    targets: dict[str, float] | None = None,
) -> list[SeriesSummary]:
    """Group outcomes into series and compute marginal returns, knee and minimum budget.

    ``threshold`` is in KPI units per extra 1,000 of budget; None means one fifth of the
    average return (KPI per 1,000) at the series' smallest solved budget.
    """
    if kpi not in CURVE_KPIS:
        raise InputError.single("cli", "--kpi", f"{kpi!r}: choose one of {', '.join(CURVE_KPIS)}")
    series: dict[tuple[Any, ...], SeriesSummary] = {}
    for outcome in outcomes:
        point = SweepPoint(outcome)
        axis = curve_axis(point.params)
        fixed = {k: v for k, v in point.params.items() if k != axis}
        group = (point.strategy, tuple(sorted(fixed.items())))
        if group not in series:
            series[group] = SeriesSummary(point.strategy, fixed, kpi, threshold, axis)
        series[group].points.append(point)
    for summary in series.values():
        _analyse_series(summary, targets or {})
    return list(series.values())


def _analyse_series(summary: SeriesSummary, extra_targets: dict[str, float]) -> None:
    """Fill marginal returns, knee and minimum budget of one series (in place)."""
    points = summary.points
    for point in points:
        targets = point_targets(point, extra_targets)
        point.meets_targets = meets(point, targets) if targets else None
        summary.targets = summary.targets or targets
    if not points:
        return
    points.sort(key=lambda p: p.params[summary.axis])
    reaching = [p.params[summary.axis] for p in points if p.meets_targets]
    summary.first_meeting = min(reaching) if reaching else None
    if summary.axis != BUDGET:  # marginal returns and the knee are per 1,000 of budget
        summary.threshold = None
        return
    _fill_marginals(points, summary.kpi)
    if summary.threshold is None:
        summary.threshold = _default_threshold(points, summary.kpi)
    summary.knee_budget = _knee(points, summary.threshold)
    for point in points:
        point.knee = summary.knee_budget is not None and point.params[BUDGET] == summary.knee_budget


def _fill_marginals(points: list[SweepPoint], kpi: str) -> None:
    """Each solved point's return per extra 1,000 since the previous *solved* budget (in place).

    A point without a result (killed, infeasible, failed) is skipped, so the rise across it is
    measured over the whole gap rather than lost.
    """
    solved = [(p, value) for p in points if (value := p.kpi(kpi)) is not None]
    for (previous, low), (point, high) in itertools.pairwise(solved):
        step = point.params[BUDGET] - previous.params[BUDGET]
        if step > 0:
            point.marginal = (high - low) / step * PER_BUDGET


def _default_threshold(points: list[SweepPoint], kpi: str) -> float | None:
    """One fifth of KPI per 1,000 of budget at the smallest solved budget (None if none)."""
    for point in points:
        value = point.kpi(kpi)
        if value is not None and value > 0:
            return DEFAULT_KNEE_SHARE * value / point.params[BUDGET] * PER_BUDGET
    return None


def _knee(points: list[SweepPoint], threshold: float | None) -> float | None:
    """The budget after which every further step returns less than ``threshold`` per 1,000.

    That is the end of the last step whose marginal return is still at or above the threshold
    (the smallest solved budget when none is); None when the last step still pays (the curve
    has not flattened within the grid), when the largest budgets have no result (killed,
    infeasible, failed: whether the curve rises again there is not known), or when nothing is
    solved.
    """
    steps = [p for p in points if p.marginal is not None]
    if threshold is None or not steps or steps[-1].marginal >= threshold:  # type: ignore[operator]
        return None
    if not points[-1].outcome.solved:  # the steps past the last result are unknown
        return None
    paying = [p for p in steps if p.marginal >= threshold]  # type: ignore[operator]
    if paying:
        return paying[-1].params[BUDGET]
    solved = [p for p in points if p.outcome.solved]
    return solved[0].params[BUDGET] if solved else None


# ---------------------------------------------------------------- tables and files


def curve_frame(summaries: Sequence[SeriesSummary]) -> pd.DataFrame:
    """One row per grid point: strategy, swept settings, status, objective, KPIs, curve marks."""
    rows = []
    for summary in summaries:
        for point in summary.points:
            result = point.outcome.result or {}
            kpis = result.get("kpis", {})
            row: dict[str, Any] = {"strategy": point.strategy}
            row.update({name: _plain(value) for name, value in point.params.items()})
            row["status"] = point.outcome.status
            row["objective"] = result.get("objective")
            row.update({k: kpis.get(k) for k in ("spend", "count", *KPI_NAMES, "value")})
            row[f"marginal_{summary.kpi}_per_1k"] = point.marginal
            row["knee"] = point.knee if summary.axis == BUDGET else None  # along the budget
            row["meets_targets"] = point.meets_targets
            row["cached"] = point.outcome.cached
            row["error"] = point.outcome.reason
            rows.append(row)
    return with_integers(pd.DataFrame(rows))


def summary_frame(summaries: Sequence[SeriesSummary]) -> pd.DataFrame:
    """One row per series: knee budget, threshold used, targets and minimum grid budget.

    Along another setting (no budget axis) there is no knee: the row holds the targets and
    ``smallest_<setting>_meeting_targets``, and none at all without targets."""
    rows = []
    for s in summaries:
        row: dict[str, Any] = {"strategy": s.strategy, **{k: _plain(v) for k, v in s.fixed.items()}}
        if s.axis == BUDGET:
            row.update(
                {
                    "kpi": s.kpi,
                    f"knee_threshold_{s.kpi}_per_1k": s.threshold,
                    "knee_budget": s.knee_budget,
                }
            )
        elif not s.targets:
            continue
        if s.targets:
            row["targets"] = ", ".join(f"{k} ≥ {v:,.0f}" for k, v in s.targets.items())
            name = "min_budget" if s.axis == BUDGET else f"smallest_{s.axis}"
            first = None if s.first_meeting is None else _plain(s.first_meeting)
            row[f"{name}_meeting_targets"] = first
        rows.append(row)
    return pd.DataFrame(rows)


def summary_title(summaries: Sequence[SeriesSummary]) -> str | None:
    """The heading of :func:`summary_frame`'s table (None: nothing to show)."""
    axis = summaries[0].axis if summaries else BUDGET
    if axis == BUDGET:
        return "Knee and minimum budget (blank: not within the grid)"
    if any(s.targets for s in summaries):
        return f"Smallest {axis} meeting the targets (blank: none in the grid)"
    return None


def curve_records(summaries: Sequence[SeriesSummary]) -> list[dict[str, Any]]:
    """The JSON form: each point's result contract plus a ``sweep`` block.

    A failed point holds ``error`` (its message) and, for a crash, ``traceback``.
    """
    records = []
    for summary in summaries:
        for point in summary.points:
            outcome = point.outcome
            failed = {"status": "error", "error": outcome.error, "traceback": outcome.traceback}
            result = dict(outcome.result or failed)
            result["sweep"] = {
                "key": outcome.task.key,
                "params": point.params,
                f"marginal_{summary.kpi}_per_1k": point.marginal,
                "knee": point.knee,
                "meets_targets": point.meets_targets,
                "knee_budget": summary.knee_budget,
                "min_budget_meeting_targets": summary.min_budget,
                "axis": summary.axis,
                "smallest_meeting_targets": summary.first_meeting,
            }
            records.append(result)
    return records


def series_label(summary: SeriesSummary) -> str:
    """``hybrid`` or ``hybrid (max_influencers=10)``."""
    if not summary.fixed:
        return summary.strategy
    return f"{summary.strategy} ({_describe(summary.fixed)})"


def draw_chart(summaries: Sequence[SeriesSummary], kpi: str, tmp: Any, fmt: str) -> None:
    """Plot ``kpi`` against the first swept setting per series into ``tmp`` (PNG or SVG).

    Knees are ringed; matplotlib is imported here only (the ``charts`` extra).
    """
    try:
        import matplotlib
    except ImportError:
        raise InputError.single(
            "cli", "--chart", "needs matplotlib: pip install 'inflopt[charts]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(figsize=(8, 4.8), dpi=120)
    x_name = summaries[0].axis if summaries else BUDGET
    steps = [p.params.get(x_name, 0.0) for s in summaries for p in s.points]
    if x_name != BUDGET and all(float(x).is_integer() for x in steps):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 12.5 ticks
    for summary in summaries:
        solved = [p for p in summary.points if p.kpi(kpi) is not None]
        xs = [p.params.get(x_name, math.nan) for p in solved]
        line = axes.plot(xs, [p.kpi(kpi) for p in solved], marker="o", label=series_label(summary))
        knees = [p for p in solved if p.knee]
        if knees:
            axes.scatter(
                [p.params[x_name] for p in knees],
                [p.kpi(kpi) for p in knees],
                s=160,
                facecolors="none",
                edgecolors=line[0].get_color(),
                linewidths=2,
            )
    axes.set_xlabel(x_name)
    axes.set_ylabel(kpi)
    axes.set_title(f"{kpi} by {x_name}" + (" (rings: knee)" if x_name == BUDGET else ""))
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(tmp, format=fmt)
    plt.close(figure)
