"""Overlap data from follower samples: the pairs file and the membership table.

Input: one row per (influencer id, follower id), e.g. a sample of each account's followers.
With the 0/1 incidence matrix X (influencers × followers), the shared followers of every
pair are the off-diagonal entries of X·Xᵀ, computed as one sparse product. Written:

* pairs (``a, b, shared, jaccard, overlap``): shared followers (count), Jaccard
  |A∩B| / |A∪B| and the overlap coefficient |A∩B| / min(|A|, |B|) (fractions). With
  ``shared_as="overlap"`` the ``shared`` column holds the overlap coefficient instead and the
  count moves to ``shared_count`` (use this when the samples are partial: a count of sampled
  followers is not a count of real ones).
* membership (``influencer, unit, weight``): every distinct pair, ``weight`` = people one
  sampled follower stands for — the input of ``reach.method: coverage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import InputError, Problem
from .reading import RawTable, data_rows, numbered
from .roster import row_label

SharedAs = Literal["count", "overlap"]


@dataclass
class Samples:
    """Distinct (influencer, follower) pairs as codes into ``influencers`` / ``followers``."""

    influencer_codes: np.ndarray
    follower_codes: np.ndarray
    influencers: np.ndarray
    followers: np.ndarray
    rows_read: int
    repeated: int  # rows dropped because the same pair came earlier


@dataclass
class OverlapTables:
    """What ``inflopt overlap build`` writes, and counts for its summary."""

    pairs: pd.DataFrame
    membership: pd.DataFrame
    audience: pd.Series  # distinct sampled followers per influencer
    samples: Samples


def _header(path: Path) -> list[str] | None:
    """The column names of a CSV or Parquet file (None when even they cannot be read)."""
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        return [str(c) for c in pd.read_csv(path, nrows=0, dtype=str).columns]
    except Exception:  # the caller then reports the full read's error
        return None


def read_samples(
    path: Path,
    influencer_column: str = "influencer",
    follower_column: str = "follower",
    symmetric: bool = False,
) -> pd.DataFrame:
    """Two text columns ``influencer, follower`` from a CSV or Parquet file.

    ``symmetric``: each row is a mutual link (a follow graph such as Twitch's), so it also
    counts the other way round: b follows a as well as a follows b.
    """
    source = str(path)
    if not path.exists():
        raise InputError.single(source, "", "file not found")
    columns = [influencer_column, follower_column]
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path, columns=columns)
        else:
            frame = pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False)
    except (ValueError, KeyError, OSError, pd.errors.ParserError) as exc:
        header = _header(path)  # read only now, to name a missing column plainly
        missing = [c for c in columns if header is not None and c not in header]
        if missing:
            found = ", ".join(map(str, header or [])) or "none"
            raise InputError(
                Problem(source, f"column {name}", f"not in the file (its columns: {found})")
                for name in missing
            ) from None
        raise InputError.single(source, "header", f"cannot read columns {columns}: {exc}") from None
    if frame.empty:  # a header alone: nothing to count overlap from
        raise InputError.single(source, "", "no sample rows (only a header)")
    frame = frame[columns].astype(str).apply(lambda c: c.str.strip())
    frame.columns = ["influencer", "follower"]
    bad = frame.index[(frame["influencer"] == "") | (frame["follower"] == "")].to_numpy()
    if bad.size:
        lines = None if path.suffix.lower() == ".parquet" else data_rows(path)
        if lines is not None and len(lines) != len(frame):  # read another way: not mapped
            lines = None
        with numbered(RawTable(frame, "", rows=lines)):
            raise InputError(
                Problem(source, row_label(int(p)), "influencer or follower id is missing")
                for p in bad
            )
    if symmetric:
        flipped = frame.rename(columns={"influencer": "follower", "follower": "influencer"})
        frame = pd.concat([frame, flipped[["influencer", "follower"]]], ignore_index=True)
    return frame


def encode(frame: pd.DataFrame) -> Samples:
    """Factorise ids and drop repeated (influencer, follower) pairs."""
    inf_codes, influencers = pd.factorize(frame["influencer"], sort=True)
    fol_codes, followers = pd.factorize(frame["follower"], sort=False)
    keys = inf_codes.astype(np.int64) * len(followers) + fol_codes
    unique = np.unique(keys)
    return Samples(
        (unique // len(followers)).astype(np.int64),
        (unique % len(followers)).astype(np.int64),
        np.asarray(influencers, dtype=object),
        np.asarray(followers, dtype=object),
        len(frame),
        len(frame) - len(unique),
    )


def incidence(samples: Samples) -> sp.csr_matrix:
    """X: influencers × followers, 1 where the follower is in the influencer's sample."""
    shape = (len(samples.influencers), len(samples.followers))
    ones = np.ones(len(samples.influencer_codes), dtype=np.int64)
    return sp.csr_matrix((ones, (samples.influencer_codes, samples.follower_codes)), shape=shape)


def pair_table(
    matrix: sp.csr_matrix, ids: np.ndarray, min_shared: int = 1, shared_as: SharedAs = "count"
) -> pd.DataFrame:
    """Every pair a < b with at least ``min_shared`` shared followers (count and ratios)."""
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    shared = sp.triu(matrix @ matrix.T, k=1).tocoo()
    keep = shared.data >= min_shared
    i, j, count = shared.row[keep], shared.col[keep], shared.data[keep].astype(np.int64)
    union = sizes[i] + sizes[j] - count
    smaller = np.minimum(sizes[i], sizes[j])
    order = np.lexsort((j, i))
    table = pd.DataFrame(
        {
            "a": ids[i][order],
            "b": ids[j][order],
            "shared": count[order],
            "jaccard": (count / union)[order],
            "overlap": (count / smaller)[order],
        }
    )
    if shared_as == "overlap":
        table.insert(3, "shared_count", table["shared"])
        table["shared"] = table["overlap"]
    return table


def membership_table(samples: Samples, weight: float = 1.0) -> pd.DataFrame:
    """``influencer, unit, weight``: one row per distinct sampled (influencer, follower)."""
    return pd.DataFrame(
        {
            "influencer": samples.influencers[samples.influencer_codes],
            "unit": samples.followers[samples.follower_codes],
            "weight": float(weight),
        }
    )


def build_tables(
    frame: pd.DataFrame, min_shared: int = 1, weight: float = 1.0, shared_as: SharedAs = "count"
) -> OverlapTables:
    """Pairs and membership from (influencer, follower) rows."""
    if min_shared < 1:
        raise ValueError("min_shared must be at least 1")
    samples = encode(frame)
    matrix = incidence(samples)
    audience = pd.Series(
        np.asarray(matrix.sum(axis=1)).ravel(), index=samples.influencers, name="followers"
    )
    return OverlapTables(
        pair_table(matrix, samples.influencers, min_shared, shared_as),
        membership_table(samples, weight),
        audience,
        samples,
    )


def write_tables(
    tables: OverlapTables, folder: Path, fmt: str = "csv", force: bool = False
) -> list[Path]:
    """Write ``overlap.<fmt>`` and ``membership.<fmt>`` into ``folder`` (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / f"overlap.{fmt}", folder / f"membership.{fmt}"]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise InputError.single(str(existing[0]), "", "file exists; pass --force to overwrite it")
    for table, target in zip((tables.pairs, tables.membership), targets, strict=True):
        partial = target.with_name(f".{target.name}.partial")
        if fmt == "parquet":
            table.to_parquet(partial, index=False)
        else:
            table.to_csv(partial, index=False)
        partial.replace(target)
    return targets
