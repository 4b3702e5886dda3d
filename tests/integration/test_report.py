"""Report runs on the demo population: the numbers are known by construction (the generator's truth.csv), every
notebook is executed through papermill, and the outputs a list reader sees are checked."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from dataclasses import replace

import nbformat
import numpy as np
import pandas as pd
import psycopg2
import pytest

from analysis import crtsh, repro, textfmt, verify
from analysis import report as report_module
from analysis.aggregates import AggregateReport
from analysis.demo_db import demo_files
from analysis.display import show_table
from analysis.localdb import load_paths
from analysis.report import Report, check_filters, check_options, checked_scenario
from analysis.runs import DEMO_DEFAULTS, REPORT_TEMPLATE, _run_one, run_reports, sweep_dates_for, verify_report
from analysis.scenario import ScenarioError
from analysis.sources import (
    ReportError,
    demo_root_sha256,
    fetch_population,
    forget_population,
    resolve_ca_name,
    source_label,
)
from analysis.sweep import Sweep
from analysis.textfmt import display_width
from tests import pki

# Runs notebooks against the test cluster: an integration module (`-m "not integration"` does not even import it).
pytestmark = pytest.mark.integration

SEED = dict(ca="demo", distrust_date="2019-09-03", as_of="2019-05-17", expires_on_or_before="2019-08-31",
            issued_after="2019-05-17", options="removal;constrain:gouv.fr;allowlist:2020-06-30")


@pytest.fixture(scope="module")
def demo_cache(demo_db, tmp_path_factory):
    """The demo population fetched once through the real client into a cache folder, as `make report` does."""
    cache = tmp_path_factory.mktemp("cache")
    crtsh.fetch_ca(demo_root_sha256(), as_of="2019-05-17", dsn=demo_db.replace("user=postgres", "user=guest"),
                   cache_dir=cache, source_name="demo")
    return cache


@pytest.fixture(scope="module")
def report(demo_cache):
    return Report.build(**SEED, source="demo", cache_dir=str(demo_cache))


def _truth(distrust: dt.datetime = dt.datetime(2019, 9, 3)):
    """Expected numbers from the generator's own ground truth, computed here without the library (a removal on
    ``distrust``)."""
    rows = list(csv.DictReader((demo_files() / "truth.csv").open(newline="")))
    issuances = {}
    for r in rows:
        if r["kind"] in ("leaf", "precert"):
            issuances.setdefault(r["issuance_id"], r)
    day = lambda s: dt.date.fromisoformat(s[:10])  # noqa: E731
    exp_cut, after_cut = dt.date(2019, 8, 31), dt.date(2019, 5, 17)
    t = dict(issuances=0, excluded_expired=0, excluded_issued_after=0, revoked=0, affected=0, survivors=0,
             gouv_only_affected=0)
    for r in issuances.values():
        not_after = dt.datetime.fromisoformat(r["not_after"].replace("Z", ""))
        if not_after < dt.datetime(2019, 5, 17):  # expired on the snapshot date: not fetched at all
            continue
        t["issuances"] += 1
        if day(r["not_after"]) <= exp_cut:
            t["excluded_expired"] += 1
        elif day(r["not_before"]) > after_cut:
            t["excluded_issued_after"] += 1
        elif r["revoked"].lower() in ("true", "1", "yes"):
            t["revoked"] += 1
        elif not_after >= distrust:
            t["affected"] += 1
            names = [n for n in r["dns_names"].split(";") if n]
            if names and all(n.rstrip(".").lower() == "gouv.fr" or n.rstrip(".").lower().endswith(".gouv.fr")
                             for n in names):
                t["gouv_only_affected"] += 1
        else:
            t["survivors"] += 1
    return t


def test_report_numbers_match_the_generators_truth(report):
    truth = _truth()
    v = report.primary.summary_values()
    assert v["issuances"] == truth["issuances"] == 1550  # 1,400 unexpired + 150 issued after the snapshot
    for key in ("excluded_expired", "excluded_issued_after", "revoked", "affected", "survivors"):
        assert v[key] == truth[key], key
    assert v["unparsable"] == 0
    # the gouv.fr constraint spares exactly the certificates whose every name is under gouv.fr
    constrained = report.evaluations["only gouv.fr"].summary_values()
    assert constrained["affected"] == truth["affected"] - truth["gouv_only_affected"]
    # the allowlist of existing certificates: only those with a name... none are new after the snapshot once the
    # issued-after filter applies, so everything judged survives until the sunset and breaks then if still valid
    allow = report.evaluations["allowlist to 2020-06-30"]
    assert allow.summary_values()["affected"] + allow.summary_values()["survivors"] == \
        truth["affected"] + truth["survivors"]


def test_ca_certificates_are_in_the_hierarchy_not_in_the_counts(report):
    assert len(report.fetched.certificates) - report.normalised.certificate_rows == 4  # 3 intermediates + cross
    assert set(report.hierarchy()["ca_name"].str.extract(r"CN=(.*)$")[0]) == {
        "Demo Root CA", "Demo DV CA", "Demo OV CA", "Demo EV CA"}


def test_summary_text_fits_a_mailing_list_post(report):
    text = report.summary_text()
    assert max(display_width(line) for line in text.splitlines()) <= 72
    assert "1,550 certificates once precertificate/certificate" in " ".join(text.split())
    # the title breaks between the parts of the name, continuation lines hang under it
    assert text.splitlines()[:2] == ["Distrust impact: C=FR, O=Distrust Impact Demo (synthetic),", "  CN=Demo Root CA"]
    assert "Under 'removal': 1,144 certificates affected (116 organisations, 256" in text


@pytest.fixture(scope="module")
def programs_report(report, tmp_path_factory):
    """The seed report with every root program side by side, written (figures, tables, summary, manifest) once."""
    r = replace(report, programs=["Mozilla", "Chrome", "Apple", "Microsoft"],
                output_dir=tmp_path_factory.mktemp("programs"))
    r.write_figures()
    r.write_outputs()
    return r


def _truth_broken(cutoff: str, effective: str, basis: str = "not_before", removal: str | None = None) -> int:
    """Certificates the seed's filters keep (unexpired on 2019-05-17, not expiring by 2019-08-31, issued by
    2019-05-17) that a distrust-after ``cutoff`` (on notBefore or the earliest CT entry, enforced from
    ``effective``) or a ``removal`` breaks while they are valid, a certificate revoked before it breaks counting as
    revoked: from the generator's ground truth, without the library."""
    at = lambda s: dt.datetime.fromisoformat(s.replace("Z", "")[:19]) if s else None  # noqa: E731
    issuances: dict[str, list[dict]] = {}
    for r in csv.DictReader((demo_files() / "truth.csv").open(newline="")):
        if r["kind"] in ("leaf", "precert"):
            issuances.setdefault(r["issuance_id"], []).append(r)
    n = 0
    for rs in issuances.values():
        nb, na = at(rs[0]["not_before"]), at(rs[0]["not_after"])
        if na < dt.datetime(2019, 5, 17) or na.date() <= dt.date(2019, 8, 31) or nb.date() > dt.date(2019, 5, 17):
            continue
        key = nb if basis == "not_before" else min((at(r["earliest_ct_entry"]) for r in rs
                                                    if r["earliest_ct_entry"]), default=None)
        breaks = [max(at(effective), nb)] if key is None or key > at(cutoff) else []
        breaks += [max(at(removal), nb)] if removal else []
        if not breaks or min(breaks) > na:
            continue
        revoked = at(rs[0]["revocation_date"]) if rs[0]["revoked"].lower() in ("true", "1", "yes") else None
        n += revoked is None or revoked > min(breaks)
    return n


def test_every_root_program_side_by_side_on_the_demo(report, programs_report):
    """The demo root treated the way each program treated Entrust (dates moved 2,192 days earlier, so Chrome's
    2024-11-11 cut-off falls on 2018-11-11), with the seed's filters: Mozilla distrusts notBefore after 2018-11-30
    and removes the root on 2020-04-08, Chrome the earliest SCT after 2018-11-11, Apple notBefore after 2018-11-15,
    Microsoft notBefore after 2019-04-16."""
    t = programs_report.program_comparison().table.set_index("metric")
    expected = [_truth_broken("2018-11-30 23:59:59", "2018-11-30 23:59:59", removal="2020-04-08"),
                _truth_broken("2018-11-11 23:59:59", "2018-11-12", basis="earliest_sct"),
                _truth_broken("2018-11-15 23:59:59", "2018-11-15 23:59:59"), _truth_broken("2019-04-16", "2019-04-16")]
    assert t.loc["affected"].tolist() == expected == [848, 523, 513, 97]
    assert t.loc["rule"].tolist() == ["after 2018-11-30 + removed 2020-04-08", "SCT after 2018-11-11",
                                      "after 2018-11-15", "after 2019-04-16"]
    assert t.loc["saved_by_other_path"].tolist() == [0, 0, 0, 0]  # no real store holds the demo partner root
    # the existing tables are unchanged by the section
    pd.testing.assert_frame_equal(programs_report.comparison(), report.comparison())
    folder = programs_report.output_dir
    rows = list(csv.DictReader((folder / "tables" / "programs_compared.csv").open(encoding="utf-8")))
    assert [r["metric"] for r in rows][:2] == ["rule", "affected"] and rows[1]["Mozilla"] == "848"
    per_day = textfmt.read_csv(folder / "tables" / "programs_broken_per_day.csv")
    assert int(per_day["Microsoft"].max()) == 97 and int(per_day["Chrome"].max()) == 523  # every Chrome break overlaps
    for ext in ("png", "svg"):
        assert (folder / "figures" / f"programs.{ext}").stat().st_size > 0
    assert "Mozilla: 848 affected" in programs_report.figure_alt("programs")


def test_summary_ends_with_the_table_and_a_reproduce_line(report, programs_report):
    text = (programs_report.output_dir / "summary.txt").read_text(encoding="utf-8")
    body, last = text.rstrip("\n").rsplit("\n", 1)
    assert all(display_width(line) <= 72 for line in body.splitlines())  # the post; the command line is whole
    assert "Every root program side by side" in body and "affected             848" in body
    command, version, checksum = repro.parse_reproduce_line(last)
    assert command == ["distrust-impact", "report", "--demo", "--ca", "demo", "--date", "2019-09-03", "--as-of",
                       "2019-05-17", "--expires-on-or-before", "2019-08-31", "--issued-after", "2019-05-17",
                       "--option", "removal", "--option", "constrain:gouv.fr", "--option", "allowlist:2020-06-30",
                       "--programs", "mozilla,chrome,apple,microsoft"]
    assert checksum == repro.input_checksum(report.inputs())
    # without the section the post is as before, and the table is absent
    assert "Every root program side by side" not in report.summary_text()
    assert verify.read_manifest(programs_report.output_dir)["reproduce"] == last
    tables = sorted((programs_report.output_dir / "tables").glob("*.csv"))
    assert len(tables) == 13  # every table ends with the same line, as "# reproduce: …"
    for path in tables:
        assert textfmt.split_reproduce(path.read_text(encoding="utf-8"))[1] == last, path.name


def test_verify_rederives_a_report_folder_and_names_an_edited_file(programs_report, demo_cache):
    folder = programs_report.output_dir
    mismatches, n = verify_report(folder, cache_dir=demo_cache)
    assert mismatches == [] and n == 25  # 13 CSV tables, 10 figure files, summary.txt and summary.json
    edited = folder / "tables" / "by_organisation.csv"
    original = edited.read_bytes()
    try:
        edited.write_bytes(original.replace(b"257", b"258", 1))
        proc = subprocess.run([sys.executable, "-m", "analysis", "verify", str(folder), "--cache-dir",
                               str(demo_cache)], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout.startswith("tables/by_organisation.csv: changed (expected "), proc.stdout
        assert len(proc.stdout.splitlines()) == 1
    finally:
        edited.write_bytes(original)


def test_zero_affected_still_reports(demo_cache):
    late = Report.build(**{**SEED, "distrust_date": "2030-01-01", "options": "removal"}, source="demo",
                        cache_dir=str(demo_cache))
    assert late.primary.summary_values()["affected"] == 0
    assert "No certificate is affected under this option." in late.summary_text()
    late.figure_expiry(), late.figure_survival(), late.figure_top_organisations()


def test_figures_are_reproducible(report, tmp_path):
    report.output_dir = tmp_path / "a"
    report.figure_expiry(), report.figure_survival(), report.figure_top_domains()
    report.output_dir = tmp_path / "b"
    report.figure_expiry(), report.figure_survival(), report.figure_top_domains()
    for name in ("expiry_by_month", "survival", "top_registrable_domains"):
        for ext in ("png", "svg"):
            a = (tmp_path / "a" / "figures" / f"{name}.{ext}").read_bytes()
            assert a == (tmp_path / "b" / "figures" / f"{name}.{ext}").read_bytes(), name


def test_run_reports_executes_every_notebook(demo_cache, tmp_path, normalisations):
    out = tmp_path / "reports"
    params = {**DEMO_DEFAULTS}
    results = run_reports(dates=["2019-09-03", "2020-01-15"], out_root=out, cache_dir=demo_cache, log=lambda m: None,
                          programs="all", **params)
    assert [r.ok for r in results] == [True, True, True], [r.error for r in results]
    assert normalisations == []  # the command normalises nothing itself: each notebook does, once
    day = out / "demo-root-ca" / "2019-09-03"
    for rel in ("report.ipynb", "report.html", "summary.txt", "summary.json", "tables/by_organisation.csv",
                "tables/certificates.csv", "figures/expiry_by_month.png", "figures/survival.svg",
                "figures/top_organisations.png", "figures/top_registrable_domains.png", "figures/programs.png",
                "tables/programs_compared.csv", "reproduce.json"):
        assert (day / rel).exists(), rel
    executed = nbformat.read(day / "report.ipynb", as_version=4)
    shown = [c.source for c in executed.cells if c.cell_type == "code"
             and any("<img " in o.get("data", {}).get("text/html", "") for o in c.get("outputs", []))]
    assert len(shown) == 5, shown  # every figure is shown in the notebook (and so in its HTML export)
    assert executed.metadata["papermill"]["parameters"]["distrust_date"] == "2019-09-03"
    assert executed.metadata["papermill"]["parameters"]["programs"] == "mozilla,chrome,apple,microsoft"
    # the folder the notebook wrote is re-derived byte for byte from the cache by `distrust-impact verify`
    proc = subprocess.run([sys.executable, "-m", "analysis", "verify", str(day), "--cache-dir", str(demo_cache)],
                          capture_output=True, text=True, timeout=600)
    assert (proc.returncode, proc.stdout) == (0, "all 25 outputs match\n"), (proc.stdout, proc.stderr)
    summary = json.loads((day / "summary.json").read_text())
    assert summary["options"]["removal"]["affected"] == _truth()["affected"]
    *post, reproduce = (day / "summary.txt").read_text().splitlines()
    assert all(display_width(line) <= 72 for line in post) and reproduce.startswith("reproduce: distrust-impact ")
    later = json.loads((out / "demo-root-ca" / "2020-01-15" / "summary.json").read_text())
    assert later["options"]["removal"]["affected"] < summary["options"]["removal"]["affected"]
    sweep = out / "demo-root-ca" / "sweep"
    assert (sweep / "date_sweep.ipynb").exists() and (sweep / "figures" / "date_sweep.png").exists()
    rows = list(csv.DictReader((sweep / "date_sweep.csv").open()))
    first = next(r for r in rows if r["distrust_date"].startswith("2019-09-03"))
    assert int(first["affected"]) == _truth()["affected"]
    # the sweep's outputs end with the command that gives it: removal on both dates, the same population
    sweep_line = (sweep / "summary.txt").read_text().splitlines()[-1]
    assert sweep_line.startswith("reproduce: distrust-impact report --demo --ca demo --date 2019-09-03 --date "
                                 "2020-01-15 --as-of 2019-05-17 ") and "--option removal (" in sweep_line
    assert sweep_line.split("; input rows ")[1] == reproduce.split("; input rows ")[1]
    assert (sweep / "date_sweep.csv").read_text().splitlines()[-1] == "# " + sweep_line
    # crt.sh links in the certificate table
    cert_rows = list(csv.DictReader((day / "tables" / "certificates.csv").open()))
    assert cert_rows[0]["crtsh_id_url"].startswith("https://crt.sh/?sha256=")  # local ids name strangers on crt.sh
    # a second run into the same folders is refused unless forced
    with pytest.raises(ScenarioError, match="exists; pass --force"):
        run_reports(dates=["2019-09-03"], out_root=out, cache_dir=demo_cache, log=lambda m: None, **params)


@pytest.fixture()
def normalisations(monkeypatch):
    """Every call of analysis.normalise.normalise made through analysis.report in this process."""
    calls = []
    real = report_module.normalise

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_module, "normalise", counted)
    return calls


def test_each_date_is_normalised_once(demo_cache, normalisations):
    """The checks a run makes before its notebooks normalise nothing; the population is normalised once, for every
    date's report and the sweep (the notebooks of a run share one kernel, where fetch_population gives the same
    population back while its cache entry is unchanged). It was D + 2 normalisations for D dates with a probe report,
    then D + 1."""
    forget_population()
    scenario = checked_scenario(**SEED)
    fetched = fetch_population(scenario.ca, scenario.as_of, "demo", demo_cache)
    check_options(scenario, fetched)
    check_filters(scenario, fetched)
    assert normalisations == []
    Report.build(**SEED, source="demo", fetched=fetched)
    assert len(normalisations) == 1
    later = Report.build(**{**SEED, "distrust_date": "2020-01-15"}, source="demo", cache_dir=str(demo_cache))
    sweep = Sweep.build(ca="demo", distrust_dates="2019-09-03;2020-01-15", as_of=SEED["as_of"], source="demo",
                        cache_dir=str(demo_cache))
    assert later.fetched is fetched and sweep.report.normalised is later.normalised
    assert len(normalisations) == 1
    with pytest.raises(ScenarioError, match=r"the filters exclude every certificate \(\d"):
        check_filters(checked_scenario(**{**SEED, "expires_on_or_before": "2030-01-01"}), fetched)
    assert len(normalisations) == 1
    (fetched.cache_path / "manifest.json").touch()  # the cache entry is rewritten: read and normalised again
    again = Report.build(**SEED, source="demo", cache_dir=str(demo_cache))
    assert again.fetched is not fetched and len(normalisations) == 2
    assert again.comparison().equals(Report.build(**SEED, source="demo", fetched=fetched).comparison())


def test_filters_that_exclude_everything_are_refused(demo_cache, tmp_path):
    with pytest.raises(ScenarioError, match="the filters exclude every certificate"):
        run_reports(dates=["2019-09-03"], out_root=tmp_path, cache_dir=demo_cache, log=lambda m: None,
                    **{**DEMO_DEFAULTS, "expires_on_or_before": "2030-01-01"})


def test_a_failing_notebook_is_kept_with_its_error(demo_cache, tmp_path):
    params = {**SEED, "options": "mozilla-actual", "source": "demo", "cache_dir": str(demo_cache),
              "output_dir": str(tmp_path)}
    result = _run_one(REPORT_TEMPLATE, tmp_path / "report.ipynb", params, "2019-09-03")
    assert not result.ok
    assert "failed in cell" in result.error and "never in NSS" in result.error
    assert "ScenarioError" in (tmp_path / "report.ipynb").read_text()


def test_cli_bad_input_is_one_line_and_queries_nothing(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "analysis", "report", "--ca", "demo", "--date", "2019-02-30",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "distrust-impact: error: distrust date: '2019-02-30' is not a real date (day is out of range for month)"]
    assert not any(tmp_path.iterdir())


def test_unknown_ca_is_refused_with_suggestions(demo_db, tmp_path):
    guest = demo_db.replace("user=postgres", "user=guest")
    with pytest.raises(ReportError, match=r"no CA matches .*close matches among CCADB roots: Certinomis - Root CA"):
        run_reports(ca="Certinomis - Rot CA", dates=["2019-09-03"], as_of="2019-05-17", source=guest,
                    out_root=tmp_path, cache_dir=tmp_path / "cache", log=lambda m: None)
    with pytest.raises(ReportError, match="not in the CCADB either"):
        run_reports(ca="AB" * 32, dates=["2019-09-03"], as_of="2019-05-17", source=guest, out_root=tmp_path,
                    cache_dir=tmp_path / "cache", log=lambda m: None)


def test_a_ca_over_the_row_limit_is_reported_from_server_side_counts(demo_db, tmp_path):
    """With max_rows below the demo's 2,796 rows, only certificate_aggregates is fetched; the removal bounds and
    per-organisation counts equal what the generator's truth says, to the month."""
    guest = demo_db.replace("user=postgres", "user=guest")
    cache = tmp_path / "cache"
    fetched = crtsh.fetch_ca(demo_root_sha256(), as_of="2019-05-17", dsn=guest, cache_dir=cache,
                             source_name="demo", max_rows=100)
    assert fetched.mode == "aggregates" and len(fetched.certificates) == 0 and fetched.rows_planned == 2796
    agg = AggregateReport.build(**{**SEED, "options": "removal"}, source="demo", cache_dir=str(cache), max_rows=100)
    issuances = {}
    for r in csv.DictReader((demo_files() / "truth.csv").open(newline="")):
        if r["kind"] in ("leaf", "precert") and r["not_after"][:10] >= "2019-05-17":
            issuances.setdefault(r["issuance_id"], r)
    month = lambda r: r["not_after"][:7]  # noqa: E731
    e = agg.estimate().set_index("metric")["value"]
    assert e["certificates (pairs once)"] == len(issuances) == 1550
    assert e["affected, at least"] == sum(month(r) >= "2019-10" for r in issuances.values())
    assert e["affected, at most"] == sum(month(r) >= "2019-09" for r in issuances.values())
    orgs = agg.by_organisation().set_index("organisation")["certificates"]
    assert orgs["Ministère de l'Exemple"] == sum(r["organisation"] == "Ministère de l'Exemple"
                                                 for r in issuances.values())
    assert max(display_width(line) for line in agg.summary_text().splitlines()) <= 72
    # the command picks the aggregate template by itself
    results = run_reports(dates=["2019-09-03"], out_root=tmp_path / "out", cache_dir=cache, max_rows=100,
                          log=lambda m: None, **{**DEMO_DEFAULTS, "options": "removal"})
    assert [r.ok for r in results] == [True], results
    folder = tmp_path / "out" / "demo-root-ca" / "2019-09-03"
    assert (folder / "summary.txt").exists() and (folder / "figures" / "expiry_by_month.png").exists()
    assert "server-side counts" in (folder / "summary.txt").read_text()


def test_unreachable_source_names_what_the_cache_holds(demo_cache, tmp_path):
    nowhere = "host=unreachable.invalid port=5432 dbname=certwatch user=guest connect_timeout=2"
    with pytest.raises(ReportError) as err:
        run_reports(ca=demo_root_sha256(), dates=["2019-09-03"], as_of="2019-06-01", source=nowhere,
                    out_root=tmp_path, cache_dir=demo_cache, log=lambda m: None)
    message = str(err.value)
    assert message.startswith("cannot connect to unreachable.invalid:5432/certwatch")
    assert "cached for this CA: as of 2019-05-17 from demo" in message and "\n" not in message


def test_cross_signs_are_flagged_as_other_trust_paths(report):
    """The demo root is cross-signed by the demo partner root: every affected certificate sits below it."""
    paths = report.alternate_paths()
    partner = int(report.fetched.hierarchy.loc[report.fetched.hierarchy["parent_ca_id"] !=
                                               report.fetched.root_ca_id, "parent_ca_id"].iloc[0])
    assert paths[["ca_id", "depth"]].values.tolist() == [[report.fetched.root_ca_id, 0]]
    assert paths["other_issuer_ca_ids"].iloc[0] == [partner]
    assert paths["affected_below"].iloc[0] == report.primary.summary_values()["affected"]
    text = " ".join(report.summary_text().split())
    assert "Other trust paths: 1 CA of this hierarchy is also certified by a CA outside it" in text
    # decided: the partner root is in no store, so nothing is saved and the numbers stay those of the truth
    assert "No certificate validates through another path to a trusted root under any option" in text
    assert report.saved_by_path().empty


def test_no_password_reaches_the_notebooks(demo_db, tmp_path):
    guest = demo_db.replace("user=postgres", "user=guest") + " password=s3cret-pw"
    results = run_reports(ca=demo_root_sha256(), dates=["2019-09-03"], as_of="2019-05-17", source=guest,
                          out_root=tmp_path / "out", cache_dir=tmp_path / "cache", log=lambda m: None)
    assert all(r.ok for r in results), results
    for path in [*(tmp_path / "out").rglob("*"), *(tmp_path / "cache").rglob("*")]:
        if path.is_file():
            assert b"s3cret-pw" not in path.read_bytes(), path


def test_certificates_not_for_tls_servers_are_left_out(demo_cache):
    """S/MIME or client-only certificates (EKU without serverAuth) are not counted: server-trust rules do not apply."""
    base = Report.build(**SEED, source="demo", cache_dir=str(demo_cache))
    fetched = base.fetched
    certs = fetched.certificates.copy()
    leaf_rows = certs.index[~certs["certificate_id"].isin(
        set(fetched.hierarchy["certificate_id"]))]
    certs.loc[leaf_rows[:10], "is_server_auth"] = False
    narrowed = Report.build(**SEED, source="demo", fetched=replace(fetched, certificates=certs))
    assert narrowed.normalised.certificate_rows == base.normalised.certificate_rows - 10
    assert "Left out: 10 crt.sh rows whose extended key usage" in " ".join(narrowed.summary_text().split())
    assert base.provenance().set_index("item").loc[
        "crt.sh rows not for TLS servers (EKU without serverAuth; not counted)", "value"] == "0"


def test_a_root_reached_through_a_cross_sign_is_flagged(empty_db, tmp_path):
    """R cross-signs Y, itself a self-signed root: Y's certificates count under R, and Y is flagged as a root of its
    own (the case of a root analysed together with a root it cross-signed)."""
    r_k, y_k, leaf_k = pki.key("R"), pki.key("Y"), pki.key("leaf")
    r_n, y_n = pki.name("Root R"), pki.name("Root Y")
    far = dt.datetime(2035, 1, 1)
    certs = {
        "r": pki.build(r_n, r_k, r_n, r_k, serial=1, ca=True, not_after=far),
        "y": pki.build(y_n, y_k, y_n, y_k, serial=2, ca=True, not_after=far),
        "y_by_r": pki.build(y_n, y_k, r_n, r_k, serial=3, ca=True, not_after=far),
        "leaf": pki.build(pki.name("www.example.org"), leaf_k, y_n, y_k, serial=4, ca=False,
                          sans=["www.example.org"]),
    }
    for label, cert in certs.items():
        (tmp_path / f"{label}.der").write_bytes(pki.der(cert))
    load_paths(empty_db, [tmp_path])
    fetched = crtsh.fetch_ca(crtsh.x509.sha256_hex(pki.der(certs["r"])), as_of="2019-05-17",
                             dsn=empty_db.replace("user=postgres", "user=guest"), cache=False)
    report = Report.build(ca="R", distrust_date="2019-09-03", as_of="2019-05-17", source="crtsh", fetched=fetched)
    assert report.primary.summary_values()["affected"] == 1
    paths = report.alternate_paths()
    assert paths["ca_name"].tolist() == ["C=XX, O=Test PKI (synthetic), CN=Root Y"]
    assert paths["affected_below"].tolist() == [1]


def test_a_ca_name_searches_like_crtsh_and_tells_roots_from_intermediates(demo_db):
    """``--ca certinomis`` finds every CA with that text anywhere in its name, case-insensitive (crt.sh's CA
    search); several are listed as roots or intermediates, one intermediate is named with the root above it."""
    guest = demo_db.replace("user=postgres", "user=guest")
    with psycopg2.connect(guest) as conn, conn.cursor() as cur:
        cur.execute("SELECT ca.id, ca.name, bool_or(c.issuer_ca_id = ca.id) FROM ca "
                    "JOIN ca_certificate cac ON cac.ca_id = ca.id JOIN certificate c ON c.id = cac.certificate_id "
                    "GROUP BY ca.id, ca.name")
        cas = {name: (ca_id, is_root) for ca_id, name, is_root in cur.fetchall()}
    certinomis = {n: v for n, v in cas.items() if "certinomis" in n.lower()}
    assert {is_root for _, is_root in certinomis.values()} == {True, False}  # roots and intermediates alike
    with pytest.raises(ReportError) as err:
        resolve_ca_name("certinomis", guest)
    message = str(err.value)
    assert message.startswith(f"name 'certinomis' matches {len(certinomis)} CAs — give one of these crt.sh CA ids "
                              f"with --ca: ")
    for name, (ca_id, is_root) in certinomis.items():
        assert f"{ca_id} {name} ({'root' if is_root else 'intermediate'})" in message
    root_name = next(n for n in cas if n.endswith("CN=Demo Root CA"))
    assert resolve_ca_name("demo root ca", guest) == str(cas[root_name][0])
    dv_name = next(n for n in cas if n.endswith("CN=Demo DV CA"))
    with pytest.raises(ReportError) as err:
        resolve_ca_name("DEMO DV", guest)
    root_id = cas[root_name][0]
    partner = next(n for n in cas if n.endswith("CN=Demo Partner Root CA"))  # it cross-signed the demo root
    assert str(err.value) == (f"{dv_name} (crt.sh CA id {cas[dv_name][0]}) is an intermediate, under {root_id} "
                              f"{root_name}; {cas[partner][0]} {partner} — to analyse from its root, use --ca "
                              f"{root_id}")


def test_show_table_cells_are_escaped_whole_and_missing_values_empty():
    frame = pd.DataFrame({"ids": [np.array([1, 2]), [3]], "when": [pd.NaT, pd.Timestamp("2020-01-01")],
                          "n": [1234.0, np.nan], "name": ["<b>x</b> $y$ " + "z" * 300, None]})
    page = show_table(frame).data
    cells = re.findall(r"<td>(.*?)</td>", page, re.S)
    assert cells == ["1, 2", "", "1,234", "&lt;b&gt;x&lt;/b&gt; $y$ " + "z" * 300, "3", "2020-01-01", "", ""]
    assert "<th></th>" not in page and "tex2jax_ignore" in page  # no index column; MathJax leaves "$y$" alone


def test_the_sweep_covers_every_date_reported_with_the_same_source_snapshot_and_filters(tmp_path):
    def reported(day: str, source: str = "demo", **changed) -> None:
        params = checked_scenario(**{**SEED, "distrust_date": day, **changed}).parameters()
        (tmp_path / day).mkdir()
        (tmp_path / day / "summary.json").write_text(json.dumps({"parameters": params,
                                                                 "source": source_label(source)}))

    reported("2019-10-01")
    reported("2019-11-01", as_of="2019-06-01")  # another snapshot
    reported("2019-12-01", expires_on_or_before="")  # another filter
    reported("2020-01-01", source="crtsh")  # another source
    (tmp_path / "2020-02-01.failed").mkdir()  # a failed run is not a report
    (tmp_path / "2020-03-01").mkdir()  # nor a folder without its summary
    this = checked_scenario(**SEED)
    assert sweep_dates_for(tmp_path, this, "demo") == ["2019-09-03", "2019-10-01"]
