"""analysis.rootstore (NSS history 2000-2026) and analysis.figures (house style, reproducible PNG/SVG)."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import pandas as pd
import pytest

from analysis import figures, rootstore
from analysis.config import FIGURES_DIR

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
    assert len(events) == 1182
    assert events["event"].value_counts().to_dict() == {"added": 459, "changed": 431, "removed": 292}
    assert str(events["after_server_distrust_after"].dtype) == "datetime64[ns]"


def test_store_size_around_certinomis():
    before, after = rootstore.size_on("2019-06-03"), rootstore.size_on("2019-06-04")
    assert (before["certificates"], before["server_trusted"]) == (156, 140)
    assert (after["certificates"], after["server_trusted"]) == (155, 139)
    assert after["nss_commit"] == "311ccf25bcf9"
    latest = rootstore.store_size().iloc[-1]
    assert (latest["date"], latest["certificates"], latest["server_trusted"]) == (pd.Timestamp("2026-04-09"), 167, 121)


def test_trust_unknown_before_2011_rename():
    s = rootstore.store_size()
    assert s.loc[s["date"] < rootstore.TRUST_VALUES_KNOWN_FROM, "server_trusted"].isna().all()
    assert s.loc[s["date"] == rootstore.TRUST_VALUES_KNOWN_FROM, "server_trusted"].iloc[0] == 134


def test_distrust_event_counts(distrust):
    assert distrust["kind"].value_counts().to_dict() == {
        "removed": 292, "server_trust_removed": 51, "server_distrust_after_set": 29, "email_distrust_after_set": 11}


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


@pytest.mark.slow
def test_root_store_history_figure_reproducible(tmp_path):
    """Rendering in a fresh interpreter twice gives the same bytes, equal to the committed figure."""
    code = ("import sys; from analysis import figures; "
            "figures.plot_root_store_history(path_stem=sys.argv[1])")
    for stem in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / stem)], check=True)
    for ext in (".png", ".svg"):
        a, b = (tmp_path / f"a{ext}").read_bytes(), (tmp_path / f"b{ext}").read_bytes()
        assert a == b
        committed = FIGURES_DIR / f"mozilla_root_store_history{ext}"
        assert committed.read_bytes() == a, (
            f"{committed} is stale: regenerate with figures.plot_root_store_history(path_stem=...)")
