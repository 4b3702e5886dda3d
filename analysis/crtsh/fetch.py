"""``fetch_ca``: everything a report needs for one root, from crt.sh (or a compatible database) or the cache.

The steps, each kept in the fetch's journal on disk (:class:`analysis.cache.Journal`) as soon as it is complete, so
an interrupted fetch resumes where it stopped and memory stays one page:

1. the root (``resolve_ca``), its hierarchy (``ca_hierarchy``) and the root programs' records
   (``root_trust_records``);
2. per issuing CA, the rows per notAfter month, and the page plan (:mod:`analysis.crtsh.windows`); a CA set over
   ``max_rows`` gets only the server-side aggregates;
3. per page (a window of the partition key): the certificates (DER parsed here, or fields extracted by crt.sh), then
   their revocations and earliest CT entries, looked up by the page's own serials and ids;
4. the frames, assembled page by page into the cache bundle (:mod:`analysis.frames` schemas).

When the retry budget runs out, :class:`CrtshUnavailable` says what was fetched, where it is kept and the
``distrust-impact fetch`` command that resumes (:func:`resume_command`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import inspect
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import config, frames, x509
from analysis.cache import Bundle, CacheError, Journal, ResultCache, cache_key
from analysis.crtsh import rows as rows_mod
from analysis.crtsh.client import (
    Client,
    CrtshError,
    CrtshUnavailable,
    Progress,
    RetryPolicy,
    public_dsn,
    resolve_dsn,
    stderr_progress,
    to_naive_utc,
)
from analysis.crtsh.rows import certificates_frame, ct_frame, revocations_frame, small_frame
from analysis.crtsh.steps import Steps, describe_spec, issuing_cas, page_query, parse_root
from analysis.querylib import load_queries

DEFAULT_METHOD = "client"  # chosen by benchmarks/bench_queries.py, reasoning in docs/queries.md
# Above this many unexpired certificate rows a fetch takes only the server-side aggregates (certificate_aggregates):
# rows cost ~3 KB each on the client (frames + normalisation), so 2 million stay well inside a laptop's memory.
DEFAULT_MAX_ROWS = 2_000_000
DEFAULT_PAGE_SIZE = 2000
FRAMES = tuple(frames.TABLES)


class CacheMiss(CrtshError):
    """``fetch_ca`` with ``offline=True`` found no valid cached result for these inputs."""


@dataclass(frozen=True)
class FetchOptions:
    """How :func:`fetch_ca` fetches one root. Every field but ``progress``-like run-time objects lives here; the
    ones marked *key* go into the cache key (with the root, the source and the SQL), the rest only decide how.

    Attributes:
        as_of: (key) certificates unexpired at this UTC date/time (notAfter >= as_of); None = now. A date, datetime
            (aware ones converted to UTC) or ISO string.
        dsn: libpq connection string; None or "crtsh" = crt.sh's public endpoint.
        cache_dir: where bundles are stored (default analysis.config.CACHE_DIR).
        refresh: fetch again even when a valid cached bundle exists (an unfinished fetch of the same inputs is still
            resumed).
        method: (key) "client" (DER fetched, parsed here) or "server" (crt.sh's x509_* functions).
        page_size: at most this many certificate rows per statement (see :func:`analysis.crtsh.plan_windows`).
        aggregate_page_size: the same for the server-side aggregates.
        max_rows: (key) when the CAs hold more unexpired rows than this (counted while planning the pages), fetch
            only the server-side aggregates (``result.mode == "aggregates"``); None = always fetch every row.
        aggregates: (key) also fetch the server-side aggregates when every row is fetched (a cross-check; it costs
            crt.sh about as much server time as the rows themselves, so it is off by default).
        cache: False = do not read or write the cache (the result is still assembled through a temporary bundle,
            and an interrupted fetch cannot be resumed).
        source_name: (key) a stable name for the source (e.g. "demo") used in the cache key and provenance instead
            of the DSN — a throwaway local cluster's DSN changes (port) from run to run.
        offline: only read the cache; :class:`CacheMiss` when it holds no valid result for these inputs.
        retry: the :class:`RetryPolicy` (time budget) of a client made by the fetch (a given client keeps its own).
        parse_workers: processes that parse the DER (method "client"); 1 = this process; None (the default) =
            :func:`analysis.crtsh.steps.parse_workers_for` the rows planned (two processes for a large CA on a
            machine with two cores or more). The records are the same either way.
    """

    as_of: object = None
    dsn: str | None = None
    cache_dir: Path | str | None = None
    refresh: bool = False
    method: str = DEFAULT_METHOD
    page_size: int = DEFAULT_PAGE_SIZE
    aggregate_page_size: int = 50_000
    max_rows: int | None = DEFAULT_MAX_ROWS
    aggregates: bool = False
    cache: bool = True
    source_name: str | None = None
    offline: bool = False
    retry: RetryPolicy = RetryPolicy()
    parse_workers: int | None = None

    def __post_init__(self):
        if self.method not in ("client", "server"):
            raise CrtshError(f"unknown method {self.method!r}: 'client' or 'server'")
        if self.page_size < 1 or self.aggregate_page_size < 1:
            raise CrtshError(f"page sizes must be at least 1 (page_size {self.page_size}, aggregate_page_size "
                             f"{self.aggregate_page_size})")
        if self.parse_workers is not None and self.parse_workers < 1:
            raise CrtshError(f"parse_workers must be at least 1, not {self.parse_workers}")
        if self.max_rows is not None and self.max_rows < 0:
            raise CrtshError(f"max_rows must be >= 0 or None, not {self.max_rows}")
        if self.offline and self.refresh:
            raise CacheMiss("refresh=True refuses the cached result and offline=True forbids fetching")


@dataclass
class FetchResult:
    """Everything a report needs for one root, from crt.sh or from the cache (frames: :mod:`analysis.frames`)."""

    root_ca_id: int
    root: pd.DataFrame  # resolve_ca rows: the root's ca row with each of its certificates
    hierarchy: pd.DataFrame  # ca_hierarchy rows
    certificates: pd.DataFrame  # the certificates frame
    revocations: pd.DataFrame  # certificate_id, revocation_date, reason_code
    ct: pd.DataFrame  # certificate_id, earliest_entry
    trust: pd.DataFrame  # root_trust_records rows
    aggregates: pd.DataFrame  # dimension, key, certificates, precertificates, deduplicated (summed over CAs/windows)
    provenance: dict  # the bundle manifest: parameters, source, fetched-at, row counts, SQL hashes
    from_cache: bool = False
    cache_path: Path | None = None
    stats: dict = field(default_factory=dict)

    @property
    def mode(self) -> str:
        """``rows`` (every certificate row fetched) or ``aggregates`` (a CA over ``max_rows``: server-side counts
        only, in :attr:`aggregates`)."""
        return str(self.provenance.get("mode", "rows"))

    @property
    def rows_planned(self) -> int:
        return int(self.provenance.get("rows_planned", len(self.certificates)))

    @property
    def issuing_ca_ids(self) -> list[int]:
        return issuing_cas(self.hierarchy, self.root_ca_id)

    def summary(self) -> str:
        c = self.certificates
        return (f"root ca_id {self.root_ca_id}: {len(self.issuing_ca_ids)} CAs, {len(c):,} certificate rows "
                f"({int(c['is_precertificate'].sum()):,} precertificates, {int(c['parse_error'].notna().sum())} "
                f"unparsable), {len(self.revocations):,} revoked, {len(self.ct):,} with CT entries; "
                f"{'from cache' if self.from_cache else 'fetched'} {self.provenance.get('fetched_at')} "
                f"({self.cache_path})")


# Field extraction is analysis/x509.py plus the conversions in rows.py: a change to either must not reuse old results.
_CODE_VERSION = hashlib.sha256((inspect.getsource(x509) + inspect.getsource(rows_mod.extract_fields)
                                + inspect.getsource(rows_mod._record)).encode()).hexdigest()[:16]


def fetch_ca(root, options: FetchOptions | None = None, *, client: Client | None = None,
             progress: Callable[[Progress], None] | bool | None = None, **changes) -> FetchResult:
    """Fetch (or read from the cache) everything a report needs for one root.

    Args:
        root: the root's SHA-256 (hex), crt.sh CA id, or a CA name (an ambiguous name is an error listing the
            candidates).
        options: a :class:`FetchOptions`; ``changes`` are fields replaced in it (``fetch_ca(root, opts,
            refresh=True)``, or ``fetch_ca(root, as_of="2019-05-17")`` on the defaults).
        client: an existing :class:`Client` (tests inject one with fault hooks); its DSN and retry policy win over
            the options' ``dsn`` and ``retry``.
        progress: a callable receiving :class:`Progress` after each page (from the fetch's journal thread, once
            the page is written) and each CA, True for a line on stderr, None for quiet.

    Raises :class:`CrtshUnavailable` when the retry budget runs out: its message says what was fetched, where the
    progress is kept and the command that resumes the fetch from there.
    """
    o = dataclasses.replace(options or FetchOptions(), **changes)
    as_of = to_naive_utc(o.as_of if o.as_of is not None else dt.datetime.now(dt.UTC)).replace(microsecond=0)
    spec = parse_root(root)
    source_dsn = client.dsn if client is not None else resolve_dsn(o.dsn)
    queries = client.queries if client is not None else load_queries()
    used = ("resolve_ca", "ca_hierarchy", "root_trust_records", "certificate_counts_by_month", page_query(o.method),
            "certificate_revocations", "earliest_ct_entries", "certificate_aggregates")
    sql_hashes = {name: queries[name].sha256 for name in used}
    parameters = {"root": spec, "as_of": as_of, "method": o.method, "max_rows": o.max_rows, "aggregates": o.aggregates}
    source = o.source_name or public_dsn(source_dsn)
    # The key covers what determines the result: parameters, source, SQL, and the code that turns rows into fields.
    key = cache_key(parameters=parameters, source=source, sql=sql_hashes, format=1, code=_CODE_VERSION)
    store = ResultCache(o.cache_dir)
    label = "ca_" + (spec["root_sha256"].hex().upper()[:16] if spec["root_sha256"] else
                     str(spec["ca_id"]) if spec["ca_id"] is not None else spec["name_pattern"]) \
            + f"_{as_of:%Y%m%dT%H%M%S}"
    if (o.cache and not o.refresh) or o.offline:
        found = store.existing(label, key)
        if found is not None:
            try:
                return load_cached(found.path)
            except CacheError as exc:
                if o.offline:
                    raise CacheMiss(f"cached result {found.path} is damaged ({exc})") from None
                print(f"distrust-impact: cache entry {found.path.name} is damaged ({exc}); fetching again",
                      file=sys.stderr)
        if o.offline:
            raise CacheMiss(f"no cached result for {describe_spec(spec)} as of {as_of:%Y-%m-%d %H:%M:%S} "
                            f"({o.method}, {source}) under {store.dir}")
    # cache=False: assemble the bundle in a temporary folder of its own, never under the cache directory
    scratch = None if o.cache else Path(tempfile.mkdtemp(prefix="distrust-impact-fetch-"))
    try:
        journal = store.journal(label, key) if o.cache else Journal(scratch / "fetch")
    except CacheError as exc:
        raise CrtshError(str(exc)) from None
    report = stderr_progress if progress is True else (progress or None)
    own_client = client is None
    client = client or Client(source_dsn, queries=queries, retry=o.retry)
    client.begin()
    final = store.bundle_path(label, key)
    try:
        result = Steps(client, spec, dataclasses.replace(o, as_of=as_of), journal, report,
                        {"parameters": parameters, "source": source, "dsn": public_dsn(source_dsn),
                         "sql_sha256": sql_hashes, "cache_key": key}).run()
        if report is stderr_progress:
            print(file=sys.stderr)
        bundle = journal.finish()
        loaded = load_cached((store.commit(bundle, final) if o.cache else bundle).path)
        loaded.from_cache = False
        loaded.stats = result
        if not o.cache:
            loaded.cache_path = None
        return loaded
    except (CrtshUnavailable, KeyboardInterrupt) as exc:
        if report is stderr_progress:
            print(file=sys.stderr)
        kept = o.cache and journal.resumed
        if not kept:
            shutil.rmtree(journal.path, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        command = resume_command(spec, dataclasses.replace(o, as_of=as_of, dsn=source_dsn, cache_dir=store.dir,
                                                           retry=client.retry, refresh=o.refresh and final.exists()))
        raise CrtshUnavailable(f"{exc}; fetched so far: {_done_so_far(journal.state, client.progress)}; "
                               + (f"kept in {journal.path}; resume with: {command}" if kept else
                                  f"nothing is kept{'' if o.cache else ' (cache=False)'}; run again: {command}")) \
            from None
    except BaseException:
        shutil.rmtree(journal.path, ignore_errors=True)
        raise
    finally:
        journal.close()
        if own_client:
            client.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _done_so_far(state: Mapping, p: Progress) -> str:
    if state.get("root_ca_id") is None:
        return "nothing"
    n_cas = len(state.get("cas", []))
    parts = [f"the root (ca_id {state['root_ca_id']}) and its hierarchy ({n_cas} CAs)",
             f"row counts of {len(state.get('counts', {}))}/{n_cas} CAs"]
    if state.get("mode") == "aggregates":
        parts.append(f"aggregates of {sum(1 for k in state['parts'] if k.startswith('a'))} windows")
    elif "pages_total" in state:
        done = {k: v for k, v in state["parts"].items() if k.startswith("p")}
        parts.append(f"{len(done)}/{state['pages_total']} pages ({sum(v['rows'] for v in done.values()):,} "
                     f"certificate rows)")
    return ", ".join(parts) + f" after {p.retries} retries and {p.splits} window splits"


def resume_command(spec: dict, o: FetchOptions) -> str:
    """The ``distrust-impact fetch`` command that repeats this fetch with the same inputs (so the same cache entry),
    which resumes from the progress kept on disk. ``o`` holds the resolved ``as_of``, ``dsn`` and ``cache_dir``; the
    DSN is given without its password. (A root given to :func:`fetch_ca` by name is repeated as ``--ca NAME``, which
    the command resolves to the root's crt.sh id first, as ``report`` does: that fetch has a cache entry of its
    own.)"""
    cmd = ["distrust-impact", "fetch"]
    if spec["root_sha256"]:
        cmd += ["--ca", spec["root_sha256"].hex().upper()]
    elif spec["ca_id"] is not None:
        cmd += ["--ca", str(spec["ca_id"])]
    else:
        cmd += ["--ca", spec["name_pattern"]]
    cmd += ["--as-of", o.as_of.isoformat()]
    if resolve_dsn(o.dsn) != config.CRTSH_DSN:
        cmd += ["--dsn", public_dsn(o.dsn)]
    if o.source_name:
        cmd += ["--source-name", o.source_name]
    cmd += ["--cache-dir", str(Path(o.cache_dir).resolve())]
    default = FetchOptions()
    if o.method != default.method:
        cmd += ["--method", o.method]
    if o.page_size != default.page_size:
        cmd += ["--page-size", str(o.page_size)]
    if o.max_rows != default.max_rows:
        cmd += ["--max-rows", "none" if o.max_rows is None else str(o.max_rows)]
    if o.aggregates:
        cmd.append("--aggregates")
    if o.retry.stall != RetryPolicy.stall:
        cmd += ["--stall-timeout", f"{o.retry.stall:g}"]
    if o.retry.deadline is not None:
        cmd += ["--deadline", f"{o.retry.deadline:g}"]
    if o.refresh:
        cmd.append("--refresh")
    return shlex.join(cmd)


def load_cached(path: Path | str) -> FetchResult:
    """Read a complete cached bundle (checksums verified): the offline way to rerun every later analysis."""
    bundle = Bundle(Path(path))
    manifest = bundle.manifest()
    if manifest is None:
        raise CacheError(f"{path}: no manifest (incomplete bundle)")
    tables = {name: bundle.read_frame(name)[0] for name in FRAMES}
    small = {name: small_frame(name, tables[name].to_pandas()) for name in ("root", "hierarchy", "trust",
                                                                           "aggregates")}
    return FetchResult(
        root_ca_id=int(manifest["root_ca_id"]), root=small["root"], hierarchy=small["hierarchy"],
        certificates=certificates_frame(tables["certificates"]), revocations=revocations_frame(tables["revocations"]),
        ct=ct_frame(tables["ct"]), trust=small["trust"], aggregates=small["aggregates"], provenance=manifest,
        from_cache=True, cache_path=Path(path), stats=manifest.get("stats", {}),
    )
