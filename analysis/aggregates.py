"""The report for a CA too large to pull row by row: crt.sh's server-side counts only.

When a CA's hierarchy holds more unexpired certificate rows than the client's ``max_rows`` (see
:func:`analysis.crtsh.fetch_ca`), only ``certificate_aggregates`` is fetched: certificates by subject O=, by notAfter
month, by issuing CA, and by *cell*, each counted once per precertificate/certificate pair (distinct de-duplication
keys). A cell is every field an option or filter reads, coarsened so that the cells stay few (docs/aggregates.md):
issuing CA, kind (CA certificate, undecodable, not for TLS servers, TLS server certificate), notBefore month,
notAfter month, revocation day, and the *zones* of the certificate's DNS names (last label, plus the label before it
under a country code when that is at most 4 characters).

From the cells, :meth:`AggregateReport.options` evaluates every option of the scenario with the row-level library's
own policies and :func:`analysis.policies.classify`: each cell is stood for by representative certificates (its
months' first and last second, and each second around a date the scenario or a policy compares with that falls in
those months; both sides of a name constraint the zones cannot decide; both "seen in CT" and "never" for rules on the
earliest SCT). A cell whose representatives all get one status counts exactly; the others widen a lower/upper bound.
So an option is exact when its dates are month boundaries and its subtrees are zones, and bounded otherwise.

:meth:`AggregateReport.estimate` keeps the first, removal-only estimate (by notAfter month, every kind counted).
The hierarchy's own CA certificates are taken out of the counts, as in the row-by-row report.

Over 500 lines on purpose: one job (the report of a CA too large to pull), whose tables are all views of the one
evaluation of the server's cells; splitting the evaluation from the report would only move private helpers apart.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import figures, policies, repro
from analysis.crtsh import DEFAULT_MAX_ROWS
from analysis.normalise import NO_ORGANISATION, _PublicSuffixes, normalise, normalise_dns_name, registrable_domains
from analysis.report import (
    TEXT_WIDTH,
    _mozilla_presets,
    _wrap,
    check_max_rows,
    checked_scenario,
    code_version,
    command_for,
)
from analysis.scenario import Scenario
from analysis.sources import fetch_population, notebook_cache_dir, source_label
from analysis.textfmt import format_table, write_csv

_O = re.compile(r'(?:^|, )O=("(?:[^"\\]|\\.)*"|[^,]*)')


def _organisation_of(name: str) -> str | None:
    """The first O= of a crt.sh-format name (quotes and escapes undone)."""
    m = _O.search(name or "")
    if not m:
        return None
    value = m.group(1)
    if value.startswith('"'):
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


def _month(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m")


# -- cells: what the server counted, and what each option does to it --------------------------------------------------
CELL_KINDS = {"c": "CA certificate", "u": "unparsable", "x": "not for TLS servers", "s": "TLS server certificate"}
_SECOND = pd.Timedelta(seconds=1)
_DAY = pd.Timedelta(days=1)


def parse_cells(aggregates: pd.DataFrame) -> pd.DataFrame:
    """The ``cell`` rows of ``certificate_aggregates`` as columns: ``issuer_ca_id, kind, not_before_month,
    not_after_month, revoked, zones`` (a tuple), ``certificates`` (a pair once) and ``crtsh_rows``."""
    a = aggregates[aggregates["dimension"] == "cell"]
    rows = [json.loads(k) for k in a["key"]]
    cells = pd.DataFrame(rows, columns=["issuer_ca_id", "kind", "not_before_month", "not_after_month", "revoked",
                                        "zones"])
    cells["zones"] = [tuple(z) for z in cells["zones"]]
    cells["certificates"] = a["deduplicated"].to_numpy(dtype="int64")
    cells["crtsh_rows"] = a["certificates"].to_numpy(dtype="int64")
    return cells


def _zone_verdict(token: str, subtrees: tuple[str, ...]) -> bool | None:
    """Whether a name of this zone token (``=zone``: the name is the zone; ``.zone``: it lies below it) is within
    ``subtrees`` (RFC 5280, as :func:`analysis.policies.within_subtrees`): True, False, or None when it depends on
    labels the zone does not keep."""
    zone = token[1:]
    if token[0] == "=":
        return bool(policies.within_subtrees(pd.Series([zone]), subtrees)[0])
    verdicts = set()
    for sub in subtrees:
        base = normalise_dns_name(sub.strip())
        base = base[1:] if base.startswith(".") else base  # ".x" permits what lies below x; the name does
        if base == zone or zone.endswith("." + base):
            return True
        if base.endswith("." + zone):
            under = base[:-len(zone) - 1].rsplit(".", 1)[-1]
            # below a 2-character zone the server kept the next label when it had at most 4 characters
            verdicts.add(False if "." not in zone and len(zone) == 2 and len(under) <= 4 else None)
        else:
            verdicts.add(False)
    return None if None in verdicts else False


@functools.lru_cache(maxsize=1)
def _suffixes() -> _PublicSuffixes:
    return _PublicSuffixes()


def _cn_is_hostname(token: str) -> bool | None:
    """Whether a subject CN of this zone token is a host name by the Public Suffix List part of the rule (the
    server checked the syntax): True, False, or None when the labels the zone drops decide it."""
    zone = token[1:]
    if token[0] == "=":
        return bool(registrable_domains([zone])["is_valid_hostname"].iloc[0])
    psl = _suffixes()
    if "xn--" in zone or zone in psl.wildcard_bases or any(r.endswith("." + zone)
                                                           for r in psl.exact | psl.wildcard_bases):
        return None  # a rule below the zone (or punycode, matched decoded): the CN may itself be a public suffix
    labels = zone.split(".")
    known = any(".".join(labels[i:]) in psl.exact or ".".join(labels[i + 1:]) in psl.wildcard_bases
                for i in range(len(labels)))
    return known  # no rule at all: an unknown suffix, not a host name


def names_verdict(zones: tuple[str, ...], subtrees: tuple[str, ...]) -> bool | None:
    """Whether a certificate with these zone tokens passes a name constraint to ``subtrees``: every name within
    them (True), some name outside or no name at all (False), or undecided (None)."""
    if not zones:
        return False  # no DNS name (nor host-name CN): breaks
    if zones[0].startswith("c"):  # the subject CN, when it is a host name
        inside, valid = _zone_verdict(zones[0][1:], subtrees), _cn_is_hostname(zones[0][1:])
        return False if inside is False or valid is False else (None if valid is None else inside)
    verdicts = [_zone_verdict(z, subtrees) for z in zones]
    return False if False in verdicts else (None if None in verdicts else True)


def _dates_of(policy) -> set[pd.Timestamp]:
    """Every date a policy (and the policies it wraps or composes) compares a certificate's dates with."""
    out = {getattr(policy, a) for a in ("date", "effective", "sunset") if getattr(policy, a, None) is not None}
    for inner in [*getattr(policy, "policies", ()), *([policy.policy] if hasattr(policy, "policy") else [])]:
        out |= _dates_of(inner)
    return {pd.Timestamp(d) for d in out}


def _uses(policy, kind: type) -> list:
    found = [policy] if isinstance(policy, kind) else []
    for inner in [*getattr(policy, "policies", ()), *([policy.policy] if hasattr(policy, "policy") else [])]:
        found += _uses(inner, kind)
    return found


def _points(start: pd.Timestamp, end: pd.Timestamp, dates: list[pd.Timestamp]) -> list[pd.Timestamp]:
    """Seconds of [start, end) at which every comparison with ``dates`` (exact, or by UTC day) can change."""
    out = {start, end - _SECOND}
    for d in dates:
        day = d.normalize()
        out |= {d - _SECOND, d, day - _SECOND, day, day + _DAY - _SECOND, day + _DAY}
    return sorted(t for t in out if start <= t < end)


def _month_points(month: str, dates: list[pd.Timestamp]) -> list:
    if month == "unparsable":
        return [pd.NaT]
    start = pd.Timestamp(month + "-01")
    return _points(start, start + pd.offsets.MonthBegin(1), dates)


def _revocation_points(token: str, dates: list[pd.Timestamp], not_before: list) -> list:
    """``None``: not revoked; NaT: revoked at an unknown date; else the revocation times to try."""
    if token == "":
        return [None]
    if token == "?":
        return [pd.NaT]
    day = pd.Timestamp(token.rstrip("+"))
    if not token.endswith("+"):
        return [day]
    inside = [t for t in not_before if pd.notna(t)]
    return _points(day + _SECOND, day + _DAY, dates + inside)


def _span(lower: int, upper: int) -> str:
    """One number when exact, else the range ``lower–upper``."""
    return f"{lower:,}" if lower == upper else f"{lower:,}–{upper:,}"


@dataclass
class OptionBounds:
    """One option evaluated on the cells: per status, the certificates it certainly gets (``lower``) and possibly
    gets (``upper``)."""

    label: str
    policy: object
    lower: dict[str, int]
    upper: dict[str, int]
    why: list[str] = field(default_factory=list)  # what makes it inexact
    by_issuer: dict[int, list[int]] = field(default_factory=dict)  # issuing CA id -> [at least, at most] affected

    @property
    def exact(self) -> bool:
        return self.lower == self.upper


def _probe(scenario: Scenario, option, record):
    """The option's policy without a population (an allowlist's dates stand in for it: its list comes later)."""
    if option.kind == "allowlist":
        return policies.Allowlist(scenario.distrust_date, option.arg)
    return scenario.policy_for(option, mozilla_presets=record)


def evaluate_cells(cells: pd.DataFrame, scenario: Scenario, record=None) -> list[OptionBounds]:
    """Every option of ``scenario`` on the TLS server certificates of ``cells`` (kinds ``s`` and ``u``), through the
    library's policies and :func:`analysis.policies.classify` on representative certificates (module docstring)."""
    subs = cells[cells["kind"] == "s"].reset_index(drop=True)
    unparsable = int(cells.loc[cells["kind"] == "u", "certificates"].sum())
    s = scenario
    filters = {pd.Timestamp(d) for d in (s.as_of, s.distrust_date, s.expires_on_or_before, s.issued_after) if d}
    counts = subs["certificates"].to_numpy()
    results = []
    for option in s.options:
        probe = _probe(s, option, record)
        subtrees = tuple(sorted({p for pol in _uses(probe, policies.NameConstrained) for p in pol.permitted}))
        uses_sct = any(getattr(p, "basis", "") == "earliest_sct" for p in _uses(probe, policies.DistrustAfter))
        names = {z: names_verdict(z, subtrees) for z in set(subs["zones"])} if subtrees else {}
        inside = next((p if not p.startswith(".") else "a" + p for p in subtrees), "")
        norm, owner = _population(subs, sorted(filters | _dates_of(probe)), names, inside, uses_sct)
        policy = s.policy_for(option, norm, mozilla_presets=record)
        status = policies.classify(norm, policy, expires_on_or_before=s.expires_on_or_before,
                                   issued_after=s.issued_after)["status"].astype(str).to_numpy()
        found = pd.Series(status).groupby(owner).agg(frozenset)
        lower = dict.fromkeys(policies.STATUSES, 0)
        upper = dict(lower)
        issuers = subs["issuer_ca_id"].to_numpy()
        affected: dict[int, list[int]] = {}  # issuing CA -> [at least, at most] affected
        for i, statuses in found.items():
            for st in statuses:
                upper[st] += int(counts[i])
            if len(statuses) == 1:
                lower[next(iter(statuses))] += int(counts[i])
            if "affected" in statuses:
                pair = affected.setdefault(int(issuers[i]), [0, 0])
                pair[0] += int(counts[i]) if len(statuses) == 1 else 0
                pair[1] += int(counts[i])
        lower["unparsable"] += unparsable
        upper["unparsable"] += unparsable
        why = []
        if any(len(f) > 1 for f in found):
            why.append("dates within a month")
        if None in names.values():
            why.append(f"names the zones cannot place against {', '.join(subtrees)}")
        if uses_sct:
            why.append("the earliest SCT, which the server does not count")
        results.append(OptionBounds(option.label, policy, lower, upper, why, affected))
    return results


def _population(subs: pd.DataFrame, dates: list[pd.Timestamp], names: dict, inside: str, uses_sct: bool):
    """Representative certificates of the cells, normalised, and the cell of each: every combination of the cell's
    notBefore, notAfter and revocation points, of its names' possible verdicts (a name within the subtrees, or none:
    both fail alike) and, for a rule on the earliest SCT, of "seen in CT before any date" and "never"."""
    rows, revoked, seen = [], [], []
    variants = {True: [[inside]], False: [[]], None: [[inside], []]}
    months = {m: _month_points(m, dates) for m in {*subs["not_before_month"], *subs["not_after_month"]}}
    revocations = {(r, m): _revocation_points(r, dates, months[m])
                   for r, m in set(zip(subs["revoked"], subs["not_before_month"]))}
    for i, cell in enumerate(subs.itertuples(index=False)):
        nbs, nas = months[cell.not_before_month], months[cell.not_after_month]
        combos = [(nb, na, rv, dns, ct) for nb in nbs for na in nas
                  for rv in revocations[cell.revoked, cell.not_before_month]
                  for dns in variants[names.get(cell.zones, True) if names else True]
                  for ct in ((False, True) if uses_sct else (False,))]
        for nb, na, rv, dns, ct in combos:
            rows.append((i, cell.issuer_ca_id, nb, na, dns))
            if rv is not None:
                revoked.append((len(rows), rv))
            if ct:
                seen.append(len(rows))
    ids = np.arange(1, len(rows) + 1, dtype="int64")
    hexes = [f"{k:064X}" for k in ids]
    when = lambda values: pd.to_datetime(pd.Series(values, dtype="object")).astype("datetime64[ns]")  # noqa: E731
    certs = pd.DataFrame({
        "certificate_id": ids, "issuer_ca_id": np.array([r[1] for r in rows], dtype="int64"), "issuer_name": "",
        "sha256": hexes, "serial_number": hexes, "not_before": when([r[2] for r in rows]),
        "not_after": when([r[3] for r in rows]), "subject_o": None, "subject_cn": None,
        "dns_names": [r[4] for r in rows], "policy_oids": [[] for _ in rows], "is_precertificate": False,
        "is_server_auth": True, "dedup_key": hexes, "parse_error": None})
    rev = pd.DataFrame({"certificate_id": np.array([k for k, _ in revoked], dtype="int64"),
                        "revocation_date": when([t for _, t in revoked]),
                        "reason_code": pd.array([None] * len(revoked), dtype="Int64")})
    ct = pd.DataFrame({"certificate_id": np.array(seen, dtype="int64"),
                       "earliest_entry": when([pd.Timestamp("1970-01-01")] * len(seen))})
    return normalise(certs, revocations=rev, ct=ct), np.array([r[0] for r in rows], dtype="int64")


@dataclass
class AggregateReport:
    scenario: Scenario
    source: str
    fetched: object  # analysis.crtsh.FetchResult with mode "aggregates"
    output_dir: Path | None = None
    max_rows: int | None = None  # the row limit that chose server-side counts (None: the default)
    _checksum: str | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(cls, *, ca: str, distrust_date: str, as_of: str = "", expires_on_or_before: str = "",
              issued_after: str = "", options: list[str] | str = "removal", source: str = "crtsh", cache_dir: str = "",
              output_dir: str = "", max_rows: int | None = None, fetched=None) -> "AggregateReport":
        scenario = checked_scenario(ca=ca, distrust_date=distrust_date, as_of=as_of,
                                    expires_on_or_before=expires_on_or_before, issued_after=issued_after,
                                    options=options)
        check_max_rows(max_rows)
        if fetched is None:
            fetched = fetch_population(scenario.ca, scenario.as_of, source, notebook_cache_dir(cache_dir),
                                       max_rows=DEFAULT_MAX_ROWS if max_rows is None else max_rows)
        return cls(scenario, source, fetched, Path(output_dir) if output_dir else None, max_rows)

    # -- the counts, without the hierarchy's own CA certificates -------------------------------------------------
    def _ca_certificates(self) -> pd.DataFrame:
        h = self.fetched.hierarchy
        as_of = pd.Timestamp(self.scenario.as_of)
        cas = set(self.fetched.issuing_ca_ids)
        keep = h[h["parent_ca_id"].isin(cas) & (h["not_after"] >= as_of)].drop_duplicates("certificate_id")
        return keep

    def _dimension(self, name: str) -> pd.DataFrame:
        a = self.fetched.aggregates
        d = a[a["dimension"] == name][["key", "certificates", "precertificates", "deduplicated"]].copy()
        return d.reset_index(drop=True)

    def by_organisation(self) -> pd.DataFrame:
        """``organisation, certificates`` (a pair counted once), ``crtsh_rows``, sorted by certificates."""
        d = self._dimension("organization")
        ca = self._ca_certificates()
        minus = ca["ca_name"].map(_organisation_of).value_counts(dropna=False)
        ca_rows = d["key"].map(lambda k: int(minus.get(k, 0))).astype("int64")
        d["crtsh_rows"] = d["certificates"] - ca_rows
        d["certificates"] = d["deduplicated"] - ca_rows
        d["organisation"] = d["key"].fillna(NO_ORGANISATION)
        d = d[d["certificates"] > 0]
        return (d[["organisation", "certificates", "crtsh_rows"]]
                .sort_values(["certificates", "organisation"], ascending=[False, True]).reset_index(drop=True))

    def by_issuing_ca(self) -> pd.DataFrame:
        d = self._dimension("issuer_ca_id")
        ca = self._ca_certificates()
        minus = ca["parent_ca_id"].astype("int64").astype(str).value_counts()
        d["certificates"] = d["deduplicated"] - d["key"].map(lambda k: int(minus.get(k, 0))).astype("int64")
        names = dict(zip(self.fetched.hierarchy["ca_id"].astype(str), self.fetched.hierarchy["ca_name"]))
        d["issuer_name"] = d["key"].map(names)
        d = d.rename(columns={"key": "issuer_ca_id"})
        return d[["issuer_name", "issuer_ca_id", "certificates"]].sort_values("certificates", ascending=False) \
            .reset_index(drop=True)

    def by_month(self) -> pd.DataFrame:
        """Per notAfter month: ``certificates`` and what a removal on the distrust date does to them (``status``:
        ``excluded`` by the expiry filter, ``expires before the distrust``, ``partly affected`` (the distrust
        month, or the filter's month when it is not a month end), ``affected``)."""
        d = self._dimension("not_after_month")
        ca = self._ca_certificates()
        minus = ca["not_after"].map(_month).value_counts()
        d["certificates"] = d["deduplicated"] - d["key"].map(lambda k: int(minus.get(k, 0))).astype("int64")
        s = self.scenario
        distrust = _month(s.distrust_date)
        cut = s.expires_on_or_before
        statuses = []
        for month in d["key"]:
            if month == "unparsable":
                statuses.append("unparsable")
                continue
            first = dt.date.fromisoformat(month + "-01")
            last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
            if cut and last <= cut:
                statuses.append("excluded")
            elif month < distrust:
                statuses.append("expires before the distrust")
            elif month == distrust or (cut and first <= cut < last):
                statuses.append("partly affected")
            else:
                statuses.append("affected")
        d["status"] = statuses
        return d.rename(columns={"key": "month"})[["month", "certificates", "status"]]

    def estimate(self) -> pd.DataFrame:
        """Headline numbers of a removal on the distrust date, with their bounds and what they leave out."""
        m = self.by_month()
        total = int(m["certificates"].sum())
        count = lambda *st: int(m.loc[m["status"].isin(st), "certificates"].sum())  # noqa: E731
        lower = count("affected")
        upper = lower + count("partly affected")
        orgs = self.by_organisation()
        rows = [
            ("certificates (pairs once)", total, "unexpired on the snapshot date, the hierarchy's CA certificates "
                                                 "left out"),
            ("excluded: expire on or before the filter date", count("excluded"), "whole months only"),
            ("expire before the distrust", count("expires before the distrust"), ""),
            ("affected, at least", lower, "notAfter in a month wholly after the distrust date; revoked certificates "
                                          "and those issued after the cut-off included (counts cannot tell)"),
            ("affected, at most", upper, "plus the distrust month (and a partly filtered month); same caveat"),
            ("unparsable", count("unparsable"), "notAfter unknown"),
            ("organisations (O=) with unexpired certificates", int((orgs["organisation"] != NO_ORGANISATION).sum()),
             "any expiry: per-organisation counts are not split by month on the server"),
        ]
        return pd.DataFrame(rows, columns=["metric", "value", "note"])

    # -- every option, from the cells ------------------------------------------------------------------------------
    @functools.cached_property
    def cells(self) -> pd.DataFrame:
        """The server's cells (see :func:`parse_cells`)."""
        return parse_cells(self.fetched.aggregates)

    @functools.cached_property
    def option_bounds(self) -> list[OptionBounds]:
        actual = any(o.kind.endswith("-actual") for o in self.scenario.options)  # the presets take a second
        return evaluate_cells(self.cells, self.scenario, _mozilla_presets(self.fetched) if actual else None)

    def options(self) -> pd.DataFrame:
        """Every option of the scenario, one row per (option, status): ``at_least`` and ``at_most`` certificates
        (a pair once; equal when the counts decide every certificate), ``exact``, and ``inexact_because``."""
        rows = [(b.label, st, b.lower[st], b.upper[st], b.lower[st] == b.upper[st], "; ".join(b.why))
                for b in self.option_bounds for st in policies.STATUSES]
        return pd.DataFrame(rows, columns=["option", "status", "at_least", "at_most", "exact", "inexact_because"])

    def options_compared(self, statuses=("affected", "survives", "revoked")) -> pd.DataFrame:
        """The options side by side: one row per option, one column per status, each an exact number or a range
        ``at least–at most``."""
        return pd.DataFrame([[b.label, *(_span(b.lower[st], b.upper[st]) for st in statuses)]
                             for b in self.option_bounds], columns=["option", *statuses])

    def affected_by_issuing_ca(self) -> pd.DataFrame:
        """Affected certificates per issuing CA (intermediate) and option: ``at least–at most``, or one number."""
        names = dict(zip(self.fetched.hierarchy["ca_id"], self.fetched.hierarchy["ca_name"]))
        names.update(zip(self.fetched.root["ca_id"], self.fetched.root["ca_name"]))
        ids = sorted({i for b in self.option_bounds for i in b.by_issuer}, key=lambda i: (str(names.get(i, "")), i))
        out = pd.DataFrame({"issuer_name": [names.get(i) for i in ids], "issuer_ca_id": ids})
        for b in self.option_bounds:
            out[b.label] = [_span(*b.by_issuer.get(i, (0, 0))) for i in ids]
        return out

    def counted(self) -> pd.DataFrame:
        """What the cells hold, per kind (a pair once): the TLS server certificates the options judge, and what is
        left out as in the row-by-row report."""
        c = self.cells
        rows = [(CELL_KINDS[k], int(c.loc[c["kind"] == k, "certificates"].sum()),
                 {"c": "left out: the hierarchy's own CA certificates", "u": "counted as unparsable",
                  "x": "left out: their EKU rules out TLS servers", "s": "judged by every option"}[k])
                for k in ("s", "u", "x", "c")]
        return pd.DataFrame(rows, columns=["kind", "certificates", "note"])

    def limits(self) -> pd.DataFrame:
        """What the server-side counts cannot give, and why (docs/aggregates.md)."""
        kinds = {o.kind for o in self.scenario.options}
        rows = [("dates inside a month", "cells keep the months of notBefore and notAfter: a date that is not a "
                 "month boundary leaves the certificates of its month as a range"),
                ("affected per organisation or domain", "the cells are not split by organisation or name "
                 "(per issuing CA they are); organisations are counted over every expiry"),
]
        if "constrain" in kinds:
            rows.append(("names below a zone", "a constraint deeper than a zone (e.g. ville.gouv.fr, or example.fr) "
                         "leaves the certificates with names in that zone as a range"))
        if kinds & {"sct-after", "chrome-actual"}:
            rows.append(("earliest SCT", "not counted on the server: it is a probe of every ct_log_entry partition "
                         "per certificate, the most expensive part of the row-by-row fetch; the range spans "
                         "'seen in CT before the cut-off' and 'never'"))
        return pd.DataFrame(rows, columns=["what", "why"])

    # -- what the report shows -------------------------------------------------------------------------------------
    @property
    def ca_name(self) -> str:
        root = self.fetched.root
        return str(root["ca_name"].iloc[0]) if len(root) else self.scenario.ca

    @property
    def ca_short_name(self) -> str:
        parts = [p[3:] for p in self.ca_name.split(", ") if p.startswith("CN=")]
        return parts[-1] if parts else self.ca_name

    @property
    def query_time(self) -> str:
        return str(self.fetched.provenance.get("fetched_at", "unknown"))

    def provenance(self) -> pd.DataFrame:
        s = self.scenario
        rows = [("CA", self.ca_name), ("root crt.sh CA id", str(self.fetched.root_ca_id)),
                ("source", source_label(self.source)), ("query time (UTC)", self.query_time),
                ("mode", f"server-side aggregates: {self.fetched.rows_planned:,} unexpired rows is more than the "
                         f"row-by-row limit ({self.fetched.provenance['parameters'].get('max_rows'):,})"),
                ("snapshot: certificates unexpired on", s.as_of.isoformat()),
                ("distrust date", s.distrust_date.isoformat()),
                ("filter: expires on or before", s.expires_on_or_before.isoformat() if s.expires_on_or_before
                 else "off"),
                ("filter: issued after", s.issued_after.isoformat() + " (to the month)" if s.issued_after
                 else "off"),
                ("options", "; ".join(o.spec for o in s.options) + " (from the cells: exact or a range)"),
                ("code version", code_version())]
        return pd.DataFrame(rows, columns=["item", "value"])

    def _hist(self) -> pd.DataFrame:
        m = self.by_month()
        m = m[m["month"] != "unparsable"]
        hist = pd.DataFrame({"month": m["month"]})
        hist["affected"] = m["certificates"].where(m["status"].isin(["affected", "partly affected"]), 0)
        hist["survivors"] = m["certificates"].where(m["status"] == "expires before the distrust", 0)
        hist["revoked"] = 0
        hist["excluded"] = m["certificates"].where(m["status"] == "excluded", 0)
        return hist.reset_index(drop=True)

    def reproduce_line(self) -> str:
        """The line every output ends with: the report command (with the row limit, when not the default, that made
        it a report from counts) and the checksum of the counts it was computed from."""
        cmd = command_for({**self.scenario.parameters(), "source": self.source})
        if self.max_rows is not None and self.max_rows != DEFAULT_MAX_ROWS:
            cmd += ["--max-rows", str(self.max_rows)]
        if self._checksum is None:  # the figures and every table end with the same line: the counts hashed once
            self._checksum = repro.input_checksum({"aggregates": self.fetched.aggregates})
        return repro.reproduce_line(cmd, checksum=self._checksum)

    def _stem(self, name: str):
        return None if self.output_dir is None else self.output_dir / "figures" / name

    def _policy(self) -> str:
        return f"removal on {self.scenario.distrust_date} (upper bound; server-side counts)"

    def figure_expiry(self):
        return figures.plot_expiry_histogram(self._hist(), ca=self.ca_short_name,
                                             distrust_date=self.scenario.distrust_date,
                                             source=source_label(self.source), query_time=self.query_time,
                                             policy=self._policy(), path_stem=self._stem("expiry_by_month"),
                                             reproduce=self.reproduce_line())

    def figure_top_organisations(self, top: int = 15):
        orgs = self.by_organisation()
        return figures.plot_top(orgs, "organisation", what="Top organisations by unexpired certificates",
                                ca=self.ca_short_name, top=top, total=int(orgs["certificates"].sum()),
                                source=source_label(self.source), query_time=self.query_time,
                                policy="server-side counts, any expiry", path_stem=self._stem("top_organisations"),
                                reproduce=self.reproduce_line())

    def figure_alt(self, which: str) -> str:
        """Alt text of a figure: what it shows, in a sentence (plain text; the HTML escapes it)."""
        e = self.estimate().set_index("metric")["value"]
        if which == "expiry":
            return (f"Bar chart: unexpired certificates of {self.ca_short_name} by month of expiry (crt.sh's counts); "
                    f"a removal on {self.scenario.distrust_date} breaks between {e['affected, at least']:,} and "
                    f"{e['affected, at most']:,}.")
        top = self.by_organisation().head(1)
        lead = (f"; the most is {top['organisation'].iloc[0]} with {int(top['certificates'].iloc[0]):,}"
                if len(top) else "")
        return f"Bar chart: the organisations holding the most unexpired certificates of {self.ca_short_name}{lead}."

    def summary_text(self, width: int = TEXT_WIDTH) -> str:
        s = self.scenario
        head = [f"Distrust impact (server-side counts): {self.ca_name}",
                f"Source: {source_label(self.source)}, queried {self.query_time}.",
                f"{self.fetched.rows_planned:,} unexpired crt.sh rows on {s.as_of}: too many to pull one by one, "
                f"so these are crt.sh's own counts.",
                "",
                "Every option below comes from crt.sh's counts per cell (notBefore and notAfter month, revocation "
                "day, zones of the DNS names): a number is exact, a range 'a–b' bounds the true one."]
        first = self.option_bounds[0]
        span = lambda st: _span(first.lower[st], first.upper[st])  # noqa: E731
        counted = self.counted().set_index("kind")["certificates"]
        tail = [f"Judged: {counted[CELL_KINDS['s']]:,} TLS server certificates (a pair once); every option "
                f"leaves out {span('excluded_expired')} expiring on or before the filter date and "
                f"{span('excluded_issued_after')} issued after the cut-off; {counted[CELL_KINDS['x']]:,} not for "
                f"TLS servers are left out, {counted[CELL_KINDS['u']]:,} unparsable counted apart.",
                *(f"Not from counts: {w}: {why}." for w, why in self.limits().itertuples(index=False))]
        blocks = ["\n".join(_wrap(line, width) for line in head),
                  format_table(self.options_compared(), width=width, title="Options compared"),
                  "\n".join(_wrap(line, width) for line in tail),
                  format_table(self.estimate()[["metric", "value"]], width=width,
                               title="Removal by month of expiry (every kind of certificate)"),
                  format_table(self.by_organisation().head(20), width=width,
                               title="Top organisations, unexpired certificates (any expiry)")]
        return "\n\n".join(blocks) + "\n"

    def write_outputs(self) -> list[Path]:
        out = self.output_dir / "tables"
        out.mkdir(parents=True, exist_ok=True)
        line = self.reproduce_line()
        paths = [write_csv(self.options(), out / "options.csv", reproduce=line),
                 write_csv(self.counted(), out / "counted.csv", reproduce=line),
                 write_csv(self.affected_by_issuing_ca(), out / "affected_by_issuing_ca.csv", reproduce=line),
                 write_csv(self.estimate(), out / "estimate.csv", reproduce=line),
                 write_csv(self.by_organisation(), out / "by_organisation.csv", reproduce=line),
                 write_csv(self.by_month(), out / "by_month.csv", reproduce=line),
                 write_csv(self.by_issuing_ca(), out / "by_issuing_ca.csv", reproduce=line),
                 write_csv(self.provenance(), out / "provenance.csv", reproduce=line)]
        summary = self.output_dir / "summary.txt"
        summary.write_text(self.summary_text() + "\n" + line + "\n", encoding="utf-8")
        return paths + [summary]
