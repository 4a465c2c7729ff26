"""Write results to CSV / JSON / XLSX files, atomically, never over a file unless asked."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import InputError
from .result import Result

if TYPE_CHECKING:
    from openpyxl import Workbook

FORMATS: dict[str, str] = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}
SUMMARY_SHEET = "summary"
SHEET_NAME_MAX = 31  # Excel's limit, in UTF-16 code units (an emoji counts two)
_NOT_IN_SHEET_NAMES = re.compile(r"[\\/\[\]:*?\x00-\x1f]")  # Excel's forbidden characters
_NOT_IN_WORKBOOKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML cannot hold


def atomic_write(path: Path, write: Callable[[Path], None], force: bool = False) -> None:
    """Run ``write(tmp)`` into a temporary file beside ``path``, then rename it into place.

    Refuses to replace an existing file unless ``force``; a failed write leaves no trace.
    """
    if path.exists() and not force:
        raise InputError.single(str(path), "", "file exists; pass --force to overwrite it")
    if not path.parent.exists():
        raise InputError.single(str(path), "", f"folder {path.parent} does not exist")
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _clip(text: str, units: int) -> str:
    """The longest start of ``text`` within ``units`` UTF-16 code units, as Excel counts."""
    used = 0
    for position, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:position]
    return text


def sheet_name(name: str) -> str:
    """``name`` made a valid Excel sheet name: ``\\ / [ ] : * ?`` and control characters become
    ``_``, at most 31 characters, no apostrophe first or last, ``portfolio`` if empty."""
    title = _clip(_NOT_IN_SHEET_NAMES.sub("_", name), SHEET_NAME_MAX)
    if title.startswith("'"):
        title = "_" + title[1:]
    if title.endswith("'"):
        title = title[:-1] + "_"
    return title or "portfolio"


def sheet_names(names: Iterable[str], taken: Iterable[str] = (SUMMARY_SHEET,)) -> list[str]:
    """A valid sheet name for each of ``names``, all distinct and none in ``taken``, ignoring
    case as Excel does: a name already used gets ``-2``, ``-3``, … (cut to fit 31 characters).
    ``History`` is taken too: Excel reserves it."""
    used = {name.casefold() for name in (*taken, "History")}
    result = []
    for name in names:
        base = sheet_name(name)
        title, number = base, 1
        while title.casefold() in used:
            number += 1
            suffix = f"-{number}"
            title = _clip(base, SHEET_NAME_MAX - len(suffix)) + suffix
        used.add(title.casefold())
        result.append(title)
    return result


def picks_table(result: Result) -> pd.DataFrame:
    """The picked influencers of one result, one row each, with the strategy named."""
    table = result.picks.copy()
    table.insert(0, "strategy", result.strategy or "base")
    return table


def summary_table(results: Sequence[Result], sheets: Sequence[str]) -> pd.DataFrame:
    """One row per result: the sheet of its picks, status, objective, gap, every KPI and the
    diagnosis (its lines joined by newlines, as the terminal prints them; empty if none)."""
    rows = []
    for result, sheet in zip(results, sheets, strict=True):
        row = {
            "scenario": result.scenario,
            "strategy": result.strategy or "base",
            "sheet": sheet,
            "status": str(result.status),
            "objective": result.objective,
            "bound": result.bound,
            "gap": result.gap,
        }
        row.update(result.kpis)
        row["solve_seconds"] = round(result.solve_seconds, 4)
        row["diagnosis"] = "\n".join(result.diagnosis)
        rows.append(row)
    frame = pd.DataFrame(rows)
    last = ["solve_seconds", "diagnosis"]  # after every KPI, even if the first result has none
    return frame.reindex(columns=[c for c in frame.columns if c not in last] + last)


def write_workbook(tmp: Path, sheets: Sequence[tuple[str, pd.DataFrame]]) -> None:
    """Write ``(sheet name, table)`` pairs as an .xlsx file at ``tmp``. Text is stored as text
    (never a formula); the control characters a workbook cannot hold become ``\ufffd``.
    ``sheets`` names must be valid and distinct (:func:`sheet_names`)."""
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, frame in sheets:
            _workbook_safe(frame).to_excel(writer, sheet_name=name, index=False)
        _store_text_as_text(writer.book)


def _workbook_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the control characters of its text cells and headers replaced."""

    def clean(value: object) -> object:
        return _NOT_IN_WORKBOOKS.sub("\ufffd", value) if isinstance(value, str) else value

    safe = frame.map(clean)
    safe.columns = [clean(c) for c in frame.columns]
    return safe


def _store_text_as_text(book: Workbook) -> None:
    """Mark every text cell of ``book`` a string: openpyxl would store ``=…`` as a live formula
    (spreadsheet injection from roster text or a strategy name) and ``#N/A`` as an error."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"


def write_results(
    results: Sequence[Result], path: Path, force: bool = False, many: bool | None = None
) -> None:
    """Write results by file extension: .json (contract), .csv (picks), .xlsx (summary + picks)."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError.single(str(path), "", "output must end in .csv, .json or .xlsx")
    if kind == "json":
        payload = [r.to_dict() for r in results]
        as_list = len(payload) != 1 if many is None else many
        document = payload if as_list else payload[0]
        atomic_write(path, lambda tmp: tmp.write_text(json.dumps(document, indent=2) + "\n"), force)
    elif kind == "csv":
        frames = [picks_table(r) for r in results if r.solved]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        atomic_write(path, lambda tmp: table.to_csv(tmp, index=False), force)
    else:

        def write_xlsx(tmp: Path) -> None:
            sheets = sheet_names(r.strategy or "portfolio" for r in results)
            tables = [(SUMMARY_SHEET, summary_table(results, sheets))]
            tables += [(s, picks_table(r)) for r, s in zip(results, sheets, strict=True)]
            write_workbook(tmp, tables)

        atomic_write(path, write_xlsx, force)
