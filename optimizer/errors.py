"""Exceptions of inflopt: one type for user mistakes, one for broken solutions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def did_you_mean(word: str, choices: Sequence[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Attributes:
        source: the file (or "scenario", "cli") the problem is in.
        where: the row, column or key, e.g. ``row 7, column cost`` or ``constraints.mix``.
        message: what is wrong, in words a strategist understands.
    """

    source: str
    where: str
    message: str

    def __str__(self) -> str:
        location = f"{self.source}: {self.where}" if self.where else self.source
        return f"{location}: {self.message}"


class InfloptError(Exception):
    """Base class of every error inflopt raises on purpose."""


class InputError(InfloptError):
    """Bad user input: scenario, roster, overlap file or option. Exit code 2.

    Carries every problem found, so a user can fix them all in one pass.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, source: str, where: str, message: str) -> InputError:
        """An error with exactly one problem."""
        return cls([Problem(source, where, message)])


class VerificationError(InfloptError):
    """A solver answer failed the independent re-check; it is never reported as a portfolio."""

    def __init__(self, violations: Iterable[str]) -> None:
        self.violations: list[str] = list(violations)
        super().__init__(
            "solver answer failed the independent re-check: " + "; ".join(self.violations)
        )


class SolverError(InfloptError):
    """The requested solver is not available or failed to run."""
