"""Hostile names through the whole report: a root CA whose subject holds script, markup and control characters, and
subscriber certificates whose O= is each entry of a hostile corpus, loaded into the local crt.sh-compatible database
and reported with `run_reports` (the command's own path). Every value must come out as text: escaped in the HTML
export and the notebooks, inert when the export is opened in a real browser (headless Chromium), with no local path
anywhere. The same run is the "last good report" that a failed or interrupted `--force` run must leave intact."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psycopg2
import pytest

from analysis import runs as runs_module
from analysis import x509
from analysis.config import PROJECT_ROOT
from analysis.localdb import create_schema, load_paths
from analysis.runs import run_reports
from tests import pki

# Runs notebooks against the test cluster: an integration module (`-m "not integration"` does not even import it).
pytestmark = pytest.mark.integration

MARK = "PWNED"  # what any payload below sets document.title to if it runs
ROOT_CN = f"<img src=x onerror=document.title='{MARK}'>"  # 42 characters: a CN holds at most 64
# "$x^2$" only here: an O= with $…$ reaches figure labels, where matplotlib's mathtext fails on it (figures' part)
ROOT_O = f"<script>document.title='{MARK}'</script> $x^2$ [a](javascript:alert(1))"
HOSTILE = [
    f"<script>document.title='{MARK}'</script>",
    f"<img src=x onerror=\"document.title='{MARK}'\">",
    f"<svg onload=\"document.title='{MARK}'\"></svg>",
    f"[click me](javascript:document.title='{MARK}')",
    "![image](http://example.invalid/x.png)",
    "<a href=\"javascript:alert(1)\">a link</a>",
    "&lt;b&gt;not bold&lt;/b&gt; &amp; &#60;script&#62;",
    "`code` and ```fence```",
    "Long " + "Organisation Name " * 16,
    "first line\nsecond line\tafter a tab",
    "\u202eevil.example gpj.exe",
    "nul\x00byte",
    "=HYPERLINK(\"http://example.invalid\")",
    "$E = mc^2$ and $$x$$ Ltd",
]
AS_OF, DATE, LATER = "2019-05-17", "2019-09-03", "2019-12-31"


def _admin(pg_cluster, statement: str) -> None:
    conn = psycopg2.connect(pg_cluster.dsn.replace("dbname=certwatch", "dbname=postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


@pytest.fixture(scope="module")
def hostile_db(pg_cluster):
    """A database of its own for this module (conftest's empty_db is per test; one report run serves every test)."""
    name = f"hostile_{os.urandom(3).hex()}"
    _admin(pg_cluster, f'CREATE DATABASE "{name}"')
    dsn = pg_cluster.dsn.replace("dbname=certwatch", f"dbname={name}")
    create_schema(dsn)
    yield dsn
    _admin(pg_cluster, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def hostile(hostile_db, tmp_path_factory):
    """The hostile population loaded and reported once; returns (paths, root SHA-256, guest DSN, loaded O= values)."""
    certs_dir = tmp_path_factory.mktemp("hostile-certs")
    root_key = pki.key("hostile root")
    root_name = pki.name(ROOT_CN, o=ROOT_O)
    root = pki.build(root_name, root_key, root_name, root_key, serial=1, ca=True, not_after=dt.datetime(2035, 1, 1))
    (certs_dir / "root.der").write_bytes(pki.der(root))
    for i, org in enumerate(HOSTILE):
        host = f"www{i}.example.org"
        leaf = pki.build(pki.name(host, o=org), pki.key(f"leaf {i}"), root_name, root_key, serial=100 + i, ca=False,
                         sans=[host, "<script>.example.org"] if i == 0 else [host])
        (certs_dir / f"leaf{i}.der").write_bytes(pki.der(leaf))
    loaded = load_paths(hostile_db, [certs_dir])
    with psycopg2.connect(hostile_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM certificate")
        rows = cur.fetchone()[0]
    # a name with NUL cannot be stored (PostgreSQL text has no NUL): the loader says which file, the rest loads
    assert rows == 1 + len(HOSTILE) - len(loaded.bad_files), loaded.summary()
    sha = x509.sha256_hex(pki.der(root))
    out = tmp_path_factory.mktemp("hostile-out")
    guest = hostile_db.replace("user=postgres", "user=guest")
    results = run_reports(ca=sha, dates=[DATE], as_of=AS_OF, source=guest, out_root=out / "reports",
                          cache_dir=out / "cache", log=lambda m: None)
    assert [r.ok for r in results] == [True, True], [r.error for r in results]
    ca_dir = results[0].folder.parent
    return dict(out=out, ca_dir=ca_dir, sha=sha, guest=guest, results=results)


def _files(ca_dir: Path, suffix: str) -> list[Path]:
    found = sorted(p for p in ca_dir.rglob(f"*{suffix}") if not any(part.startswith(".") for part in p.parts))
    assert found
    return found


def _without_images(text: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)


def _html_outputs(nb_path: Path) -> list[str]:
    nb = nbformat.read(nb_path, as_version=4)
    return [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "text/html" in o.get("data", {})]


def _shown(text: str, page: str) -> bool:
    """The text is on the page as text (escaped; quotes may or may not be)."""
    return html.escape(text) in page or html.escape(text, quote=False) in page


RAW_MARKUP = [f"<script>document.title='{MARK}'", "<img src=x onerror", "<svg onload", '<a href="javascript:',
              "<a href=", "<b>not bold"]


def test_every_name_is_text_in_the_html_and_the_notebooks(hostile):
    ca_dir = hostile["ca_dir"]
    for path in _files(ca_dir, ".html"):
        page = _without_images(path.read_text(encoding="utf-8"))
        for raw in RAW_MARKUP:
            assert raw not in page, (path.name, raw)
        assert _shown(ROOT_CN, page)  # the heading and the provenance show the name, escaped
    report_html = _without_images((ca_dir / DATE / "report.html").read_text(encoding="utf-8"))
    for org in HOSTILE[:8]:  # every organisation that loaded is in the organisation table, as text
        assert _shown(org, report_html), org
    for path in _files(ca_dir, ".ipynb"):
        for output in _html_outputs(path):
            for raw in RAW_MARKUP:
                assert raw not in _without_images(output), (path.name, raw)
        # MathJax is told to leave every output table and heading alone: "$x^2$" stays dollars
        assert all("tex2jax_ignore" in o for o in _html_outputs(path) if "$" in o)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium: .ci/system-deps installs Debian's chromium")


def _dump_dom(page: Path, profile: Path) -> str:
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_chromium_runs_nothing_in_the_html_export(hostile, tmp_path):
    # the detector works: the same payloads as raw markup do set the title
    control = tmp_path / "control.html"
    control.write_text(f"<html><head><title>control</title></head><body>{HOSTILE[1]}</body></html>")
    assert f"<title>{MARK}</title>" in _dump_dom(control, tmp_path / "profile-control")
    for page in _files(hostile["ca_dir"], ".html"):
        dom = _dump_dom(page, tmp_path / f"profile-{page.parent.name}")
        title = re.search(r"<title>(.*?)</title>", dom, re.S)
        assert title and MARK not in title.group(1), (page, title and title.group(1))
        assert "<script>document.title" not in dom and '<img src="x"' not in dom, page


def test_no_local_path_index_column_nat_or_cut_cell_in_the_export(hostile):
    ca_dir, out = hostile["ca_dir"], hostile["out"]
    for path in [*_files(ca_dir, ".html"), *_files(ca_dir, ".ipynb")]:
        text = _without_images(path.read_text(encoding="utf-8"))
        for local in (str(out), str(PROJECT_ROOT), str(Path.home()) + "/", "/tmp/"):  # "/root" is in data/root_programs
            assert local not in text, (path.name, local)
        tables = re.findall(r"<table.*?</table>", text, re.S)
        assert tables, path
        for table in tables:
            assert not re.search(r"<tr[^>]*>\s*<th[^>]*>\s*\d*\s*</th>", table.split("</thead>")[-1]), path  # index
            assert "NaT" not in table and ">nan<" not in table and "…" not in table, path
        if path.suffix == ".html":  # every figure has alt text (a notebook's plain-text outputs hold raw names)
            images = re.findall(r"<img [^>]*>", text)
            assert images and all(re.search(r'alt="[^"]{20,}"', i) for i in images), path


def _broken_template(tmp_path: Path) -> Path:
    """The report template with a failing cell after the first section: a notebook failure mid-run."""
    nb = nbformat.read(runs_module.REPORT_TEMPLATE, as_version=4)
    nb.cells.insert(5, nbformat.v4.new_code_cell("raise RuntimeError('injected failure')"))
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    return broken


def test_a_failed_forced_run_leaves_the_previous_report(hostile, tmp_path, monkeypatch):
    folder = hostile["ca_dir"] / DATE
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    monkeypatch.setattr(runs_module, "REPORT_TEMPLATE", _broken_template(tmp_path))
    results = run_reports(ca=hostile["sha"], dates=[DATE], as_of=AS_OF, source=hostile["guest"],
                          out_root=hostile["ca_dir"].parent, cache_dir=hostile["out"] / "cache", force=True,
                          log=lambda m: None)
    assert not results[0].ok
    failed = folder.with_name(f"{DATE}.failed")
    assert results[0].folder == failed
    assert "injected failure" in results[0].error
    assert f"the previous report in {folder} is unchanged; the failed run is in {failed}" in results[0].error
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert "injected failure" in (failed / "report.ipynb").read_text()
    assert not list(hostile["ca_dir"].glob(".*"))  # no staging folder left behind


def test_ctrl_c_during_a_forced_run_leaves_the_previous_report(hostile):
    folder = hostile["ca_dir"] / DATE
    before = (folder / "report.html").read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-m", "analysis", "report", "--ca", hostile["sha"], "--dsn", hostile["guest"],
         "--as-of", AS_OF, "--date", DATE, "--out", str(hostile["ca_dir"].parent), "--cache-dir",
         str(hostile["out"] / "cache"), "--force"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until the notebook has run a cell, then Ctrl-C the process group
        staged = list(hostile["ca_dir"].glob(f".{DATE}.running-*/report.ipynb"))
        if staged and '"status": "completed"' in staged[0].read_text():
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    failed = folder.with_name(f"{DATE}.failed")
    assert err.strip().splitlines()[-1] == (
        f"distrust-impact: interrupted during the report for distrust date {DATE}: the previous report in {folder} "
        f"is unchanged; the partial run is in {failed}")
    assert "Traceback" not in err and "\r" not in err and "Kernel is running over TCP" not in err
    assert f"[1/1] report for distrust date {DATE} → {folder}" in err.splitlines()  # one line per notebook
    assert (folder / "report.html").read_bytes() == before
    assert (failed / "report.ipynb").exists()
    assert not list(hostile["ca_dir"].glob(".*"))


def test_runs_accumulate_in_the_sweep(hostile):
    """A second distrust date for the same CA is a new run, not a conflict; the sweep covers both dates."""
    results = run_reports(ca=hostile["sha"], dates=[LATER], as_of=AS_OF, source=hostile["guest"],
                          out_root=hostile["ca_dir"].parent, cache_dir=hostile["out"] / "cache", log=lambda m: None)
    assert [r.ok for r in results] == [True, True], [r.error for r in results]
    sweep = nbformat.read(hostile["ca_dir"] / "sweep" / "date_sweep.ipynb", as_version=4)
    assert sweep.metadata["papermill"]["parameters"]["distrust_dates"] == [DATE, LATER]
    summary = (hostile["ca_dir"] / "sweep" / "summary.txt").read_text()
    assert [line.split()[0] for line in summary.splitlines() if re.match(r"\d{4}-", line)] == [DATE, LATER]
    assert json.loads((hostile["ca_dir"] / DATE / "summary.json").read_text())["parameters"]["distrust_date"] == DATE
