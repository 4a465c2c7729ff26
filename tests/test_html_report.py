"""The HTML report: self-contained, escaped, and complete when a real browser renders it.

The browser test opens the report in headless Chromium (Debian package ``chromium``) and reads
the DOM it built. A roster handle, the scenario name and a strategy description carry script
injections; each would set ``window.__pwned`` if it ran, and a probe script appended by the
test writes that variable into the DOM after the page has been parsed.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml

from optimizer import load_scenario
from optimizer.engine import Prepared, compare, prepare
from optimizer.errors import InputError
from optimizer.generate import write_sample
from optimizer.html_report import render_html, write_html
from optimizer.result import Result
from optimizer.uncertainty import Simulation, simulate

EVIL_HANDLE = "<script>window.__pwned=1</script>"
EVIL_NAME = "Launch <img src=x onerror=window.__pwned=2>"
EVIL_DESCRIPTION = "<script>window.__pwned=3</script> & friends"
STRATEGIES = ("micro-only", "macro-only", "hybrid")
PROBE = (
    "<script>document.body.setAttribute('data-pwned', "
    "window.__pwned === undefined ? 'no' : String(window.__pwned));</script>"
)
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Report:
    results: list[Result]
    prepared: Prepared
    simulations: dict[str, Simulation]
    html: str
    evil_id: str


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("report")
    roster_path, _ = write_sample(folder / "data", n=80, seed=11)
    roster = pd.read_csv(roster_path, dtype=str, keep_default_na=False)
    roster.loc[3, "handle"] = EVIL_HANDLE
    roster.to_csv(roster_path, index=False)
    evil_id = str(roster.loc[3, "id"])
    scenario = {
        "name": EVIL_NAME,
        "roster": "data/roster.csv",
        "overlap": "data/overlap.csv",
        "budget": 20_000,
        "objective": {"reach": 0.01, "engagement": 0.1, "conversions": 25},
        "constraints": {
            "max_influencers": 12,
            "max_pair_overlap": 0.3,
            "targets": {"engagement": 1_000},
        },
        "strategies": {
            "micro-only": {"tiers": ["nano", "micro"]},
            "macro-only": {"tiers": ["macro", "mega"]},
            "hybrid": {"description": EVIL_DESCRIPTION, "include": [evil_id]},
        },
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    loaded = load_scenario(path)
    prepared = prepare(loaded)
    results = compare(loaded, prepared=prepared)
    simulations = {
        str(r.strategy): simulate(
            prepared.roster, [prepared.roster.index_of[i] for i in r.selected], draws=2_000
        )
        for r in results
        if r.solved
    }
    html_text = render_html(results, prepared, simulations)
    return Report(results, prepared, simulations, html_text, evil_id)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None
    children: list[Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if child.tag == tag and all(child.attrs.get(k) == v for k, v in attrs.items()):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found


class Tree(HTMLParser):
    """A minimal DOM from serialized HTML (enough to find tables, figures, scripts, text)."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr"})

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.text.append(data)


def check_document(root: Node, report: Report, scripts_allowed: int) -> None:
    """What a reader must see: tables per strategy, every chart, escaped injections."""
    (comparison,) = root.find_all("table", id="comparison")
    header = [th.all_text().strip() for th in comparison.find_all("th", scope="col")]
    assert header == list(STRATEGIES)
    kpis = {tr.attrs.get("data-kpi") for tr in comparison.find_all("tr")}
    assert {"spend", "reach", "engagement", "conversions", "cpm", "roi", "gap"} <= kpis
    assert {"engagement_p10", "conversions_p90", "engagement_chance"} <= kpis
    assert comparison.find_all("td", **{"class": "win"}), "no winner marked"

    for name, result in zip(STRATEGIES, report.results, strict=True):
        assert result.solved, result.diagnosis
        (section,) = root.find_all("section", **{"data-strategy": name})
        (picks,) = section.find_all("table", **{"data-strategy": name})
        rows = picks.find_all("tbody")[0].find_all("tr")
        assert len(rows) == len(result.selected) > 0
        shown_ids = {tr.find_all("td")[0].all_text() for tr in rows}
        assert shown_ids == set(result.selected)
        assert section.find_all("table", **{"class": "simulation"})

    charts = {f.attrs["data-chart"]: f for f in root.find_all("figure", **{"class": "chart"})}
    expected = {"spend-by-tier", "picks-by-tier", "kpi-bars"} | {f"overlap-{s}" for s in STRATEGIES}
    assert set(charts) == expected
    for name, figure in charts.items():
        (svg,) = figure.find_all("svg")
        assert len(svg.find_all("path")) > 5, f"chart {name} is empty"

    hybrid_picks = root.find_all("table", **{"data-strategy": "hybrid"})[0]
    cells = [td.all_text() for td in hybrid_picks.find_all("td")]
    assert EVIL_HANDLE in cells  # shown, as text, in the picked roster
    assert EVIL_NAME in root.all_text()
    assert EVIL_DESCRIPTION in root.all_text()
    assert len(root.find_all("script")) == scripts_allowed
    assert not root.find_all("img")


def test_report_is_self_contained_and_escaped(report: Report) -> None:
    html_text = report.html
    assert EVIL_HANDLE not in html_text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html_text
    assert "<img" not in html_text and "<script" not in html_text
    assert "http://" not in html_text and "https://" not in html_text
    assert "<link" not in html_text and "@import" not in html_text
    check_document(Tree(html_text).root, report, scripts_allowed=0)


def test_write_html_is_atomic_and_refuses_to_overwrite(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    write_html(target, report.html)
    assert target.read_text(encoding="utf-8") == report.html
    with pytest.raises(InputError, match="exists"):
        write_html(target, "<p>other</p>")
    write_html(target, "<p>other</p>", force=True)
    assert target.read_text(encoding="utf-8") == "<p>other</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def chromium_dom(page: Path, tmp_path: Path) -> str:
    """The DOM headless Chromium builds from ``page``, serialized after load."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium not installed: apt-get update && apt-get install -y chromium",
)
def test_report_renders_in_headless_chromium(report: Report, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert report.html.count("</body>") == 1
    write_html(page, report.html.replace("</body>", PROBE + "</body>"))
    dom = chromium_dom(page, tmp_path)
    root = Tree(dom).root
    (body,) = root.find_all("body")
    assert body.attrs.get("data-pwned") == "no", "an injected script ran"
    check_document(root, report, scripts_allowed=1)  # only the test's probe


def test_probe_detects_a_script_that_runs(tmp_path: Path) -> None:
    """The browser check can fail: an unescaped script does set data-pwned."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not installed: apt-get install -y chromium")
    page = tmp_path / "bad.html"
    page.write_text(f"<!DOCTYPE html><html><body>{EVIL_HANDLE}{PROBE}</body></html>")
    (body,) = Tree(chromium_dom(page, tmp_path)).root.find_all("body")
    assert body.attrs.get("data-pwned") == "1"


def test_unsolved_strategy_is_reported_without_picks(report: Report) -> None:
    result = report.results[0]
    broken = Result(
        scenario=result.scenario,
        strategy="impossible",
        status=result.status.__class__("infeasible"),
        goal=result.goal,
        diagnosis=["tier macro min_count 3 needs at least 45,000 but <budget> is 20,000"],
    )
    html_text = render_html([result, broken], report.prepared)
    root = Tree(html_text).root
    (section,) = root.find_all("section", **{"data-strategy": "impossible"})
    assert not section.find_all("table")
    assert "<budget> is 20,000" in section.all_text()
    assert "&lt;budget&gt;" in html_text
    (comparison,) = root.find_all("table", id="comparison")
    status_row = [tr for tr in comparison.find_all("tr") if tr.attrs.get("data-kpi") == "status"]
    assert [td.all_text() for td in status_row[0].find_all("td")] == ["optimal", "infeasible"]


def test_without_matplotlib_the_tables_remain(report: Report, monkeypatch) -> None:
    import optimizer.html_report as module

    monkeypatch.setattr(module.charts, "available", lambda: False)
    html_text = render_html(report.results, report.prepared, report.simulations)
    assert "<svg" not in html_text
    assert "inflopt[charts]" in html_text
    root = Tree(html_text).root
    assert len(root.find_all("table", **{"class": "picks"})) == len(STRATEGIES)


def _worst_case_rows(html_text: str) -> list[Node]:
    return [
        r
        for r in Tree(html_text).root.find_all("tr")
        if r.attrs.get("data-kpi") == "worst_case_value"
    ]


def test_a_robust_strategy_shows_its_worst_case_beside_the_value(tmp_path: Path) -> None:
    """The terminal table has the robust worst case; the HTML comparison has it too, under
    Value, with "—" for strategies that are not robust."""
    from test_compare_explain import _scenario

    robust_settings = {"robust": {"gamma": 2, "cv": 0.4}}
    loaded = _scenario(tmp_path, {"strategies": {"nominal": {}, "robust": robust_settings}})
    prepared = prepare(loaded)
    results = compare(loaded, prepared=prepared)
    robust = next(r for r in results if r.strategy == "robust")
    rows = _worst_case_rows(render_html(results, prepared, None))
    assert len(rows) == 1
    cells = [cell.all_text().replace(" ★", "").strip() for cell in rows[0].find_all("td")]
    worst = f"{robust.robust['worst_case_value']:,.0f}"
    assert cells == ["—", f"USD {worst}"]
    nominal_only = [r for r in results if r.strategy == "nominal"]
    assert not _worst_case_rows(render_html(nominal_only, prepared, None))
