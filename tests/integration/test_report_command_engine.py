"""`distrust-impact report --engine duckdb` end to end on the demo: the CA is fetched into the cache without its rows
read into the command, every date's report is counted out of core with the tables of the in-memory run, there is
no date sweep (computed in memory), the reproduce line names the engine, and `verify` re-derives the folder out of
core; what the engine cannot do is refused in one line before any notebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.runs import DEMO_DEFAULTS, run_reports, verify_report
from analysis.scenario import ScenarioError
from tests.integration.test_report import demo_cache  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith(("# reproduce:", "reproduce:"))]


def test_out_of_core_reports_equal_the_in_memory_ones(demo_cache, tmp_path):
    logged = []
    runs = {}
    for engine in ("duckdb", "pandas"):
        results = run_reports(dates=["2019-09-03"], out_root=tmp_path / engine, cache_dir=demo_cache,
                              log=logged.append, engine=engine, **DEMO_DEFAULTS)
        assert all(r.ok for r in results), [r.error for r in results]
        runs[engine] = [r.folder for r in results]
    ooc, mem = runs["duckdb"], runs["pandas"]
    assert [p.name for p in ooc] == ["2019-09-03"] and [p.name for p in mem] == ["2019-09-03", "sweep"]
    assert any("counted out of core by DuckDB (engine duckdb asked for); no date sweep" in m for m in logged)
    tables = sorted(p.name for p in (ooc[0] / "tables").glob("*.csv"))
    assert tables == sorted(p.name for p in (mem[0] / "tables").glob("*.csv") if p.name != "certificates.csv")
    for name in tables:
        if name != "provenance.csv":  # it says which engine counted
            assert _lines(ooc[0] / "tables" / name) == _lines(mem[0] / "tables" / name), name
    summary = (ooc[0] / "summary.txt").read_text(encoding="utf-8")
    assert "Computed out of core by DuckDB" in summary
    assert summary.rstrip().splitlines()[-1].split(" (distrust-impact")[0].endswith("--engine duckdb")
    assert "--engine" not in (mem[0] / "summary.txt").read_text(encoding="utf-8")
    mismatches, compared = verify_report(ooc[0], cache_dir=demo_cache)
    assert mismatches == [] and compared == 19


def test_what_the_engine_cannot_do_is_refused_before_any_notebook(demo_cache, tmp_path):
    with pytest.raises(ScenarioError) as refused:
        run_reports(dates=["2019-09-03"], out_root=tmp_path, cache_dir=demo_cache, log=lambda m: None,
                    engine="duckdb", programs="all", **DEMO_DEFAULTS)
    assert str(refused.value).startswith("--programs: the root programs side by side are not computed out of core")
    with pytest.raises(ScenarioError, match="engine 'polars': use auto, pandas or duckdb"):
        run_reports(dates=["2019-09-03"], out_root=tmp_path, cache_dir=demo_cache, log=lambda m: None,
                    engine="polars", **DEMO_DEFAULTS)
    assert not any(tmp_path.iterdir())
