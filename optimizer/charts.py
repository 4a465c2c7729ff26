"""Charts for the HTML report, drawn with matplotlib (optional extra ``charts``) as inline SVG.

matplotlib is imported lazily and only through its object API (``Figure``), so no pyplot
backend or global state is touched; text is drawn as glyph outlines (``svg.fonttype=path``), so
no font or external file is needed and no string from the data ever appears as SVG text.
Element ids are prefixed per chart, so several SVGs can live in one HTML page.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TIER_COLORS: tuple[str, ...] = (
    "#9ecae1",  # light blue: smallest tier
    "#3182bd",
    "#fd8d3c",
    "#d94801",
    "#756bb1",
    "#31a354",
)
STRATEGY_COLOR = "#3182bd"
BAND_COLOR = "#252525"
_RC = {"svg.fonttype": "path", "svg.hashsalt": "inflopt", "font.size": 9}


def available() -> bool:
    """True when matplotlib can be imported (``pip install 'inflopt[charts]'``)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def tier_color(position: int) -> str:
    """Colour of the tier at ``position`` in ascending tier order."""
    return TIER_COLORS[position % len(TIER_COLORS)]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def to_svg(fig: Figure, prefix: str) -> str:
    """The figure as an ``<svg>`` element for inline HTML: no XML prologue, no namespaces
    declarations (HTML parsing puts ``<svg>`` in the SVG namespace), ids prefixed by ``prefix``.
    """
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    return re.sub(r"<svg ", '<svg role="img" ', text, count=1).strip()


def stacked_tier_bars(
    strategies: Sequence[str],
    tiers: Sequence[str],
    values: Mapping[str, Sequence[float]],
    ylabel: str,
    title: str,
    prefix: str,
) -> str:
    """Stacked bars, one per strategy, one segment per tier (``values[tier][k]``)."""
    import matplotlib
    from matplotlib import ticker

    with matplotlib.rc_context(_RC):
        fig = _figure(5.6, 3.2)
        ax = fig.add_subplot()
        bottom = [0.0] * len(strategies)
        for position, tier in enumerate(tiers):
            heights = [float(v) for v in values[tier]]
            ax.bar(strategies, heights, bottom=bottom, label=tier, color=tier_color(position))
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.spines[["top", "right"]].set_visible(False)
        ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
        ax.legend(title="tier", frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
        return to_svg(fig, prefix)


def kpi_bars(
    strategies: Sequence[str],
    kpis: Mapping[str, Sequence[float | None]],
    bands: Mapping[str, Sequence[tuple[float, float] | None]],
    prefix: str,
) -> str:
    """One small bar chart per KPI (own scale), strategies side by side.

    ``bands[kpi][k]`` = (P10, P90) draws a whisker on strategy k's bar when given.
    """
    import matplotlib
    from matplotlib import ticker

    with matplotlib.rc_context(_RC):
        columns = len(kpis)
        fig = _figure(max(3.0, 2.6 * columns), 3.0)
        axes = fig.subplots(1, columns, squeeze=False)[0]
        for ax, (kpi, heights) in zip(axes, kpis.items(), strict=True):
            values = [0.0 if h is None else float(h) for h in heights]
            ax.bar(strategies, values, color=STRATEGY_COLOR)
            _whiskers(ax, values, bands.get(kpi, []))
            ax.set_title(kpi)
            ax.tick_params(axis="x", labelrotation=30)
            ax.spines[["top", "right"]].set_visible(False)
            ax.yaxis.set_major_formatter(ticker.EngFormatter(sep=""))
        return to_svg(fig, prefix)


def _whiskers(
    ax: Any, values: Sequence[float], bands: Sequence[tuple[float, float] | None]
) -> None:
    for k, band in enumerate(bands):
        if band is None:
            continue
        low, high = band
        ax.errorbar(
            [k],
            [values[k]],
            yerr=[[max(values[k] - low, 0.0)], [max(high - values[k], 0.0)]],
            color=BAND_COLOR,
            capsize=4,
            linewidth=1,
        )


def overlap_graph(
    graph: nx.Graph,
    labels: Mapping[int, str],
    tier_of: Mapping[int, int],
    size_of: Mapping[int, float],
    title: str,
    prefix: str,
    tiers: Sequence[str] = (),
) -> str:
    """The overlap graph of a picked set: node colour = tier, area ∝ followers, edge width ∝ share.

    ``labels``, ``tier_of`` (tier position) and ``size_of`` (followers) are keyed by node.
    """
    import matplotlib
    from matplotlib.lines import Line2D

    with matplotlib.rc_context(_RC):
        fig = _figure(5.6, 4.2)
        ax = fig.add_subplot()
        ax.set_title(title)
        ax.set_axis_off()
        nodes = list(graph.nodes)
        if not nodes:
            ax.text(0.5, 0.5, "no picks", ha="center", va="center", transform=ax.transAxes)
            return to_svg(fig, prefix)
        layout = nx.spring_layout(graph, seed=7, k=1.5 / math.sqrt(len(nodes)))
        biggest = max(max(size_of.get(n, 1.0) for n in nodes), 1.0)
        for i, j, data in graph.edges(data=True):
            (x0, y0), (x1, y1) = layout[i], layout[j]
            share = float(data.get("share", 0.0))
            ax.plot(
                [x0, x1],
                [y0, y1],
                color="#636363",
                alpha=0.35 + 0.5 * share,
                linewidth=0.5 + 6 * share,
                zorder=1,
            )
        ax.scatter(
            [layout[n][0] for n in nodes],
            [layout[n][1] for n in nodes],
            s=[40 + 460 * math.sqrt(size_of.get(n, 0.0) / biggest) for n in nodes],
            c=[tier_color(tier_of.get(n, 0)) for n in nodes],
            edgecolors="white",
            linewidths=0.8,
            zorder=2,
        )
        if len(nodes) <= 60:
            for n in nodes:
                x, y = layout[n]
                ax.annotate(
                    labels.get(n, str(n)),
                    (x, y),
                    fontsize=6,
                    ha="center",
                    va="bottom",
                    xytext=(0, 6),
                    textcoords="offset points",
                    zorder=3,
                )
        used = sorted({tier_of.get(n, 0) for n in nodes})
        handles = [
            Line2D([], [], marker="o", linestyle="", color=tier_color(t), label=tiers[t])
            for t in used
            if t < len(tiers)
        ]
        if handles:
            ax.legend(handles=handles, frameon=False, fontsize=7, loc="lower right")
        ax.margins(0.12)
        return to_svg(fig, prefix)
