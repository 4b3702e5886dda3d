"""queries/*.sql against a real local PostgreSQL with crt.sh's schema: exact rows known by construction, and EXPLAIN
showing crt.sh's indexes and partition pruning, on the population of tests/population.py (the fixture
``population``). The query loader's own checks are in tests/unit/test_queries.py.
"""

from __future__ import annotations

import re

import psycopg2
import psycopg2.extensions
import pytest

from analysis import querylib
from analysis.x509 import sha256_hex
from tests.population import AS_OF, DV, OV, WINDOW, T

Q = querylib.load_queries()


def run(dsn, name, **params):
    q = Q[name]
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(q.sql, q.bind(params))
            cols = [d.name for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        conn.close()


def explain(dsn, name, **params) -> str:
    q = Q[name]
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SET enable_seqscan = off")  # the local tables are tiny: ask for the plan crt.sh's size gets
            cur.execute("EXPLAIN (COSTS OFF) " + q.sql, q.bind(params))
            return "\n".join(r[0] for r in cur.fetchall())
    finally:
        conn.close()


def _sha(pop, label) -> bytes:
    return bytes.fromhex(sha256_hex(pop.der[label]))


# -- 1. resolve_ca ---------------------------------------------------------------------------------------------------

def test_resolve_by_sha256_ca_id_and_name(population):
    p = population
    by_sha = run(p.dsn, "resolve_ca", root_sha256=_sha(p, "R"), ca_id=None, name_pattern=None)
    # the root's ca row, once per certificate of it: the self-signed one and Other Root's cross-sign of it
    assert [(r["ca_id"], r["certificate_id"], r["issuer_ca_id"], r["is_self_signed"], r["matched_by"],
             bytes(r["sha256"]).hex().upper()) for r in by_sha] == sorted(
        [(p.ca["R"], p.cert["R"], p.ca["R"], True, "sha256", sha256_hex(p.der["R"])),
         (p.ca["R"], p.cert["R_by_O"], p.ca["O"], False, "sha256", sha256_hex(p.der["R_by_O"]))],
        key=lambda r: r[1])
    assert by_sha[0]["ca_name"] == "C=XX, O=Test PKI (synthetic), CN=Test Root"
    assert {r["not_after"] for r in by_sha} == {T(2035, 1, 1), T(2030, 6, 1)}
    # a cross-sign's SHA-256 finds the same CA
    assert {r["ca_id"] for r in run(p.dsn, "resolve_ca", root_sha256=_sha(p, "R_by_O"), ca_id=None,
                                    name_pattern=None)} == {p.ca["R"]}
    by_id = run(p.dsn, "resolve_ca", root_sha256=None, ca_id=p.ca["I1"], name_pattern=None)
    assert {r["certificate_id"] for r in by_id} == p.ids("I1", "I1_by_T")
    by_name = run(p.dsn, "resolve_ca", root_sha256=None, ca_id=None, name_pattern="%cn=issuing ca%")
    assert {r["ca_id"] for r in by_name} == {p.ca["I1"], p.ca["I2"], p.ca["Z"]}  # ambiguous: the client refuses
    # a name searches like crt.sh's CA search: case-insensitive, anywhere in the name, no wildcard needed
    by_part = run(p.dsn, "resolve_ca", root_sha256=None, ca_id=None, name_pattern="ISSUING CA")
    assert {r["ca_id"] for r in by_part} == {p.ca["I1"], p.ca["I2"], p.ca["Z"]}
    assert not any(r["is_self_signed"] for r in by_part)  # intermediates: the caller names the root above them
    other = run(p.dsn, "resolve_ca", root_sha256=None, ca_id=None, name_pattern="other ro")
    assert {(r["ca_id"], r["is_self_signed"]) for r in other} >= {(p.ca["O"], True)}
    assert {r["ca_id"] for r in other} == {p.ca["O"]}
    assert run(p.dsn, "resolve_ca", root_sha256=None, ca_id=None, name_pattern="no such ca") == []
    assert run(p.dsn, "resolve_ca", root_sha256=b"\0" * 32, ca_id=None, name_pattern=None) == []


# -- 2. ca_hierarchy -------------------------------------------------------------------------------------------------

def test_hierarchy_exact(population):
    p = population
    ca_label = {v: k for k, v in p.ca.items()}
    rows = run(p.dsn, "ca_hierarchy", root_ca_id=p.ca["R"])
    got = {(r["depth"], ca_label[r["ca_id"]], ca_label[r["parent_ca_id"]], p.labels_by_id[r["certificate_id"]],
            tuple(ca_label[x] for x in r["path"]), r["closes_cycle"],
            tuple(ca_label[x] for x in r["other_issuer_ca_ids"] or ()), tuple(r["trusted_in"] or ())) for r in rows}
    assert got == {
        (0, "R", "R", "R", ("R",), False, (), ()),  # the root's self-signed certificate
        (0, "R", "O", "R_by_O", ("R",), False, (), ()),  # O's cross-sign of R; O is itself below R (mutual)
        (1, "I1", "R", "I1", ("R", "I1"), False, ("T",),
         ("Mozilla/Server Authentication", "Chrome/Server Authentication")),
        (1, "O", "R", "O_by_R", ("R", "O"), False, (), ()),  # R cross-signs Other Root
        (2, "O", "O", "O", ("R", "O", "O"), True, (), ()),  # O's self-signed certificate: listed, not followed
        (2, "I2", "I1", "I2", ("R", "I1", "I2"), False, (), ()),  # ca_trust_purpose: not time-valid, not listed
        (2, "Z", "O", "Z", ("R", "O", "Z"), False, (), ()),  # reached only through R's cross-sign of O
    }
    assert len(rows) == len(got)
    by_cert = {p.labels_by_id[r["certificate_id"]]: r for r in rows}
    assert (by_cert["I1"]["not_before"], by_cert["I1"]["not_after"]) == (T(2018, 1, 1), T(2028, 1, 1))
    assert bytes(by_cert["Z"]["sha256"]).hex().upper() == sha256_hex(p.der["Z"])
    # from Other Root, the mutual cross-sign leads back to R and everything below it, once per path
    from_o = run(p.dsn, "ca_hierarchy", root_ca_id=p.ca["O"])
    assert {(tuple(ca_label[x] for x in r["path"]), r["closes_cycle"]) for r in from_o} == {
        (("O",), False), (("O", "R"), False), (("O", "Z"), False), (("O", "R", "I1"), False),
        (("O", "R", "I1", "I2"), False), (("O", "R", "R"), True)}
    # every CA certificate issued inside the tree is listed: the frame's CA rows are exactly these
    issued_inside = {p.labels_by_id[r["certificate_id"]] for r in rows}
    assert issued_inside == {"R", "R_by_O", "I1", "O_by_R", "O", "I2", "Z"}


# -- 3. unexpired_certificates (and its DER twin) --------------------------------------------------------------------

def _by_label(p, rows):
    return {p.labels_by_id[r["certificate_id"]]: r for r in rows}


def test_unexpired_certificates_exact(population):
    p = population
    got = {}
    for ca in ("R", "O", "I1", "I2", "Z", "T"):
        rows = run(p.dsn, "unexpired_certificates", issuer_ca_id=p.ca[ca], as_of=AS_OF, **WINDOW)
        assert all(r["issuer_ca_id"] == p.ca[ca] for r in rows)
        got[ca] = _by_label(p, rows)
    assert {ca: set(v) for ca, v in got.items()} == {
        "R": {"R", "I1", "O_by_R"}, "O": {"O", "R_by_O", "Z"}, "T": {"T", "I1_by_T", "t_leaf"},
        "I1": {"pair_pre", "pair_final", "orphan_pre", "no_o", "at_as_of", "I2", "garbage"},  # not "expired"
        "I2": {"i2_leaf"}, "Z": {"z_leaf1", "z_leaf2"}}
    i1 = got["I1"]
    pre, final = i1["pair_pre"], i1["pair_final"]
    assert pre["issuer_name"] == "C=XX, O=Test PKI (synthetic), CN=Issuing CA 1"
    assert bytes(pre["serial_number"]) == bytes.fromhex("0080ab")  # DER contents: leading 00 kept
    assert (pre["not_before"], pre["not_after"]) == (T(2018, 1, 1), T(2020, 6, 1))
    assert (pre["subject_o"], pre["subject_cn"]) == ("Example Org", "a.example.com")
    assert pre["dns_names"] == ["a.example.com", "www.a.example.com", "a.example.com"]  # as written, not deduped
    assert pre["policy_oids"] == [OV]
    assert (pre["is_precertificate"], final["is_precertificate"]) == (True, False)
    assert bytes(pre["dedup_key"]) == bytes(final["dedup_key"])
    assert bytes(pre["sha256"]).hex().upper() == sha256_hex(p.der["pair_pre"])
    assert i1["orphan_pre"]["is_precertificate"] and i1["orphan_pre"]["subject_o"] is None
    no_o = i1["no_o"]
    assert (no_o["subject_o"], no_o["subject_cn"], no_o["dns_names"], no_o["policy_oids"]) == \
        (None, "c.example.com", [], [DV])
    assert i1["at_as_of"]["not_after"] == AS_OF and i1["at_as_of"]["subject_o"] == "Another, Inc."
    g = i1["garbage"]  # unparsable: kept, with libx509pq's error values
    assert (g["serial_number"], g["not_before"], g["not_after"], g["subject_o"], g["subject_cn"], g["dns_names"],
            g["policy_oids"], g["dedup_key"]) == (None, None, None, None, "ERROR!", [], [], None)
    assert bytes(g["sha256"]).hex().upper() == sha256_hex(p.garbage)


def test_der_twin_returns_the_same_rows(population):
    p = population
    for ca in ("I1", "Z"):
        a = run(p.dsn, "unexpired_certificates", issuer_ca_id=p.ca[ca], as_of=AS_OF, **WINDOW)
        b = run(p.dsn, "unexpired_certificates_der", issuer_ca_id=p.ca[ca], as_of=AS_OF, **WINDOW)
        assert {r["certificate_id"] for r in a} == {r["certificate_id"] for r in b}
        assert {bytes(r["certificate"]) for r in b} == {p.der[p.labels_by_id[r["certificate_id"]]] for r in b}


def test_windows_tile_the_result(population):
    p = population
    ca = p.ca["I1"]

    def labels(start, end):
        rows = run(p.dsn, "unexpired_certificates", issuer_ca_id=ca, as_of=AS_OF, window_start=start,
                   window_end=end)
        return {p.labels_by_id[r["certificate_id"]] for r in rows}

    cuts = [AS_OF, T(2019, 9, 30), T(2020, 6, 1), T(2021, 1, 1), T(2030, 1, 1), None]
    parts = [labels(a, b) for a, b in zip(cuts, cuts[1:])]
    assert parts == [{"at_as_of"}, {"orphan_pre"}, {"pair_pre", "pair_final"}, {"no_o", "I2"}, {"garbage"}]
    assert labels(T(2000, 1, 1), None) == set().union(*parts)  # as_of still applies: "expired" stays out


def test_counts_by_month(population):
    p = population
    rows = run(p.dsn, "certificate_counts_by_month", issuer_ca_id=p.ca["I1"], as_of=AS_OF, **WINDOW)
    assert [(r["month_start"], r["certificates"]) for r in rows] == [
        (T(2019, 5, 1), 1), (T(2019, 9, 1), 1), (T(2020, 6, 1), 2), (T(2021, 3, 1), 1), (T(2026, 1, 1), 1),
        (None, 1)]


# -- 4.-7. -----------------------------------------------------------------------------------------------------------

def _page(p, ca: str) -> tuple[list[int], list[bytes]]:
    """The ids and serials of one CA's page over WINDOW, as the client has them after fetching it."""
    rows = run(p.dsn, "unexpired_certificates", issuer_ca_id=p.ca[ca], as_of=AS_OF, **WINDOW)
    rows = [r for r in rows if r["serial_number"] is not None]
    return [r["certificate_id"] for r in rows], [bytes(r["serial_number"]) for r in rows]


def test_revocations_exact(population):
    p = population
    got = set()
    for ca in ("R", "O", "I1", "I2", "Z"):
        ids, serials = _page(p, ca)
        for r in run(p.dsn, "certificate_revocations", issuer_ca_id=p.ca[ca], certificate_ids=ids,
                     serial_numbers=serials):
            got.add((p.labels_by_id[r["certificate_id"]], r["revocation_date"], r["reason_code"]))
    # the serial is revoked: both rows of the pair match crt.sh's join; the expired certificate is out of range
    assert got == {("pair_pre", T(2019, 3, 1, 10), 4), ("pair_final", T(2019, 3, 1, 10), 4),
                   ("z_leaf2", T(2019, 4, 2), None)}


def test_earliest_ct_entries_exact(population):
    p = population
    rows = run(p.dsn, "earliest_ct_entries", certificate_ids=_page(p, "I1")[0])
    assert {p.labels_by_id[r["certificate_id"]]: r["earliest_entry"] for r in rows} == {
        "pair_pre": T(2017, 12, 31, 23, 59),  # the earlier of two logs, in another ct_log_entry partition
        "pair_final": T(2018, 1, 1, 2), "orphan_pre": T(2018, 1, 2)}


def test_root_trust_records_exact(population):
    p = population
    rows = run(p.dsn, "root_trust_records", root_ca_id=p.ca["R"])
    assert [(p.labels_by_id[r["certificate_id"]], r["trust_context"], r["trust_purpose"], r["disabled_from"],
             r["notbefore_until"]) for r in rows] == [
        ("R", "Microsoft", "Server Authentication", T(2020, 1, 1), None),  # display order: Microsoft before Mozilla
        ("R", "Mozilla", "Server Authentication", None, T(2019, 6, 1)),
        ("R", "Mozilla", "Secure Email", None, None)]


def test_aggregates_exact(population):
    p = population
    rows = run(p.dsn, "certificate_aggregates", issuer_ca_id=p.ca["I1"], as_of=AS_OF, **WINDOW)
    got = {(r["dimension"], r["key"]): (r["certificates"], r["precertificates"], r["deduplicated"]) for r in rows
           if r["dimension"] != "cell"}  # the cells: tests/integration/test_aggregate_options.py
    assert got == {
        ("issuer_ca_id", str(p.ca["I1"])): (7, 2, 5),  # 7 rows; the pair counts once; garbage has no key
        ("organization", "Example Org"): (2, 1, 1), ("organization", "Another, Inc."): (1, 0, 1),
        ("organization", "Test PKI (synthetic)"): (1, 0, 1), ("organization", None): (3, 1, 2),
        ("not_after_month", "2019-05"): (1, 0, 1), ("not_after_month", "2019-09"): (1, 1, 1),
        ("not_after_month", "2020-06"): (2, 1, 1), ("not_after_month", "2021-03"): (1, 0, 1),
        ("not_after_month", "2026-01"): (1, 0, 1), ("not_after_month", "unparsable"): (1, 0, 0)}


# -- EXPLAIN: crt.sh's indexes and partition pruning -----------------------------------------------------------------

PER_CA = ["unexpired_certificates", "unexpired_certificates_der", "certificate_aggregates",
          "certificate_counts_by_month"]


def _partitions(plan: str) -> set[str]:
    return set(re.findall(r" on (certificate_\w+)", plan))


@pytest.mark.parametrize("name", PER_CA)
def test_per_ca_queries_prune_partitions_and_use_the_issuer_index(population, name):
    p = population
    plan = explain(p.dsn, name, issuer_ca_id=p.ca["I1"], as_of=AS_OF, **WINDOW)
    parts = _partitions(plan)
    # notAfter >= 2019-05-17: the 2013andbefore..2018 partitions are pruned at plan time
    assert not parts & {"certificate_2013andbefore", "certificate_2014", "certificate_2015", "certificate_2016",
                        "certificate_2017", "certificate_2018"}, plan
    assert {"certificate_2019", "certificate_2030andbeyond"} <= parts
    assert not re.search(r"Seq Scan on certificate_", plan), plan
    assert re.search(r"Index Cond: \(\(issuer_ca_id = \d+\) AND \(COALESCE\(x509_notafter\(certificate\)", plan), plan
    # a bounded window prunes the later partitions too
    bounded = _partitions(explain(p.dsn, name, issuer_ca_id=p.ca["I1"], as_of=AS_OF, window_start=T(2020, 1, 1),
                                  window_end=T(2021, 1, 1))) if "window_start" in Q[name].param_names else None
    if bounded is not None:
        assert bounded == {"certificate_2020"}, bounded


def test_hierarchy_uses_the_can_issue_partial_index(population):
    p = population
    plan = explain(p.dsn, "ca_hierarchy", root_ca_id=p.ca["R"])
    conn = psycopg2.connect(p.dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE %s",
                    ("%WHERE x509_canissuecerts(certificate)%",))
        partial = {r[0] for r in cur.fetchall()}
    conn.close()
    recursive = plan.split("Recursive Union")[1].split("CTE ")[0]
    used = set(re.findall(r"Index Scan using (\w+) on certificate_", recursive))
    assert used and used <= partial, recursive
    assert not re.search(r"Seq Scan on certificate_", plan)


def test_other_queries_are_index_led(population):
    p = population
    plan = explain(p.dsn, "resolve_ca", root_sha256=_sha(p, "R"), ca_id=None, name_pattern=None)
    assert re.search(r"Index Scan using certificate_\w+_digest_idx\w* on certificate_\w+ c_\d+\n\s+"
                     r"Index Cond: \(digest\(certificate, 'sha256'", plan), plan
    assert not re.search(r"Seq Scan on certificate_", plan)
    plan = explain(p.dsn, "root_trust_records", root_ca_id=p.ca["R"])
    assert "cac_ca_c" in plan and "rtp_pk" in plan, plan


def test_earliest_ct_entry_probes_ctle_c_not_the_time_index(population):
    p = population
    plan = explain(p.dsn, "earliest_ct_entries", certificate_ids=_page(p, "I1")[0])
    assert "entry_timestamp IS NOT NULL" not in plan, plan  # min() rewritten to a walk of ctle_t: never
    assert re.search(r"Index Scan using ct_log_entry_\w+_certificate_id_idx on ct_log_entry_\w+ ctle", plan), plan
    assert "Index Cond: (certificate_id = c" in plan
    assert not _partitions(plan), plan  # the page's ids: no certificate is read again


def test_revocations_probe_crl_revoked_by_serial(population):
    p = population
    ids, serials = _page(p, "I1")
    plan = explain(p.dsn, "certificate_revocations", issuer_ca_id=p.ca["I1"], certificate_ids=ids,
                   serial_numbers=serials)
    assert re.search(r"Index Scan using crlr_pk on crl_revoked cr\n\s+Index Cond: \(\(ca_id = \d+\) AND "
                     r"\(serial_number = ", plan), plan
    assert not _partitions(plan), plan  # the page's serials: no certificate is read or parsed again
