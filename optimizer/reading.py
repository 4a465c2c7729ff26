"""Read tables as real exports write them: any encoding, BOMs, repeated headers, renamed columns.

Headers are kept as the file writes them (whitespace folded); a repeated header gets a
numbered twin (``followers``, ``followers (2)``) so a column mapping can pick either.
"""

from __future__ import annotations

import re
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, Problem, did_you_mean

ENCODINGS_TRIED: tuple[str, ...] = ("utf-8-sig", "cp1252", "latin-1")
HEADER_ROW = 1  # spreadsheet row of the header when no empty row comes before it


@dataclass
class RawTable:
    """A table read from a file, before validation.

    ``rows``: the spreadsheet row (1-based) of each row of ``frame`` where empty rows were
    skipped; ``None`` when the data rows follow the header on row 1 without a gap.
    """

    frame: pd.DataFrame
    encoding: str
    notes: list[str] = field(default_factory=list)
    rows: np.ndarray | None = None


_ROWS: ContextVar[np.ndarray | None] = ContextVar("inflopt_table_rows", default=None)


@contextmanager
def numbered(table: RawTable) -> Iterator[pd.DataFrame]:
    """Check ``table.frame`` in this block: :func:`sheet_row` then counts its file's rows."""
    token = _ROWS.set(table.rows)
    try:
        yield table.frame
    finally:
        _ROWS.reset(token)


def sheet_row(position: int) -> int:
    """Spreadsheet row of the data row at ``position`` (0-based) of the table being checked
    (:func:`numbered`); header on row 1 and no row skipped outside such a block."""
    rows = _ROWS.get()
    return int(rows[position]) if rows is not None else position + HEADER_ROW + 1


def normalize_header(name: object) -> str:
    """``' Engagement Rate '`` → ``engagement_rate``: how headers are matched to our names."""
    text = str(name).strip().lstrip("\ufeff").lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def clean_header(name: object) -> str:
    """A header as shown to users: BOM dropped, whitespace and line breaks folded."""
    return " ".join(str(name).lstrip("\ufeff").split())


def dedupe_headers(headers: list[str]) -> tuple[list[str], list[str]]:
    """Repeated headers numbered ``name (2)``, ``name (3)``…; and a note for each repeat."""
    seen: dict[str, int] = {}
    out, notes = [], []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        if seen[header] == 1:
            out.append(header)
        else:
            twin = f"{header} ({seen[header]})"
            out.append(twin)
            notes.append(
                f"header {header!r} appears more than once; copy {seen[header]} is {twin!r}"
            )
    return out, notes


def _read_csv(path: Path, encoding: str) -> tuple[pd.DataFrame, str, np.ndarray | None]:
    """The cells of a CSV (blank lines skipped), the encoding that read it, and the file row
    of each grid row when blank lines were skipped (else ``None``: grid row k is file row k+1)."""
    options = {"dtype": str, "keep_default_na": False, "header": None, "skipinitialspace": True}
    if path.suffix.lower() == ".tsv":
        options["sep"] = "\t"
    tried = ENCODINGS_TRIED if encoding == "auto" else (encoding,)
    if encoding == "auto":
        with path.open("rb") as handle:
            if handle.read(2) in (b"\xff\xfe", b"\xfe\xff"):  # a UTF-16 byte-order mark
                tried = ("utf-16",)
    for candidate in tried:
        try:
            grid = pd.read_csv(path, encoding=candidate, **options)
        except UnicodeDecodeError:
            if candidate == tried[-1]:
                raise
            continue
        rows = (  # (the byte scan for blank lines cannot read UTF-16: count its rows)
            _record_rows(path, candidate, str(options.get("sep", ",")))
            if candidate == "utf-16" or _has_blank_line(path)
            else None
        )
        return grid, candidate, rows if rows is not None and len(rows) == len(grid) else None
    raise UnicodeDecodeError("auto", b"", 0, 1, "no encoding fits")  # latin-1 always fits


def _has_blank_line(path: Path, chunk: int = 1 << 20) -> bool:
    """Whether the file may hold a blank line (a quick byte scan; may say yes for a line
    break inside a quoted cell, never no for a real blank line)."""
    signs = (b"\n\n", b"\n\r\n", b"\r\r")
    with path.open("rb") as handle:
        tail = b"\n"  # the first line counts as following a line break
        while block := handle.read(chunk):
            window = tail + block
            if window.startswith((b"\n\r", b"\n\n")) or any(s in window for s in signs):
                return True
            tail = block[-2:]
    return False


def data_rows(path: Path, encoding: str = "utf-8-sig", sep: str = ",") -> np.ndarray | None:
    """The file row of every data row of a CSV read by pandas (blank lines skipped, the first
    record the header), or ``None`` when the file has no blank line."""
    return _record_rows(path, encoding, sep)[1:] if _has_blank_line(path) else None


def _record_rows(path: Path, encoding: str, sep: str) -> np.ndarray:
    """The file row (1-based, as a spreadsheet counts) of every record that is not blank."""
    import csv

    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=sep, skipinitialspace=True)
        return np.array([k for k, record in enumerate(reader, 1) if record], dtype=np.int64)


def header_hint(headers: list[str]) -> str:
    """Why a header may lack every expected column: the file is UTF-16 (read as latin-1, its
    text holds NUL characters), or its one column holds another separator. Else empty."""
    text = "".join(str(h) for h in headers)
    if "\x00" in text or text.startswith(("ÿþ", "þÿ")):
        return "; the file looks like UTF-16: save it as UTF-8, or set its encoding: utf-16"
    if len(headers) == 1:
        for mark, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if mark in text:
                return (
                    f"; the header is one column {text[:40]!r}: the file seems separated by "
                    f"{name}: save it as CSV with commas"
                    + (" (or as .tsv)" if mark == "\t" else "")
                )
    return ""


def _read_errors() -> tuple[type[BaseException], ...]:
    """What a broken table file raises (openpyxl's own error only once openpyxl is loaded)."""
    errors = (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, zipfile.BadZipFile)
    excel = sys.modules.get("openpyxl.utils.exceptions")
    return errors if excel is None else (*errors, excel.InvalidFileException)


def read_table(path: Path, encoding: str = "auto", sheet: str | int | None = None) -> RawTable:
    """The raw table of a CSV, Parquet or Excel file; text cells kept as text."""
    source = str(path)
    if not path.exists():
        raise InputError.single(source, "", "file not found")
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in {".xlsx", ".xlsm"}:
        raise InputError.single(
            source, "sheet", f"only Excel files (.xlsx, .xlsm) have sheets; this one is {suffix}"
        )
    try:
        if suffix in {".csv", ".txt", ".tsv"}:
            grid, used, lines = _read_csv(path, encoding)
        elif suffix in {".xlsx", ".xlsm"}:
            grid = pd.read_excel(path, engine="openpyxl", header=None, sheet_name=sheet or 0)
            used, lines = "xlsx", None
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            frame.columns = [clean_header(c) for c in frame.columns]
            return RawTable(frame.reset_index(drop=True), "parquet")
        else:
            kind = suffix or "a name without extension"
            raise InputError.single(
                source, "", f"tables must be .csv, .tsv, .txt, .parquet, .xlsx or .xlsm, not {kind}"
            )
    except pd.errors.EmptyDataError:
        raise InputError.single(source, "", "the file is empty") from None
    except _read_errors() as exc:
        raise InputError.single(source, "", f"cannot read the table: {exc}") from None
    filled = np.flatnonzero(~_empty_rows(grid))
    if filled.size == 0:
        return RawTable(pd.DataFrame(), used)
    headers, notes = dedupe_headers([clean_header(h) for h in grid.iloc[filled[0]].tolist()])
    numbers = filled + 1 if lines is None else lines[filled]  # spreadsheet rows, 1-based
    skipped = int(numbers[-1]) - len(numbers)  # empty rows before the last filled one
    first, last = int(filled[0]), int(filled[-1])
    gapless = last - first + 1 == len(filled)
    grid = grid.iloc[first : last + 1] if gapless else grid.iloc[filled]
    rows = numbers[1:] if skipped else None
    if skipped:
        notes.append(f"{skipped} empty row{'s' if skipped > 1 else ''} skipped")
    frame = grid.iloc[1:].reset_index(drop=True)
    frame.columns = headers
    if used not in ("utf-8-sig", "xlsx"):
        notes.append(f"read as {used} (not UTF-8)")
    return RawTable(frame, used, notes, rows)


def _empty_rows(grid: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty: blank lines, ``,,,`` lines, empty spreadsheet rows."""
    empty = np.ones(len(grid), dtype=bool)
    for column in grid.columns:
        cells = grid[column]
        empty &= (cells.isna() | cells.eq("")).to_numpy()
        if not empty.any():
            break
    return empty


def map_columns(
    table: RawTable,
    mapping: dict[str, str],
    source: str,
    key: str = "roster.columns",
    standard: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Rename the file's columns to ours as ``mapping`` (ours → theirs) says; in place.

    A mapped header is found exactly, else by its normalised form. Other columns that would
    clash with a mapped name are set aside (renamed ``… (unused)``). A column whose own name
    is one of ours (``standard``), mapped to another of ours and claimed by no mapping, is
    copied, not renamed, so it still serves under its name (``{id: handle}`` keeps the
    handle; ``{total_posts: posts}`` still moves ``posts`` out of the way). Returns the
    problems.
    """
    frame = table.frame
    headers = list(frame.columns)
    by_normal: dict[str, list[str]] = {}
    for header in headers:
        by_normal.setdefault(normalize_header(header), []).append(header)
    renames: dict[str, str] = {}
    copies: dict[str, str] = {}  # one more of ours → the file's column it also reads
    problems: list[Problem] = []
    for ours, theirs in mapping.items():
        found = [theirs] if theirs in headers else by_normal.get(normalize_header(theirs), [])
        if not found:
            hint = did_you_mean(theirs, headers, cutoff=0.5)
            problems.append(
                Problem(source, f"{key}.{ours}", f"the file has no column {theirs!r}{hint}")
            )
        elif len(found) > 1:
            problems.append(
                Problem(
                    source,
                    f"{key}.{ours}",
                    f"{theirs!r} matches several columns ({', '.join(found)}); name one exactly",
                )
            )
        else:  # a column may serve several of ours (id and creator: one offer per creator)
            own = normalize_header(found[0])
            claimed = own in {normalize_header(name) for name in mapping}
            both_ours = own in standard and normalize_header(ours) in standard
            if found[0] in renames or (both_ours and not claimed):
                copies[normalize_header(ours)] = found[0]
            else:
                renames[found[0]] = normalize_header(ours)
            table.notes.append(f"column {normalize_header(ours)} ← {found[0]!r}")
    targets = {*renames.values(), *copies}
    for header in headers:
        if header not in renames and normalize_header(header) in targets:
            renames[header] = f"{header} (unused)"
            table.notes.append(f"column {header!r} set aside: {normalize_header(header)} is mapped")
    renamed = frame.rename(columns=renames)
    for ours, theirs in copies.items():
        renamed[ours] = frame[theirs].to_numpy()
    table.frame = renamed
    return problems


def database_label(url: str, table: str | None, query: str | None) -> str:
    """How a database table is named in messages (password hidden)."""
    try:
        from sqlalchemy.engine import make_url

        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by read_sql; show it without credentials
        shown = url.split("@")[-1]
    return f"{shown} table {table}" if table else f"{shown} query"


def read_sql(url: str, table: str | None, query: str | None, key: str) -> RawTable:
    """A table or query result from a SQLAlchemy database URL (needs the ``sql`` extra)."""
    label = database_label(url, table, query)
    try:
        import sqlalchemy
    except ImportError:
        raise InputError.single(
            label, key, "reading a database needs SQLAlchemy: pip install 'inflopt[sql]'"
        ) from None
    try:
        engine = sqlalchemy.create_engine(url)
    except Exception as exc:  # bad URL or missing driver: SQLAlchemy raises several types
        raise InputError.single(label, f"{key}.url", f"cannot use this URL: {exc}") from None
    try:
        with engine.connect() as connection:
            if table:
                frame = pd.read_sql_table(table, connection)
            else:
                frame = pd.read_sql_query(sqlalchemy.text(query or ""), connection)
    except ValueError as exc:  # pandas: table not found
        raise InputError.single(label, f"{key}.table", str(exc)) from None
    except sqlalchemy.exc.SQLAlchemyError as exc:
        detail = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        raise InputError.single(label, key, f"database error: {detail}") from None
    finally:
        engine.dispose()
    frame.columns = [clean_header(c) for c in frame.columns]
    return RawTable(frame.reset_index(drop=True), "database")
