"""Where a report's rows come from: the demo population (in a throwaway local database), crt.sh, or a DSN of a
crt.sh-compatible database. Resolving ``--ca`` (``demo``, a fingerprint, a crt.sh CA id, or a name searched like
crt.sh's CA search), fetching through the cache, naming the output folder from the parameters alone, and the hints an
error gives (what the cache holds, the closest CCADB names).

Imported by :mod:`analysis.report` (what a notebook calls) and :mod:`analysis.runs` (what the command calls); it
imports neither.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import os
from pathlib import Path

import pandas as pd

from analysis import ccadb, crtsh
from analysis.config import CACHE_DIR
from analysis.scenario import ScenarioError, slug

# analysis.demo_db and analysis.localdb (the demo's generator and a throwaway PostgreSQL, 0.15 s to import) are
# imported when the demo population is read or loaded, not by every report.

DEMO = "demo"


# How a run hands its cache folder to the kernel (not as a path written into the notebook).
CACHE_DIR_ENV = "DISTRUST_IMPACT_CACHE_DIR"


class ReportError(RuntimeError):
    """A report run failed; the message is one line."""


def source_label(source: str) -> str:
    """How a source is named in provenance: never a password."""
    if source in (DEMO, "crtsh"):
        return {"crtsh": "crt.sh (guest@crt.sh:5432/certwatch)", DEMO: "demo population (synthetic), local database"}[
            source]
    return crtsh.public_dsn(source)


def demo_root_sha256() -> str:
    """The demo hierarchy's root (deterministic: the generator writes the same certificates for the same seed)."""
    from analysis.demo_db import demo_files

    with (demo_files() / "truth.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] == "root" and row["label"] == "root":
                return row["sha256"]
    raise ReportError("the demo population has no root")  # pragma: no cover - the generator always writes one


def resolve_ca_argument(ca: str, source: str) -> str:
    """The root argument the client takes: ``demo`` stands for the demo root's SHA-256 when the source is the demo."""
    if ca.strip().lower() == DEMO:
        if source != DEMO:
            raise ScenarioError("ca 'demo' names the demo root: use it with source 'demo'")
        return demo_root_sha256()
    return ca


# The last population fetched, kept for the next report of the same process (the notebooks of a run share one
# kernel): (arguments, the cache entry's file signature, the FetchResult).
_KEPT: list = []


def fetch_population(ca: str, as_of: dt.date, source: str, cache_dir: Path | None = None, refresh: bool = False,
                     progress=None, max_rows: int | None = None):
    """Fetch (or read from the cache) everything a report needs. ``source``: ``demo`` (the demo population in a
    throwaway local database), ``crtsh``, or a libpq DSN of a crt.sh-compatible database.

    The result is kept: the next call with the same arguments gives the same object back, without reading the cache
    again, as long as its cache entry's files are unchanged (same names, sizes, inodes and modification times), so
    what is derived from it once (the normalised population, :meth:`analysis.report.Report.build`) serves every date
    of a run and the sweep. ``refresh`` fetches again; :func:`forget_population` drops what is kept."""
    root = resolve_ca_argument(ca, source)
    options = crtsh.FetchOptions(as_of=as_of, cache_dir=cache_dir or CACHE_DIR, refresh=refresh,
                                 max_rows=crtsh.DEFAULT_MAX_ROWS if max_rows is None else max_rows)
    key = (root, str(as_of), source, str(Path(options.cache_dir).resolve()), options.max_rows)
    if not refresh and _KEPT and _KEPT[0][0] == key and _KEPT[0][1] == _entry_signature(_KEPT[0][2].cache_path):
        return _KEPT[0][2]
    fetched = _fetch_population(root, source, options, progress)
    signature = _entry_signature(fetched.cache_path)
    _KEPT[:] = [(key, signature, fetched)] if signature else []
    return fetched


def forget_population() -> None:
    """Drop the population :func:`fetch_population` keeps (its memory is freed once no report holds it)."""
    _KEPT.clear()


def _entry_signature(path: Path | None) -> tuple | None:
    """What identifies a cache entry's files as written (an entry is rewritten by replacing its files); None when
    there is no entry."""
    try:
        return tuple((p.name, st.st_size, st.st_ino, st.st_mtime_ns)
                     for p in sorted(Path(path).iterdir()) for st in [p.stat()]) if path else None
    except OSError:
        return None


def _fetch_population(root: str, source: str, options, progress):
    if source != DEMO:
        return crtsh.fetch_ca(root, options, dsn=None if source == "crtsh" else source, progress=progress)
    try:  # the demo's cache entry is keyed by a stable source name, so a rerun needs no database
        return crtsh.fetch_ca(root, options, source_name=DEMO, offline=True, progress=progress)
    except crtsh.CacheMiss:
        pass
    from analysis.demo_db import load_demo
    from analysis.localdb import LocalCluster, create_schema

    with LocalCluster() as cluster:
        create_schema(cluster.dsn)
        loaded = load_demo(cluster.dsn)
        if loaded.bad_files or loaded.bad_rows:
            raise ReportError(f"the demo population did not load cleanly: {loaded.summary()}")
        return crtsh.fetch_ca(root, options, dsn=cluster.guest_dsn(), source_name=DEMO, progress=progress)


def notebook_cache_dir(cache_dir: str | Path | None) -> Path | None:
    """The cache folder a notebook reads: its ``cache_dir`` parameter, else the one the command set for the kernel
    (the executed notebook then records no local path), else the default."""
    if cache_dir:
        return Path(cache_dir)
    return Path(os.environ[CACHE_DIR_ENV]) if os.environ.get(CACHE_DIR_ENV) else None


def ca_folder_name(ca: str, source: str) -> str:
    """The ``<ca-slug>`` of an output folder, from the parameters alone (no query): the demo root, a CCADB name for
    a known SHA-256, ``ca-<id>`` for a crt.sh id, the slug of a name pattern."""
    text = ca.strip()
    if text.lower() == DEMO:
        return "demo-root-ca"
    if text.isdigit():
        return f"ca-{text}"
    hexed = text.replace(":", "")
    if len(hexed) == 64 and all(c in "0123456789abcdefABCDEF" for c in hexed):
        try:
            meta = ccadb.load_metadata()
            row = meta[meta["sha256"] == hexed.upper()]
            if len(row):
                return slug(str(row["subject_cn"].iloc[0] or row["subject_o"].iloc[0])) + "-" + hexed[:8].lower()
        except Exception:  # the CCADB table is a convenience here; the fingerprint alone is a fine name
            pass
        return "sha256-" + hexed[:16].lower()
    return slug(text)


def cached_results(ca: str, cache_dir: Path) -> list[str]:
    """What the cache holds for a root given by SHA-256 (any snapshot date or source): one line each."""
    hexed = ca.strip().replace(":", "").upper()
    if len(hexed) != 64 or not Path(cache_dir).is_dir():
        return []
    out = []
    for manifest in sorted(Path(cache_dir).glob(f"ca_{hexed[:16]}_*/manifest.json")):
        try:
            meta = json.loads(manifest.read_text())
        except (OSError, ValueError):
            continue
        out.append(f"as of {str(meta['parameters']['as_of'])[:10]} from {meta.get('source', '?')} "
                   f"(fetched {meta.get('fetched_at', '?')})")
    return out


def suggest_cas(ca: str, limit: int = 5) -> str:
    """A hint for a CA the source does not know, from the CCADB certificates bundled in data/ (offline): the name
    CCADB gives a fingerprint, or the root names closest to a name."""
    text = ca.strip()
    hexed = text.replace(":", "").upper()
    try:
        meta = ccadb.load_metadata()
    except Exception:  # the hint is a courtesy; the error stands without it
        return ""
    if len(hexed) == 40 and all(c in "0123456789ABCDEF" for c in hexed):
        return " (that is a SHA-1 fingerprint: give the SHA-256)"
    if len(hexed) == 64 and all(c in "0123456789ABCDEF" for c in hexed):
        row = meta[meta["sha256"] == hexed]
        if len(row):
            r = row.iloc[0]
            return (f" (the CCADB knows it as {r['subject_cn'] or r['subject_o']!s}: try --ca with that name, or "
                    f"check that the database holds it)")
        return " (not in the CCADB either: check the fingerprint)"
    roots = meta.loc[meta["self_signed"].astype(str).str.upper() == "TRUE", "subject_cn"].dropna().astype(str)
    names = sorted(set(roots))
    close = difflib.get_close_matches(text.strip("%"), names, n=limit, cutoff=0.5)
    if not close:
        lowered = text.strip("%").lower()
        close = [n for n in names if lowered and lowered in n.lower()][:limit]
    return f" (close matches among CCADB roots: {'; '.join(close)})" if close else ""


def _name_search_role(rows: pd.DataFrame) -> dict[int, bool]:
    """ca_id -> whether that CA is a root (one of its certificates is self-signed)."""
    return {int(ca_id): bool(g["is_self_signed"].fillna(False).any()) for ca_id, g in rows.groupby("ca_id")}


def resolve_ca_name(ca: str, source: str) -> str:
    """A CA given by name (``--ca Certinomis``) becomes the crt.sh CA id of the one root it names, searched the way
    crt.sh's CA search does (case-insensitive, anywhere in the name). Several matches are an error listing them (roots
    and intermediates marked); one intermediate is an error naming the root(s) above it, to analyse from there.
    Fingerprints and ids are returned unchanged."""
    spec = crtsh.parse_root(ca)
    if spec["name_pattern"] is None or source == DEMO:
        return ca
    client = crtsh.Client(None if source == "crtsh" else source)
    try:
        rows = client.frame("resolve_ca", spec)
        if not len(rows):
            raise crtsh.CrtshError(f"no CA matches name {ca!r}")
        roots = _name_search_role(rows)
        names = rows.drop_duplicates("ca_id").set_index("ca_id")["ca_name"]
        if len(roots) > 1:
            listing = "; ".join(f"{ca_id} {names[ca_id]} ({'root' if is_root else 'intermediate'})"
                                for ca_id, is_root in sorted(roots.items(), key=lambda kv: (not kv[1], kv[0])))
            raise ReportError(f"name {ca!r} matches {len(roots)} CAs — give one of these crt.sh CA ids with --ca: "
                              f"{listing}")
        (ca_id, is_root), = roots.items()
        if is_root:
            return str(ca_id)
        above = _roots_above(client, rows)
        under = "; ".join(f"{r} {n}" for r, n in above.items()) or "no root known to this source"
        hint = f" — to analyse from its root, use --ca {next(iter(above))}" if above else ""
        raise ReportError(f"{names[ca_id]} (crt.sh CA id {ca_id}) is an intermediate, under {under}{hint}")
    finally:
        client.close()


def _roots_above(client, rows: pd.DataFrame, max_depth: int = 8) -> dict[int, str]:
    """The roots above an intermediate's certificates (ca_id -> name), walking issuers up through resolve_ca; the
    nearest first (a root that cross-signed that root comes after it)."""
    found: dict[int, str] = {}
    seen = set(int(x) for x in rows["ca_id"])
    todo = {int(x) for x in rows["issuer_ca_id"].dropna()} - seen
    for _ in range(max_depth):
        nxt: set[int] = set()
        for ca_id in sorted(todo):
            seen.add(ca_id)
            up = client.frame("resolve_ca", {"root_sha256": None, "ca_id": ca_id, "name_pattern": None})
            if not len(up):
                continue
            if up["is_self_signed"].fillna(False).any():
                found[ca_id] = str(up["ca_name"].iloc[0])
            nxt |= {int(x) for x in up["issuer_ca_id"].dropna()}
        todo = nxt - seen
        if not todo:
            break
    return found
