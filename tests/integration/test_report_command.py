"""How `distrust-impact report` starts: its kernel first (the command imports pandas, papermill and the analysis while
the kernel warms up), and the checks that need the population (every option on this root, the filters) made in the
kernel on the population it reads, before any notebook runs: a one-line error, nothing written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis.runs import DEMO_DEFAULTS, run_reports
from analysis.scenario import ScenarioError
from tests.integration.test_report import demo_cache  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

NOT_IN_NSS = ("option 'mozilla-actual': Mozilla took no action on this root (never in NSS, or never distrusted) in "
              "bundled NSS certdata.txt history and bundled data/root_programs/actions.csv; drop the option")


def _python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_the_command_starts_its_kernel_before_the_heavy_imports():
    heavy = "('pandas', 'matplotlib', 'papermill', 'nbconvert', 'nbformat', 'analysis.report')"
    # what the report command has imported when it starts its kernel: the parser (without fetch's) and the kernel
    assert _python("import sys; from analysis import cli, kernel; cli.build_parser(fetch=False); "
                   f"print([m for m in {heavy} if m in sys.modules])") == "[]"
    # the report module, which the command imports to check its parameters, imports matplotlib only to draw
    assert _python("import sys; import analysis.report as r; before = 'matplotlib' in sys.modules; "
                   "r.figures.DPI; print(before, 'matplotlib' in sys.modules)") == "False True"


def test_an_option_this_root_cannot_take_is_refused_before_any_notebook(demo_cache, tmp_path):
    """mozilla-actual on the demo root (never in NSS): the kernel's check is the run's error, as the command's own
    check gave it."""
    with pytest.raises(ScenarioError) as refused:
        run_reports(dates=["2019-09-03"], out_root=tmp_path, cache_dir=demo_cache, log=lambda m: None,
                    **{**DEMO_DEFAULTS, "options": "removal;mozilla-actual"})
    assert str(refused.value) == NOT_IN_NSS
    assert [p.name for p in tmp_path.rglob("*")] == []  # no report folder, no staging or failed folder


def test_the_command_says_so_in_one_line(demo_cache, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "analysis", "report", "--demo", "--option", "mozilla-actual",
                           "--expires-on-or-before", "2030-01-01", "--cache-dir", str(demo_cache),
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    # the options are checked before the filters (which exclude everything here), as the command did itself
    assert proc.stderr.strip().splitlines()[-1] == f"distrust-impact: error: {NOT_IN_NSS}", proc.stderr
    assert not any(tmp_path.iterdir())
