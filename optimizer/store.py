"""Finished task results on disk: one JSON file per task, named by the task's hash key.

Files are written atomically as each task finishes, so an interrupted sweep or batch keeps
everything it finished; a re-run finds them here and solves only the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import InputError
from .output import atomic_write

RECORD_VERSION = 1


class ResultStore:
    """A folder of ``<key>.json`` records: ``{"version", "key", "task", "result", ...}``."""

    def __init__(self, folder: Path | str) -> None:
        """Use (and create) ``folder``; a path that is a file is an :class:`InputError`."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise InputError.single(str(folder), "", "results folder is a file")
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder

    def path(self, key: str) -> Path:
        """Where the record of ``key`` lives."""
        return self.folder / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The stored record of ``key``, or None when absent or unreadable (it is re-solved)."""
        path = self.path(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
            return None
        if record.get("key") != key or not isinstance(record.get("result"), dict):
            return None
        return record

    def save(self, record: dict[str, Any]) -> Path:
        """Write ``record`` (must hold ``key`` and ``result``) atomically; returns its path."""
        record = {"version": RECORD_VERSION, **record}
        path = self.path(str(record["key"]))
        text = json.dumps(record, indent=2, sort_keys=False, default=str) + "\n"
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force=True)
        return path

    def keys(self) -> set[str]:
        """Keys of every record file present (not checked for validity)."""
        return {p.stem for p in self.folder.glob("*.json")}
