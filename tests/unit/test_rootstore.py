"""analysis.rootstore (NSS history 2000-2026) and analysis.figures (house style, reproducible PNG/SVG)."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from analysis import figures, rootstore

CERTINOMIS = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"


@pytest.fixture(scope="module")
def events():
    return rootstore.load_events()


@pytest.fixture(scope="module")
def distrust(events):
    return rootstore.distrust_events(events)


def test_tables_load():
    assert len(rootstore.load_versions()) == 262
    t = rootstore.load_timeline()
    assert len(t) == 451 and t["sha256"].is_unique
    assert t["removed_date"].notna().sum() == 284
    assert str(t["not_after"].dtype) == "datetime64[ns]"


def test_events_parsed(events):
    assert len(events) == 1069
    assert events["event"].value_counts().to_dict() == {"added": 459, "changed": 318, "removed": 279, "reissued": 13}
    assert str(events["after_server_distrust_after"].dtype) == "datetime64[ns]"


def test_store_size_around_certinomis():
    before, after = rootstore.size_on("2019-06-03"), rootstore.size_on("2019-06-04")
    assert (before["certificates"], before["server_trusted"]) == (156, 140)
    assert (after["certificates"], after["server_trusted"]) == (155, 139)
    assert after["nss_commit"] == "311ccf25bcf9"
    latest = rootstore.store_size().iloc[-1]
    assert (latest["date"], latest["certificates"], latest["server_trusted"]) == (pd.Timestamp("2026-04-09"), 167, 121)


def test_trust_known_before_the_2011_rename(events):
    """The CKT_NETSCAPE_* spelling (before 2011-04-13) is read: trust counts from 2000 on, and the rename commit itself
    changes nothing."""
    s = rootstore.store_size().set_index("date")
    assert s["server_trusted"].notna().all()
    assert s.loc[pd.Timestamp("2000-09-06"), ["certificates", "server_trusted"]].tolist() == [19, 10]
    assert s.loc[pd.Timestamp("2011-04-06"), "server_trusted"] == s.loc[pd.Timestamp("2011-04-13"), "server_trusted"] \
        == 134
    assert events[events["nss_commit"] == "10d545fc8481"].empty


def test_distrust_event_counts(distrust):
    assert distrust["kind"].value_counts().to_dict() == {
        "removed": 279, "server_trust_removed": 67, "server_distrust_after_set": 30, "reissued": 13,
        "email_distrust_after_set": 11}


def test_certinomis_removal_event(distrust):
    r = distrust[distrust["sha256"] == CERTINOMIS]
    assert len(r) == 1
    r = r.iloc[0]
    assert (r["date"], r["kind"], r["bug"], r["nss_commit"]) == (pd.Timestamp("2019-06-04"), "removed", 1552374,
                                                                  "311ccf25bcf9")
    assert r["commit_subject"].startswith("Bug 1552374 - Remove Certnomis Root CA")
    assert bool(r["was_server_trusted"]) and not bool(r["routine"])
    history = rootstore.root_history(CERTINOMIS)
    assert list(history["event"]) == ["added", "removed"]
    assert history["date"].iloc[0] == pd.Timestamp("2015-07-09")


def test_symantec_and_entrust_distrust_after(distrust):
    sym = distrust[(distrust["bug"] == 1618404) & (distrust["kind"] == "server_distrust_after_set")]
    assert len(sym) == 12 and (sym["date"] == pd.Timestamp("2020-05-27")).all()
    assert sorted(sym["distrust_after"].dt.strftime("%Y-%m-%d").value_counts().items()) == [
        ("2018-09-30", 2), ("2019-01-31", 1), ("2019-04-30", 6), ("2020-01-01", 3)]
    removed = distrust[(distrust["kind"] == "removed") & distrust["sha256"].isin(sym["sha256"])]
    assert sorted(removed["date"].dt.strftime("%Y-%m-%d").value_counts().items()) == [("2020-12-01", 10),
                                                                                      ("2021-02-23", 2)]
    ent = distrust[distrust["bug"] == 1922387]
    assert len(ent) == 8 and (ent["distrust_after"] == pd.Timestamp("2024-11-30 23:59:59")).all()
    assert (ent["date"] == pd.Timestamp("2024-11-15")).all()


# date, old certificate, its re-issue (SHA-256 prefixes), label (docs/nss-history.md lists them in full)
EXPECTED_REISSUES = """
2000-11-08 3568D262 341DE98B Verisign Class 1 Public Primary Certification Authority - G2
2001-06-19 C89CD722 9EEEF1CC USPS Root
2002-09-20 30498508 8F9E2751 TC TrustCenter, Germany, Class 2 CA
2008-08-14 B41B2FBF EBD41040 GlobalSign Root CA
2012-01-17 D17CD8EC 51847C8C Verisign Class 1 Public Primary Certification Authority
2013-04-11 D1C339EA 6DC47172 Entrust.net Premium 2048 Secure Server CA
2016-02-25 A4B6B399 E7685634 Verisign Class 3 Public Primary Certification Authority
2021-12-13 2A575471 D947432A GTS Root R1
2021-12-13 C45D7BB0 8D25CD97 GTS Root R2
2021-12-13 15D5B877 34D8A73E GTS Root R3
2021-12-13 71CCA539 349DFA40 GTS Root R4
2021-12-13 BEC94911 B085D70B GlobalSign ECC Root CA - R4
2023-11-13 04048028 57DE0583 Autoridad de Certificacion Firmaprofesional CIF A62634068
"""
# USPS Production 1 (2001): its re-issue came in trusted for fewer purposes; DigiNotar Root CA (2011): the certificate
# that stayed is the explicit-distrust entry for the same key.
LABELS_SAME_CA_KEPT_BUT_REMOVED = ["DigiNotar Root CA", "USPS Production 1"]
ENTRUST_2048_OLD = "D1C339EA2784EB870F934FC5634E4AA9AD5505016401F26465D37A574663359F"
ENTRUST_2048_NEW = "6DC47172E01CBCB0BF62580D895FE2B8AC9AD4F873801E0C10B9C837D21EB177"


def test_entrust_2048_reissue_is_not_a_removal(distrust):
    """2013-04-11 (Bug 857615): the 1999 certificate left certdata.txt and its re-issue (same subject and key) came in.
    The CA was never removed; its distrust-after (2024-11-30) and TLS trust bit off (2025-04-16) apply to the CA."""
    assert rootstore.same_ca(ENTRUST_2048_OLD) == rootstore.same_ca(ENTRUST_2048_NEW) == [ENTRUST_2048_OLD,
                                                                                        ENTRUST_2048_NEW]
    mine = distrust[distrust["sha256"].isin([ENTRUST_2048_OLD, ENTRUST_2048_NEW])]
    assert "removed" not in set(mine["kind"])
    ca = rootstore.ca_distrust_events(ENTRUST_2048_OLD)
    assert [(d.strftime("%Y-%m-%d"), k, s[:8]) for d, k, s in zip(ca["date"], ca["kind"], ca["sha256"])] == [
        ("2013-04-11", "reissued", "D1C339EA"), ("2024-11-15", "server_distrust_after_set", "6DC47172"),
        ("2025-04-16", "server_trust_removed", "6DC47172")]
    assert ca["reissued_as"].iloc[0] == ENTRUST_2048_NEW
    assert ca["distrust_after"].iloc[1] == pd.Timestamp("2024-11-30 23:59:59")
    assert rootstore.ca_distrust_events(ENTRUST_2048_NEW).equals(ca)
    assert list(rootstore.ca_history(ENTRUST_2048_NEW)["event"]) == ["added", "added", "reissued", "changed",
                                                                      "changed", "changed"]


def test_every_reissue_in_the_nss_history():
    """Every departure from certdata.txt 2000-2026 was checked against the CA identity; these 13 are re-issues."""
    r = rootstore.reissues()
    got = [f"{d:%Y-%m-%d} {old[:8]} {new[:8]} {label}" for d, label, old, new in
           zip(r["date"], r["label"], r["sha256"], r["reissued_as"])]
    assert got == EXPECTED_REISSUES.strip().splitlines()
    # Departures that left another certificate of the same CA behind, but none trusted for the same purposes.
    e = rootstore.load_events()
    kept = e[(e["event"] == "removed") & (e["same_ca_kept"] != "")]
    assert sorted(kept["label"]) == sorted(LABELS_SAME_CA_KEPT_BUT_REMOVED)


def test_izenpe_distrust_after_on_the_trust_object(distrust):
    """Izenpe.com's CKA_NSS_SERVER_DISTRUST_AFTER sits on the trust object (2026): it is in the history."""
    iz = distrust[(distrust["label"] == "Izenpe.com") & (distrust["kind"] == "server_distrust_after_set")]
    assert len(iz) == 1
    r = iz.iloc[0]
    assert (r["date"], r["distrust_after"], r["bug"]) == (pd.Timestamp("2026-04-09"),
                                                         pd.Timestamp("2026-04-15 23:59:59"), 2017322)
    assert r["sha256"] == "2530CC8E98321502BAD96F9B1FBA1B099E2D299E0F4548BB914F363BC0D4531F"


def test_history_figure_data():
    d = rootstore.history_figure_data()
    assert list(d.notable["bug"]) == list(rootstore.NOTABLE_BUGS)
    assert d.notable.set_index("bug").loc[1552374, "n_roots"] == 1
    assert d.notable.set_index("bug").loc[1618404, "n_roots"] == 12
    assert d.distrust_after.set_index("date").loc[pd.Timestamp("2020-05-27"), "n"] == 15
    assert d.n_versions == 262


# ------------------------------------------------------------------------------------------------------------------
# analysis.figures
# ------------------------------------------------------------------------------------------------------------------

def test_style_and_labels():
    figures.apply_style()
    assert matplotlib.rcParams["svg.hashsalt"] == figures.SVG_HASH_SALT
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == figures.OKABE_ITO["blue"]
    assert figures.figure_title("Unexpired certificates", "Certinomis - Root CA") == \
        "Unexpired certificates \u2014 Certinomis - Root CA"
    assert figures.footer_text("crt.sh", pd.Timestamp("2019-05-17 10:30"), "Removal 2019-06-04") == \
        "Source: crt.sh   |   Query time: 2019-05-17 10:30 UTC   |   Policy: Removal 2019-06-04"
    fig, ax = figures.new_figure()
    ax.plot([0, 1], [0, 1])
    fig.subplots_adjust(top=0.86, bottom=0.14)
    figures.label_figure(fig, ax, what="Test", ca="Some CA", xlabel="x (days)", ylabel="y (count)", n=1381,
                         source="unit test", query_time="2019-05-17", policy="none", subtitle="sub")
    texts = [t.get_text() for t in fig.texts]
    assert "Test \u2014 Some CA" in texts and "n = 1,381" in texts and "sub" in texts
    assert any(t.startswith("Source: unit test") for t in texts)
    assert ax.get_xlabel() == "x (days)"
    matplotlib.pyplot.close(fig)


def test_save_is_byte_identical(tmp_path):
    def render(stem):
        fig, ax = figures.new_figure()
        ax.bar(["a", "b"], [3, 5], label="bars")
        ax.legend()
        figures.label_figure(fig, ax, what="Bars", xlabel="x", ylabel="y (count)", n=8, source="test",
                             query_time="2026-01-01")
        out = figures.save(fig, stem)
        matplotlib.pyplot.close(fig)
        return out

    png1, svg1 = render(tmp_path / "one")
    png2, svg2 = render(tmp_path / "two")
    assert png1.suffix == ".png" and svg1.suffix == ".svg"
    assert png1.read_bytes() == png2.read_bytes()
    assert svg1.read_bytes() == svg2.read_bytes()
    svg = svg1.read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in png1.read_bytes().decode("latin-1")


