"""Terminal reports (rich tables): the picked portfolio, its totals and spend by tier."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import Problem
from .result import Result, best_positions
from .solver import Status


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _status_line(result: Result) -> str:
    name = escape(result.strategy or "base scenario")
    parts = [
        f"[bold]{escape(result.scenario)}[/bold] · {name} · status [bold]{result.status}[/bold]"
    ]
    if result.objective is not None:
        label = "spend" if result.goal == "minimize_cost" else "value"
        if result.robust:  # the objective is the worst case; the totals give the nominal value
            label = f"worst-case value (Γ {result.robust['gamma']:g}, cv {result.robust['cv']:g})"
        parts.append(f"{label} {_num(result.objective, 2)} {result.currency}")
    if result.gap is not None:
        parts.append(f"gap {result.gap:.2e}")
    parts.append(f"{result.solve_seconds:.2f}s ({result.solver})")
    return " · ".join(parts)


def render_result(result: Result, console: Console) -> None:
    """Print one result: status line, picks table, totals and spend by tier."""
    console.print(_status_line(result))
    marker = "[yellow]![/yellow]" if result.solved else "[red]✗[/red]"
    for reason in result.diagnosis:
        console.print(f"  {marker} {escape(reason)}")
    if not result.solved:
        if result.status is Status.NO_SOLUTION:
            console.print("  no portfolio found before the time limit; raise --time-limit")
        return
    if not result.selected:
        return
    table = Table(title=f"Picked influencers ({len(result.selected)})", title_justify="left")
    for column in ("id", "handle", "tier", "platform", "niche"):
        table.add_column(column)
    for column in ("followers", f"cost ({result.currency})", "reach", "engagement", "conversions"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    picks = result.picks.sort_values(["cost"], ascending=False)
    for row in picks.itertuples(index=False):
        table.add_row(
            escape(str(row.id)),
            escape(str(getattr(row, "handle", "") or "")),
            escape(str(row.tier)),
            escape(str(row.platform)),
            escape(str(row.niche)),
            _num(row.followers),
            ("~" if getattr(row, "cost_estimated", False) else "") + _num(row.cost),
            _num(row.expected_reach),
            _num(row.expected_engagement),
            _num(row.expected_conversions, 1),
        )
    console.print(table)
    if result.estimated_costs:
        console.print(
            f"  ~ {len(result.estimated_costs)} costs are estimates from a rate card "
            "(the roster gave none); confirm prices before booking"
        )
    console.print(totals_table(result))
    console.print(tier_table(result))


def totals_table(result: Result) -> Table:
    """Portfolio totals: spend, de-duplicated reach, engagement, conversions, unit costs."""
    kpis = result.kpis
    table = Table(title="Totals", title_justify="left", show_header=False)
    table.add_column("kpi")
    table.add_column("value", justify="right")
    rows = [
        (f"spend ({result.currency})", _num(kpis.get("spend"), 2)),
        ("influencers", _num(kpis.get("count"))),
        ("reach (de-duplicated people)", _num(kpis.get("reach"))),
        ("overlap waste (people paid twice)", _num(kpis.get("overlap_waste"))),
        ("engagement", _num(kpis.get("engagement"))),
        ("conversions", _num(kpis.get("conversions"), 1)),
        (f"value ({result.currency})", _num(kpis.get("value"), 2)),
        *(
            [(f"worst-case value ({result.currency})", _num(result.robust["worst_case_value"], 2))]
            if result.robust
            else []
        ),
        ("cost per engagement", _num(kpis.get("cost_per_engagement"), 3)),
        ("cost per conversion", _num(kpis.get("cost_per_conversion"), 2)),
        ("CPM (per 1,000 reached)", _num(kpis.get("cpm"), 2)),
    ]
    if result.reach_method != "pairwise":
        rows.insert(3, ("reach method", result.reach_method))
        if kpis.get("reach_pairwise") is not None:
            rows.insert(4, ("  reach, pairwise estimate", _num(kpis.get("reach_pairwise"))))
    for name, value in rows:
        table.add_row(name, value)
    return table


def tier_table(result: Result) -> Table:
    """Count and spend by tier."""
    table = Table(title="Spend by tier", title_justify="left")
    table.add_column("tier")
    table.add_column("count", justify="right")
    table.add_column(f"spend ({result.currency})", justify="right")
    table.add_column("share", justify="right")
    total = float(result.kpis.get("spend") or 0.0)
    for tier, data in result.by_tier.items():
        share = data["spend"] / total if total else 0.0
        table.add_row(escape(tier), _num(data["count"]), _num(data["spend"]), f"{share:.0%}")
    return table


def render_results(results: Sequence[Result], console: Console) -> None:
    """Print several results one after another."""
    for k, result in enumerate(results):
        if k:
            console.print()
        render_result(result, console)


def render_problems(problems: Sequence[Problem], console: Console) -> None:
    """Print every input problem, one per line."""
    count = len(problems)
    console.print(f"[red]error:[/red] {count} problem{'s' if count != 1 else ''} found")
    for problem in problems:
        console.print(f"  {problem}", markup=False, highlight=False)


# (kpi key, label, digits, better: "max" | "min" | None)
COMPARISON_ROWS: tuple[tuple[str, str, int, str | None], ...] = (
    ("spend", "spend", 0, None),
    ("count", "influencers", 0, None),
    ("reach", "reach (de-duplicated)", 0, "max"),
    ("overlap_waste", "overlap waste (people)", 0, "min"),
    ("engagement", "engagement", 0, "max"),
    ("conversions", "conversions", 1, "max"),
    ("cost_per_engagement", "cost per engagement", 3, "min"),
    ("cost_per_conversion", "cost per conversion", 2, "min"),
    ("cpm", "CPM", 2, "min"),
    ("value", "value", 0, "max"),
    ("roi", "ROI (value − spend) / spend", 2, "max"),
)


def winners(results: Sequence[Result]) -> dict[str, set[int]]:
    """For each KPI with a direction, the positions of the results that do best on it."""
    best: dict[str, set[int]] = {}
    for key, _label, _digits, better in COMPARISON_ROWS:
        values = [r.kpis.get(key) if r.solved and r.selected else None for r in results]
        if wins := best_positions(values, better):
            best[key] = wins
    return best


def comparison_table(results: Sequence[Result]) -> Table:
    """Strategies side by side, KPIs as rows; ★ marks the best strategy on each KPI."""
    currency = results[0].currency if results else "USD"
    table = Table(title="Strategies compared (★ = best on that KPI)", title_justify="left")
    table.add_column("")
    for result in results:
        table.add_column(escape(result.strategy or "base"), justify="right", no_wrap=True)
    best = winners(results)
    table.add_row("status", *[str(r.status) for r in results])
    table.add_row("gap", *[f"{r.gap:.1e}" if r.gap is not None else "–" for r in results])
    tiers = sorted({t for r in results for t in r.by_tier})
    for key, label, digits, _better in COMPARISON_ROWS:
        cells = []
        for k, result in enumerate(results):
            text = _num(result.kpis.get(key), digits) if result.solved else "–"
            cells.append(f"★ {text}" if k in best.get(key, set()) else text)
        name = f"{label} ({currency})" if key in ("spend", "value") else label
        table.add_row(name, *cells)
        if key == "count":
            for tier in tiers:
                row = [
                    f"{r.by_tier[tier]['count']} / {_num(r.by_tier[tier]['spend'])}"
                    if tier in r.by_tier
                    else "–"
                    for r in results
                ]
                table.add_row(f"  {escape(tier)} (count / spend)", *row)
    _uncertainty_rows(table, results)
    return table


def _uncertainty_rows(table: Table, results: Sequence[Result]) -> None:
    """Monte Carlo bands, chance of meeting targets and robust worst case, when present."""
    if any(r.robust for r in results):
        table.add_row(
            "worst-case value (robust)",
            *[_num(r.robust["worst_case_value"]) if r.robust else "–" for r in results],
        )
    for kpi, digits in (("engagement", 0), ("conversions", 1)):
        cells = []
        for result in results:
            band = (result.uncertainty or {}).get(kpi)
            cells.append(
                f"{_num(band['p10'], digits)} / {_num(band['p50'], digits)} / "
                f"{_num(band['p90'], digits)}"
                if band
                else "–"
            )
        table.add_row(f"{kpi} P10 / P50 / P90", *cells)
    chances = [(r.uncertainty or {}).get("chance_of_meeting_targets") or {} for r in results]
    for kpi in sorted({k for c in chances for k in c}):
        table.add_row(
            f"chance of meeting {kpi} target",
            *[f"{c[kpi]:.0%}" if kpi in c else "–" for c in chances],
        )


def render_comparison(results: Sequence[Result], console: Console, details: bool) -> None:
    """The side-by-side table, any diagnosis, and with ``details`` every portfolio."""
    console.print(comparison_table(results))
    for result in results:
        marker = "[yellow]![/yellow]" if result.solved else "[red]✗[/red]"
        for reason in result.diagnosis:
            console.print(f"  {escape(result.strategy or 'base')}: {marker} {escape(reason)}")
    if details:
        console.print()
        render_results(results, console)
