"""Tables of many results (sweeps, batches): terminal rendering and atomic file output."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table

from .errors import InputError
from .output import atomic_write, sheet_names, write_workbook

TABLE_FORMATS = (".csv", ".json", ".xlsx")
CHART_FORMATS = {".png": "png", ".svg": "svg"}
STATUS_STYLE = {
    "optimal": "green",
    "feasible": "yellow",
    "infeasible": "red",
    "no_solution": "red",
    "error": "bold red",
}


INTEGER_COLUMNS: tuple[str, ...] = ("count",)


def with_integers(frame: pd.DataFrame, names: Sequence[str] = INTEGER_COLUMNS) -> pd.DataFrame:
    """``frame`` with the columns ``names`` (where present) as nullable integers (``Int64``).

    A missing value would otherwise turn a count column float (``25.0`` in CSV, ``25.00`` on
    the terminal).
    """
    for name in names:
        if name in frame.columns:
            frame[name] = frame[name].astype("Int64")
    return frame


def _cell(value: Any, as_given: bool = False) -> str:
    """A table cell: thousands separators, at most 2 decimals, blanks for missing values.
    ``as_given``: an amount the user chose (a budget), its cents kept even above 100."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float) and as_given and not value.is_integer():
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return str(value)


def frame_table(frame: pd.DataFrame, title: str | None = None) -> Table:
    """A rich table of ``frame``; numbers right-aligned, statuses coloured."""
    table = Table(title=title, title_justify="left")
    for name in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[name]) and frame[name].dtype != bool
        table.add_column(str(name), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for name, value in zip(frame.columns, row, strict=True):
            plain = value.item() if hasattr(value, "item") else value
            text = _cell(plain, as_given="budget" in str(name))
            style = STATUS_STYLE.get(text) if name == "status" else None
            cells.append(f"[{style}]{text}[/{style}]" if style else text)
        table.add_row(*cells)
    return table


def write_tables(
    path: Path,
    sheets: Mapping[str, pd.DataFrame],
    records: Sequence[Mapping[str, Any]],
    force: bool = False,
) -> None:
    """Write by extension: ``.csv`` the first sheet, ``.json`` ``records``, ``.xlsx`` every sheet.

    Atomic; refuses to replace an existing file unless ``force``.
    """
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise InputError.single(str(path), "", "output must end in .csv, .json or .xlsx")
    if suffix == ".csv":
        first = next(iter(sheets.values()))
        atomic_write(path, lambda tmp: first.to_csv(tmp, index=False), force)
    elif suffix == ".json":
        text = json.dumps(list(records), indent=2, default=str) + "\n"
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force)
    else:

        def write_xlsx(tmp: Path) -> None:
            names = sheet_names(sheets, taken=())
            write_workbook(tmp, list(zip(names, sheets.values(), strict=True)))

        atomic_write(path, write_xlsx, force)


def write_chart(path: Path, draw: Callable[[Path, str], None], force: bool = False) -> None:
    """Write a chart atomically; ``draw(tmp, fmt)`` renders into ``tmp`` as ``png`` or ``svg``."""
    fmt = CHART_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError.single(str(path), "", "a chart must end in .png or .svg")
    atomic_write(path, lambda tmp: draw(tmp, fmt), force)


def check_new(path: Path | None, force: bool, suffixes: Sequence[str] = TABLE_FORMATS) -> None:
    """Before any solving: refuse a ``path`` with a wrong suffix, no folder, or that exists."""
    if path is None:
        return
    if path.suffix.lower() not in suffixes:
        allowed = (
            ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1 else suffixes[0]
        )
        raise InputError.single(str(path), "", f"must end in {allowed}")
    if path.exists() and not force:
        raise InputError.single(str(path), "", "file exists; pass --force to overwrite it")
    check_parent(path)


def check_parent(path: Path) -> None:
    """Refuse a ``path`` (file or folder) that does not exist in a folder that does not either."""
    if not path.exists() and not path.parent.exists():
        raise InputError.single(str(path), "", f"folder {path.parent} does not exist")
