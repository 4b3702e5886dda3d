"""Alternate trust paths decided per program and day (analysis.trustpaths, docs/trust-paths.md).

Synthetic graphs for the rules (cycles, expired cross-signs, a saving root distrusted later), and the real StartCom /
Certinomis CA certificates (CCADB, CDLA-Permissive-2.0, data/ccadb/certinomis) loaded into the local crt.sh-compatible
database, whose ``ca_hierarchy`` rows build the graph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg2
import pytest

from analysis import crtsh, policies, trustpaths
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
STARTCOM_ROOTS = (STARTCOM_CA, "E17890EE09A3FBF4F48B9C414A17D637B7A50647E9BC752322727FCC1742A911",
                  "C7BA6567DE93A798AE1FAA791E712D378FAE1F93C4397FEA441BB7CBE6FD5995")
CERTINOMIS_ROOT = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"
BR_SSL_ICA = "01C05B0A7F657E071765FDE94347C760A490FA7C3AEFEC3EA9CFAC3F62F1FBE3"  # by StartCom G3


@pytest.fixture(scope="module")
def startcom(demo_db):
    """crt.sh ``ca_hierarchy`` rows of StartCom Certification Authority, and the crt.sh id of StartCom BR SSL ICA."""
    conn = psycopg2.connect(demo_db)
    with conn.cursor() as cur:
        cur.execute("""SELECT cac.ca_id FROM certificate c JOIN ca_certificate cac ON cac.certificate_id = c.id
                       WHERE digest(c.certificate, 'sha256') = %s""", (bytes.fromhex(STARTCOM_CA),))
        root = cur.fetchone()[0]
        cur.execute("""SELECT cac.ca_id FROM certificate c JOIN ca_certificate cac ON cac.certificate_id = c.id
                       WHERE digest(c.certificate, 'sha256') = %s""", (bytes.fromhex(BR_SSL_ICA),))
        ica = cur.fetchone()[0]
    conn.close()
    with crtsh.Client(demo_db) as client:
        hierarchy = client.frame("ca_hierarchy", {"root_ca_id": root})
    return hierarchy, ica


def test_real_startcom_ica_saved_by_the_certinomis_cross_sign_until_certinomis_left_nss(startcom):
    hierarchy, ica = startcom
    assert hierarchy["ca_name"].str.contains("StartCom BR SSL ICA").any()
    g = CAGraph.build(hierarchy)  # + the bundled CCADB table: Certinomis - Root CA's cross-sign of the ICA
    mozilla = RootTrust.for_program("Mozilla")
    avoid = g.nodes_of(STARTCOM_ROOTS)
    p = find_path(g, g.node(ica), "2018-06-01", mozilla, avoid)
    assert p.root_sha256 == CERTINOMIS_ROOT
    assert [e.sha256 for e in p.edges] == ["6D9A258172F5CD1BDFF447EF64F9A9593070F4ACCBFD07465E4A7CBD205A5CFC"]
    assert p.describe(g) == (f"StartCom BR SSL ICA (crt.sh CA {ica}) -> Certinomis - Root CA [cert 6D9A258172F5…, "
                             f"to 2027-04-13] (root 2A99F5BC1174B73C…)")
    assert [(r["ca"], r["crtsh_ca_ids"], r["certificate_sha256"]) for r in p.chain(g)] == [
        ("StartCom BR SSL ICA", [ica], None),
        ("Certinomis - Root CA", [], "6D9A258172F5CD1BDFF447EF64F9A9593070F4ACCBFD07465E4A7CBD205A5CFC")]
    assert p.chain(g)[-1]["root_sha256"] == CERTINOMIS_ROOT
    # Certinomis - Root CA left NSS on 2019-06-04 (Bug 1552374), shipped in Firefox 69 on 2019-09-03: the
    # cross-sign saves nothing from that day
    assert find_path(g, g.node(ica), "2019-09-02", mozilla, avoid) is not None
    assert find_path(g, g.node(ica), "2019-09-03", mozilla, avoid) is None
    # Without the CCADB table the crt.sh tree alone does not hold Certinomis - Root CA's certificates
    assert find_path(CAGraph.build(hierarchy, ccadb=False), g.node(ica), "2018-06-01", mozilla, avoid) is None


def test_real_expired_cross_sign_of_startcom_g3_stops_saving(startcom):
    """A hypothetical store trusting only StartCom Certification Authority: StartCom G3 reaches it through the
    cross-certificate D3082ADB… (valid to 2022-04-11) or 6CD83E64… (to 2022-04-10)."""
    hierarchy, ica = startcom
    g = CAGraph.build(hierarchy)
    store = RootTrust.fixed("Test", [STARTCOM_CA], "hypothetical store {StartCom Certification Authority}")
    avoid = g.nodes_of([CERTINOMIS_ROOT])
    p = find_path(g, g.node(ica), "2022-04-11", store, avoid)
    assert p.root_sha256 == STARTCOM_CA
    assert [e.sha256[:8] for e in p.edges] == ["01C05B0A", "D3082ADB"]
    assert find_path(g, g.node(ica), "2022-04-12", store, avoid) is None


def test_replayed_nss_store_keeps_the_state_of_that_day():
    before = RootTrust.for_program("Mozilla", as_of="2019-05-17")
    assert before.trusted(CERTINOMIS_ROOT, "2020-01-01")  # as known on 2019-05-17: still in NSS
    assert not RootTrust.for_program("Mozilla").trusted(CERTINOMIS_ROOT, "2020-01-01")
    # other programs: NSS as a stand-in, minus their own actions (Microsoft removed StartCom from 2019-03-05)
    ms = RootTrust.for_program("Microsoft")
    assert not ms.trusted(STARTCOM_CA, "2017-12-01")  # out of NSS on 2017-10-17 already
    assert "stand-in" in ms.source


def test_real_mozilla_startcom_distrust_with_the_certinomis_path_decided(startcom):
    """Leaves under the real StartCom BR SSL ICA, with Mozilla's actual StartCom actions (Firefox 51's notBefore
    rule from 2017-01-24, then the roots' removal from NSS on 2017-10-17): the Certinomis cross-sign (from
    2017-04-13) saves them while Firefox trusts Certinomis - Root CA (until Firefox 69, 2019-09-03)."""
    from analysis import presets, programs

    hierarchy, ica = startcom
    norm = normalise(_population(ica, [("2017-05-01", "2018-05-01"),    # saved until it expires
                                       ("2018-01-01", "2020-01-01"),    # saved until 2019-09-02, breaks 2019-09-03
                                       ("2017-04-10", "2017-12-01")]))  # before the cross-sign: breaks at once
    record = presets.actual_record([STARTCOM_CA], hierarchy=hierarchy)
    cmp = programs.compare_programs(norm, record, ["Mozilla"], hierarchy=hierarchy)
    v = cmp.evaluations["Mozilla"].verdicts
    assert v["category"].astype(str).tolist() == ["saved_by_path", "path_ends", "distrusted_not_before"]
    assert v["breaks_on"].tolist()[1:] == [D("2019-09-03"), D("2017-04-10")]
    assert f"StartCom BR SSL ICA (crt.sh CA {ica}) -> Certinomis - Root CA" in v["reason"].iloc[0]
    t = cmp.table.set_index("metric")["Mozilla"]
    assert t["affected"] == 2 and t["saved_by_other_path"] == 1
    assert cmp.paths()[["program", "category", "certificates"]].values.tolist() == [
        ["Mozilla", "saved_by_path", 1], ["Mozilla", "path_ends", 1]]
    assert (t["breakage_starts"], t["breakage_ends"]) == ("2017-04-10", "2020-01-01")
    plain = programs.compare_programs(norm, record, ["Mozilla"], hierarchy=hierarchy, ignore_alternate_paths=True)
    assert plain.table.set_index("metric")["Mozilla"]["affected"] == 3


def test_crosscheck_with_crtsh_trusted_in(startcom):
    """crt.sh's ca_trust_purpose (``trusted_in``) is empty on the local database: filled here by hand as crt.sh would
    have had it on 2018-06-01 for StartCom BR SSL ICA (Mozilla, through Certinomis), and wrongly for StartCom G3."""
    hierarchy, ica = startcom
    h = hierarchy.copy()
    g3 = int(h.loc[h["ca_name"].str.endswith("CN=StartCom Certification Authority G3"), "ca_id"].iloc[0])
    h["trusted_in"] = [["Mozilla/Server Authentication"] if c in (ica, g3) else None for c in h["ca_id"]]
    g = CAGraph.build(h)
    out = trustpaths.crosscheck_trusted_in(g, h, RootTrust.for_program("Mozilla"), "2018-06-01")
    assert out[["ca_id", "crtsh_trusted", "decided_trusted"]].values.tolist() == [[g3, True, False]]
    assert trustpaths.crosscheck_trusted_in(g, hierarchy, RootTrust.for_program("Mozilla"), "2018-06-01").empty
