"""Alternate trust paths on real certificates (StartCom's CAs saved by Certinomis' cross-sign) in the demo database,
and the cross-check with crt.sh's trusted_in; the path logic on hand-made graphs is in tests/unit/test_trustpaths.py."""

from __future__ import annotations

import psycopg2
import pytest

from analysis import crtsh, trustpaths
from analysis.normalise import normalise
from analysis.trustpaths import CAGraph, RootTrust, find_path
from tests.unit.test_trustpaths import CERTINOMIS_ROOT, STARTCOM_CA, D, _population

STARTCOM_ROOTS = (STARTCOM_CA, "E17890EE09A3FBF4F48B9C414A17D637B7A50647E9BC752322727FCC1742A911",
                  "C7BA6567DE93A798AE1FAA791E712D378FAE1F93C4397FEA441BB7CBE6FD5995")




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
