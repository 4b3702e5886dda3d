"""Alternate trust paths decided per program and day (analysis.trustpaths, docs/trust-paths.md).

Synthetic graphs for the rules (cycles, expired cross-signs, a saving root distrusted later), and the real StartCom /
Certinomis CA certificates (CCADB, CDLA-Permissive-2.0, data/ccadb/certinomis) loaded into the local crt.sh-compatible
database, whose ``ca_hierarchy`` rows build the graph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import policies, trustpaths
from analysis.frames import CERTIFICATES
from analysis.normalise import normalise
from analysis.trustpaths import CAGraph, RootTrust, find_path, path_timeline

D = pd.Timestamp


def _hier(rows):
    return pd.DataFrame(rows, columns=["ca_id", "ca_name", "parent_ca_id", "sha256", "not_before", "not_after"])


def _graph():
    """CA 10 (issuing) under root 1 (distrusted); 10 cross-signed by root 2 until 2020-12-31; root 2 and root 3
    cross-sign each other (a cycle); root 4 cross-signs 10 from 2019-01-01 to 2030."""
    rows = [
        (1, "CN=R1", 1, "A1", "2010-01-01", "2040-01-01"),
        (2, "CN=R2", 2, "A2", "2010-01-01", "2040-01-01"),
        (3, "CN=R3", 3, "A3", "2010-01-01", "2040-01-01"),
        (4, "CN=R4", 4, "A4", "2010-01-01", "2040-01-01"),
        (10, "CN=Issuing CA", 1, "B1", "2015-01-01", "2030-01-01"),
        (10, "CN=Issuing CA", 2, "B2", "2015-01-01", "2020-12-31"),
        (2, "CN=R2", 3, "C23", "2012-01-01", "2035-01-01"),
        (3, "CN=R3", 2, "C32", "2012-01-01", "2035-01-01"),
        (10, "CN=Issuing CA", 4, "B4", "2019-01-01", "2030-01-01"),
    ]
    return CAGraph.build(_hier(rows), ccadb=False)


def test_an_expired_cross_sign_does_not_save():
    g = _graph()
    trust = RootTrust.fixed("Test", ["A2"], "hypothetical store {R2}")
    avoid = g.nodes_of(["A1"])
    p = find_path(g, g.node(10), "2020-12-31", trust, avoid)
    assert [e.sha256 for e in p.edges] == ["B2"] and p.root_sha256 == "A2"
    assert find_path(g, g.node(10), "2021-01-01", trust, avoid) is None  # the cross-sign expired the day before


def test_cycles_are_followed_once():
    g = _graph()
    trust = RootTrust.fixed("Test", ["A3"], "hypothetical store {R3}")
    p = find_path(g, g.node(10), "2020-06-01", trust, g.nodes_of(["A1"]))
    assert [e.sha256 for e in p.edges] == ["B2", "C23"]  # 10 -> R2 -> R3, the R3 -> R2 edge closes a cycle
    nothing = RootTrust.fixed("Test", [], "empty store")
    assert find_path(g, g.node(10), "2020-06-01", nothing, g.nodes_of(["A1"])) is None  # terminates


def test_the_distrusted_root_never_anchors():
    g = _graph()
    trust = RootTrust.fixed("Test", ["A1"], "only the distrusted root")
    assert find_path(g, g.node(10), "2020-06-01", trust, g.nodes_of(["A1"])) is None
    assert find_path(g, g.node(10), "2020-06-01", trust).root_sha256 == "A1"  # nothing avoided: the root itself


def test_a_saving_root_distrusted_later_stops_saving_that_day():
    g = _graph()
    trust = RootTrust("Test", {"A4": [(D("2000-01-01"), D("2022-03-01"))]}, "R4 removed on 2022-03-01")
    tl = path_timeline(g, g.node(10), trust, g.nodes_of(["A1"]), start_day="2021-06-01", end_day="2023-01-01")
    assert [(a, b, p.root_sha256 if p else None) for a, b, p in tl] == [
        (D("2021-06-01"), D("2022-03-01"), "A4"), (D("2022-03-01"), D("2023-01-02"), None)]


def _population(issuer_ca_id, rows):
    """A certificates frame (docs/design.md) of leaves under one CA: rows = (not_before, not_after)."""
    n = len(rows)
    return CERTIFICATES.frame({
        "certificate_id": np.arange(1, n + 1, dtype=np.int64), "issuer_ca_id": np.full(n, issuer_ca_id, dtype=np.int64),
        "issuer_name": "CN=Issuing CA", "sha256": [f"{i:064X}" for i in range(n)],
        "serial_number": [f"{i:02x}" for i in range(n)],
        "not_before": pd.to_datetime([r[0] for r in rows]), "not_after": pd.to_datetime([r[1] for r in rows]),
        "subject_o": None, "subject_cn": [f"h{i}.example" for i in range(n)],
        "dns_names": [[f"h{i}.example"] for i in range(n)], "policy_oids": [[] for _ in range(n)],
        "is_precertificate": False, "is_server_auth": True, "dedup_key": [f"{i:064X}" for i in range(n)],
        "parse_error": None,
    })


def test_wrapper_saves_moves_and_ignores():
    g = _graph()
    trust = RootTrust("Test", {"A4": [(D("2000-01-01"), D("2022-03-01"))], "A2": [(D("2000-01-01"), D("2100-01-01"))]},
                      "R2; R4 until 2022-03-01")
    # first: saved through R2 (cross-sign valid to 2020-12-31)
    norm = normalise(_population(10, [("2020-01-01", "2020-11-30"),
                                      ("2020-01-01", "2021-06-30"),   # R2 cross-sign expires; R4 from 2019 takes over
                                      ("2020-01-01", "2022-06-30"),   # R4 leaves on 2022-03-01: breaks then
                                      ("2014-01-01", "2014-12-31")]))  # expired before the removal: untouched
    base = policies.Removal("2020-06-01")
    wrapped = trustpaths.PathAware(base, g, trust, ["A1"])
    v = wrapped.evaluate(norm)
    assert list(v["category"].astype(str)) == ["saved_by_path", "saved_by_path", "path_ends", "expires_before_break"]
    assert list(v["breaks_on"]) == [pd.NaT, pd.NaT, D("2022-03-01"), pd.NaT]
    assert all("-> R2 (crt.sh CA 2) [cert B2…, to 2020-12-31] (root A2…)" in r for r in v["reason"].iloc[:2])
    assert "until 2022-02-28" in v["reason"].iloc[2]
    assert [p.root_sha256 for p in wrapped.paths] == ["A2", "A2", "A2"]  # the path of the break day (2020-06-01)
    status = policies.classify(norm, wrapped)["status"].astype(str).tolist()
    assert status == ["survives", "survives", "affected", "survives"]
    same = trustpaths.PathAware(base, g, trust, ["A1"], ignore_alternate_paths=True).evaluate(norm)
    pd.testing.assert_frame_equal(same, base.evaluate(norm))
    counts = trustpaths.saved_by_path(v)
    assert counts["certificates"].tolist() == [2, 1] and counts["category"].tolist() == ["saved_by_path", "path_ends"]


# -- real certificates: StartCom and Certinomis (CCADB), through the local crt.sh-compatible database -----------------


STARTCOM_CA = "C766A9BEF2D4071C863A31AA4920E813B2D198608CB7B7CFE21143B836DF09EA"
CERTINOMIS_ROOT = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"


def test_replayed_nss_store_keeps_the_state_of_that_day():
    before = RootTrust.for_program("Mozilla", as_of="2019-05-17")
    assert before.trusted(CERTINOMIS_ROOT, "2020-01-01")  # as known on 2019-05-17: still in NSS
    assert not RootTrust.for_program("Mozilla").trusted(CERTINOMIS_ROOT, "2020-01-01")
    # other programs: NSS as a stand-in, minus their own actions (Microsoft removed StartCom from 2019-03-05)
    ms = RootTrust.for_program("Microsoft")
    assert not ms.trusted(STARTCOM_CA, "2017-12-01")  # out of NSS on 2017-10-17 already
    assert "stand-in" in ms.source


