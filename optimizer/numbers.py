"""Read numbers the way social-media exports write them: ``12.5k``, ``1.2M``, ``3.1%``, ``$450``,
``2.28E+11`` (spreadsheets' scientific notation)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9}
_NUMBER = re.compile(
    r"""^\s*
    (?P<sign>[-+])?\s*
    (?P<currency>[$€£¥])?\s*
    (?P<digits>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)
    (?P<exponent>e[-+]?\d+)?
    \s*(?P<suffix>k|m|bn|b)?
    \s*(?P<percent>%)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
MISSING_TEXT = {"", "nan", "n/a", "na", "none", "null", "-", "—"}
# A plain decimal, maybe padded: ``float()`` reads it exactly as :func:`parse_number` does.
# ASCII only, so Python's ``re`` and pyarrow's RE2 (``str`` columns) agree on it.
_PLAIN_DECIMAL = r"[ \t]*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t]*"


class NumberFormatError(ValueError):
    """Raised for text that is not a number in any accepted export format."""


def parse_number(value: object) -> float:
    """One cell as a float: ``'12.5k'`` → 12500, ``'3.1%'`` → 0.031, ``'$1,200'`` → 1200.

    Missing cells (empty, ``nan``, ``N/A``) become NaN; anything else unreadable raises
    :class:`NumberFormatError`. Percent signs divide by 100, so rates come out as fractions.
    """
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise NumberFormatError(f"{value!r} is not a number")
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    text = str(value).strip()
    lowered = text.lower()
    if lowered.endswith("%") and len(lowered) > 1:  # "NaN%" is a missing rate
        lowered = lowered[:-1].strip()
    if lowered in MISSING_TEXT and lowered != "%":
        return math.nan
    match = _NUMBER.match(text)
    if match is None:
        raise NumberFormatError(f"{text!r} is not a number")
    number = float(match["digits"].replace(",", "") + (match["exponent"] or ""))
    if match["exponent"] and match["suffix"]:  # "2e3k": one way of scaling, not two
        raise NumberFormatError(f"{text!r} is not a number")
    if not math.isfinite(number):  # "1e400": beyond any float
        raise NumberFormatError(f"{text!r} is not a number")
    number *= _SUFFIX[(match["suffix"] or "").lower()]
    if match["percent"]:
        number /= 100.0
    if match["sign"] == "-":
        number = -number
    return number


def parse_column(values: pd.Series) -> tuple[pd.Series, dict[int, str]]:
    """Parse a whole column; returns the floats and ``{position: bad text}`` for unreadable cells.

    Numeric columns pass straight through; in text columns, plain decimals (``12``, ``-0.5``)
    are converted in bulk and only the other cells are parsed one by one.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float), {}
    parsed = np.full(len(values), math.nan)
    plain, blank = _plain_decimals(values)
    if plain.any():
        parsed[plain] = values[plain].to_numpy(dtype=object).astype(float)  # Python's float()
    bad: dict[int, str] = {}
    rest = np.flatnonzero(~(plain | blank))  # blank text stays NaN
    for position, cell in zip(rest.tolist(), values.iloc[rest].tolist(), strict=True):
        try:
            parsed[position] = parse_number(cell)
        except NumberFormatError:
            bad[position] = str(cell)
    return pd.Series(parsed, index=values.index, name=values.name), bad


def _plain_decimals(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the text cells that are plain decimals and of the blank ones (spaces, tabs).

    Both are empty if the ``.str`` accessor refuses the column.
    """
    try:
        plain = values.str.fullmatch(_PLAIN_DECIMAL, na=False)
        blank = values.str.fullmatch(r"[ \t]*", na=False)
    except (AttributeError, TypeError):
        nothing = np.zeros(len(values), dtype=bool)
        return nothing, nothing
    return plain.to_numpy(dtype=bool), blank.to_numpy(dtype=bool)


def parse_amount(value: object) -> float:
    """A scalar setting such as a budget written as ``50k`` or ``$50,000``; NaN is an error,
    and so is a percent (``50%`` of what?)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        raise NumberFormatError(f"{value!r} is a percent; write the amount itself (e.g. 50k)")
    return parse_fraction(value)


def parse_fraction(value: object) -> float:
    """A share or rate setting written as ``0.3`` or ``30%`` (a fraction); NaN is an error."""
    number = parse_number(value)
    if math.isnan(number):
        raise NumberFormatError(f"{value!r} is not a number")
    return number
