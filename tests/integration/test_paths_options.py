"""Alternate trust paths decided in a report's main options (analysis.scenario.Scenario.policy_for ->
analysis.trustpaths.decide), ``--ignore-alternate-paths``, and the replay of a past day (``--as-of``) in those options.

Real certificates: StartCom BR SSL ICA and Certinomis - Root CA's cross-certificate of it (CCADB,
CDLA-Permissive-2.0, data/ccadb), loaded into the local crt.sh-compatible database (fixture ``startcom`` of
tests/integration/test_trustpaths.py). The parts that need no database are in tests/unit/test_paths_options.py.
"""

from __future__ import annotations

import pandas as pd

from analysis import policies, presets, tables, trustpaths
from analysis.normalise import normalise
from analysis.report import Report
from analysis.scenario import Scenario
from tests.integration.test_report import SEED, demo_cache  # noqa: F401 (fixture)
from tests.integration.test_trustpaths import STARTCOM_ROOTS, startcom  # noqa: F401 (fixture)
from tests.unit.test_trustpaths import STARTCOM_CA, _population

D = pd.Timestamp

# Leaves under StartCom BR SSL ICA (notBefore, notAfter): one expires before Certinomis - Root CA left Firefox
# (Firefox 69, 2019-09-03), one after.
LEAVES = [("2019-01-01", "2019-08-01"), ("2019-01-01", "2020-01-01")]


def _verdicts(startcom, *, options="removal", distrust="2019-07-01", as_of="2019-07-01", ignore=False):
    hierarchy, ica = startcom
    norm = normalise(_population(ica, LEAVES))
    record = presets.actual_record(STARTCOM_ROOTS, hierarchy=hierarchy)
    s = Scenario.from_strings(ca=STARTCOM_CA, distrust_date=distrust, as_of=as_of, options=options,
                              ignore_alternate_paths=ignore)
    policy = s.policy_for(s.options[0], norm, mozilla_presets=record)
    return policy, policies.classify(norm, policy)


def test_removal_saved_by_the_certinomis_cross_sign_until_certinomis_leaves_firefox(startcom):
    """Removing the StartCom roots on 2019-07-01, as known on 2019-07-01 (the NSS commit removing Certinomis - Root
    CA, 2019-06-04, is public; Firefox 69 ships it on 2019-09-03): the first leaf expires while the cross-sign still
    works; the second validates through it until 2019-09-02 and breaks on 2019-09-03."""
    policy, v = _verdicts(startcom)
    assert isinstance(policy, trustpaths.PathAware) and policy.trust.program == "Mozilla"
    assert v["category"].astype(str).tolist() == ["saved_by_path", "path_ends"]
    assert v["status"].astype(str).tolist() == ["survives", "affected"]
    assert v["breaks_on"].tolist() == [pd.NaT, D("2019-09-03")]
    assert "StartCom BR SSL ICA" in v["reason"].iloc[0] and "Certinomis - Root CA" in v["reason"].iloc[0]
    assert "until 2019-09-02" in v["reason"].iloc[1]
    counts = trustpaths.saved_by_path(v)
    assert counts["certificates"].tolist() == [1, 1]


def test_replayed_before_the_certinomis_removal_the_path_saves_until_expiry(startcom):
    """As known on 2019-05-17 (the seed thread's day) nobody had acted on Certinomis - Root CA: its cross-sign saves
    both leaves until they expire."""
    _, v = _verdicts(startcom, as_of="2019-05-17")
    assert v["category"].astype(str).tolist() == ["saved_by_path", "saved_by_path"]
    assert "as of 2019-05-17" in v["reason"].iloc[1]


def test_ignore_alternate_paths_keeps_the_verdicts_before_paths_were_decided(startcom):
    policy, v = _verdicts(startcom, ignore=True)
    assert isinstance(policy, policies.Removal)
    assert v["status"].astype(str).tolist() == ["affected", "affected"]
    assert v["breaks_on"].tolist() == [D("2019-07-01"), D("2019-07-01")]


def test_mozilla_actual_decides_against_the_nss_store_as_of_the_snapshot(startcom):
    """Mozilla's own StartCom actions (Firefox 51's notBefore rule, client code; NSS removal 2017-10-17): the leaves
    (notBefore 2019) are distrusted by both, and the Certinomis path still decides them."""
    policy, v = _verdicts(startcom, options="mozilla-actual")
    assert not policy.through_distrusted  # Firefox's StartCom code inspects the whole chain
    assert v["category"].astype(str).tolist() == ["saved_by_path", "path_ends"]
    _, then = _verdicts(startcom, options="mozilla-actual", as_of="2019-05-17")
    assert then["category"].astype(str).tolist() == ["saved_by_path", "saved_by_path"]


def test_demo_report_with_and_without_alternate_paths(demo_cache, tmp_path):
    """The demo root's only cross-sign is by the fictional Demo Partner Root CA, in no store: deciding paths saves
    nothing, so the seed's numbers (1,144 / 781 / 490 affected) are the same with ``--ignore-alternate-paths``,
    which only brings back the caution line and drops tables/saved_by_path.csv."""
    decided = Report.build(**SEED, source="demo", cache_dir=str(demo_cache), output_dir=str(tmp_path / "a"))
    ignored = Report.build(**SEED, source="demo", cache_dir=str(demo_cache), output_dir=str(tmp_path / "b"),
                           ignore_alternate_paths=True)
    pd.testing.assert_frame_equal(decided.comparison(), ignored.comparison())
    assert decided.comparison().set_index("metric").loc["affected"].tolist() == [1144, 781, 490]
    assert all(isinstance(ev.policy, trustpaths.PathAware) for ev in decided.evaluations.values())
    assert "Caution: 1 CA of this hierarchy" in " ".join(ignored.summary_text().split())
    decided.write_outputs(), ignored.write_outputs()
    assert (tmp_path / "a" / "tables" / "saved_by_path.csv").exists()
    assert not (tmp_path / "b" / "tables" / "saved_by_path.csv").exists()
    assert ignored.reproduce_command()[-1] == "--ignore-alternate-paths"


def test_the_command_passes_the_flag_to_the_notebook_and_verify(demo_cache, tmp_path):
    """``distrust-impact report --demo --ignore-alternate-paths``: the notebook gets the parameter, the reproduce
    line carries the flag, and ``distrust-impact verify`` re-derives the folder with it."""
    import subprocess
    import sys

    import nbformat

    from analysis.cli import build_parser
    from analysis.runs import DEMO_DEFAULTS, run_reports

    assert build_parser().parse_args(["report", "--demo", "--ignore-alternate-paths"]).ignore_alternate_paths
    results = run_reports(dates=["2019-09-03"], out_root=tmp_path, cache_dir=demo_cache, log=lambda m: None,
                          ignore_alternate_paths=True, **{**DEMO_DEFAULTS, "options": "removal"})
    assert [r.ok for r in results] == [True, True], [r.error for r in results]
    day = tmp_path / "demo-root-ca" / "2019-09-03"
    executed = nbformat.read(day / "report.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["ignore_alternate_paths"] == "true"
    last = (day / "summary.txt").read_text(encoding="utf-8").splitlines()[-1]
    assert " --ignore-alternate-paths (distrust-impact " in last
    assert "Under 'removal': 1,144 certificates affected" in (day / "summary.txt").read_text(encoding="utf-8")
    assert not (day / "tables" / "saved_by_path.csv").exists()
    proc = subprocess.run([sys.executable, "-m", "analysis", "verify", str(day), "--cache-dir", str(demo_cache)],
                          capture_output=True, text=True, timeout=600)
    # 9 tables (no saved_by_path.csv), 4 figures as PNG and SVG, summary.txt and summary.json
    assert (proc.returncode, proc.stdout) == (0, "all 19 outputs match\n"), (proc.stdout, proc.stderr)


GEOTRUST_GLOBAL = "FF856A2D251DCD88D36656F450126798CFABAADE40799C722DE4D2B5DB36A73A"


def _truth_symantec(issued_by: str, firefox_64: bool) -> int:
    """Demo issuances fetched as of 2019-05-17 (unexpired then) and issued by ``issued_by``, that Firefox 60
    (notBefore before 2016-06-01: broken from 2018-05-09) and, when known, Firefox 64 (every certificate, from
    2018-12-11) break while valid and before any revocation: from the generator's ground truth, without the
    library."""
    import csv
    import datetime as dt

    from analysis.demo_db import demo_files

    at = lambda s: dt.datetime.fromisoformat(s.replace("Z", "")[:19]) if s else None  # noqa: E731
    issuances: dict[str, dict] = {}
    for r in csv.DictReader((demo_files() / "truth.csv").open(newline="")):
        if r["kind"] in ("leaf", "precert"):
            issuances.setdefault(r["issuance_id"], r)
    n = 0
    for r in issuances.values():
        nb, na = at(r["not_before"]), at(r["not_after"])
        if na < dt.datetime(2019, 5, 17) or nb.date() > dt.date.fromisoformat(issued_by):
            continue
        breaks = [max(dt.datetime(2018, 5, 9), nb)] if nb < dt.datetime(2016, 6, 1) else []
        breaks += [max(dt.datetime(2018, 12, 11), nb)] if firefox_64 else []
        if not breaks or min(breaks) > na:
            continue
        revoked = at(r["revocation_date"]) if r["revoked"].lower() in ("true", "1", "yes") else None
        n += revoked is None or revoked > min(breaks)
    return n


def test_a_report_replays_mozillas_symantec_record_the_day_before_and_after_firefox_64_was_dated(demo_cache):
    """The demo population as if it chained to GeoTrust Global CA (Symantec), ``--option mozilla-actual`` replayed
    through the whole report: on 2018-10-09 Mozilla had dated only Firefox 60's notBefore rule; on 2018-10-10 it
    moved the full distrust to Firefox 64 (2018-12-11), so from 2018-10-11 every certificate issued by then breaks."""
    from dataclasses import replace

    from analysis.sources import fetch_population

    fetched = fetch_population("demo", SEED["as_of"], "demo", demo_cache)
    as_symantec = replace(fetched, root=fetched.root.assign(sha256=GEOTRUST_GLOBAL))

    def affected(day):
        r = Report.build(ca=GEOTRUST_GLOBAL, distrust_date="2019-09-03", as_of=day, options="mozilla-actual",
                         source="demo", fetched=as_symantec)
        return r.primary.summary_values()["affected"], r.option_rules()["policy"].iloc[0]

    before, rule_before = affected("2018-10-09")
    after, rule_after = affected("2018-10-11")
    assert before == _truth_symantec("2018-10-09", firefox_64=False)
    assert after == _truth_symantec("2018-10-11", firefox_64=True)
    assert (before, after) == (1, 788)  # one 2016 leaf is older than 2016-06-01; 788 issued by 2018-10-11
    assert "Firefox 64" not in rule_before and "removal" in rule_after.lower()




def test_the_date_sweep_decides_paths_as_the_report_does(startcom):
    """The sweep's removal on each date, decided like the report's option: removing the StartCom roots, the leaf
    expiring 2020-01-01 is affected (it breaks when Certinomis leaves Firefox, 2019-09-03) and the one expiring
    2019-08-01 survives on every date (saved until it expires); the vectorised removal, what the sweep does without
    a cross-sign or with --ignore-alternate-paths, breaks it on the dates before it expires."""
    from analysis.sweep import removal_by_date

    hierarchy, ica = startcom
    norm = normalise(_population(ica, LEAVES))
    record = presets.actual_record(STARTCOM_ROOTS, hierarchy=hierarchy)
    s = Scenario.from_strings(ca=STARTCOM_CA, distrust_date="2019-07-01", as_of="2019-07-01")
    days = ["2019-07-01", "2019-07-31", "2019-09-02", "2019-09-03"]
    decided = tables.date_sweep(norm, days, removal_by_date(s, norm, record, cross_signed=True))
    flat = tables.date_sweep(norm, days, removal_by_date(s, norm, record, cross_signed=False))
    ignored = removal_by_date(Scenario.from_strings(ca=STARTCOM_CA, distrust_date="2019-07-01", as_of="2019-07-01",
                                                    ignore_alternate_paths="true"), norm, record, cross_signed=True)
    assert decided["affected"].tolist() == [1, 1, 1, 1] and decided["survivors"].tolist() == [1, 1, 1, 1]
    assert flat["affected"].tolist() == [2, 2, 1, 1] and flat["survivors"].tolist() == [0, 0, 1, 1]
    assert ignored == "removal"
