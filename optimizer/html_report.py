"""One self-contained HTML report of solved strategies, for a strategist to read or email.

The page holds: the comparison table across strategies (winner per KPI marked ★), charts as
inline SVG (spend and picks by tier per strategy, KPI bars with P10–P90 whiskers when a Monte
Carlo is given, the overlap graph of each picked set), and per strategy its Monte Carlo bands
and picked roster. No script, stylesheet, font or image is loaded from anywhere: the file
works offline. Every string that comes from a roster or a scenario is HTML-escaped, so a handle
like ``<script>…</script>`` is shown as text and never runs.

Charts need matplotlib (``pip install 'inflopt[charts]'``); without it the report is written
with its tables and a note where the charts would be.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from . import charts
from .engine import Prepared, effective_scenario
from .errors import InputError
from .output import atomic_write
from .result import Result, best_positions
from .uncertainty import KPIS, Simulation, simulated_targets

Number = float | None


@dataclass(frozen=True)
class Metric:
    """One row of the comparison table: how to read, format and rank a value."""

    key: str
    label: str
    kind: str  # money | money2 | count | decimal | percent | text
    better: str | None  # "max", "min" or None (not ranked)


METRICS: tuple[Metric, ...] = (
    Metric("spend", "Spend", "money", None),
    Metric("count", "Influencers", "count", None),
    Metric("reach", "Reach (de-duplicated people)", "count", "max"),
    Metric("engagement", "Engagement (expected)", "count", "max"),
    Metric("conversions", "Conversions (expected)", "decimal", "max"),
    Metric("cost_per_engagement", "Cost per engagement", "money2", "min"),
    Metric("cost_per_conversion", "Cost per conversion", "money2", "min"),
    Metric("cpm", "CPM (cost per 1,000 reached)", "money2", "min"),
    Metric("value", "Value", "money", "max"),
    Metric("roi", "ROI ((value − spend) ÷ spend)", "percent", "max"),
    Metric("overlap_waste", "Overlap waste (people paid for twice)", "count", "min"),
)

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2rem auto;
max-width:1180px;padding:0 1rem;color:#222;line-height:1.4}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #3182bd;padding-bottom:.2rem;margin-top:2.2rem}
.meta{color:#555;margin-top:0}table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d9d9d9;padding:.25rem .55rem;text-align:right;vertical-align:top;
white-space:nowrap}td.text{white-space:normal}th.sub{font-weight:400;padding-left:1.6rem}
.scroll{overflow-x:auto}
th{background:#f0f4f8}td.text,th.text{text-align:left}tr:nth-child(even) td{background:#fafafa}
td.win{background:#e5f5e0!important;font-weight:600}.legend{color:#555;font-size:.85rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{font-size:.85rem;
color:#555}figure svg{max-width:100%;height:auto}.note{background:#fff8e1;padding:.5rem .8rem;
border-left:4px solid #f0ad4e}.bad{color:#b30000;font-weight:600}
.strategy{margin-top:1.5rem}.picks{font-size:.8rem}
@media print{h2{break-before:page}figure{break-inside:avoid}}
"""


def esc(value: object) -> str:
    """HTML-escape any value (quotes too): the only way data reaches the page."""
    return html.escape(str(value), quote=True)


def label_of(result: Result) -> str:
    """A strategy's display name (``base`` when solved without a strategy)."""
    return result.strategy or "base"


def slug(text: str, index: int) -> str:
    """A safe, unique id fragment for element ids."""
    return f"s{index}-" + re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower()[:40]


def fmt(value: object, kind: str, currency: str = "") -> str:
    """Format a number for the tables (``—`` when missing); currency amounts get the code."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if kind == "text":
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    formats: dict[str, Callable[[float], str]] = {
        "money": lambda v: f"{currency} {v:,.0f}".strip(),
        "money2": lambda v: f"{currency} {v:,.{3 if abs(v) < 1 else 2}f}".strip(),
        "count": lambda v: f"{v:,.0f}",
        "decimal": lambda v: f"{v:,.1f}",
        "percent": lambda v: f"{100 * v:,.1f}%",
    }
    return formats[kind](number)


def _row(label: str, cells: Sequence[str], wins: set[int], key: str = "", sub: bool = False) -> str:
    tds = "".join(
        f'<td class="win" title="best of the strategies">{c} ★</td>'
        if k in wins
        else f"<td>{c}</td>"
        for k, c in enumerate(cells)
    )
    data = f' data-kpi="{esc(key)}"' if key else ""
    klass = "text sub" if sub else "text"
    return f'<tr{data}><th class="{klass}" scope="row">{esc(label)}</th>{tds}</tr>'


def _kpi(result: Result, key: str) -> Number:
    if not result.solved:
        return None
    value = result.kpis.get(key)
    return None if value is None else float(value)


def comparison_table(
    results: Sequence[Result],
    tiers: Sequence[str],
    currency: str,
    simulations: dict[str, Simulation] | None,
    targets: Sequence[dict[str, float]],
) -> str:
    """The side-by-side table: one column per strategy, one row per KPI."""
    head = "".join(f'<th scope="col">{esc(label_of(r))}</th>' for r in results)
    rows: list[str] = []
    for metric in METRICS:
        values = [_kpi(r, metric.key) for r in results]
        cells = [esc(fmt(v, metric.kind, currency)) for v in values]
        rows.append(_row(metric.label, cells, best_positions(values, metric.better), metric.key))
        if metric.key == "count":
            for tier in tiers:
                counts = [
                    r.by_tier.get(tier, {}).get("count", 0) if r.solved else None for r in results
                ]
                cells = [esc(fmt(c, "count")) for c in counts]
                rows.append(_row(f"{tier} picks", cells, set(), f"count_{tier}", sub=True))
        if metric.key == "value" and any(r.robust for r in results):
            worst: list[Number] = [
                float(r.robust["worst_case_value"]) if r.solved and r.robust else None
                for r in results
            ]
            cells = [esc(fmt(v, "money", currency)) for v in worst]
            wins = best_positions(worst, "max")
            rows.append(_row("worst case (robust)", cells, wins, "worst_case_value", sub=True))
    if simulations:
        rows.extend(_simulation_rows(results, simulations, targets))
    rows.append(_row("Status", [esc(r.status) for r in results], set(), "status"))
    gaps = [r.gap if r.solved else None for r in results]
    rows.append(_row("Optimality gap", [esc(fmt(g, "percent")) for g in gaps], set(), "gap"))
    return (
        '<table class="comparison" id="comparison"><thead><tr><th class="text">KPI</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        '<p class="legend">★ best of the strategies on that row. Expected values use the roster '
        "rates; reach is de-duplicated over the overlap graph.</p>"
    )


def _simulation_rows(
    results: Sequence[Result],
    simulations: dict[str, Simulation],
    targets: Sequence[dict[str, float]],
) -> list[str]:
    rows: list[str] = []
    sims = [simulations.get(label_of(r)) if r.solved else None for r in results]
    for kpi in KPIS:
        for q in ("p10", "p50", "p90"):
            values = [s.percentiles(kpi)[q] if s else None for s in sims]
            kind = "count" if kpi == "engagement" else "decimal"
            cells = [esc(fmt(v, kind)) for v in values]
            better = "max" if q == "p10" else None
            rows.append(
                _row(
                    f"{kpi} {q.upper()} (Monte Carlo)",
                    cells,
                    best_positions(values, better),
                    f"{kpi}_{q}",
                )
            )
    for kpi in KPIS:
        chances: list[Number] = []
        cells: list[str] = []
        for sim, wanted in zip(sims, targets, strict=True):
            target = wanted.get(kpi)
            chance = (
                sim.chance_of_meeting({kpi: target})[kpi] if sim and target is not None else None
            )
            chances.append(chance)
            shown = (
                "—" if chance is None else f"{fmt(chance, 'percent')} (≥ {fmt(target, 'count')})"
            )
            cells.append(esc(shown))
        if any(c is not None for c in chances):
            rows.append(
                _row(
                    f"chance of meeting the {kpi} target",
                    cells,
                    best_positions(chances, "max"),
                    f"{kpi}_chance",
                )
            )
    return rows


def _targets(prepared: Prepared, result: Result) -> dict[str, float]:
    """The engagement / conversion targets in force for a result's strategy."""
    try:
        scenario = effective_scenario(prepared.scenario, result.strategy)
    except (InputError, KeyError, ValueError):  # unknown strategy: the base scenario's targets
        scenario = prepared.scenario
    return simulated_targets(scenario.constraints.targets.as_dict())


def _figure(svg: str, caption: str, name: str) -> str:
    return (
        f'<figure class="chart" data-chart="{esc(name)}">{svg}'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def overview_charts(
    results: Sequence[Result],
    tiers: Sequence[str],
    currency: str,
    simulations: dict[str, Simulation] | None,
) -> str:
    """Spend and picks by tier per strategy, and KPI bars (with P10–P90 whiskers)."""
    names = [label_of(r) for r in results]
    spend = {t: [r.by_tier.get(t, {}).get("spend", 0.0) for r in results] for t in tiers}
    count = {t: [r.by_tier.get(t, {}).get("count", 0) for r in results] for t in tiers}
    kpis = {
        k: [_kpi(r, k) for r in results] for k in ("reach", "engagement", "conversions", "value")
    }
    bands: dict[str, list[tuple[float, float] | None]] = {}
    for kpi in KPIS:
        sims = [
            simulations.get(n) if simulations and r.solved else None
            for n, r in zip(names, results, strict=True)
        ]
        bands[kpi] = [(s.p10[kpi], s.p90[kpi]) if s else None for s in sims]
    figures = [
        _figure(
            charts.stacked_tier_bars(names, tiers, spend, currency, "Spend by tier", "chart-spend"),
            f"Spend by tier per strategy ({currency}).",
            "spend-by-tier",
        ),
        _figure(
            charts.stacked_tier_bars(
                names, tiers, count, "influencers", "Picks by tier", "chart-picks"
            ),
            "Number of influencers picked, by tier.",
            "picks-by-tier",
        ),
        _figure(
            charts.kpi_bars(names, kpis, bands, "chart-kpis"),
            "Expected KPIs per strategy; whiskers: Monte Carlo P10–P90 (when run).",
            "kpi-bars",
        ),
    ]
    return f'<div class="charts">{"".join(figures)}</div>'


def overlap_chart(result: Result, prepared: Prepared, tiers: Sequence[str], prefix: str) -> str:
    """The overlap graph of one strategy's picked set, as a figure."""
    roster = prepared.roster
    positions = [roster.index_of[i] for i in result.selected]
    graph = prepared.overlap.subgraph(positions)
    frame = roster.frame
    tier_index = {t: k for k, t in enumerate(tiers)}
    ids = frame["id"].astype(str).tolist()
    svg = charts.overlap_graph(
        graph,
        labels={p: ids[p] for p in positions},
        tier_of={p: tier_index.get(str(frame["tier"].iat[p]), 0) for p in positions},
        size_of={p: float(frame["followers"].iat[p]) for p in positions},
        title=(
            f"{graph.number_of_edges()} overlapping pairs among {len(positions)} picks · "
            f"{fmt(_kpi(result, 'overlap_waste'), 'count')} people counted twice"
        ),
        prefix=prefix,
        tiers=tiers,
    )
    caption = (
        "Audience overlap among the picks: node colour = tier, size = followers, line width = "
        "share of the smaller audience in common."
    )
    return _figure(svg, caption, f"overlap-{label_of(result)}")


PICK_HEADERS: dict[str, tuple[str, str]] = {
    "id": ("id", "text"),
    "handle": ("handle", "text"),
    "platform": ("platform", "text"),
    "niche": ("niche", "text"),
    "tier": ("tier", "text"),
    "followers": ("followers", "count"),
    "cost": ("cost", "count"),
    "expected_reach": ("exp. reach", "count"),
    "expected_engagement": ("exp. engagement", "count"),
    "expected_conversions": ("exp. conversions", "decimal"),
    "defaulted": ("defaulted rates", "text"),
}


def _pick_header(column: str, currency: str) -> tuple[str, str]:
    """Display name and format kind of a picks column (unknown columns shown as text)."""
    name, kind = PICK_HEADERS.get(column, (column, "text"))
    return (f"{name} ({currency})" if column == "cost" else name), kind


def picks_table(result: Result, currency: str) -> str:
    """The picked roster of one strategy, every cell escaped."""
    frame: pd.DataFrame = result.picks
    columns = [c for c in PICK_HEADERS if c in frame.columns]
    columns += [c for c in frame.columns if c not in PICK_HEADERS]
    headers = [_pick_header(str(c), currency) for c in columns]
    head = "".join(
        f'<th class="{"text" if kind == "text" else "num"}">{esc(name)}</th>'
        for name, kind in headers
    )
    body = []
    for row in frame[columns].itertuples(index=False):
        cells = [
            f'<td class="{"text" if kind == "text" else "num"}">{esc(fmt(value, kind))}</td>'
            for (_, kind), value in zip(headers, row, strict=True)
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="scroll"><table class="picks" data-strategy="{esc(label_of(result))}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def simulation_table(sim: Simulation, targets: dict[str, float]) -> str:
    """P10 / P50 / P90 and expected value of engagement and conversions for one strategy.

    A "chance of meeting target" column appears when the strategy has such targets.
    """
    rows = []
    for kpi in KPIS:
        kind = "count" if kpi == "engagement" else "decimal"
        bands = sim.percentiles(kpi)
        cells = [fmt(bands[q], kind) for q in ("p10", "p50", "p90")]
        cells.append(fmt(sim.expected[kpi], kind))
        if targets:
            chance = sim.chance_of_meeting({kpi: targets[kpi]})[kpi] if kpi in targets else None
            cells.append(fmt(chance, "percent"))
        rows.append(
            f'<tr><th class="text" scope="row">{esc(kpi)}</th>'
            + "".join(f"<td>{esc(c)}</td>" for c in cells)
            + "</tr>"
        )
    chance_head = "<th>chance of meeting target</th>" if targets else ""
    return (
        '<table class="simulation"><thead><tr><th class="text">KPI</th><th>P10</th><th>P50</th>'
        f"<th>P90</th><th>expected</th>{chance_head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="legend">Monte Carlo: {esc(f"{sim.draws:,}")} draws, seed {esc(sim.seed)}; '
        f"engagement, click and conversion rates ~ {esc(sim.distribution)} with mean = roster "
        f"rate and coefficient of variation {esc(sim.cv)}. P10: 90 % of draws do at least this "
        "well.</p>"
    )


def strategy_section(
    index: int,
    result: Result,
    prepared: Prepared,
    tiers: Sequence[str],
    simulation: Simulation | None,
    with_charts: bool,
) -> str:
    """Everything about one strategy: status, diagnosis, Monte Carlo, overlap graph, picks."""
    name = label_of(result)
    currency = prepared.scenario.currency
    strategy = prepared.scenario.strategies.get(result.strategy or "")
    parts = [f"<h3>{esc(name)}</h3>"]
    if strategy is not None and strategy.description:
        parts.append(f"<p>{esc(strategy.description)}</p>")
    parts.append(
        f"<p>Status <b>{esc(result.status)}</b> · {esc(len(result.selected))} influencers · "
        f"spend {esc(fmt(_kpi(result, 'spend'), 'money', currency))}</p>"
    )
    if result.diagnosis:
        items = "".join(f"<li>{esc(line)}</li>" for line in result.diagnosis)
        parts.append(f'<ul class="bad">{items}</ul>')
    if result.solved and simulation is not None:
        parts.append(simulation_table(simulation, _targets(prepared, result)))
    if result.solved and with_charts:
        parts.append(overlap_chart(result, prepared, tiers, f"chart-overlap-{index}"))
    if result.solved:
        parts.append(picks_table(result, currency))
    return (
        f'<section class="strategy" id="{slug(name, index)}" data-strategy="{esc(name)}">'
        f"{''.join(parts)}</section>"
    )


def header(results: Sequence[Result], prepared: Prepared, title: str | None) -> str:
    """Title and the facts of the brief."""
    scenario = prepared.scenario
    heading = title or f"{scenario.name}: strategy comparison"
    budget = fmt(scenario.budget, "money", scenario.currency) if scenario.budget else "—"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts = (
        f"Scenario <b>{esc(scenario.name)}</b> · budget {esc(budget)} · roster "
        f"{esc(f'{len(prepared.roster):,}')} influencers · overlap {esc(prepared.overlap.method)} "
        f"({esc(f'{prepared.overlap.edge_count:,}')} pairs) · {esc(len(results))} strategies · "
        f"made by inflopt, {esc(stamp)}"
    )
    return f'<header><h1>{esc(heading)}</h1><p class="meta">{facts}</p></header>'


def render_html(
    results: list[Result],
    prepared: Prepared,
    simulations: dict[str, Simulation] | None = None,
    title: str | None = None,
) -> str:
    """The whole report as one HTML document (UTF-8 text, no external resources).

    ``simulations`` maps a strategy label (``result.strategy``, or ``"base"``) to its Monte
    Carlo; strategies without one simply show no bands.
    """
    scenario = prepared.scenario
    tiers = [name for name, _ in scenario.tier_bounds()]
    targets = [_targets(prepared, r) for r in results]
    with_charts = charts.available()
    if with_charts:
        overview = overview_charts(results, tiers, scenario.currency, simulations)
    else:
        overview = (
            '<p class="note">Charts need matplotlib: <code>pip install '
            "'inflopt[charts]'</code>.</p>"
        )
    sections = "".join(
        strategy_section(k, r, prepared, tiers, (simulations or {}).get(label_of(r)), with_charts)
        for k, r in enumerate(results)
    )
    heading = title or f"{scenario.name}: strategy comparison"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(heading)}</title><style>{CSS}</style></head><body>"
        f"{header(results, prepared, title)}"
        "<h2>Comparison</h2>"
        f"{comparison_table(results, tiers, scenario.currency, simulations, targets)}"
        f"<h2>Charts</h2>{overview}"
        f"<h2>Strategies</h2>{sections}"
        "</body></html>\n"
    )


def write_html(path: Path, html_text: str, force: bool = False) -> None:
    """Write the report atomically (UTF-8); refuses to overwrite unless ``force``."""
    atomic_write(Path(path), lambda tmp: tmp.write_text(html_text, encoding="utf-8"), force)
