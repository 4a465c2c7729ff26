"""Read and validate a scenario's data once: roster, overlap graph, audience files.

Kept apart from :mod:`optimizer.engine` so that checking files (``inflopt validate``) loads no
solver stack (PuLP, HiGHS, SciPy).
"""

from __future__ import annotations

from dataclasses import dataclass

from .overlap import OverlapGraph, build_overlap
from .reach import load_reach
from .references import check_references
from .roster import Roster, columns_needed, load_roster
from .scenario import Scenario


@dataclass
class Prepared:
    """A scenario with its validated roster and overlap graph, ready to solve many times."""

    scenario: Scenario
    roster: Roster
    overlap: OverlapGraph


def prepare(scenario: Scenario) -> Prepared:
    """Load and validate the roster and overlap data of ``scenario`` (raises InputError)."""
    roster = load_roster(scenario)
    check_references(scenario, roster)
    overlap = build_overlap(scenario, roster)
    load_reach(scenario, roster)  # check audience data up front (kept in memory for the solve)
    return Prepared(scenario, roster, overlap)


def data_differences(read_for: Scenario, scenario: Scenario) -> list[str]:
    """What keeps data read for ``read_for`` from serving ``scenario``: the sections that
    say what is read and how (roster, overlap, rate_card, reach, tiers, the folder paths are
    read from), and roster columns ``scenario``'s rules name that were not checked for
    ``read_for``. Empty when the data serve."""
    sections = ("roster", "overlap", "rate_card", "reach", "tiers")
    differ = [name for name in sections if getattr(read_for, name) != getattr(scenario, name)]
    if read_for.base_dir != scenario.base_dir:
        differ.append("folder")
    unchecked = sorted(set(columns_needed(scenario)) - set(columns_needed(read_for)))
    if unchecked:
        differ.append("rule columns (" + ", ".join(unchecked) + ")")
    return differ
