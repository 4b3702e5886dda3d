"""The journaled steps of one fetch (:func:`analysis.crtsh.fetch_ca` runs them): every step's result is kept in the
fetch's :class:`analysis.cache.Journal` as soon as it is complete, and a step found there is not run again, so an
interrupted fetch resumes where it stopped; memory stays one page.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import signal
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

import pandas as pd

from analysis import frames
from analysis.cache import Journal, utc_now
from analysis.crtsh.client import Client, CrtshError, Progress
from analysis.crtsh.rows import (
    bytes_to_hex,
    parse_der_rows,
    records_from_der_rows,
    records_from_server_rows,
    schema_for,
    sort_key,
)
from analysis.crtsh.windows import Window, count_pieces, plan_windows

_SHA256_RE = re.compile(r"^[0-9A-Fa-f:]{64,95}$")


def parse_root(root) -> dict:
    """A root given as SHA-256 hex (colons allowed), a crt.sh CA id (int or digits), or a name searched like crt.sh's
    CA search (case-insensitive, anywhere in the name; LIKE wildcards allowed)."""
    if isinstance(root, int):
        return {"root_sha256": None, "ca_id": root, "name_pattern": None}
    text = str(root).strip()
    if _SHA256_RE.match(text) and len(text.replace(":", "")) == 64:
        return {"root_sha256": bytes.fromhex(text.replace(":", "")), "ca_id": None, "name_pattern": None}
    if text.isdigit():
        return {"root_sha256": None, "ca_id": int(text), "name_pattern": None}
    if not text:
        raise CrtshError("empty root: give a SHA-256, a crt.sh CA id or a CA name")
    return {"root_sha256": None, "ca_id": None, "name_pattern": text}


def describe_spec(spec: dict) -> str:
    if spec["root_sha256"]:
        return f"SHA-256 {spec['root_sha256'].hex().upper()}"
    if spec["ca_id"] is not None:
        return f"ca_id {spec['ca_id']}"
    return f"name pattern {spec['name_pattern']!r}"


def issuing_cas(hierarchy: pd.DataFrame, root_ca_id: int) -> list[int]:
    """The root and every CA of its hierarchy, each once, in hierarchy order."""
    ids = [root_ca_id]
    for ca_id in hierarchy["ca_id"].tolist() if len(hierarchy) else []:
        if int(ca_id) not in ids:
            ids.append(int(ca_id))
    return ids


def page_query(method: str) -> str:
    return "unexpired_certificates_der" if method == "client" else "unexpired_certificates"


def _without_gc(convert, cols, rows) -> list[dict]:
    """``convert(cols, rows)`` with the cyclic garbage collector paused: a page's parse allocates hundreds of
    thousands of small tuples and lists (none in a cycle) and would otherwise trigger collections that walk every
    object alive, the page itself included."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return convert(cols, rows)
    finally:
        if enabled:
            gc.enable()


# The automatic choice of parse processes (FetchOptions.parse_workers=None): two, when the CA has at least this many
# rows to fetch and the machine two cores or more; else the client parses in its own process.
PARALLEL_PARSE_MIN_ROWS = 50_000


def parse_workers_for(rows_planned: int, cpus: int | None = None) -> int:
    """How many processes parse the DER of a fetch of ``rows_planned`` rows when not told (see :class:`Parser`)."""
    cpus = (os.cpu_count() or 1) if cpus is None else cpus
    return 2 if cpus >= 2 and rows_planned >= PARALLEL_PARSE_MIN_ROWS else 1


class Parser:
    """Page rows → frame records. The client's DER parsing is pure Python, one core per process: with ``workers`` >
    1 each page is cut into that many runs of rows, parsed in worker processes (``spawn``: nothing of this process —
    its connection, its timer threads — is inherited) while the client runs the page's next statement; the records
    come back in row order. By default (:func:`parse_workers_for`) only for a large CA on a machine with two cores
    or more: on the quiet 2-core machine of docs/performance.md two workers fetched 158,603 rows 2.2–2.5× as fast as
    the client of 0b3f5b6 (in-process 1.9–2.2×); their start (~0.5 s) is not worth it for a small CA."""

    def __init__(self, method: str, workers: int):
        self.method, self.workers = method, workers
        self.pool = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))

    def submit(self, cols, rows) -> Callable[[], list[dict]]:
        """Start converting ``rows``; the returned function waits for the records."""
        if self.pool is None:
            convert = records_from_der_rows if self.method == "client" else records_from_server_rows
            return lambda: _without_gc(convert, cols, rows)
        rows = [(cid, ica, name, bytes(der)) for cid, ica, name, der in rows]  # bytea arrives as memoryview
        size = -(-len(rows) // self.workers)
        futures = [self.pool.submit(parse_der_rows, rows[i:i + size]) for i in range(0, len(rows), size)]
        return lambda: [r for f in futures for r in f.result()]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


class Steps:
    """One fetch's steps over ``journal``; ``o`` is the fetch's :class:`analysis.crtsh.FetchOptions` with ``as_of``
    resolved; ``base_meta`` goes into every frame's sidecar and the manifest."""

    def __init__(self, client: Client, spec: dict, o, journal: Journal, report: Callable[[Progress], None] | None,
                 base_meta: dict):
        self.client, self.spec, self.o, self.journal, self.report = client, spec, o, journal, report
        self.base_meta = base_meta
        self.p = client.progress
        self.st = journal.state

    def meta(self, query: str, **extra) -> dict:
        return dict(self.base_meta, query=query, fetched_at=utc_now(), **extra)

    def run(self) -> dict:
        st = self.st
        st.setdefault("started_at", utc_now())
        st["runs"] = st.get("runs", 0) + 1
        if st.get("root_ca_id") is None:
            self.resolve_root()
        cas = st["cas"]
        self.p.cas_total = len(cas)
        plan, rows_planned, mode = self.plan(cas)
        workers = parse_workers_for(rows_planned) if self.o.parse_workers is None else self.o.parse_workers
        self.parser = Parser(self.o.method, workers if self.o.method == "client" else 1)
        try:
            for ca_id in cas:
                self.fetch_ca_pages(ca_id, plan)
        finally:
            self.parser.close()
        return self.assemble(cas, plan, rows_planned, mode)

    # 1. the root, 2. the hierarchy, 3. the root programs' records
    def resolve_root(self) -> None:
        client, spec, p = self.client, self.spec, self.p
        p.phase = "resolving the root"
        root = bytes_to_hex(client.frame("resolve_ca", spec))
        candidates = root[["ca_id", "ca_name"]].drop_duplicates() if len(root) else root
        if len(candidates) == 0:
            raise CrtshError(f"no CA matches {describe_spec(spec)}")
        if len(candidates) > 1:
            listing = "; ".join(f"{int(r.ca_id)} {r.ca_name}" for r in candidates.itertuples())
            raise CrtshError(f"{describe_spec(spec)} matches {len(candidates)} CAs — give one of these ids: "
                             f"{listing}")
        root_ca_id = int(candidates["ca_id"].iloc[0])
        p.phase = "walking the hierarchy"
        hierarchy = bytes_to_hex(client.frame("ca_hierarchy", {"root_ca_id": root_ca_id}))
        trust = client.frame("root_trust_records", {"root_ca_id": root_ca_id})
        for name, frame, query in (("root", root, "resolve_ca"), ("hierarchy", hierarchy, "ca_hierarchy"),
                                   ("trust", trust, "root_trust_records")):
            self.journal.write_frame(name, frame, schema_for(name, frame), self.meta(query))
        self.st.update(root_ca_id=root_ca_id, cas=issuing_cas(hierarchy, root_ca_id))
        self.journal.save()

    # 4. per CA: the rows per notAfter month (a CA set too large to pull row by row gets only the server-side
    # aggregates: max_rows, None = no limit); 5. the pages: months over a page are split only when the rows are
    # to be fetched
    def plan(self, cas: list[int]) -> tuple[dict[str, list[Window]], int, str]:
        o, st, p, journal = self.o, self.st, self.p, self.journal
        p.phase = "counting rows"
        counts = st.setdefault("counts", {})
        for ca_id in cas:
            if str(ca_id) not in counts:
                counts[str(ca_id)] = [[*w.as_json(), n]
                                      for w, n in count_pieces(self.client, ca_id, o.as_of, Window(o.as_of, None))]
                journal.save()
        pieces = {ca_id: [(Window.from_json(v[:2]), v[2]) for v in counts[str(ca_id)]] for ca_id in cas}
        rows_planned = sum(n for ca_pieces in pieces.values() for _, n in ca_pieces)
        mode = st.setdefault("mode", "rows" if o.max_rows is None or rows_planned <= o.max_rows else "aggregates")
        p.phase = "planning pages"
        plans = st.setdefault("plans", {})
        for ca_id in cas:
            for kind, size, wanted in (("p", o.page_size, mode == "rows"),
                                       ("a", o.aggregate_page_size, mode == "aggregates" or o.aggregates)):
                if wanted and f"{kind}{ca_id}" not in plans:
                    windows = plan_windows(self.client, ca_id, o.as_of, size, pieces[ca_id])
                    plans[f"{kind}{ca_id}"] = [w.as_json() for w in windows]
                    journal.save()
        plan = {k: [Window.from_json(v) for v in ws] for k, ws in plans.items()}
        st["pages_total"] = p.pages_total = sum(len(plan.get(f"p{ca_id}", [])) for ca_id in cas)
        journal.save()
        return plan, rows_planned, mode

    # 6. one CA's pages and aggregate windows
    def fetch_ca_pages(self, ca_id: int, plan: Mapping[str, list[Window]]) -> None:
        client, p, st, journal, report = self.client, self.p, self.st, self.journal, self.report
        p.ca_id = ca_id
        p.phase = f"CA {ca_id}"
        params = {"issuer_ca_id": ca_id, "as_of": self.o.as_of}
        todo = []
        for w in plan.get(f"p{ca_id}", []):
            name = f"p{ca_id}_{w.key()}"
            if journal.has_part(name):
                p.rows += st["parts"][name]["rows"]
                p.pages += 1
                p.resumed_pages += 1
            else:
                todo.append((name, w))
        self.fetch_pages(ca_id, params, todo)
        for w in plan.get(f"a{ca_id}", []):
            name = f"a{ca_id}_{w.key()}"
            if name not in st["parts"]:
                rows = [list(r) for _, _, rs in client.run_windows("certificate_aggregates", params, w) for r in rs]
                st["parts"][name] = {"aggregates": rows}
                journal.save()
        p.cas_done += 1
        if report:
            report(p)

    def fetch_pages(self, ca_id: int, params: dict, todo: list[tuple[str, Window]]) -> None:
        """The pages ``todo`` (part name, window) of one CA, in three threads. The statements run one at a time in
        a thread of their own, on the client's one connection, in this order: page k+1's certificates and CT
        entries, then page k's revocations (they need page k's serials) — while this thread parses page k+1; a
        third thread writes each page into the journal once its revocations are in (the journal's fsync waits
        there). So the server (or the network) and the disk work while this process parses; at most four pages are
        held. The first failure stops the statement thread (a statement under way is cancelled) and is raised
        here; the pages written until then stay in the journal."""
        client = self.client
        query = page_query(self.o.method)

        def certificates_and_ct(w: Window):
            pieces = client.run_windows(query, params, w)
            ct = client.run_keys("earliest_ct_entries", {}, {"certificate_ids": [row[0] for _, _, rows in pieces
                                                                                 for row in rows]})
            return pieces, ct

        def revocations(with_serial: list[dict]):
            return client.run_keys("certificate_revocations", {"issuer_ca_id": ca_id}, {
                "certificate_ids": [r["certificate_id"] for r in with_serial],
                "serial_numbers": [bytes.fromhex(r["serial_number"]) for r in with_serial]})

        statements = ThreadPoolExecutor(1, thread_name_prefix="crtsh-statements")
        writer = ThreadPoolExecutor(1, thread_name_prefix="crtsh-journal")
        try:
            fetched = statements.submit(certificates_and_ct, todo[0][1]) if todo else None
            writes: list[Future] = []
            for k, (name, _) in enumerate(todo):
                pieces, ct = fetched.result()
                if k + 1 < len(todo):
                    fetched = statements.submit(certificates_and_ct, todo[k + 1][1])
                waits = [self.parser.submit(cols, rows) for _, cols, rows in pieces]
                del pieces
                records = sorted((r for wait in waits for r in wait()), key=sort_key)
                revoked = statements.submit(revocations, [r for r in records if r["serial_number"] is not None])
                while writes and (writes[0].done() or len(writes) >= 2):
                    writes.pop(0).result()  # a failed write stops the fetch; at most two pages wait for theirs
                writes.append(writer.submit(self.write_page, name, records, ct, revoked))
            for w in writes:
                w.result()
        except BaseException:
            client.interrupt()
            raise
        finally:
            statements.shutdown(wait=True, cancel_futures=True)
            writer.shutdown(wait=True, cancel_futures=True)

    def write_page(self, name: str, records: list[dict], ct: list[tuple], revoked: Future) -> None:
        """One page into the journal (in the journal thread, once its revocations are in): its certificates, and its
        revocations and CT entries in the certificates' order, so every frame's order is independent of the page
        size; then the progress is reported."""
        pos = {r["certificate_id"]: i for i, r in enumerate(records)}
        order = lambda row, pos=pos: (pos.get(row[0], len(pos)), row)  # noqa: E731
        rev = sorted(revoked.result(), key=order)
        ct = sorted(ct, key=order)
        self.journal.write_part(name, {
            "certificates": frames.CERTIFICATES.table(records),
            "revocations": frames.REVOCATIONS.table({"certificate_id": a, "revocation_date": b,
                                                     "reason_code": c} for a, b, c in rev),
            "ct": frames.CT.table({"certificate_id": a, "earliest_entry": b} for a, b in ct)}, rows=len(records))
        self.p.rows += len(records)
        self.p.pages += 1
        if self.report:
            self.report(self.p)

    # 7. the frames, from the pages in plan order (memory stays one page)
    def assemble(self, cas: list[int], plan: Mapping[str, list[Window]], rows_planned: int, mode: str) -> dict:
        journal, st, p, o = self.journal, self.st, self.p, self.o
        writers = {name: journal.writer(name, frames.TABLES[name].schema) for name in ("certificates", "revocations",
                                                                                        "ct")}
        seen: set[int] = set()
        duplicates = 0
        aggregates: dict[tuple[str, str | None], list[int]] = {}
        try:
            for ca_id in cas:
                for w in plan.get(f"p{ca_id}", []):
                    tables = journal.read_part(f"p{ca_id}_{w.key()}")
                    for cid in tables["certificates"].column("certificate_id").to_pylist():
                        duplicates += cid in seen
                        seen.add(cid)
                    for name, writer in writers.items():
                        writer.write(tables[name])
                for w in plan.get(f"a{ca_id}", []):
                    for dim, k, n, pre, dedup in st["parts"][f"a{ca_id}_{w.key()}"]["aggregates"]:
                        acc = aggregates.setdefault((dim, k), [0, 0, 0])
                        acc[0] += n
                        acc[1] += pre
                        acc[2] += dedup
            if duplicates:
                raise CrtshError(f"{duplicates} certificate ids came twice across pages: the pages overlap (a bug)")
            writers["certificates"].close(self.meta(page_query(o.method), method=o.method, page_size=o.page_size,
                                                    pages=p.pages, windows=p.pages_total, issuing_ca_ids=cas,
                                                    retries=p.retries))
            writers["revocations"].close(self.meta("certificate_revocations"))
            writers["ct"].close(self.meta("earliest_ct_entries"))
        except BaseException:
            for wr in writers.values():
                try:
                    wr.abort()
                except Exception:
                    pass
            raise

        agg = pd.DataFrame([(d, k, *v) for (d, k), v in aggregates.items()], columns=list(frames.AGGREGATES.names))
        agg = agg.sort_values(["dimension", "key"], na_position="first", kind="stable").reset_index(drop=True)
        journal.write_frame("aggregates", agg, schema_for("aggregates", agg), self.meta("certificate_aggregates"))
        stats = {"pages": p.pages, "rows": p.rows, "retries": p.retries, "reconnects": p.reconnects,
                 "splits": p.splits, "timeouts": p.timeouts, "resumed_pages": p.resumed_pages, "runs": st["runs"],
                 "statements": self.client.statements, "windows": p.pages_total, "cas": len(cas),
                 "rows_planned": rows_planned}
        journal.write_manifest(dict(self.base_meta, root_ca_id=st["root_ca_id"], fetched_at=st["started_at"],
                                    finished_at=utc_now(), mode=mode, rows_planned=rows_planned,
                                    frames=list(frames.TABLES), stats=stats,
                                    rows={name: w.rows for name, w in writers.items()}))
        return stats

