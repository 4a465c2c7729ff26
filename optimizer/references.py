"""Cross-checks between a scenario and its roster: ids, groups and columns the scenario names."""

from __future__ import annotations

import pandas as pd

from .errors import InputError, Problem, did_you_mean
from .roster import Roster
from .scenario import Scenario


def check_references(scenario: Scenario, roster: Roster) -> None:
    """Raise InputError listing every id, tier, group or column named but missing from the data."""
    problems: list[Problem] = []
    ids = roster.ids
    known_ids = set(ids)
    tier_names = list(scenario.tiers)
    frame = roster.frame
    platforms = sorted({str(v).strip().lower() for v in frame["platform"].tolist()})
    for prefix, rules in scenario.rule_sets():
        for key in ("include", "exclude"):
            for ident in getattr(rules, key) or []:
                if ident not in known_ids:
                    problems.append(
                        Problem(
                            scenario.source,
                            f"{prefix}.{key}",
                            f"id {ident!r} is not in the roster" + did_you_mean(ident, ids),
                        )
                    )
        for tier in rules.tiers or []:
            if tier not in tier_names:
                problems.append(
                    Problem(
                        scenario.source,
                        f"{prefix}.tiers",
                        f"unknown tier {tier!r}" + did_you_mean(tier, tier_names),
                    )
                )
        # an allow-list may name platforms this roster lacks (one list for many clients), but
        # not a typo of one it has, and not only absent ones (that would allow no one)
        listed = rules.platforms or []
        none_present = bool(listed) and not any(p.lower() in platforms for p in listed)
        for platform in listed:
            hint = did_you_mean(platform.lower(), platforms)
            if platform.lower() not in platforms and (hint or none_present):
                problems.append(
                    Problem(
                        scenario.source,
                        f"{prefix}.platforms",
                        f"no roster row has platform = {platform!r}{hint}",
                    )
                )
        for column, groups in (rules.mix or {}).items():
            if column not in frame.columns:
                continue  # reported by the roster loader
            if pd.api.types.is_float_dtype(frame[column]) and column not in ("tier",):
                problems.append(
                    Problem(
                        scenario.source,
                        f"{prefix}.mix.{column}",
                        "is a numeric column; mix rules need a categorical one "
                        "(use resources for sums of numbers)",
                    )
                )
                continue
            present = sorted({str(v).strip().lower() for v in frame[column].tolist()})
            if column == "tier":
                present = sorted(set(present) | {t.lower() for t in tier_names})
            for group in groups:
                if group.lower() not in present:
                    problems.append(
                        Problem(
                            scenario.source,
                            f"{prefix}.mix.{column}.{group}",
                            f"no roster row has {column} = {group!r}"
                            + did_you_mean(group.lower(), present),
                        )
                    )
        for column in rules.resources or {}:
            if column in frame.columns and frame[column].isna().any():
                rows = [str(p + 2) for p in frame.index[frame[column].isna()][:10]]
                problems.append(
                    Problem(
                        roster.source,
                        f"rows {', '.join(rows)}, column {column}",
                        f"is missing, but {prefix}.resources.{column} sums it",
                    )
                )
    card = scenario.rate_card
    if card is not None and bool(frame["cost_estimated"].any()):
        # a card may price platforms this roster lacks (one card, many clients); a name close
        # to one it has is a typo that would leave those rows at the card's "other" price
        for key in ("tiers", "per_1000_followers"):
            for platform in getattr(card, key):
                hint = did_you_mean(platform.lower(), platforms)
                if platform.lower() not in (*platforms, "other") and hint:
                    problems.append(
                        Problem(
                            scenario.source,
                            f"rate_card.{key}.{platform}",
                            f"no roster row has platform = {platform!r}{hint}",
                        )
                    )
    if problems:
        raise InputError(problems)
