"""A report run into a relative output folder (`make report` writes to `reports/`): each notebook runs with the
kernel in its folder while a thread of the command writes the previous notebook's HTML and swaps its folder in, so
the command's own working directory must never change (papermill's cwd= changed it: the swap then failed)."""

from __future__ import annotations

import os

import pytest

from analysis.runs import DEMO_DEFAULTS, run_reports
from tests.integration.test_report import demo_cache  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


def test_two_dates_and_the_sweep_into_a_relative_folder(demo_cache, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = run_reports(dates=["2019-09-03", "2019-10-01"], out_root="reports", cache_dir=demo_cache,
                          log=lambda m: None, **DEMO_DEFAULTS)
    assert [(r.ok, r.error) for r in results] == [(True, "")] * 3
    ca_dir = tmp_path / "reports" / "demo-root-ca"
    assert [tmp_path / r.folder for r in results] == [ca_dir / "2019-09-03", ca_dir / "2019-10-01", ca_dir / "sweep"]
    assert sorted(os.listdir(ca_dir)) == ["2019-09-03", "2019-10-01", "sweep"]  # nothing staged or failed left
    assert (ca_dir / "2019-10-01" / "report.html").is_file() and (ca_dir / "sweep" / "date_sweep.html").is_file()
    assert os.getcwd() == str(tmp_path)
