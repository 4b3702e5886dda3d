"""The result cache: Parquet files with a JSON provenance sidecar, written atomically, verified on read.

Layout (``cache_dir`` defaults to :data:`analysis.config.CACHE_DIR`, injectable for tests)::

    <cache_dir>/<bundle>/<frame>.parquet   one frame (e.g. certificates)
    <cache_dir>/<bundle>/<frame>.json      its sidecar: query name(s), SQL hash, parameters, source DSN without
                                           password, fetched-at (UTC), row count, SHA-256 of the Parquet file
    <cache_dir>/<bundle>/manifest.json     written last: the bundle is complete only when it exists

Every file is written to a temporary name in the same folder and moved into place with ``os.replace``, so a
crash leaves either the old complete file or none. A bundle whose manifest, sidecars or Parquet files are missing,
unreadable or whose checksums do not match is treated as absent (and re-fetched by the caller).

An unfinished fetch keeps its progress in ``<cache_dir>/.<bundle>.partial/`` (:class:`Journal`): the frames already
complete, a ``state.json`` (what was counted and planned) and ``parts/`` (the pages already fetched, one Parquet file
per frame and page, each written atomically and recorded in the state only once written). A re-run with the same
inputs resumes from it and removes it when the bundle is complete.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import config
from analysis.files import atomic_write_bytes

FORMAT_VERSION = 1


class CacheError(RuntimeError):
    """A cached entry is corrupt or unreadable (the caller re-fetches)."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex().upper()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def cache_key(**parts) -> str:
    """A content key: SHA-256 of the canonical JSON of the inputs that determine a result."""
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_bytes(path, data, durable=True)  # fsync before the rename: a cache file must survive a crash


class FrameWriter:
    """Write one frame to ``<bundle>/<name>.parquet`` batch by batch (memory stays one batch), atomically."""

    def __init__(self, bundle: "Bundle", name: str, schema: pa.Schema):
        self.bundle, self.name, self.schema = bundle, name, schema
        fd, tmp = tempfile.mkstemp(dir=bundle.path, prefix=f".{name}.", suffix=".parquet.tmp")
        os.close(fd)
        self.tmp = Path(tmp)
        self._writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table.cast(self.schema))
            self.rows += table.num_rows

    def close(self, sidecar: Mapping) -> dict:
        self._writer.close()
        final = self.bundle.path / f"{self.name}.parquet"
        os.replace(self.tmp, final)
        meta = dict(sidecar)
        meta.update({"format": FORMAT_VERSION, "frame": self.name, "parquet": final.name, "rows": self.rows,
                     "parquet_sha256": file_sha256(final)})
        _atomic_write_bytes(self.bundle.path / f"{self.name}.json",
                            json.dumps(meta, indent=2, sort_keys=True, default=_json_default).encode())
        return meta

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


@dataclass
class Bundle:
    """A folder of frames that belong together (one fetch), complete when ``manifest.json`` exists."""

    path: Path

    def writer(self, name: str, schema: pa.Schema) -> FrameWriter:
        return FrameWriter(self, name, schema)

    def write_frame(self, name: str, frame: pd.DataFrame, schema: pa.Schema, sidecar: Mapping) -> dict:
        w = self.writer(name, schema)
        try:
            w.write(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
        except BaseException:
            w.abort()
            raise
        return w.close(sidecar)

    def write_manifest(self, manifest: Mapping) -> None:
        _atomic_write_bytes(self.path / "manifest.json",
                            json.dumps(dict(manifest, format=FORMAT_VERSION), indent=2, sort_keys=True,
                                       default=_json_default).encode())

    def manifest(self) -> dict | None:
        p = self.path / "manifest.json"
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text())
        except (OSError, ValueError) as exc:
            raise CacheError(f"{p}: unreadable manifest ({exc})") from exc

    def read_frame(self, name: str) -> tuple[pa.Table, dict]:
        """The frame's Arrow table and sidecar, after checking the Parquet file's checksum and row count."""
        side = self.path / f"{name}.json"
        parquet = self.path / f"{name}.parquet"
        try:
            meta = json.loads(side.read_text())
        except (OSError, ValueError) as exc:
            raise CacheError(f"{side}: missing or unreadable sidecar ({exc})") from exc
        if not parquet.exists():
            raise CacheError(f"{parquet}: missing")
        digest = file_sha256(parquet)
        if digest != meta.get("parquet_sha256"):
            raise CacheError(f"{parquet}: checksum mismatch (file {digest[:12]}…, sidecar "
                             f"{str(meta.get('parquet_sha256'))[:12]}…)")
        try:
            table = pq.read_table(parquet)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise CacheError(f"{parquet}: unreadable ({exc})") from exc
        if table.num_rows != meta.get("rows"):
            raise CacheError(f"{parquet}: {table.num_rows} rows, sidecar says {meta.get('rows')}")
        return table, meta

    def verify(self, names: Iterable[str]) -> None:
        for name in names:
            self.read_frame(name)


class BundleLocated(Exception):
    """Raised by :meth:`ResultCache.existing` inside :func:`locating`: where the bundle of a fetch is (``path``) and
    whether it is complete (``exists``), before anything is read."""

    def __init__(self, path: Path, exists: bool):
        super().__init__(str(path))
        self.path, self.exists = path, exists


_LOCATING = contextvars.ContextVar("locating", default=False)
_STORING_ONLY = contextvars.ContextVar("storing_only", default=False)


@contextlib.contextmanager
def locating():
    """Within this block, a fetch stops at its cache look-up with :class:`BundleLocated` (the bundle's path, as
    the fetch computes its key), instead of reading the bundle or fetching: how a report finds a cached CA's size
    without loading it (:func:`analysis.outofcore.locate_bundle`)."""
    token = _LOCATING.set(True)
    try:
        yield
    finally:
        _LOCATING.reset(token)


@contextlib.contextmanager
def storing_only():
    """Within this block, a fetch stops with :class:`BundleLocated` (``exists`` true) once its complete bundle is
    in the cache — found there, or fetched and committed — instead of reading its rows into memory: how a report
    run gets a CA into the cache before it knows whether the CA fits in memory
    (:func:`analysis.outofcore.fetch_into_cache`)."""
    token = _STORING_ONLY.set(True)
    try:
        yield
    finally:
        _STORING_ONLY.reset(token)


class ResultCache:
    """Bundles under ``cache_dir``, named ``<label>-<key[:16]>`` (readable and content-keyed)."""

    def __init__(self, cache_dir: Path | str | None = None):
        self.dir = Path(cache_dir) if cache_dir is not None else config.CACHE_DIR

    def bundle_path(self, label: str, key: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.=-]+", "_", label)[:80]
        return self.dir / f"{safe}-{key[:16]}"

    def existing(self, label: str, key: str) -> Bundle | None:
        path = self.bundle_path(label, key)
        if _LOCATING.get():
            raise BundleLocated(path, (path / "manifest.json").exists())
        if not (path / "manifest.json").exists():
            return None
        if _STORING_ONLY.get():
            raise BundleLocated(path, True)
        return Bundle(path)

    def commit(self, bundle: Bundle, final: Path) -> Bundle:
        """Replace ``final`` by the completed temporary bundle (the old one, if any, is removed after)."""
        old = None
        if final.exists():
            old = final.with_name(f".{final.name}.old.{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
        os.replace(bundle.path, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        if _STORING_ONLY.get():
            raise BundleLocated(final, True)
        return Bundle(final)

    def discard(self, bundle: Bundle) -> None:
        shutil.rmtree(bundle.path, ignore_errors=True)

    def partial_path(self, label: str, key: str) -> Path:
        """Where an unfinished fetch of this bundle keeps its progress (hidden: never taken for a result)."""
        final = self.bundle_path(label, key)
        return final.with_name(f".{final.name}.partial")

    def journal(self, label: str, key: str) -> "Journal":
        return Journal(self.partial_path(label, key))


class Journal(Bundle):
    """A bundle under construction that survives the process: ``state.json`` plus finished parts.

    Parts are named groups of Arrow tables (e.g. one page: its certificates, revocations and CT rows). A part counts
    as done only once every file of it is in place and the state lists it, so a crash mid-part redoes that part only.
    One process at a time: the journal holds an exclusive lock (``<path>.lock``) until :meth:`close`.
    """

    def __init__(self, path: Path):
        super().__init__(Path(path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock = os.open(self._lock_path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise CacheError(f"another fetch of the same inputs is running (it holds {self._lock_path}); "
                             f"wait for it to finish") from None
        self.path.mkdir(exist_ok=True)
        (self.path / "parts").mkdir(exist_ok=True)
        state = self.path / "state.json"
        try:
            self.state = json.loads(state.read_text()) if state.exists() else {}
        except (OSError, ValueError):
            self.state = {}  # an unreadable state: start over, the parts are simply fetched again
        self.state.setdefault("parts", {})

    @property
    def resumed(self) -> bool:
        return bool(self.state.get("root_ca_id") is not None or self.state["parts"])

    def save(self) -> None:
        _atomic_write_bytes(self.path / "state.json",
                            json.dumps(self.state, sort_keys=True, default=_json_default).encode())

    def _part_file(self, name: str, frame: str) -> Path:
        return self.path / "parts" / f"{name}.{frame}.parquet"

    def write_part(self, name: str, tables: Mapping[str, pa.Table], **info) -> None:
        for frame, table in tables.items():
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="zstd")
            _atomic_write_bytes(self._part_file(name, frame), sink.getvalue().to_pybytes())
        self.state["parts"][name] = dict(info, frames=sorted(tables))
        self.save()

    def has_part(self, name: str) -> bool:
        return name in self.state["parts"] and all(self._part_file(name, f).exists()
                                                   for f in self.state["parts"][name]["frames"])

    def read_part(self, name: str) -> dict[str, pa.Table]:
        try:
            return {f: pq.read_table(self._part_file(name, f)) for f in self.state["parts"][name]["frames"]}
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise CacheError(f"{self.path}: part {name} unreadable ({exc})") from exc

    def close(self) -> None:
        """Release the lock (the journal's files stay, for the next run)."""
        if self._lock is not None:
            self._lock_path.unlink(missing_ok=True)
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = None

    def finish(self) -> Bundle:
        """Drop the progress files: what remains is an ordinary bundle, ready for :meth:`ResultCache.commit`."""
        shutil.rmtree(self.path / "parts", ignore_errors=True)
        (self.path / "state.json").unlink(missing_ok=True)
        return Bundle(self.path)


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
