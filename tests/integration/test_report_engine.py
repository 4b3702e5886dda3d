"""The report's out-of-core engine end to end: the report notebook executed through papermill on a cached CA with
``engine`` forced to ``duckdb`` writes the same tables, figures' data and summary as with ``pandas`` (the generator
of the 30M-row benchmark, ``benchmarks/gen_large_ca.py``, at 20k rows, written as the cached fetch a report reads);
what the engine cannot do is a one-line error naming the option and the way around it."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import Report
from analysis.runs import REPORT_TEMPLATE, _run_one
from analysis.scenario import ScenarioError

pytestmark = pytest.mark.integration

sys.path.insert(0, str(next(p for p in Path(__file__).resolve().parents if (p / "benchmarks").is_dir()) / "benchmarks"))

ROWS = 20_000
SCENARIO = dict(ca="999", distrust_date="2019-09-03", as_of="2019-05-17", expires_on_or_before="2019-08-31",
                issued_after="2019-05-17", source="crtsh", max_rows=ROWS)
OPTIONS = ["removal", "distrust-after:2019-01-01", "sct-after:2018-06-01", "constrain:gouv.fr,paris",
           "allowlist:2020-06-30"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    from gen_large_ca import cache_entry_for, generate_parquet

    cache = tmp_path_factory.mktemp("cache")
    generate_parquet(cache_entry_for(cache, ROWS), rows=ROWS, seed=5, batch_rows=7_000)
    return cache


def _without_reproduce(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith(("# reproduce:", "reproduce:"))]


def test_the_notebook_out_of_core_writes_the_pandas_tables(cache, tmp_path):
    outs = {}
    for engine in ("duckdb", "pandas"):
        out = tmp_path / engine
        out.mkdir()
        params = dict(SCENARIO, options=OPTIONS, cache_dir=str(cache), output_dir=str(out), programs="",
                      ignore_alternate_paths="", engine=engine)
        result = _run_one(REPORT_TEMPLATE, out / "report.ipynb", params, engine, html=False)
        assert result.ok, result.error
        outs[engine] = out
    d, p = outs["duckdb"], outs["pandas"]
    tables = sorted(f.name for f in (d / "tables").glob("*.csv"))
    assert tables == sorted(f.name for f in (p / "tables").glob("*.csv") if f.name != "certificates.csv")
    assert "by_status.csv" in tables and "by_validation_level.csv" in tables and len(tables) == 9
    for name in tables:
        ooc, mem = _without_reproduce(d / "tables" / name), _without_reproduce(p / "tables" / name)
        if name == "provenance.csv":  # one row more: how the counts were computed
            extra = [line for line in ooc if line not in mem]
            assert len(extra) == 1 and extra[0].startswith('"computed by","Computed out of core by DuckDB')
            ooc = [line for line in ooc if line not in extra]
        assert ooc == mem, name
    engine_line = "Computed out of core by DuckDB from the cached Parquet files: 19,899 crt.sh rows"
    text = " ".join((d / "summary.txt").read_text().split())
    assert engine_line in text and "(engine duckdb asked for)" in text
    assert engine_line not in " ".join((p / "summary.txt").read_text().split())
    assert [line for line in _without_reproduce(d / "summary.txt") if "out of core" not in line] != []
    assert sorted(f.name for f in (d / "figures").iterdir()) == sorted(f.name for f in (p / "figures").iterdir())


def test_report_build_both_engines_same_numbers(cache, tmp_path):
    a = Report.build(**SCENARIO, options=OPTIONS, cache_dir=str(cache), engine="duckdb")
    b = Report.build(**SCENARIO, options=OPTIONS, cache_dir=str(cache), engine="pandas")
    assert (a.engine, b.engine) == ("duckdb", "pandas")
    assert a.primary.summary_values()["certificate_rows"] == 19_899
    pd.testing.assert_frame_equal(a.comparison(), b.comparison())
    pd.testing.assert_frame_equal(a.option_rules(), b.option_rules())
    pd.testing.assert_frame_equal(a.alternate_paths(), b.alternate_paths())
    for label in a.evaluations:
        x, y = a.evaluations[label], b.evaluations[label]
        for name in ("by_organisation", "by_registrable_domain", "by_intermediate", "by_validation_level",
                     "by_status"):
            pd.testing.assert_frame_equal(getattr(x, name)(), getattr(y, name)(), obj=f"{label} {name}")
        day = a.scenario.distrust_date
        pd.testing.assert_frame_equal(x.expiry_histogram(reference=day), y.expiry_histogram(reference=day))
        pd.testing.assert_frame_equal(x.survival_curve(reference=day), y.survival_curve(reference=day))
    assert Report.build(**SCENARIO, options=OPTIONS, cache_dir=str(cache)).engine == "pandas"  # auto: it fits


@pytest.mark.parametrize("change, message", [
    ({"programs": "all"},
     "programs: the root programs side by side are not computed out of core by DuckDB (engine duckdb asked for); "
     "drop it, or use engine 'pandas' on a machine with the memory for this CA"),
    ({"engine": "spark"}, "engine 'spark': use auto, pandas or duckdb"),
])
def test_what_the_engine_cannot_do_is_one_line_naming_the_way_around(cache, change, message):
    params = dict(SCENARIO, options=["removal"], cache_dir=str(cache), engine="duckdb") | change
    with pytest.raises(ScenarioError) as err:
        Report.build(**params)
    assert message in str(err.value) and "\n" not in str(err.value)
