"""The core impact tables of a CA too large for memory, computed by DuckDB from the Parquet cache.

A CA of tens of millions of certificate rows does not fit in pandas on a laptop (the in-memory library needs ~0.5 KB
per row above its input frames, and the input frames themselves ~0.5 KB per row). This module reads the cached
Parquet files with DuckDB, which spills its hash tables and intermediate tables to disk under a memory limit, and
returns the same tables as :class:`analysis.tables.Evaluation` — the summary counts, by organisation, by
registrable domain, by intermediate, the expiry histogram and the survival curve — equal to the pandas library's,
value for value (``tests/integration/test_outofcore.py`` compares them exactly).

Every counting rule of ``docs/rules.md`` is applied, in SQL where it is arithmetic and through the library's own
functions where it is a string rule:

* rows of the hierarchy's CA certificates and rows whose EKU excludes TLS servers are left out (as
  :func:`analysis.report.subscriber_certificates` does);
* a precertificate and its final certificate count once (same issuer, serial number and ``dedup_key``; rows with a
  ``parse_error`` or no ``dedup_key`` are issuances of their own); fields come from the final certificate, the
  lowest crt.sh id first (:func:`analysis.normalise.normalise`);
* organisation keys and display names: :func:`analysis.normalise.organisation_table`, once per distinct O=;
* DNS names, the subject CN standing in when there is no SAN, registrable domains and invalid names:
  :func:`analysis.normalise.name_table`, once per distinct name, fed batch by batch;
* revocations over all rows of an issuance (the earliest known date); the two analysis filters on UTC dates; the
  status precedence of :func:`analysis.policies.classify`.

Policies: :class:`~analysis.policies.Removal`, :class:`~analysis.policies.DistrustAfter` on notBefore or on the
earliest SCT (the earliest CT entry over every row of an issuance, from the CT side frame) and
:class:`~analysis.policies.NameConstrained` (RFC 5280 subtrees on the same names the library judges); other policies
are refused with a one-line error. Timestamps are int64 nanoseconds with NaT as the smallest int64, exactly as the
pandas library computes.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.normalise import name_table, organisation_table
from analysis.policies import (
    STATUSES,
    Allowlist,
    DistrustAfter,
    NameConstrained,
    Policy,
    Removal,
    as_utc_timestamp,
)
from analysis.tables import NO_REGISTRABLE_DOMAIN, SUMMARY_METRICS, summary_frame

NAT = np.iinfo(np.int64).min
DAY = 86_400 * 10**9
NAME_BATCH = 200_000  # distinct names handed to the Public Suffix rules at a time

# Status codes in the order of analysis.policies.STATUSES.
_S = {s: i for i, s in enumerate(STATUSES)}


def _day(x: str) -> str:
    """SQL: start of the UTC day of an int64-ns expression (NaT kept), floor semantics like numpy's mod."""
    return f"(CASE WHEN {x} = {NAT} THEN {NAT} ELSE {x} - ((({x}) % {DAY}) + {DAY}) % {DAY} END)"


def _ns_sql(col: str) -> str:
    return f"coalesce(epoch_ns({col}), {NAT})"


def _ns(value) -> int:
    return int(as_utc_timestamp(value).value)


@dataclass
class OutOfCoreImpact:
    """The core tables of one policy on one population (see :func:`impact`); each is a pandas DataFrame shaped
    exactly like the :class:`analysis.tables.Evaluation` method of the same name (status ``affected``, three
    examples)."""

    policy: Policy
    summary_values: dict[str, int]
    by_organisation: pd.DataFrame
    by_registrable_domain: pd.DataFrame
    by_intermediate: pd.DataFrame
    expiry_histogram: pd.DataFrame
    survival_curve: pd.DataFrame
    by_validation_level: pd.DataFrame | None = None
    by_status: pd.DataFrame | None = None
    expires_on_or_before: pd.Timestamp | None = None
    issued_after: pd.Timestamp | None = None
    stats: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """``metric, value, description``, as :func:`analysis.tables.summary`."""
        return summary_frame(self.summary_values, self.expires_on_or_before, self.issued_after)


def impact(certificates: str | Path | Sequence[str | Path], policy: Policy, **kwargs) -> OutOfCoreImpact:
    """The core impact tables of ``policy`` on the certificates in Parquet file(s), out of core (:func:`impact_many`
    with one policy)."""
    return impact_many(certificates, [policy], **kwargs)[0]


def impact_many(certificates: str | Path | Sequence[str | Path], policies: Sequence[Policy], *,
                revocations: str | Path | None = None, ct: str | Path | None = None,
                ca_certificate_ids: Iterable[int] = (), expires_on_or_before=None, issued_after=None,
                reference=None, memory_limit: str = "4GB", threads: int | None = None,
                work_dir: str | Path | None = None) -> list[OutOfCoreImpact]:
    """The core impact tables of each of ``policies`` on the certificates in Parquet file(s), out of core: the
    population (issuances, names, organisations, revocations) is built once, then each policy is classified on it.

    Args:
        certificates: Parquet file(s) of the certificates frame (``docs/design.md``; ``is_server_auth`` optional),
            in row order (several files: read one after the other).
        policies: :class:`Removal` or :class:`DistrustAfter` (either basis), possibly wrapped by
            :class:`~analysis.policies.Cited` (reasons citing their source), or a
            :class:`~analysis.trustpaths.PathAware` that :func:`paths_save_nothing` cleared.
        revocations: Parquet file of ``certificate_id, revocation_date`` (optional).
        ct: Parquet file of ``certificate_id, earliest_entry`` (needed by the earliest-SCT rule only; the earliest
            entry over every row of an issuance).
        ca_certificate_ids: crt.sh ids of the hierarchy's CA certificates (left out of the counts).
        expires_on_or_before, issued_after: the analysis filters (UTC dates), as :func:`analysis.tables.evaluate`.
        reference: the date the expiry histogram and the survival curve count from (default: each policy's date),
            as the ``reference`` of :meth:`analysis.tables.Evaluation.expiry_histogram`.
        memory_limit: DuckDB's memory limit (it spills to ``work_dir`` beyond it).
        threads: DuckDB threads (default: DuckDB's choice, every core).
        work_dir: folder for DuckDB's database and spill files (default: a temporary folder, removed after).
    """
    for policy in policies:
        check_policy(policy, ct)
    import duckdb

    files = [Path(certificates)] if isinstance(certificates, (str, Path)) else [Path(p) for p in certificates]
    for f in files + [Path(p) for p in (revocations, ct) if p is not None]:
        if not f.is_file():
            raise FileNotFoundError(f"{f}: no such Parquet file")
    needs_ct = any(getattr(_core(p), "basis", None) == "earliest_sct" for p in policies)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="outofcore.") as tmp:
        config = {"memory_limit": memory_limit, "temp_directory": os.path.join(tmp, "spill"),
                  "preserve_insertion_order": False}
        if threads:
            config["threads"] = int(threads)
        con = duckdb.connect(os.path.join(tmp, "impact.duckdb"), config=config)
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error:  # in a Jupyter kernel without ipywidgets DuckDB refuses the setting (and shows no bar)
            pass
        try:
            run = _Run(con, files, revocations, ca_certificate_ids, expires_on_or_before, issued_after,
                       ct if needs_ct else None, any(isinstance(_core(p), ExistingAllowlist) for p in policies))
            return run.all_tables(list(policies), reference)
        finally:
            con.close()


def impact_from_bundle(bundle: str | Path, policy: Policy, **kwargs) -> OutOfCoreImpact:
    """:func:`impact` on a cached fetch (:func:`impact_many_from_bundle` with one policy)."""
    return impact_many_from_bundle(bundle, [policy], **kwargs)[0]


def impact_many_from_bundle(bundle: str | Path, policies: Sequence[Policy], **kwargs) -> list[OutOfCoreImpact]:
    """:func:`impact_many` on a cached fetch (``analysis/cache.py`` bundle): its ``certificates`` and ``revocations``
    Parquet files, checksums and row counts checked against their sidecars without loading them, and the CA
    certificates of its ``root`` and ``hierarchy`` frames left out (:func:`analysis.report.ca_certificate_ids`)."""
    from types import SimpleNamespace

    from analysis.cache import Bundle, CacheError, file_sha256
    from analysis.crtsh.rows import small_frame
    from analysis.report import ca_certificate_ids

    b = Bundle(Path(bundle))
    if b.manifest() is None:
        raise CacheError(f"{bundle}: no manifest (incomplete bundle)")
    paths = {}
    for name in ("certificates", "revocations", "ct"):
        side = json.loads((b.path / f"{name}.json").read_text())
        path = b.path / f"{name}.parquet"
        if file_sha256(path) != side.get("parquet_sha256"):
            raise CacheError(f"{path}: checksum mismatch with its sidecar")
        if pq.ParquetFile(path).metadata.num_rows != side.get("rows"):
            raise CacheError(f"{path}: row count differs from its sidecar")
        paths[name] = path
    small = {name: small_frame(name, b.read_frame(name)[0].to_pandas()) for name in ("root", "hierarchy")}
    return impact_many(paths["certificates"], policies, revocations=paths["revocations"], ct=paths["ct"],
                       ca_certificate_ids=ca_certificate_ids(SimpleNamespace(**small)), **kwargs)


def _core(policy: Policy) -> Policy:
    """The rule the SQL computes: ``policy`` without the wrappers that change only its texts
    (:class:`~analysis.policies.Cited`) or that decide nothing here (a :class:`~analysis.trustpaths.PathAware` that
    ignores paths, or that :func:`paths_save_nothing` cleared for this population)."""
    from analysis.policies import Cited
    from analysis.trustpaths import PathAware

    while True:
        if isinstance(policy, Cited):
            policy = policy.policy
        elif isinstance(policy, PathAware) and (policy.ignore or getattr(policy, "outofcore_cleared", False)):
            policy = policy.policy
        else:
            return policy


def paths_save_nothing(policy: Policy, issuer_ca_ids: Iterable[int], first_day, last_day) -> bool:
    """Whether alternate trust paths (:class:`~analysis.trustpaths.PathAware`) save no certificate issued by
    ``issuer_ca_ids`` breaking between ``first_day`` and ``last_day``: no issuing CA has a path to a trusted root on
    any of those days (:meth:`~analysis.trustpaths.PathAware.timeline`). Then the policy's verdicts are its inner
    policy's, and the out-of-core engine computes them (the policy is marked so). Any other policy: True."""
    from analysis.trustpaths import PathAware

    p = policy
    while not isinstance(p, PathAware):
        inner = getattr(p, "__dict__", {}).get("policy")
        if inner is None:
            return True
        p = inner
    if p.ignore:
        return True
    start, end = pd.Timestamp(first_day).normalize(), pd.Timestamp(last_day).normalize()
    for ca in sorted({int(c) for c in issuer_ca_ids}):
        if any(seg[2] is not None for seg in p.timeline(ca, start, max(start, end))):
            return False
    p.outofcore_cleared = True
    return True


class ExistingAllowlist(Allowlist):
    """:meth:`Allowlist.existing` of a population counted out of core: every certificate issued on or before
    ``cutoff`` (UTC dates) listed until ``sunset``, the others breaking on ``date``. The hashes stay in DuckDB
    (:meth:`_Run._allowlist`); their number goes into :attr:`rule` once counted. Its ``evaluate`` only describes
    its categories (on a population of no certificate): the verdicts are computed by :func:`impact_many`."""

    def __init__(self, date, sunset, cutoff):
        super().__init__(date, sunset)
        self.cutoff = as_utc_timestamp(cutoff)
        self._rule_of_none = self.rule
        self.hash_count: int | None = None

    def set_hash_count(self, n: int) -> None:
        self.hash_count = n
        self.rule = self._rule_of_none.replace(" 0 certificate hashes", f" {n} certificate hashes", 1)

    def evaluate(self, normalised) -> pd.DataFrame:
        if len(normalised.issuances):
            raise ValueError(f"{self.name}: this allowlist is computed out of core (analysis.outofcore.impact_many)")
        return super().evaluate(normalised)


def check_policy(policy: Policy, ct) -> None:
    core = _core(policy)
    if isinstance(core, (Removal, NameConstrained, ExistingAllowlist)) or (
            isinstance(core, DistrustAfter) and core.basis == "not_before"):
        return
    if isinstance(core, DistrustAfter) and core.basis == "earliest_sct":
        if ct is None:
            raise ValueError(f"{policy.name}: the earliest-SCT rule needs the CT side frame (ct=...)")
        return
    raise ValueError(f"the out-of-core engine computes removal, distrust-after (notBefore or earliest SCT), name "
                     f"constraints and the allowlist of existing certificates, not "
                     f"{type(core).__name__} ({policy.name}); use analysis.tables.evaluate")


def _breaks_on_sql(policy: Policy) -> tuple[str, list, str, list]:
    """SQL for ``breaks_on`` (int64 ns, NaT = never) and for the category code (the index into the policy's
    ``evaluate`` table of categories) of columns ``nb``, ``na`` (and ``sct``), as the policy's ``evaluate``."""
    policy = _core(policy)
    if isinstance(policy, ExistingAllowlist):
        # listed (table al, see _Run._allowlist): break at the sunset, others at the date, while unexpired
        at = "greatest(CASE WHEN al.iid IS NOT NULL THEN ? ELSE ? END, nb)"
        when = [_ns(policy.sunset), _ns(policy.date)]
        # allowlisted_until_sunset, not_allowlisted, allowlisted_expires_before_sunset, expires_before_break
        code = (f"CASE WHEN al.iid IS NOT NULL THEN (CASE WHEN na >= {at} THEN 0 ELSE 2 END) "
                f"ELSE (CASE WHEN na >= {at} THEN 1 ELSE 3 END) END")
        return f"CASE WHEN na >= {at} THEN {at} ELSE {NAT} END", when * 2, code, when * 2
    if isinstance(policy, NameConstrained):
        # fails: a name outside the subtrees, or no name at all (table ncf, see _Run._constraints)
        at, fails = "greatest(?, nb)", "coalesce(ncf.outside, TRUE)"
        when = _ns(policy.date)
        # within_constraints, outside_constraints, no_dns_name, expires_before_break
        code = f"CASE WHEN NOT {fails} THEN 0 WHEN NOT (na >= {at}) THEN 3 WHEN ncf.iid IS NOT NULL THEN 1 ELSE 2 END"
        return f"CASE WHEN {fails} AND na >= {at} THEN {at} ELSE {NAT} END", [when] * 2, code, [when]
    if isinstance(policy, Removal):
        at = "greatest(?, nb)"
        when = _ns(policy.date)
        # removed, issued_after_removal, expires_before_break
        code = f"CASE WHEN NOT (na >= {at}) THEN 2 WHEN nb > ? THEN 1 ELSE 0 END"
        return f"CASE WHEN na >= {at} THEN {at} ELSE {NAT} END", [when] * 2, code, [when] * 2
    # DistrustAfter: trusted iff notBefore / the earliest CT entry (or its UTC day) <= the cut-off; others (no CT
    # entry included) break from max(effective, notBefore) while unexpired.
    col = "nb" if policy.basis == "not_before" else "sct"
    key, cutoff = col, _ns(policy.date)
    if policy.dates_only:
        key, cutoff = _day(col), cutoff - cutoff % DAY
    at = "greatest(?, nb)"
    eff = _ns(policy.effective)
    trusted = f"({col} <> {NAT} AND {key} <= ?)"
    # trusted_<basis>, distrusted_<basis>, no_ct_entry, expires_before_break
    code = f"CASE WHEN {trusted} THEN 0 WHEN NOT (na >= {at}) THEN 3 WHEN {col} = {NAT} THEN 2 ELSE 1 END"
    return (f"CASE WHEN NOT {trusted} AND na >= {at} THEN {at} ELSE {NAT} END", [cutoff, eff, eff], code,
            [cutoff, eff])


class _Run:
    def __init__(self, con, files, revocations, ca_ids, expires_on_or_before, issued_after, ct, hashes=False):
        self.con = con
        self.hashes = hashes  # keep each issuance's SHA-256s (an allowlist lists them)
        self.ct = ct
        self.files = files
        self.revocations = revocations
        self.ca_ids = pa.table({"cid": pa.array(sorted({int(c) for c in ca_ids}), type=pa.int64())})
        self.policy: Policy | None = None  # the policy being classified (_classify)
        self.reference = None
        self.exp = None if expires_on_or_before is None else as_utc_timestamp(expires_on_or_before)
        self.late = None if issued_after is None else as_utc_timestamp(issued_after)
        self.stats: dict = {}

    def sql(self, query: str, params: list | None = None):
        return self.con.execute(query, params or [])

    def df(self, query: str, params: list | None = None) -> pd.DataFrame:
        return self.con.sql(query, params=params or None).to_arrow_table().to_pandas()

    # -- rows and issuances ------------------------------------------------------------------------------------

    def _source(self) -> None:
        """View ``src``: the subscriber rows, numbered in file order (``rn``)."""
        self.con.register("ca_ids", self.ca_ids)
        parts = []
        for i, f in enumerate(self.files):
            names = set(pq.read_schema(f).names)
            eku = "(is_server_auth OR parse_error IS NOT NULL)" if "is_server_auth" in names else "TRUE"
            parts.append(
                f"SELECT ({i}::BIGINT << 40) + file_row_number AS rn, certificate_id AS cid, issuer_ca_id, sha256, "
                f"issuer_name, serial_number, dedup_key, {_ns_sql('not_before')} AS nb, {_ns_sql('not_after')} AS na,"
                f" subject_o, subject_cn, dns_names, policy_oids, is_precertificate AS pre,"
                f" parse_error IS NOT NULL AS unparsable,"
                f" (parse_error IS NULL AND dedup_key IS NOT NULL) AS mergeable "
                f"FROM read_parquet('{_quote(f)}', file_row_number = true) "
                f"WHERE {eku} AND certificate_id NOT IN (SELECT cid FROM ca_ids)")
        self.sql("CREATE VIEW src AS " + " UNION ALL ".join(parts))
        # What the provenance says was left out: the hierarchy's CA certificates among the rows, and leaf rows whose
        # EKU excludes TLS servers (analysis.report.not_for_tls_servers).
        ca_rows = non_tls = 0
        for f in self.files:
            names = set(pq.read_schema(f).names)
            eku = "NOT is_server_auth AND parse_error IS NULL" if "is_server_auth" in names else "FALSE"
            a, b = self.sql(f"""SELECT count(*) FILTER (WHERE certificate_id IN (SELECT cid FROM ca_ids)),
                                       count(*) FILTER (WHERE certificate_id NOT IN (SELECT cid FROM ca_ids) AND {eku})
                                FROM read_parquet('{_quote(f)}')""").fetchall()[0]
            ca_rows, non_tls = ca_rows + int(a), non_tls + int(b)
        self.stats["ca_certificate_rows"], self.stats["not_for_tls_servers"] = ca_rows, non_tls

    def _issuances(self) -> None:
        # One issuance per (issuer, serial, dedup key) of mergeable rows, one per other row. The issuance id is its
        # first row (the pandas library numbers issuances in that order); the representative row is the final
        # certificate with the lowest crt.sh id (else the precertificate), as normalise() sorts.
        # The earliest CT entry of an issuance is over all its rows (only read when the policy needs it).
        rows, sct = "src", f"{NAT}"
        if self.ct is not None:
            self.sql(f"""CREATE TABLE ctmin AS SELECT certificate_id AS cid, min(epoch_ns(earliest_entry)) AS t
                         FROM read_parquet('{_quote(Path(self.ct))}')
                         WHERE certificate_id IS NOT NULL AND earliest_entry IS NOT NULL GROUP BY certificate_id""")
            rows, sct = "(SELECT src.*, ctmin.t FROM src LEFT JOIN ctmin USING (cid))", f"coalesce(min(t), {NAT})"
        # The SHA-256 of the final certificate and of the precertificate (each the lowest crt.sh id), for an
        # allowlist only (normalise()'s sha256 and precertificate_sha256).
        fsha, psha = "NULL::VARCHAR", "NULL::VARCHAR"
        if self.hashes:
            fsha = "arg_min(sha256, {'c': cid, 'r': rn}) FILTER (WHERE NOT pre)"
            psha = "arg_min(sha256, {'c': cid, 'r': rn}) FILTER (WHERE pre)"
        self.sql(f"""
            CREATE TABLE g AS
            SELECT min(rn) AS iid, count(*) AS nrows, arg_min(rn, {{'p': pre, 'c': cid, 'r': rn}}) AS rep, {sct} AS sct,
                   {fsha} AS fsha, {psha} AS psha
            FROM {rows} WHERE mergeable GROUP BY issuer_ca_id, serial_number, dedup_key
            UNION ALL
            SELECT rn, 1, rn, {sct}, {fsha}, {psha} FROM {rows} WHERE NOT mergeable GROUP BY rn""")
        self.sql("""
            CREATE TABLE i0 AS
            SELECT g.iid, g.nrows, g.sct, s.unparsable, s.issuer_ca_id, s.issuer_name, s.nb, s.na, s.subject_o,
                   CASE WHEN coalesce(len(s.dns_names), 0) = 0 THEN s.subject_cn END AS cn, s.dns_names,
                   s.policy_oids, g.fsha, g.psha
            FROM g JOIN src s ON s.rn = g.rep""")
        self.sql("DROP TABLE g")
        self.stats["certificate_rows"] = self.sql("SELECT count(*) FROM src").fetchall()[0][0]

    def _names(self) -> None:
        """``names(iid, name_id, dom_id, from_cn)``: one row per issuance and distinct normalised name (a SAN wins
        over the CN; a CN that is no hostname is no name); ``dom(dom_id, domain)``, ``dn(name_id, dns_name)``."""
        self.sql("""
            CREATE TABLE np AS
            SELECT iid, unnest(dns_names) AS raw, false AS from_cn FROM i0
            UNION ALL SELECT iid, cn, true FROM i0 WHERE cn IS NOT NULL""")
        self.sql("CREATE TABLE rawmap (raw VARCHAR, dns_name VARCHAR, domain VARCHAR, valid BOOLEAN)")
        reader = self.con.sql("SELECT DISTINCT raw FROM np WHERE raw IS NOT NULL").to_arrow_reader(NAME_BATCH)
        rules = self.con.cursor()  # a second cursor inserts while the first one streams
        n_raw = 0
        for batch in reader:
            raw = batch.column(0).to_numpy(zero_copy_only=False)
            t = name_table(raw)
            chunk = pa.table({"raw": pa.array(raw, type=pa.string()),
                              "dns_name": pa.array(t["dns_name"], type=pa.string(), from_pandas=True),
                              "domain": pa.array(t["registrable_domain"], type=pa.string(), from_pandas=True),
                              "valid": pa.array(t["is_valid_hostname"].to_numpy(dtype=bool))})
            rules.register("chunk", chunk)
            rules.execute("INSERT INTO rawmap SELECT * FROM chunk")
            rules.unregister("chunk")
            n_raw += len(raw)
        rules.close()
        self.stats["distinct_raw_names"] = n_raw
        self.sql("""CREATE TABLE dn AS SELECT row_number() OVER () AS name_id, dns_name, any_value(domain) AS domain,
                    bool_and(valid) AS valid FROM rawmap GROUP BY dns_name""")
        self.sql("""CREATE TABLE dom AS SELECT row_number() OVER () AS dom_id, domain
                    FROM (SELECT DISTINCT domain FROM dn WHERE domain IS NOT NULL)""")
        self.sql("""
            CREATE TABLE names AS
            SELECT np.iid, dn.name_id, dom.dom_id, bool_and(np.from_cn) AS from_cn, any_value(dn.valid) AS valid
            FROM np JOIN rawmap r ON r.raw = np.raw JOIN dn ON dn.dns_name = r.dns_name
                 LEFT JOIN dom ON dom.domain = dn.domain
            WHERE NOT np.from_cn OR r.valid
            GROUP BY np.iid, dn.name_id, dom.dom_id""")
        self.sql("DROP TABLE np")
        self.sql("DROP TABLE rawmap")
        self.sql("CREATE TABLE idom AS SELECT DISTINCT iid, dom_id FROM names WHERE dom_id IS NOT NULL")

    def _organisations(self) -> None:
        """``org(subject_o, okey, label)`` from the distinct O= values and their issuance counts."""
        t = self.df("SELECT subject_o, count(*) AS n FROM i0 WHERE subject_o IS NOT NULL GROUP BY subject_o")
        kcodes, _, labels = organisation_table(t["subject_o"].to_numpy(dtype=object), t["n"].to_numpy())
        self.no_org_label = labels[-1]
        lab = np.asarray(labels, dtype=object)
        org = pa.table({"subject_o": pa.array(t["subject_o"].to_numpy(dtype=object), type=pa.string()),
                        "okey": pa.array(np.where(kcodes >= 0, kcodes, 0), mask=kcodes < 0, type=pa.int64()),
                        "label": pa.array(np.where(kcodes >= 0, lab[np.maximum(kcodes, 0)], lab[-1]),
                                          type=pa.string())})
        self.con.register("org_t", org)
        self.sql("CREATE TABLE org AS SELECT * FROM org_t")
        self.con.unregister("org_t")

    def _revocations(self) -> None:
        """``rev(iid, rdate)``: revoked issuances, the earliest known revocation date over all their rows."""
        if self.revocations is None:
            self.sql("CREATE TABLE rev (iid BIGINT, rdate BIGINT)")
            return
        self.sql(f"""
            CREATE TABLE rev AS
            WITH rv AS (SELECT certificate_id AS cid, {_ns_sql('revocation_date')} AS t
                        FROM read_parquet('{_quote(Path(self.revocations))}')),
                 r AS (SELECT s.rn, s.issuer_ca_id, s.serial_number, s.dedup_key, s.mergeable, rv.t
                       FROM src s JOIN rv ON s.cid = rv.cid),
                 m AS (SELECT r.rn, r.t, min(s.rn) AS iid FROM r JOIN src s
                         ON r.mergeable AND s.mergeable AND s.issuer_ca_id = r.issuer_ca_id
                        AND s.serial_number = r.serial_number AND s.dedup_key = r.dedup_key
                       GROUP BY r.rn, r.t
                       UNION ALL SELECT rn, t, rn FROM r WHERE NOT mergeable)
            SELECT iid, coalesce(min(t) FILTER (WHERE t <> {NAT}), {NAT}) AS rdate FROM m GROUP BY iid""")

    def _levels(self) -> None:
        """``lv(policy_oids, level)``: the validation level (:func:`analysis.normalise.validation_levels`) of each
        distinct list of policy OIDs of the representative rows."""
        from analysis.normalise import validation_levels

        oids = self.con.sql("SELECT DISTINCT policy_oids FROM i0").to_arrow_table()
        levels = validation_levels(oids.column(0).to_numpy(zero_copy_only=False))
        lv = pa.table({"policy_oids": oids.column(0), "level": pa.array(np.asarray(levels, dtype=object),
                                                                        type=pa.string())})
        self.con.register("lv_t", lv)
        self.sql("CREATE TABLE lv AS SELECT * FROM lv_t")
        self.con.unregister("lv_t")

    def _classify(self) -> None:
        """``iss``: one row per issuance with its status code (analysis.policies.STATUSES order), breaks_on and the
        policy's category code; ``aff`` and ``affdom`` the affected ones (with their registrable domains)."""
        b_sql, b_params, code_sql, code_params = _breaks_on_sql(self.policy)
        names_join = ""
        if isinstance(_core(self.policy), NameConstrained):
            self._constraints(_core(self.policy))
            names_join = "LEFT JOIN ncf ON ncf.iid = i0.iid"
        if isinstance(_core(self.policy), ExistingAllowlist):
            self._allowlist(_core(self.policy))
            names_join = "LEFT JOIN al ON al.iid = i0.iid"
        exp = f"(na <> {NAT} AND {_day('na')} <= ?)" if self.exp is not None else "FALSE"
        late = f"(nb <> {NAT} AND {_day('nb')} > ?)" if self.late is not None else "FALSE"
        params = list(b_params) + list(code_params)
        if self.exp is not None:
            params.append(_ns(self.exp) - _ns(self.exp) % DAY)
        if self.late is not None:
            params.append(_ns(self.late) - _ns(self.late) % DAY)
        self.sql(f"""
            CREATE TABLE iss AS
            WITH v AS (
                SELECT i0.iid, i0.nrows, i0.unparsable, i0.issuer_ca_id, i0.issuer_name, i0.nb, i0.na, i0.sct,
                       org.okey, coalesce(org.label, ?) AS label, rev.iid IS NOT NULL AS revoked, rev.rdate,
                       coalesce(lv.level, 'unknown') AS level, {b_sql} AS b, {code_sql} AS code
                FROM i0 LEFT JOIN org ON org.subject_o = i0.subject_o LEFT JOIN rev ON rev.iid = i0.iid
                     LEFT JOIN lv ON lv.policy_oids IS NOT DISTINCT FROM i0.policy_oids {names_join})
            SELECT *, CASE WHEN unparsable THEN {_S['unparsable']}
                           WHEN {exp} THEN {_S['excluded_expired']}
                           WHEN {late} THEN {_S['excluded_issued_after']}
                           WHEN revoked AND (rdate = {NAT} OR b = {NAT} OR rdate <= b) THEN {_S['revoked']}
                           WHEN b <> {NAT} THEN {_S['affected']}
                           ELSE {_S['survives']} END::TINYINT AS status
            FROM v""", [self.no_org_label] + params)
        self.sql(f"CREATE TABLE aff AS SELECT iid, okey, label, issuer_ca_id, level, na, nrows FROM iss "
                 f"WHERE status = {_S['affected']}")
        self.sql("""CREATE TABLE affdom AS SELECT a.iid, a.okey, a.label, a.issuer_ca_id, a.level, a.na, d.dom_id
                    FROM aff a JOIN idom d USING (iid)""")

    def _constraints(self, policy: NameConstrained) -> None:
        """``ncf(iid, outside)``: the named issuances, and whether one of their names is outside the permitted
        subtrees (:func:`analysis.policies.within_subtrees`: ``.x.fr`` permits subdomains only, ``x.fr`` the name and
        its subdomains); an issuance without a name is not in it."""
        inside, params = [], []
        for p in policy.permitted:
            if p.startswith("."):
                inside.append("suffix(dn.dns_name, ?)")
                params.append(p)
            else:
                inside.append("(dn.dns_name = ? OR suffix(dn.dns_name, ?))")
                params += [p, "." + p]
        self.sql(f"""CREATE TABLE ncf AS SELECT n.iid, bool_or(NOT ({' OR '.join(inside)})) AS outside
                     FROM names n JOIN dn USING (name_id) GROUP BY n.iid""", params)

    def _allowlist(self, policy: "ExistingAllowlist") -> None:
        """``al(iid)``: the issuances an allowlist of every certificate existing on ``policy.cutoff`` lists, as
        :meth:`analysis.policies.Allowlist.existing` and ``evaluate`` decide: the list holds the final and
        precertificate SHA-256 of every parsable issuance whose notBefore's UTC day is on or before the cutoff's
        (upper-cased when one has a lower-case letter); an issuance is listed when either of its hashes is in it.
        The number of hashes listed goes into the policy's rule."""
        day = _ns(policy.cutoff) - _ns(policy.cutoff) % DAY
        self.sql(f"""CREATE TEMP TABLE exs AS SELECT DISTINCT h FROM (
                         SELECT fsha AS h FROM i0 WHERE NOT unparsable AND {_day('nb')} <= ?
                         UNION ALL SELECT psha FROM i0 WHERE NOT unparsable AND {_day('nb')} <= ?)
                     WHERE h IS NOT NULL""", [day, day])
        (lower,), = self.sql("SELECT coalesce(bool_or(regexp_matches(h, '[a-z]')), FALSE) FROM exs").fetchall()
        key = "upper(h)" if lower else "h"
        self.sql(f"CREATE TEMP TABLE exu AS SELECT DISTINCT {key} AS h FROM exs")
        (n,), = self.sql("SELECT count(*) FROM exu").fetchall()
        policy.set_hash_count(int(n))
        self.sql("""CREATE TABLE al AS SELECT iid FROM i0
                    WHERE fsha IN (SELECT h FROM exu) OR psha IN (SELECT h FROM exu)""")
        self.sql("DROP TABLE exs")
        self.sql("DROP TABLE exu")

    def _drop_policy_tables(self) -> None:
        for t in ("iss", "aff", "affdom", "affb", "affn", "bl", "ncf", "al"):
            self.sql(f"DROP TABLE IF EXISTS {t}")

    # -- tables ------------------------------------------------------------------------------------------------

    def _summary(self) -> dict[str, int]:
        counts = dict(self.sql("SELECT status, count(*) FROM iss GROUP BY status").fetchall())
        n = {s: int(counts.get(i, 0)) for s, i in _S.items()}
        rows, orgs, no_org = self.sql("SELECT coalesce(sum(nrows), 0), count(DISTINCT okey), "
                                      "count(*) FILTER (WHERE okey IS NULL) FROM aff").fetchall()[0]
        out = {
            "certificate_rows": int(self.stats["certificate_rows"]),
            "issuances": sum(n.values()),
            "unparsable": n["unparsable"], "excluded_expired": n["excluded_expired"],
            "excluded_issued_after": n["excluded_issued_after"], "revoked": n["revoked"],
            "survivors": n["survives"], "affected": n["affected"],
            "affected_certificate_rows": int(rows), "organisations_affected": int(orgs),
            "affected_without_organisation": int(no_org),
            "registrable_domains_affected": int(self.sql("SELECT count(DISTINCT dom_id) FROM affdom").fetchall()[0][0]),
            "affected_with_invalid_name": int(self.sql(
                "SELECT count(DISTINCT n.iid) FROM names n JOIN aff USING (iid) WHERE NOT n.from_cn AND NOT n.valid"
            ).fetchall()[0][0]),
        }
        return {m: out[m] for m in SUMMARY_METRICS}

    def _examples(self, group: str, source: str, item: str, label: str, labels: str) -> str:
        """SQL: per ``group``, the 3 ``item``s with most rows of ``source`` (ties: alphabetical), joined."""
        return f"""
            SELECT {group} AS g, string_agg(lab, ', ' ORDER BY k) AS examples FROM (
                SELECT {group}, lab, row_number() OVER (PARTITION BY {group} ORDER BY cnt DESC, lab) AS k FROM (
                    SELECT {group}, any_value(l.{label}) AS lab, count(*) AS cnt
                    FROM {source} JOIN {labels} l USING ({item}) GROUP BY {group}, {item}))
            WHERE k <= 3 GROUP BY {group}"""

    def _group(self, key: str) -> pd.DataFrame:
        """certificates, organisations, registrable_domains, not_after range and example domains per ``key``."""
        return self.df(f"""
            WITH c AS (SELECT {key} AS g, count(*) AS certificates, count(DISTINCT okey) AS organisations,
                              min(na) FILTER (WHERE na <> {NAT}) AS lo, max(na) FILTER (WHERE na <> {NAT}) AS hi
                       FROM aff GROUP BY {key}),
                 d AS (SELECT {key} AS g, count(DISTINCT dom_id) AS registrable_domains FROM affdom GROUP BY {key}),
                 e AS ({self._examples(key, 'affdom', 'dom_id', 'domain', 'dom')})
            SELECT c.*, coalesce(d.registrable_domains, 0) AS registrable_domains,
                   coalesce(e.examples, '') AS example_domains
            FROM c LEFT JOIN d USING (g) LEFT JOIN e USING (g)""")

    def _by_organisation(self) -> pd.DataFrame:
        t = self._group("label")
        return _finish(t.rename(columns={"g": "organisation"}), "organisation",
                       ["organisation", "certificates", "registrable_domains", "earliest_not_after",
                        "latest_not_after", "example_domains"])

    def _by_intermediate(self) -> pd.DataFrame:
        t = self._group("issuer_ca_id")
        # The issuer's name: of its first issuance (in row order) that has one; rows in order of first issuance.
        names = self.df("""SELECT issuer_ca_id AS g, min(iid) AS first,
                                   arg_min(issuer_name, iid) FILTER (WHERE issuer_name IS NOT NULL) AS issuer_name
                            FROM iss GROUP BY issuer_ca_id""")
        t = t.merge(names, on="g").sort_values("first", kind="stable").rename(columns={"g": "issuer_ca_id"})
        t["issuer_name"] = t["issuer_name"].astype(object).where(t["issuer_name"].notna(), None)
        return _finish(t, "issuer_name", ["issuer_name", "issuer_ca_id", "certificates", "organisations",
                                          "registrable_domains", "earliest_not_after", "latest_not_after",
                                          "example_domains"],
                       ("issuer_name",) if self.stats["certificate_rows"] else ("issuer_name", "example_domains"))

    def _by_registrable_domain(self) -> pd.DataFrame:
        # Buckets: a registrable domain, or 0 (no registrable domain): affected issuances without any, and their
        # names without one.
        self.sql("""CREATE TABLE affb AS
                     SELECT iid, okey, na, dom_id AS b FROM affdom
                     UNION ALL SELECT iid, okey, na, 0 FROM aff WHERE iid NOT IN (SELECT iid FROM idom)""")
        self.sql("""CREATE TABLE affn AS SELECT n.iid, n.name_id, coalesce(n.dom_id, 0) AS b
                    FROM names n JOIN aff USING (iid)""")
        self.sql("CREATE TEMP TABLE bl AS SELECT dom_id AS b, domain FROM dom UNION ALL SELECT 0, ?",
                 [NO_REGISTRABLE_DOMAIN])
        t = self.df(f"""
            WITH c AS (SELECT b, count(*) AS certificates, count(DISTINCT okey) AS organisations,
                              min(na) FILTER (WHERE na <> {NAT}) AS lo, max(na) FILTER (WHERE na <> {NAT}) AS hi
                       FROM affb GROUP BY b),
                 d AS (SELECT b, count(DISTINCT name_id) AS dns_names FROM affn GROUP BY b),
                 e AS ({self._examples('b', 'affn', 'name_id', 'dns_name', 'dn')})
            SELECT bl.domain AS registrable_domain, c.certificates, coalesce(d.dns_names, 0) AS dns_names,
                   c.organisations, c.lo, c.hi, coalesce(e.examples, '') AS example_names
            FROM c JOIN bl USING (b) LEFT JOIN d USING (b) LEFT JOIN e ON e.g = c.b""")
        return _finish(t, "registrable_domain", ["registrable_domain", "certificates", "dns_names", "organisations",
                                                 "earliest_not_after", "latest_not_after", "example_names"])

    def _expiry_histogram(self) -> pd.DataFrame:
        t = self.df(f"""SELECT {_day('na')} AS day, status, count(*) AS n FROM iss WHERE na <> {NAT}
                        GROUP BY ALL""")
        from analysis.tables import expiry_table

        days = t["day"].to_numpy(dtype=np.int64).view("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
        months = days // 12 * 12 + days % 12 + 1 + 1970 * 12  # year * 12 + month, as the pandas library
        return expiry_table(self._reference(), months, np.asarray(STATUSES, dtype=object)[t["status"].to_numpy()],
                            t["n"].to_numpy(dtype=np.int64))

    def _survival_curve(self, issuances: int, affected: int) -> pd.DataFrame:
        from analysis.tables import survival_table

        ref = as_utc_timestamp(self._reference()).normalize().value
        # Days are ref + k * DAY: count breaks_on and notAfter by day bucket k (earlier ones in bucket -1).
        bucket = f"greatest(((x - {ref}) - ((((x - {ref}) % {DAY}) + {DAY}) % {DAY})) // {DAY}, -1)"
        b = self.df(f"SELECT {bucket} AS k, count(*) AS n FROM (SELECT b AS x FROM iss WHERE status = "
                    f"{_S['affected']}) GROUP BY k")
        a = self.df(f"SELECT {bucket} AS k, count(*) AS n FROM (SELECT na AS x FROM aff) GROUP BY k")
        last = self.sql("SELECT max(na) FROM aff").fetchall()[0][0]
        return survival_table(ref, last, (b["k"].to_numpy(), b["n"].to_numpy()), (a["k"].to_numpy(),
                              a["n"].to_numpy()), {"affected": affected, "issuances": issuances})

    def _timed(self, step: str, fn, *args):
        """Run one step, recording its wall seconds in ``stats["seconds"]``."""
        t0 = time.perf_counter()
        out = fn(*args)
        self.stats.setdefault("seconds", {})[step] = round(time.perf_counter() - t0, 2)
        return out

    def _by_validation_level(self) -> pd.DataFrame:
        from analysis.normalise import VALIDATION_LEVELS

        t = self._group("level").rename(columns={"g": "validation_level", "lo": "earliest_not_after",
                                                 "hi": "latest_not_after"})
        t = t[t["certificates"] > 0]
        out = pd.DataFrame({"validation_level": t["validation_level"].to_numpy(dtype=object)})
        for c in ("certificates", "registrable_domains", "organisations"):
            out[c] = t[c].to_numpy(dtype=np.int64)
        for c in ("earliest_not_after", "latest_not_after"):
            out[c] = t[c].fillna(NAT).to_numpy(dtype=np.int64).view("datetime64[ns]")
        out = out.set_index("validation_level").reindex(list(VALIDATION_LEVELS))
        for c in ("certificates", "organisations", "registrable_domains"):
            out[c] = out[c].fillna(0).astype(np.int64)
        cols = ["certificates", "organisations", "registrable_domains", "earliest_not_after", "latest_not_after"]
        return out[cols].reset_index()

    def _by_status(self) -> pd.DataFrame:
        """``status, category, reason, certificates`` as :meth:`analysis.tables.Evaluation.by_status`: the
        categories and reasons are the policy's own (:func:`analysis.policies.classify` of an empty population gives
        every one, in its order), counted here by status and category code."""
        from analysis.policies import classify

        labels = classify(_empty_population(), self.policy, expires_on_or_before=self.exp,
                          issued_after=self.late)
        cats, reasons = list(labels["category"].cat.categories), list(labels["reason"].cat.categories)
        t = self.df("SELECT status, code, count(*) AS n FROM iss GROUP BY ALL")
        base = len(_core_categories(self.policy))
        extra = {name: base + i for i, name in enumerate(
            [c for c in ("unparsable", "excluded_expired", "excluded_issued_after", "revoked") if c in cats])}
        status = np.asarray(STATUSES, dtype=object)[t["status"].to_numpy()]
        code = np.array([extra.get(s, c) for s, c in zip(status, t["code"].to_numpy())], dtype=np.int64)
        cat = pd.Categorical.from_codes(code, categories=cats)
        out = pd.DataFrame({"status": pd.Categorical(status, categories=STATUSES), "category": cat,
                            "reason": pd.Categorical(np.asarray(reasons, dtype=object)[code], categories=reasons),
                            "certificates": t["n"].to_numpy(dtype=np.int64)})
        out = out.groupby(["status", "category", "reason"], observed=True)["certificates"].sum().reset_index()
        out = out[out["certificates"] > 0]
        out["status"] = out["status"].astype(str)
        out["_o"] = out["status"].map({s: i for i, s in enumerate(STATUSES)})
        out = out.sort_values(["_o", "certificates", "category"], ascending=[True, False, True])
        return out.drop(columns="_o").astype({"category": str, "reason": str}).reset_index(drop=True)

    def all_tables(self, policies: list[Policy], reference=None) -> list[OutOfCoreImpact]:
        for step in ("source", "issuances", "names", "organisations", "revocations", "levels"):
            self._timed(step, getattr(self, f"_{step}"))
        self.reference = reference
        population = dict(self.stats)
        out = []
        for policy in policies:
            self.policy = policy
            self.stats = {**population, "seconds": dict(population["seconds"])}
            out.append(self._policy_tables())
            self._drop_policy_tables()
        return out

    def _reference(self):
        """The date the expiry histogram and the survival curve count from."""
        return self.policy.date if self.reference is None else self.reference

    def _policy_tables(self) -> OutOfCoreImpact:
        self._timed("classify", self._classify)
        vals = self._timed("summary", self._summary)
        tables = {name: self._timed(name, getattr(self, f"_{name}"))
                  for name in ("by_organisation", "by_registrable_domain", "by_intermediate", "expiry_histogram",
                               "by_validation_level", "by_status")}
        tables["survival_curve"] = self._timed("survival_curve", self._survival_curve, vals["issuances"],
                                               vals["affected"])
        self.stats["issuances"] = vals["issuances"]
        return OutOfCoreImpact(policy=self.policy, summary_values=vals, expires_on_or_before=self.exp,
                               issued_after=self.late, stats=dict(self.stats), **tables)


def _empty_population():
    """A normalised population of no certificate (what a policy's category table is read from)."""
    from analysis.frames import CERTIFICATES
    from analysis.normalise import normalise

    return normalise(CERTIFICATES.schema.empty_table().to_pandas())


def _core_categories(policy: Policy) -> list:
    """The categories of the rule the SQL codes index (:func:`_breaks_on_sql`), in the policy's order."""
    return list(policy.evaluate(_empty_population())["category"].cat.categories)


def _finish(t: pd.DataFrame, label: str, cols: list[str], empty_object: tuple = ("organisation", "issuer_name")
            ) -> pd.DataFrame:
    """Column types and order of the pandas library's group tables, sorted as it sorts them. Columns are built from
    numpy arrays as the library builds them, so pandas infers the same dtypes (an empty table keeps the library's
    ``object`` organisation / issuer name column: it inserts those after dropping empty groups)."""
    from analysis.tables import _sorted

    t = t.rename(columns={"lo": "earliest_not_after", "hi": "latest_not_after"}).reset_index(drop=True)
    out = pd.DataFrame(index=pd.RangeIndex(len(t)))
    for c in cols:
        if c in ("earliest_not_after", "latest_not_after"):
            out[c] = t[c].fillna(NAT).to_numpy(dtype=np.int64).view("datetime64[ns]")
        elif c in ("certificates", "organisations", "registrable_domains", "dns_names", "issuer_ca_id"):
            out[c] = t[c].to_numpy(dtype=np.int64)
        else:
            v = t[c].astype(object).where(t[c].notna(), None).to_numpy(dtype=object)
            out[c] = v if len(v) or c in empty_object else pd.array(v, dtype="str")
    return _sorted(out, label)


def _quote(path: Path) -> str:
    """A path as a SQL string literal body (single quotes doubled)."""
    return str(path).replace("'", "''")


# -------------------------------------------------------------------------------------------------------------------
# A report's out-of-core engine: which engine, the cached CA without its rows, and its evaluations

ENGINES = ("auto", "pandas", "duckdb")
# Peak memory per crt.sh row of a report computed in memory from the cache (load_cached, subscriber_certificates,
# evaluate and the tables): 1,694 bytes measured at 3M rows (docs/performance.md, "Beyond memory"), rounded.
PANDAS_BYTES_PER_ROW = 1_700


def checked_engine(engine) -> str:
    """The ``engine`` parameter: ``auto`` (empty too), ``pandas`` or ``duckdb``; anything else a one-line error."""
    value = str(engine or "auto").strip().lower()
    if value not in ENGINES:
        raise ValueError(f"engine {engine!r}: use auto, pandas or duckdb")
    return value


def available_memory() -> int:
    """Bytes of memory available to a new process (``MemAvailable`` of /proc/meminfo; else free pages)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def choose_engine(engine: str, rows: int, available: int | None = None) -> tuple[str, str]:
    """(engine, the rule that chose it, as a phrase). ``auto``: DuckDB when the in-memory report would need more
    than half the memory available (``rows`` × :data:`PANDAS_BYTES_PER_ROW`; half, because a report run's driver
    process reads the population too), else pandas."""
    if engine != "auto":
        return engine, f"engine {engine} asked for"
    avail = available_memory() if available is None else available
    need = rows * PANDAS_BYTES_PER_ROW
    rule = (f"{rows:,} rows × {PANDAS_BYTES_PER_ROW:,} bytes ≈ {need / 2**30:.1f} GB in memory, "
            f"{'over' if 2 * need > avail else 'within'} half the {avail / 2**30:.1f} GB available")
    return ("duckdb" if 2 * need > avail else "pandas"), f"auto: {rule}"


def cache_entry(ca: str, as_of, source: str, cache_dir: Path | None, max_rows: int | None) -> tuple[Path, bool]:
    """(the folder of the cache bundle a report of ``ca`` as of ``as_of`` from ``source`` reads, whether it is
    complete): :func:`analysis.sources.fetch_population`'s cache entry, keyed by the fetch itself, found without
    reading it."""
    from analysis import crtsh
    from analysis.cache import BundleLocated, locating
    from analysis.config import CACHE_DIR
    from analysis.sources import DEMO, resolve_ca_argument

    root = resolve_ca_argument(ca, source)
    options = crtsh.FetchOptions(as_of=as_of, cache_dir=cache_dir or CACHE_DIR, offline=True,
                                 max_rows=crtsh.DEFAULT_MAX_ROWS if max_rows is None else max_rows)
    with locating():
        try:
            if source == DEMO:
                crtsh.fetch_ca(root, options, source_name=DEMO)
            else:
                crtsh.fetch_ca(root, options, dsn=None if source == "crtsh" else source)
        except BundleLocated as found:
            return found.path, found.exists
    raise RuntimeError("the fetch did not look its cache entry up")  # pragma: no cover


def locate_bundle(ca: str, as_of, source: str, cache_dir: Path | None, max_rows: int | None) -> Path | None:
    """The complete cache bundle of :func:`cache_entry`, or None when there is none."""
    path, complete = cache_entry(ca, as_of, source, cache_dir, max_rows)
    return path if complete else None


def fetch_into_cache(ca: str, as_of, source: str, cache_dir: Path | None, max_rows: int | None, *,
                     refresh: bool = False, progress=None) -> Path:
    """The folder of the complete cache bundle of ``ca`` as of ``as_of``: found in the cache, or fetched into it
    (:func:`analysis.sources.fetch_population`'s entry), without reading its rows into memory — a CA too large for
    memory is fetched page by page into the cache, then counted out of core."""
    from analysis.cache import BundleLocated, storing_only
    from analysis.sources import fetch_population

    with storing_only():
        try:
            fetched = fetch_population(ca, as_of, source, cache_dir, refresh=refresh, progress=progress,
                                       max_rows=max_rows)
        except BundleLocated as found:
            return found.path
    if fetched.cache_path is None:  # pragma: no cover - fetch_population always caches
        raise RuntimeError("the fetch was not cached")
    return fetched.cache_path  # kept in this process from an earlier call


@dataclass
class CachedCA:
    """A cached fetch without its row frames: what a report shows besides the counts (the root, hierarchy and
    root programs' records, the manifest) and the size and checksums of its Parquet files. The attributes a report
    reads of :class:`analysis.crtsh.FetchResult`, the certificate rows excepted (they stay on disk)."""

    root_ca_id: int
    root: pd.DataFrame
    hierarchy: pd.DataFrame
    trust: pd.DataFrame
    aggregates: pd.DataFrame
    provenance: dict
    cache_path: Path
    files: pd.DataFrame  # frame, rows, parquet_sha256 of every frame of the bundle

    @classmethod
    def open(cls, path: str | Path) -> "CachedCA":
        from analysis.cache import Bundle, CacheError
        from analysis.crtsh.rows import small_frame

        b = Bundle(Path(path))
        manifest = b.manifest()
        if manifest is None:
            raise CacheError(f"{path}: no manifest (incomplete bundle)")
        small = {name: small_frame(name, b.read_frame(name)[0].to_pandas())
                 for name in ("root", "hierarchy", "trust", "aggregates")}
        sides = [json.loads(p.read_text()) for p in sorted(b.path.glob("*.json")) if p.name != "manifest.json"]
        files = pd.DataFrame([(s["frame"], int(s["rows"]), s["parquet_sha256"]) for s in sides],
                             columns=["frame", "rows", "parquet_sha256"])
        return cls(int(manifest["root_ca_id"]), small["root"], small["hierarchy"], small["trust"],
                   small["aggregates"], manifest, Path(path), files)

    @property
    def mode(self) -> str:
        return str(self.provenance.get("mode", "rows"))

    @property
    def rows(self) -> int:
        """Certificate rows in the bundle (from its sidecar)."""
        return int(self.files.set_index("frame").loc["certificates", "rows"])

    @property
    def issuing_ca_ids(self) -> list[int]:
        from analysis.crtsh.steps import issuing_cas

        return issuing_cas(self.hierarchy, self.root_ca_id)

    def inputs(self) -> dict[str, pd.DataFrame]:
        """What the input checksum covers out of core: the small frames, and the row frames by their Parquet files'
        checksums and row counts (the rows are not read into memory to be hashed)."""
        return {"root": self.root, "hierarchy": self.hierarchy, "trust": self.trust, "parquet_files": self.files}

    def max_not_after(self) -> pd.Timestamp | None:
        """The latest notAfter of the certificate rows (one column read by DuckDB)."""
        import duckdb

        con = duckdb.connect()
        try:
            (v,), = con.execute("SELECT max(not_after) FROM read_parquet(?)",
                                [str(self.cache_path / "certificates.parquet")]).fetchall()
        finally:
            con.close()
        return None if v is None else pd.Timestamp(v)


@dataclass
class OutOfCoreEvaluation:
    """An :class:`OutOfCoreImpact` with the methods a report calls on an :class:`analysis.tables.Evaluation`, for
    the affected certificates and the reference date it was computed for. There are no per-certificate verdicts:
    :attr:`verdicts` is empty (the alternate paths were checked to save none), and :meth:`certificates` refuses."""

    impact: OutOfCoreImpact
    reference: object = None

    @property
    def policy(self) -> Policy:
        return self.impact.policy

    @property
    def verdicts(self) -> pd.DataFrame:
        return pd.DataFrame({"category": pd.Series([], dtype=str), "reason": pd.Series([], dtype=str)})

    def summary_values(self) -> dict[str, int]:
        return dict(self.impact.summary_values)

    def summary(self) -> pd.DataFrame:
        return self.impact.summary()

    def _table(self, name: str, status: str, examples: int | None = None, column: str = "") -> pd.DataFrame:
        if status != "affected":
            raise ValueError(f"{name}: the out-of-core engine counts the affected certificates, not {status!r}")
        t = getattr(self.impact, name).copy()
        if examples == 0:
            return t.drop(columns=[column])
        if examples not in (None, 3):
            raise ValueError(f"{name}: the out-of-core engine lists 3 examples (or none), not {examples}")
        return t

    def by_organisation(self, status="affected", examples: int = 3) -> pd.DataFrame:
        return self._table("by_organisation", status, examples, "example_domains")

    def by_registrable_domain(self, status="affected", examples: int = 3) -> pd.DataFrame:
        return self._table("by_registrable_domain", status, examples, "example_names")

    def by_intermediate(self, status="affected", examples: int = 3) -> pd.DataFrame:
        return self._table("by_intermediate", status, examples, "example_domains")

    def by_validation_level(self, status="affected") -> pd.DataFrame:
        return self._table("by_validation_level", status)

    def by_status(self) -> pd.DataFrame:
        return self.impact.by_status.copy()

    def _check_reference(self, reference) -> None:
        want = self.policy.date if self.reference is None else self.reference
        if reference is not None and as_utc_timestamp(reference) != as_utc_timestamp(want):
            raise ValueError(f"computed out of core for the reference date {want}, not {reference}")

    def expiry_histogram(self, reference=None) -> pd.DataFrame:
        self._check_reference(reference)
        return self.impact.expiry_histogram.copy()

    def survival_curve(self, reference=None) -> pd.DataFrame:
        self._check_reference(reference)
        out = self.impact.survival_curve.copy()
        out.attrs = dict(self.impact.survival_curve.attrs)
        return out

    def certificates(self, status="affected") -> pd.DataFrame:
        raise ValueError("the per-certificate table is not computed out of core (millions of rows); run the report "
                         "with engine 'pandas' on a machine with the memory for it")
