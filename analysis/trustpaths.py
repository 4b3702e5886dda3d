"""Alternate trust paths, decided per root program and per day (docs/trust-paths.md gives the rules for users).

A certificate under a distrusted root still validates on day D for a program when a chain exists, on D, from its
issuing CA to a root that program trusts on D: through CA certificates valid on D (an expired cross-sign does not
count), never anchored at the distrusted root. Three parts:

* :class:`CAGraph` -- CA nodes and, for each CA certificate, an edge from the CA it certifies to the CA that
  issued it, with the certificate's validity. Built from crt.sh ``ca_hierarchy`` rows (the report's tree) and from
  the bundled CCADB table (every publicly disclosed CA certificate, so cross-signs by CAs *outside* the tree, and
  their way up to their roots, are known offline). A crt.sh CA and a CCADB CA are the same node when they share a
  certificate (crt.sh's CA is a name and a key, CCADB's ``verified_parent_sha256s`` link certificates the same way).
* :class:`RootTrust` -- which root certificates a program trusts on a day: Mozilla from the NSS history
  (:mod:`analysis.rootstore`; server trust bit on, no distrust-after set), any program from crt.sh
  ``root_trust_purpose`` rows when given, otherwise the NSS store as a stand-in (the bundled data has no other
  program's store history; every verdict says so); minus each root from the day the program's own actions
  (``data/root_programs/actions.csv``) took effect. ``as_of`` replays a past day: the NSS store as of that day is
  kept for every later day, and only actions that had taken effect by then are known.
* :class:`PathAware` -- wraps a policy: an issuance the policy breaks on day B survives (category
  ``saved_by_path``, the reason names the chain and the root) when a path exists on every day from B to its notAfter;
  when the path ends earlier (a cross-sign expires, the saving root is removed), it breaks that day instead
  (``path_ends``). ``ignore_alternate_paths=True`` returns the wrapped policy's verdicts unchanged.

Days are UTC days: a CA certificate is valid on D when the UTC day of its notBefore <= D <= the UTC day of its
notAfter; a root trusted "from" a date is trusted on that day.

Over 500 lines on purpose: one job (deciding alternate paths) in four parts that are only used together -- the CA
graph, the roots each program trusts per day, the path search, and the policy wrapper.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import policies

TRUSTED_DELEGATOR = "CKT_NSS_TRUSTED_DELEGATOR"
_FAR = pd.Timestamp("2262-01-01")  # "for ever" as a day (inside pandas' ns range)
_NEVER = pd.Timestamp("1677-09-22")
SAVED = "saved_by_path"
PATH_ENDS = "path_ends"


def _day(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize()


def _hex(value) -> str | None:
    if value is None or (not isinstance(value, (bytes, memoryview, str)) and pd.isna(value)):
        return None
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex().upper()
    return str(value).replace(":", "").upper()


# ----------------------------------------------------------------------------------------------------------------
# The CA graph
# ----------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Edge:
    """A CA certificate: ``child`` (the CA it certifies) issued by ``parent``, valid on the UTC days
    ``not_before`` .. ``not_after`` (both included)."""

    child: str
    parent: str
    sha256: str
    not_before: pd.Timestamp
    not_after: pd.Timestamp

    def valid_on(self, day: pd.Timestamp) -> bool:
        return self.not_before <= day <= self.not_after


@dataclass
class CAGraph:
    """CA nodes (``names``: node -> display name; ``certs``: node -> SHA-256 of every certificate *of* that CA,
    self-signed ones included) and upward edges (``up``: node -> edges to its issuers). ``ca_node`` maps crt.sh
    CA ids to nodes."""

    names: dict[str, str] = field(default_factory=dict)
    certs: dict[str, set[str]] = field(default_factory=dict)
    up: dict[str, list[Edge]] = field(default_factory=dict)
    ca_node: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, hierarchy: pd.DataFrame | None = None, *, ccadb: bool | pd.DataFrame = True,
              extra_edges: pd.DataFrame | None = None) -> "CAGraph":
        """The graph of ``hierarchy`` (crt.sh ``ca_hierarchy`` rows: ``ca_id``, ``ca_name``, ``parent_ca_id``,
        ``sha256``, ``not_before``, ``not_after``), joined with the bundled CCADB table (``ccadb=True``, or a
        metadata frame as :func:`analysis.ccadb.load_metadata` returns; ``False`` for none) and ``extra_edges``
        (same columns as ``hierarchy``). Rows missing a column it needs are a ``ValueError``."""
        g = cls()
        meta = None
        if ccadb is not False:
            from analysis import ccadb as ccadb_mod

            meta = ccadb_mod.load_metadata() if ccadb is True else ccadb
        key_of: dict[str, str] = {}
        if meta is not None:
            key_of = _ccadb_keys(meta)
        frames = [f for f in (hierarchy, extra_edges) if f is not None and len(f)]
        for f in frames:
            missing = {"ca_id", "parent_ca_id", "sha256", "not_before", "not_after"} - set(f.columns)
            if missing:
                raise ValueError(f"CA graph: hierarchy rows lack column(s) {', '.join(sorted(missing))}")
            for ca_id, sha in zip(f["ca_id"], f["sha256"]):
                sha = _hex(sha)
                if sha in key_of:
                    g.ca_node.setdefault(int(ca_id), key_of[sha])
        if meta is not None:
            g._add_ccadb(meta, key_of)
        for f in frames:
            names = f["ca_name"] if "ca_name" in f else pd.Series([None] * len(f), index=f.index)
            for ca_id, parent, sha, nb, na, name in zip(f["ca_id"], f["parent_ca_id"], f["sha256"],
                                                        f["not_before"], f["not_after"], names):
                child = g.node(int(ca_id))
                if name is not None and not pd.isna(name):
                    g.names[child] = _short_name(str(name))
                sha = _hex(sha)
                if sha:
                    g.certs.setdefault(child, set()).add(sha)
                if parent is None or pd.isna(parent):
                    continue
                par = g.node(int(parent))
                if par != child and sha and not pd.isna(nb) and not pd.isna(na):
                    g._edge(child, par, sha, nb, na)
        return g

    def node(self, ca_id: int) -> str:
        """The node of a crt.sh CA id (``crtsh:<id>`` when no certificate of it is in the CCADB table)."""
        n = self.ca_node.setdefault(int(ca_id), f"crtsh:{int(ca_id)}")
        self.names.setdefault(n, f"crt.sh CA {int(ca_id)}")
        return n

    def ca_ids(self, node: str) -> list[int]:
        """The crt.sh CA ids of a node (empty when only the CCADB table knows it)."""
        return sorted(i for i, n in self.ca_node.items() if n == node)

    def label(self, node: str) -> str:
        """A node's name, with its crt.sh CA id(s) when known: ``StartCom BR SSL ICA (crt.sh CA 31)``."""
        ids = self.ca_ids(node)
        name = self.names.get(node, node)
        return f"{name} (crt.sh CA {', '.join(map(str, ids))})" if ids else name

    def nodes_of(self, sha256s: Iterable[str]) -> set[str]:
        """The nodes holding any of these certificates."""
        want = {s.upper() for s in sha256s}
        return {n for n, cs in self.certs.items() if cs & want}

    def _edge(self, child: str, parent: str, sha: str, nb, na) -> None:
        edges = self.up.setdefault(child, [])
        if not any(e.sha256 == sha and e.parent == parent for e in edges):
            edges.append(Edge(child, parent, sha, _day(nb), _day(na)))

    def _add_ccadb(self, meta: pd.DataFrame, key_of: dict[str, str]) -> None:
        for sha, parents, nb, na, cn, o in zip(meta["sha256"], meta["parents"], meta["not_before"],
                                               meta["not_after"], meta["subject_cn"], meta["subject_o"]):
            child = key_of[sha]
            self.names.setdefault(child, cn or o or child)
            self.certs.setdefault(child, set()).add(sha)
            for p in parents:
                if p in key_of and key_of[p] != child:
                    self._edge(child, key_of[p], sha, nb, na)

    def reachable(self, start: str) -> set[str]:
        """Every node above ``start`` whatever the day (``start`` included)."""
        seen, todo = {start}, deque([start])
        while todo:
            for e in self.up.get(todo.popleft(), ()):
                if e.parent not in seen:
                    seen.add(e.parent)
                    todo.append(e.parent)
        return seen


def _short_name(ca_name: str) -> str:
    """crt.sh's ``ca.name`` ("C=FR, O=…, CN=Certinomis - Root CA") -> its CN (else O, else the whole name)."""
    for attr in ("CN=", "O="):
        if attr in ca_name:
            return ca_name.split(attr, 1)[1].split(", ")[0].strip('"')
    return ca_name


def _ccadb_keys(meta: pd.DataFrame) -> dict[str, str]:
    """CCADB certificate SHA-256 -> its CA node (``ccadb:<SPKI SHA-256>:<CN>:<O>``, crt.sh's name + key)."""
    return {sha: f"ccadb:{spki}:{cn or ''}:{o or ''}"
            for sha, spki, cn, o in zip(meta["sha256"], meta["spki_sha256"], meta["subject_cn"], meta["subject_o"])}


# ----------------------------------------------------------------------------------------------------------------
# Which roots a program trusts on a day
# ----------------------------------------------------------------------------------------------------------------

Periods = dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]


def nss_server_trust(as_of=None, events: pd.DataFrame | None = None) -> Periods:
    """Root SHA-256 -> the periods ``[start, end)`` (UTC days) in which certdata.txt had its server trust bit set to
    ``CKT_NSS_TRUSTED_DELEGATOR`` with no server distrust-after date, from the NSS commit day (or the Firefox
    release that shipped it, where the bundled sources name one: :func:`_released_dates`). ``as_of``: only NSS
    versions committed on or before that day are read; the store as of then is kept for every later day (the
    replay of a past day)."""
    from analysis import rootstore

    e = rootstore.load_events() if events is None else events
    if as_of is not None:
        e = e[e["date"] <= _day(as_of)]
    e = e.sort_values("date", kind="stable")
    released = _released_dates(e)
    open_since: dict[str, pd.Timestamp] = {}
    out: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    for date, event, sha, server, da in zip(released, e["event"], e["sha256"], e["after_server"],
                                            e["after_server_distrust_after"]):
        trusted = event in ("added", "changed") and server == TRUSTED_DELEGATOR and pd.isna(da)
        if trusted and sha not in open_since:
            open_since[sha] = date
        elif not trusted and sha in open_since:
            start = open_since.pop(sha)
            if date > start:
                out.setdefault(sha, []).append((start, date))
    for sha, start in open_since.items():
        out.setdefault(sha, []).append((start, _FAR))
    return out


def _released_dates(e: pd.DataFrame) -> list[pd.Timestamp]:
    """Each event's date: the Firefox release that shipped the NSS change when the bundled sources name it
    (:data:`analysis.presets.FIREFOX_RELEASES`: Certinomis' removal, NSS 2019-06-04, shipped in Firefox 69 on
    2019-09-03), else the NSS commit day -- the same dates the Mozilla presets use."""
    from analysis.presets import FIREFOX_RELEASES

    return [pd.Timestamp(FIREFOX_RELEASES[c]["date"]) if c in FIREFOX_RELEASES else d
            for d, c in zip(e["date"], e["nss_commit"])]


@dataclass
class RootTrust:
    """The roots ``program`` trusts on each day.

    ``periods``: root SHA-256 -> ``[start, end)`` day periods of trust, after the program's actions were cut out.
    ``source``: what the periods come from, in words (every saved verdict cites it).
    Build with :meth:`for_program`; or give ``periods`` directly for a hypothetical store.
    """

    program: str
    periods: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]
    source: str
    as_of: pd.Timestamp | None = None

    @classmethod
    def for_program(cls, program: str, *, as_of=None, trust: pd.DataFrame | None = None,
                    sha256_by_certificate_id: Mapping[int, str] | None = None,
                    events: pd.DataFrame | None = None, actions: list | None = None) -> "RootTrust":
        """Mozilla: the NSS history. Others: crt.sh ``root_trust_purpose`` rows (``trust``) for the roots they
        cover, and the NSS store as a stand-in for the rest. Every program: minus each root from the day one of
        its own actions in the bundled actions file took effect (client code included, e.g. Firefox's Symantec
        code). ``as_of`` replays a past day (store as of then, actions effective by then)."""
        from analysis import root_programs

        asof = _day(as_of) if as_of is not None else None
        periods = {k: list(v) for k, v in nss_server_trust(asof, events).items()}
        if program == "Mozilla":
            source = "Mozilla NSS certdata.txt history"
        else:
            source = (f"{program}: crt.sh root_trust_purpose where given, else Mozilla's NSS store as a stand-in "
                      f"(no {program} store history is bundled)")
        if asof is not None:
            source += f", as of {asof:%Y-%m-%d}"
        if trust is not None and len(trust):
            periods.update(_crtsh_periods(program, trust, sha256_by_certificate_id or {}))
        acts = root_programs.load_actions() if actions is None else actions
        for a in acts:
            # as of a past day: the actions known by then (announced, or in effect), each from the day it took effect
            if a.program != program or (asof is not None and a.known_from > asof):
                continue
            for sha in a.roots:
                periods[sha] = [(s, min(e, a.when)) for s, e in periods.get(sha, []) if s < a.when]
        return cls(program, {k: v for k, v in periods.items() if v}, source, asof)

    @classmethod
    def fixed(cls, program: str, roots: Iterable[str], source: str) -> "RootTrust":
        """A hypothetical store: ``roots`` trusted on every day (tests and what-ifs)."""
        return cls(program, {r.upper(): [(_NEVER, _FAR)] for r in roots}, source)

    def trusted(self, sha256: str, day) -> bool:
        d = _day(day)
        return any(s <= d < e for s, e in self.periods.get(sha256.upper(), ()))

    def breakpoints(self, sha256s: Iterable[str]) -> set[pd.Timestamp]:
        out = set()
        for sha in sha256s:
            for s, e in self.periods.get(sha, ()):
                out |= {s, e}
        return out


def _crtsh_periods(program: str, trust: pd.DataFrame, sha_by_id: Mapping[int, str]) -> dict:
    from analysis import presets

    ctx = {v: k for k, v in presets.TRUST_CONTEXTS.items()}.get(program)
    out: dict[str, list] = {}
    for r in trust.to_dict("records"):
        r = {k.lower(): v for k, v in r.items()}
        if int(r["trust_context_id"]) != ctx or int(r["trust_purpose_id"]) != presets.SERVER_AUTHENTICATION:
            continue
        sha = sha_by_id.get(int(r["certificate_id"]))
        if sha is None:
            continue
        nbu, dis = presets._ts(r.get("notbefore_until")), presets._ts(r.get("disabled_from"))
        if nbu is not None:
            out[sha.upper()] = []  # a distrust-after root saves nothing (conservative, docs/trust-paths.md)
        else:
            out[sha.upper()] = [(_NEVER, _day(dis) if dis is not None else _FAR)]
    return out


# ----------------------------------------------------------------------------------------------------------------
# Paths
# ----------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Path:
    """A chain on one day: ``edges`` from the issuing CA up to ``root`` (the trusted root certificate)."""

    edges: tuple[Edge, ...]
    root_node: str
    root_sha256: str

    def describe(self, graph: CAGraph) -> str:
        """``Issuing CA -> Cross-signing CA [cert 6D9A258172F5…, to 2027-04-13] -> … (root 2A99F5BC1174B73C…)``:
        each CA by name (with its crt.sh id when known), each certificate used by SHA-256 prefix and notAfter."""
        if not self.edges:
            return f"{graph.label(self.root_node)} (itself a trusted root {self.root_sha256[:16]}…)"
        parts = [graph.label(self.edges[0].child)]
        for e in self.edges:
            parts.append(f"{graph.label(e.parent)} [cert {e.sha256[:12]}…, to {e.not_after:%Y-%m-%d}]")
        return " -> ".join(parts) + f" (root {self.root_sha256[:16]}…)"

    def chain(self, graph: CAGraph) -> list[dict]:
        """The path as rows: ``ca`` (name), ``crtsh_ca_ids``, ``certificate_sha256`` (the certificate leading up
        from the previous CA; None for the issuing CA), ``not_after``; the last row is the root, with
        ``root_sha256``."""
        rows = [{"ca": graph.names.get(self.edges[0].child if self.edges else self.root_node),
                 "crtsh_ca_ids": graph.ca_ids(self.edges[0].child if self.edges else self.root_node),
                 "certificate_sha256": None, "not_after": None}]
        rows += [{"ca": graph.names.get(e.parent), "crtsh_ca_ids": graph.ca_ids(e.parent),
                  "certificate_sha256": e.sha256, "not_after": e.not_after} for e in self.edges]
        rows[-1]["root_sha256"] = self.root_sha256
        return rows


def find_path(graph: CAGraph, start: str, day, trust: RootTrust, avoid: set[str] = frozenset(),
              through_avoided: bool = True) -> Path | None:
    """The shortest chain on ``day`` from node ``start`` to a root ``trust`` trusts that day, through CA
    certificates valid that day; never anchored at a node of ``avoid`` (the distrusted root), and not passing
    through one unless ``through_avoided``. Cycles are harmless (each node is visited once). Ties: the edge
    listed first."""
    d = _day(day)

    def anchor(node: str) -> str | None:
        if node in avoid:
            return None
        for sha in sorted(graph.certs.get(node, ())):
            if trust.trusted(sha, d):
                return sha
        return None

    if (sha := anchor(start)) is not None:
        return Path((), start, sha)
    if start in avoid and not through_avoided:
        return None
    came: dict[str, Edge | None] = {start: None}
    todo = deque([start])
    while todo:
        cur = todo.popleft()
        for e in graph.up.get(cur, ()):
            if e.parent in came or not e.valid_on(d):
                continue
            came[e.parent] = e
            if (sha := anchor(e.parent)) is not None:
                chain = []
                node = e.parent
                while came[node] is not None:
                    chain.append(came[node])
                    node = came[node].child
                return Path(tuple(reversed(chain)), e.parent, sha)
            if e.parent in avoid and not through_avoided:
                continue
            todo.append(e.parent)
    return None


def path_timeline(graph: CAGraph, start: str, trust: RootTrust, avoid: set[str] = frozenset(), *,
                  start_day=None, end_day=None,
                  through_avoided: bool = True) -> list[tuple[pd.Timestamp, pd.Timestamp, Path | None]]:
    """``[(from, until_exclusive, path or None)]``: the chain that works on each day of ``[start_day, end_day]``,
    piecewise constant between the days on which a certificate of the reachable subgraph starts or stops being
    valid or a reachable root enters or leaves the store."""
    nodes = graph.reachable(start)
    points = set()
    for n in nodes:
        for e in graph.up.get(n, ()):
            points |= {e.not_before, e.not_after + pd.Timedelta(days=1)}
        points |= trust.breakpoints(graph.certs.get(n, ()))
    lo = _day(start_day) if start_day is not None else min(points, default=_NEVER)
    hi = _day(end_day) + pd.Timedelta(days=1) if end_day is not None else _FAR
    cuts = sorted({lo, hi} | {p for p in points if lo < p < hi})
    out: list[tuple[pd.Timestamp, pd.Timestamp, Path | None]] = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        p = find_path(graph, start, a, trust, avoid, through_avoided)
        if out and out[-1][2] == p:
            out[-1] = (out[-1][0], b, p)
        else:
            out.append((a, b, p))
    return out


# ----------------------------------------------------------------------------------------------------------------
# The policy wrapper
# ----------------------------------------------------------------------------------------------------------------

class PathAware(policies.Policy):
    """``policy``'s verdicts, with alternate paths decided for ``trust.program``.

    Rule: an issuance that ``policy`` breaks on day B survives when, on every day from B to its notAfter's day, a
    path exists from its issuing CA to a root the program trusts that day (:func:`find_path`), never anchored at
    ``distrusted`` (the root's certificates); category ``saved_by_path``, the reason names the path of day B. If
    the path stops working before notAfter, the issuance breaks on the first day without one (``path_ends``).
    ``through_distrusted=False`` also refuses chains *through* the distrusted CA (a client that checks every
    certificate of the chain, as Chrome's and Firefox's Symantec code did). ``ignore_alternate_paths=True``:
    ``policy``'s verdicts unchanged (today's behaviour, for comparison).
    """

    def __init__(self, policy: policies.Policy, graph: CAGraph, trust: RootTrust, distrusted: Iterable[str], *,
                 through_distrusted: bool = True, ignore_alternate_paths: bool = False):
        self.policy = policy
        self.graph = graph
        self.trust = trust
        self.distrusted = tuple(s.upper() for s in distrusted)
        self.avoid = graph.nodes_of(self.distrusted)
        self.through_distrusted = through_distrusted
        self.ignore = ignore_alternate_paths
        self.date = policy.date
        self.name = policy.name + ("" if self.ignore else f", alternate paths decided ({trust.program})")
        self.rule = policy.rule + ("" if self.ignore else
                                   f"; except certificates that still validate through another path to a root "
                                   f"{trust.program} trusts ({trust.source})")
        self.timelines: dict[str, list] = {}
        self.paths: pd.Series = pd.Series(dtype=object)  # after evaluate(): issuance -> the Path of its break day

    def timeline(self, ca_id: int, start_day=None, end_day=None):
        node = self.graph.node(int(ca_id))
        key = (node, start_day, end_day)
        if key not in self.timelines:
            self.timelines[key] = path_timeline(self.graph, node, self.trust, self.avoid, start_day=start_day,
                                                end_day=end_day, through_avoided=self.through_distrusted)
        return self.timelines[key]

    def evaluate(self, normalised) -> pd.DataFrame:
        v = self.policy.evaluate(normalised)
        if self.ignore:
            return v
        iss = normalised.issuances
        b = v["breaks_on"].to_numpy(dtype="datetime64[ns]")
        na = iss["not_after"].to_numpy(dtype="datetime64[ns]")
        issuer = iss["issuer_ca_id"].to_numpy(dtype=np.int64)
        hit = ~np.isnat(b)
        cats = list(v["category"].cat.categories)
        reasons = list(v["reason"].cat.categories)
        codes = v["category"].cat.codes.to_numpy().astype(np.int64).copy()
        breaks = b.copy()
        extra: dict[tuple[str, str], int] = {}
        found: dict[object, Path] = {}

        def code_for(cat: str, reason: str) -> int:
            if (cat, reason) not in extra:
                extra[(cat, reason)] = len(cats) + len(extra)
            return extra[(cat, reason)]

        for ca in np.unique(issuer[hit]):
            rows = np.flatnonzero(hit & (issuer == ca))
            day = b[rows].astype("datetime64[D]")
            last = na[rows].astype("datetime64[D]")
            tl = self.timeline(int(ca), pd.Timestamp(day.min()), pd.Timestamp(last.max()))
            starts = np.array([s[0].to_datetime64() for s in tl], dtype="datetime64[D]")
            # per segment: the end of the run of consecutive segments that all have a path
            run_end = [s[1] for s in tl]
            for k in range(len(tl) - 2, -1, -1):
                if tl[k][2] is not None and tl[k + 1][2] is not None:
                    run_end[k] = run_end[k + 1]
            run_end = np.array([e.to_datetime64() for e in run_end], dtype="datetime64[D]")
            seg = np.searchsorted(starts, day, side="right") - 1
            for i, k, d, end, last_day in zip(rows, seg, day, run_end[seg], last):
                path = tl[k][2]
                if path is None:
                    continue
                found[v.index[i]] = path
                if end > last_day:
                    codes[i] = code_for(SAVED, f"still validates on {pd.Timestamp(d):%Y-%m-%d} and until it "
                                               f"expires through {path.describe(self.graph)}, trusted by "
                                               f"{self.trust.program} [{self.trust.source}]")
                    breaks[i] = np.datetime64("NaT")
                else:
                    codes[i] = code_for(PATH_ENDS, f"validates through {path.describe(self.graph)} until "
                                                   f"{pd.Timestamp(end - 1):%Y-%m-%d}, then no path to a root "
                                                   f"{self.trust.program} trusts [{self.trust.source}]")
                    breaks[i] = end.astype("datetime64[ns]")
        self.paths = pd.Series(found, dtype=object)
        table = list(zip(cats, reasons)) + sorted(extra, key=extra.get)
        return policies._verdicts(v.index, breaks.astype("datetime64[ns]").view("i8"), codes, table)


def with_paths(policy: policies.Policy, *, program: str, hierarchy: pd.DataFrame | None, root_sha256s: Iterable[str],
               as_of=None, trust: pd.DataFrame | None = None,
               sha256_by_certificate_id: Mapping[int, str] | None = None, ignore_alternate_paths: bool = False,
               graph: CAGraph | None = None) -> policies.Policy:
    """``policy`` with alternate paths decided for ``program`` (one call for a report's option): the graph of
    ``hierarchy`` + the bundled CCADB table, ``program``'s store (:meth:`RootTrust.for_program`, as of ``as_of``),
    the report's root certificates (``root_sha256s``) never an anchor. ``ignore_alternate_paths=True`` returns
    ``policy`` itself."""
    if ignore_alternate_paths:
        return policy
    g = graph if graph is not None else CAGraph.build(hierarchy)
    store = RootTrust.for_program(program, as_of=as_of, trust=trust, sha256_by_certificate_id=sha256_by_certificate_id)
    return PathAware(policy, g, store, root_sha256s)


def decide(policy: policies.Policy, record, *, program: str = "Mozilla", as_of=None, through_distrusted: bool = True,
           ignore_alternate_paths: bool = False) -> policies.Policy:
    """A report option's policy with alternate paths decided (docs/trust-paths.md, "In the report's options").

    ``record``: the report's :class:`analysis.presets.ActualRecord` -- its ``root_sha256s`` (the distrusted root's
    certificates, never an anchor), ``hierarchy`` (the CA graph, with the bundled CCADB table) and crt.sh ``trust``
    rows; the graph and each program's store are built once per record (``record.cache``). ``program``: whose store
    decides (``<program>-actual`` options: that program; the other options: Mozilla, whose store history is
    bundled). ``as_of``: the store as of that day (the replay of a past day). ``through_distrusted=False``: the
    action lives in client code that inspects the whole chain. ``ignore_alternate_paths=True``, or a record without
    the root's certificates: ``policy`` itself (today's behaviour)."""
    roots = tuple(getattr(record, "root_sha256s", ()) or ())
    if ignore_alternate_paths or not roots:
        return policy
    cache = _cache(record)
    day = _day(as_of) if as_of is not None else None
    key = ("store", program, day)
    if key not in cache:
        cache[key] = RootTrust.for_program(program, as_of=day, trust=getattr(record, "trust", None),
                                           sha256_by_certificate_id=getattr(record, "sha256_by_certificate_id", None))
    return PathAware(policy, graph_of(record), cache[key], roots, through_distrusted=through_distrusted)


def _cache(record) -> dict:
    cache = getattr(record, "cache", None)
    return {} if cache is None else cache


def graph_of(record, hierarchy: pd.DataFrame | None = None) -> CAGraph:
    """The CA graph of a report's record (its ``hierarchy``, or the one given, with the bundled CCADB table), built
    once per record."""
    cache = _cache(record)
    h = hierarchy if hierarchy is not None else getattr(record, "hierarchy", None)
    key = ("graph", id(h))
    if key not in cache:
        cache[key] = CAGraph.build(h)
    return cache[key]


def crosscheck_trusted_in(graph: CAGraph, hierarchy: pd.DataFrame, trust: RootTrust, day,
                          purpose: str = "Server Authentication") -> pd.DataFrame:
    """Where crt.sh and this module disagree about a CA of ``hierarchy`` on ``day`` (normally the query day): crt.sh's
    ``trusted_in`` (``ca_trust_purpose``, time-valid over all paths, e.g. ``Mozilla/Server Authentication``) against
    :func:`find_path` for ``trust.program`` with nothing avoided. Columns ``ca_id, ca_name, crtsh_trusted,
    decided_trusted, path``; only disagreeing CAs (empty: they agree, or crt.sh filled no ``trusted_in``)."""
    rows = []
    if "trusted_in" not in hierarchy:
        return pd.DataFrame(columns=["ca_id", "ca_name", "crtsh_trusted", "decided_trusted", "path"])
    want = f"{trust.program}/{purpose}"
    for ca_id, group in hierarchy.groupby("ca_id", sort=True):
        values = [v for v in group["trusted_in"] if v is not None and not (isinstance(v, float) and pd.isna(v))]
        if not values:
            continue
        crtsh_says = any(want in list(v) for v in values)
        p = find_path(graph, graph.node(int(ca_id)), day, trust)
        if crtsh_says != (p is not None):
            rows.append((int(ca_id), graph.label(graph.node(int(ca_id))), crtsh_says, p is not None,
                         p.describe(graph) if p else None))
    return pd.DataFrame(rows, columns=["ca_id", "ca_name", "crtsh_trusted", "decided_trusted", "path"])


def saved_by_path(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Issuances each path saved: ``category``, ``reason`` (naming the path) and ``certificates``, most first."""
    v = verdicts[verdicts["category"].astype(str).isin([SAVED, PATH_ENDS])]
    out = v.groupby(["category", "reason"], observed=True).size().rename("certificates").reset_index()
    out["category"] = out["category"].astype(str)
    out["reason"] = out["reason"].astype(str)
    return out.sort_values(["certificates", "reason"], ascending=[False, True], kind="stable").reset_index(drop=True)


def saved_by_option(evaluations: Mapping[str, object]) -> pd.DataFrame:
    """:func:`saved_by_path` for each option of a report (label -> :class:`analysis.tables.Evaluation`): columns
    ``option, category, reason, certificates``, options in order."""
    cols = ["option", "category", "reason", "certificates"]
    frames = [saved_by_path(ev.verdicts).assign(option=label) for label, ev in evaluations.items()]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def saved_sentence(evaluations: Mapping[str, object]) -> str:
    """One sentence for a report's summary: how many certificates other trust paths saved under each option, and
    against which store they were decided."""
    stores = list(dict.fromkeys(ev.policy.trust.source for ev in evaluations.values()
                                if isinstance(ev.policy, PathAware)))
    table = saved_by_option(evaluations)
    where = f" (decided against {'; '.join(stores)})" if stores else ""
    if not len(table):
        return f"No certificate validates through another path to a trusted root under any option{where}."
    parts = []
    for label, rows in table.groupby("option", sort=False):
        n = rows.groupby("category")["certificates"].sum()
        parts.append(f"under '{label}' {int(n.get(SAVED, 0)):,} still validate through another path until they "
                     f"expire" + (f", {int(n.get(PATH_ENDS, 0)):,} until that path ends" if PATH_ENDS in n else ""))
    return "Saved by another trust path: " + "; ".join(parts) + f"{where}; the counts above include this."
