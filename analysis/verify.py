"""Does a report folder still match what its inputs give? A manifest written next to the outputs, and its check.

:func:`write_manifest` records, in ``<folder>/reproduce.json``, the reproduce line
(:func:`analysis.repro.reproduce_line`), the input checksum and the SHA-256 of every output file (CSV tables,
``summary.txt``, figures). :func:`verify_folder` compares the folder with it, and -- given ``rebuild``, a function
that writes the outputs again from the cached input into another folder (the report's own writer), and ``inputs``
(the cached frames) -- re-derives everything and says which file differs. A mismatch is one :class:`Mismatch` per
file; an empty list means every output still matches.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import repro

MANIFEST = "reproduce.json"
# The executed notebook and its HTML export record when their cells ran: they are not outputs to re-derive.
NOT_COMPARED = (".ipynb", ".html")


@dataclass(frozen=True)
class Mismatch:
    """``path`` (relative to the folder), ``kind`` (``missing``, ``changed``, ``not_rederived``,
    ``rederived_differs``, ``unlisted``, ``input_changed``), ``expected`` and ``actual`` (SHA-256s, or checksums)."""

    path: str
    kind: str
    expected: str | None = None
    actual: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.kind.replace('_', ' ')} (expected {self.expected}, got {self.actual})"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outputs(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST and not p.name.startswith(".") and p.suffix not in NOT_COMPARED}


def write_manifest(folder: str | Path, *, command: list[str], inputs: Mapping[str, pd.DataFrame | None],
                   version: str | None = None, parameters: Mapping[str, str] | None = None) -> Path:
    """Write ``<folder>/reproduce.json``: the reproduce line, the input checksum, the report's ``parameters`` (what
    a rebuild needs) and every file's SHA-256 (files starting with a dot, notebooks and their HTML
    (:data:`NOT_COMPARED`) and the manifest itself excepted). Returns its path."""
    folder = Path(folder)
    checksum = repro.input_checksum(inputs)
    doc = {"reproduce": repro.reproduce_line(command, checksum=checksum, version=version),
           "input_checksum": checksum, "files": _outputs(folder), "parameters": dict(parameters or {})}
    path = folder / MANIFEST
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a folder; a folder without one is a one-line ``FileNotFoundError``."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no {MANIFEST} here (was the report written with a reproduce manifest?)")
    return json.loads(path.read_text(encoding="utf-8"))


def verify_folder(path: str | Path, *, rebuild: Callable[[Path], object] | None = None,
                  inputs: Mapping[str, pd.DataFrame | None] | None = None) -> list[Mismatch]:
    """Every way ``path`` no longer matches its manifest, as :class:`Mismatch` rows (empty: all match).

    Without ``rebuild``: each listed file exists and has its recorded SHA-256, and no output is unlisted. With
    ``inputs``: their checksum equals the recorded one. With ``rebuild`` (called with an empty folder, it writes the
    outputs there from the same inputs): each listed file is re-derived and compared byte for byte.
    """
    folder = Path(path)
    manifest = read_manifest(folder)
    listed: dict[str, str] = manifest["files"]
    present = _outputs(folder)
    out = _compare(listed, present, "missing", "changed")
    out += [Mismatch(name, "unlisted", None, got) for name, got in sorted(present.items()) if name not in listed]
    if inputs is not None:
        checksum = repro.input_checksum(inputs)
        if checksum != manifest["input_checksum"]:
            out.append(Mismatch("(input rows)", "input_changed", manifest["input_checksum"], checksum))
    if rebuild is not None:
        with tempfile.TemporaryDirectory(prefix="distrust-impact-verify-") as tmp:
            rebuild(Path(tmp))
            again = _outputs(Path(tmp))
        out += _compare(listed, again, "not_rederived", "rederived_differs")
    return out


def _compare(listed: Mapping[str, str], found: Mapping[str, str], missing: str, changed: str) -> list[Mismatch]:
    """A mismatch for each listed file absent from ``found`` (kind ``missing``) or with another hash (``changed``)."""
    out = []
    for name, want in sorted(listed.items()):
        got = found.get(name)
        if got is None or got != want:
            out.append(Mismatch(name, missing if got is None else changed, want, got))
    return out
