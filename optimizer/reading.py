"""Read tables as real exports write them: any encoding, BOMs, repeated headers, renamed columns.

Headers are kept as the file writes them (whitespace folded); a repeated header gets a
numbered twin (``followers``, ``followers (2)``) so a column mapping can pick either.
"""

from __future__ import annotations

import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InputError, Problem, did_you_mean

ENCODINGS_TRIED: tuple[str, ...] = ("utf-8-sig", "cp1252", "latin-1")


@dataclass
class RawTable:
    """A table read from a file, before validation."""

    frame: pd.DataFrame
    encoding: str
    notes: list[str] = field(default_factory=list)


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


def _read_csv(path: Path, encoding: str) -> tuple[pd.DataFrame, str]:
    options = {"dtype": str, "keep_default_na": False, "header": None, "skipinitialspace": True}
    if path.suffix.lower() == ".tsv":
        options["sep"] = "\t"
    if encoding != "auto":
        return pd.read_csv(path, encoding=encoding, **options), encoding
    for candidate in ENCODINGS_TRIED:
        try:
            return pd.read_csv(path, encoding=candidate, **options), candidate
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("auto", b"", 0, 1, "no encoding fits")  # latin-1 always fits


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
    try:
        if suffix in {".csv", ".txt", ".tsv"}:
            grid, used = _read_csv(path, encoding)
        elif suffix in {".xlsx", ".xlsm"}:
            grid = pd.read_excel(path, engine="openpyxl", header=None, sheet_name=sheet or 0)
            used = "xlsx"
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            frame.columns = [clean_header(c) for c in frame.columns]
            return RawTable(frame.reset_index(drop=True), "parquet")
        else:
            raise InputError.single(source, "", "tables must be .csv, .parquet or .xlsx files")
    except _read_errors() as exc:
        raise InputError.single(source, "", f"cannot read the table: {exc}") from None
    if grid.empty:
        return RawTable(pd.DataFrame(), used)
    headers, notes = dedupe_headers([clean_header(h) for h in grid.iloc[0].tolist()])
    frame = grid.iloc[1:].reset_index(drop=True)
    frame.columns = headers
    if used not in ("utf-8-sig", "xlsx"):
        notes.append(f"read as {used} (not UTF-8)")
    return RawTable(frame, used, notes)


def map_columns(
    table: RawTable, mapping: dict[str, str], source: str, key: str = "roster.columns"
) -> list[Problem]:
    """Rename the file's columns to ours as ``mapping`` (ours → theirs) says; in place.

    A mapped header is found exactly, else by its normalised form. Other columns that would
    clash with a mapped name are set aside (renamed ``… (unused)``). Returns the problems.
    """
    frame = table.frame
    headers = list(frame.columns)
    by_normal: dict[str, list[str]] = {}
    for header in headers:
        by_normal.setdefault(normalize_header(header), []).append(header)
    renames: dict[str, str] = {}
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
        else:
            renames[found[0]] = normalize_header(ours)
            table.notes.append(f"column {normalize_header(ours)} ← {found[0]!r}")
    targets = set(renames.values())
    for header in headers:
        if header not in renames and normalize_header(header) in targets:
            renames[header] = f"{header} (unused)"
            table.notes.append(f"column {header!r} set aside: {normalize_header(header)} is mapped")
    table.frame = frame.rename(columns=renames)
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
