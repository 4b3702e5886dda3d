"""Which engine a report takes (analysis.outofcore.choose_engine): the stated rule, with exact thresholds."""

from __future__ import annotations

import pytest

from analysis.outofcore import PANDAS_BYTES_PER_ROW, checked_engine, choose_engine

GB = 2**30


def test_auto_takes_duckdb_when_pandas_would_need_over_half_the_available_memory():
    assert PANDAS_BYTES_PER_ROW == 1_700
    engine, rule = choose_engine("auto", 30_000_000, available=22 * GB)
    assert engine == "duckdb"
    assert rule == "auto: 30,000,000 rows × 1,700 bytes ≈ 47.5 GB in memory, over half the 22.0 GB available"
    assert choose_engine("auto", 2_000_000, available=22 * GB)[0] == "pandas"
    # the boundary: exactly half is still pandas, one row more is DuckDB
    rows = 11 * GB // PANDAS_BYTES_PER_ROW
    assert choose_engine("auto", rows, available=2 * rows * PANDAS_BYTES_PER_ROW)[0] == "pandas"
    assert choose_engine("auto", rows + 1, available=2 * rows * PANDAS_BYTES_PER_ROW)[0] == "duckdb"


def test_an_engine_asked_for_is_taken_whatever_the_size():
    assert choose_engine("pandas", 10**9, available=GB) == ("pandas", "engine pandas asked for")
    assert choose_engine("duckdb", 10, available=22 * GB) == ("duckdb", "engine duckdb asked for")


@pytest.mark.parametrize("value, expected",
                         [("", "auto"), (None, "auto"), ("DuckDB", "duckdb"), (" pandas ", "pandas")])
def test_engine_parameter_spellings(value, expected):
    assert checked_engine(value) == expected


def test_an_unknown_engine_is_one_line():
    with pytest.raises(ValueError, match=r"^engine 'polars': use auto, pandas or duckdb$"):
        checked_engine("polars")
