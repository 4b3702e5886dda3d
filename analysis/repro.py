"""Reproducibility: a checksum of the input rows and the "reproduce:" line every output ends with.

:func:`input_checksum` is a SHA-256 over a canonical serialisation of one or more named frames (the certificates
frame, revocations, CT entries, hierarchy, trust rows): the same rows give the same checksum whatever the column
order, the row order, the dtypes pandas chose (``Int64`` vs ``int64``, categorical vs string, Arrow strings) or the
way timestamps were stored (naive UTC ns, or timezone-aware). :func:`reproduce_line` formats the exact command,
the project version and that checksum, so a reader can rerun it and compare.

Canonical form (documented in docs/trust-paths.md, "Reproducing a number"): each frame becomes the line
``frame <name> <n rows>`` followed by one JSON array per row, keys (column names) sorted, the rows sorted as
strings; values: missing (None/NaN/NaT/NA) -> ``null``; timestamps -> ``"YYYY-MM-DDTHH:MM:SS.ffffffZ"`` (UTC);
bytes -> upper-case hex; integers and booleans as JSON; floats by ``repr``; lists/tuples/arrays -> JSON arrays of
canonical values; anything else -> ``str``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shlex
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis import __version__


def _canonical(v):
    if v is None:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_canonical(x) for x in v]
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex().upper()
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (pd.Timestamp, dt.datetime, np.datetime64)):
        ts = pd.Timestamp(v)
        if pd.isna(ts):
            return None
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else repr(float(v))
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def canonical_lines(frame: pd.DataFrame, name: str = "certificates") -> list[str]:
    """The canonical serialisation of one frame (see the module docstring): a header line, then the rows."""
    cols = sorted(str(c) for c in frame.columns)
    data = frame.rename(columns=str)[cols] if len(cols) else frame
    rows = [json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":"))
            for row in data.astype(object).itertuples(index=False, name=None)]
    return [f"frame {name} {len(rows)} {json.dumps(cols, ensure_ascii=False, separators=(',', ':'))}"] + sorted(rows)


def input_checksum(frames: pd.DataFrame | Mapping[str, pd.DataFrame | None]) -> str:
    """``sha256:<64 hex>`` over the canonical serialisation of ``frames`` (a frame, or name -> frame; a None frame
    is recorded as absent). Names are sorted, so the order frames are given in does not matter either."""
    if isinstance(frames, pd.DataFrame):
        frames = {"certificates": frames}
    h = hashlib.sha256()
    for name in sorted(frames):
        frame = frames[name]
        lines = [f"frame {name} absent"] if frame is None else canonical_lines(frame, name)
        for line in lines:
            h.update(line.encode("utf-8"))
            h.update(b"\n")
    return "sha256:" + h.hexdigest()


def reproduce_line(command: Sequence[str], *, checksum: str, version: str | None = None) -> str:
    """``reproduce: <command> (distrust-impact <version>; input rows <checksum>)``: the exact command (each
    argument shell-quoted, so the line pastes into a shell), the project version, the input checksum."""
    if not command:
        raise ValueError("reproduce_line: the command is empty")
    if not checksum.startswith("sha256:") or len(checksum) != 71:
        raise ValueError(f"reproduce_line: {checksum!r} is not an input_checksum() value")
    return f"reproduce: {shlex.join(str(c) for c in command)} (distrust-impact {version or __version__}; " \
           f"input rows {checksum})"


def parse_reproduce_line(line: str) -> tuple[list[str], str, str]:
    """The inverse of :func:`reproduce_line`: (command, version, checksum). A line that is not one is a
    ``ValueError`` naming it."""
    text = line.strip()
    if not text.startswith("reproduce: ") or not text.endswith(")") or " (distrust-impact " not in text:
        raise ValueError(f"not a reproduce line: {line!r}")
    cmd, _, tail = text[len("reproduce: "):].rpartition(" (distrust-impact ")
    version, _, rest = tail[:-1].partition("; input rows ")
    if not rest.startswith("sha256:"):
        raise ValueError(f"not a reproduce line (no input checksum): {line!r}")
    return shlex.split(cmd), version, rest
