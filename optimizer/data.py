"""Read and validate a scenario's data once: roster, overlap graph, audience files.

Kept apart from :mod:`optimizer.engine` so that checking files (``inflopt validate``) loads no
solver stack (PuLP, HiGHS, SciPy).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .overlap import OverlapGraph, build_overlap
from .reach import load_reach
from .references import check_references
from .roster import Roster, columns_needed, load_roster, roster_from_frame
from .scenario import Scenario, checked_scenario


@dataclass
class Prepared:
    """A scenario with its validated roster and overlap graph, ready to solve many times."""

    scenario: Scenario
    roster: Roster
    overlap: OverlapGraph


def prepare(scenario: Scenario, roster: pd.DataFrame | None = None) -> Prepared:
    """Load and validate the roster and overlap data of ``scenario`` (raises InputError);
    the :class:`Prepared` holds a validated copy of the scenario, as it was then.

    ``roster``: a pandas DataFrame to use in place of the roster file or database the
    scenario names, checked as a file would be (:func:`optimizer.roster.roster_from_frame`).
    """
    return prepare_checked(checked_scenario(scenario, "prepare"), roster)


def prepare_checked(scenario: Scenario, roster: pd.DataFrame | None = None) -> Prepared:
    """:func:`prepare` for a scenario :func:`checked_scenario` has just validated (a snapshot:
    later changes to the caller's are seen), without validating it again."""
    table = load_roster(scenario) if roster is None else roster_from_frame(scenario, roster)
    check_references(scenario, table)
    overlap = build_overlap(scenario, table)
    load_reach(scenario, table)  # check audience data up front (kept in memory for the solve)
    return Prepared(scenario, table, overlap)


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
