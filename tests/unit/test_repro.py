"""The input checksum and the reproduce line (analysis.repro)."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from analysis import repro


def _frame():
    return pd.DataFrame({
        "certificate_id": [3, 1, 2],
        "not_before": pd.to_datetime(["2019-01-01 12:00", "2018-05-01 00:00", "2019-03-03 00:00"]),
        "subject_o": ["Ministère", None, "B"],
        "dns_names": [["a.example", "b.example"], [], ["c.example"]],
        "is_precertificate": [True, False, False],
    })


def test_checksum_ignores_column_order_row_order_and_dtypes():
    f = _frame()
    base = repro.input_checksum(f)
    assert base == repro.input_checksum(f[f.columns[::-1]].iloc[[2, 0, 1]])
    g = f.copy()
    g["certificate_id"] = g["certificate_id"].astype("Int64")
    g["subject_o"] = g["subject_o"].astype("category")
    g["not_before"] = g["not_before"].dt.tz_localize("UTC")
    assert repro.input_checksum(g) == base
    changed = f.copy()
    changed.loc[0, "not_before"] += pd.Timedelta(seconds=1)
    assert repro.input_checksum(changed) != base


def test_checksum_is_the_documented_serialisation():
    f = pd.DataFrame({"b": [2, 1], "a": ["x", None]})
    want = 'frame certificates 2 ["a","b"]\n["x",2]\n[null,1]\n'
    assert repro.input_checksum(f) == "sha256:" + hashlib.sha256(want.encode()).hexdigest()
    both = repro.input_checksum({"revocations": None, "certificates": f})
    want2 = 'frame certificates 2 ["a","b"]\n["x",2]\n[null,1]\nframe revocations absent\n'
    assert both == "sha256:" + hashlib.sha256(want2.encode()).hexdigest()


def test_reproduce_line_round_trips_and_quotes():
    c = repro.input_checksum(_frame())
    cmd = ["distrust-impact", "report", "--ca", "Certinomis - Root CA", "--programs", "all", "--as-of", "2019-05-17"]
    line = repro.reproduce_line(cmd, checksum=c, version="0.1.0")
    assert line == ("reproduce: distrust-impact report --ca 'Certinomis - Root CA' --programs all --as-of 2019-05-17 "
                    f"(distrust-impact 0.1.0; input rows {c})")
    assert repro.parse_reproduce_line(line) == (cmd, "0.1.0", c)
    with pytest.raises(ValueError, match="not an input_checksum"):
        repro.reproduce_line(cmd, checksum="abc")
    with pytest.raises(ValueError, match="not a reproduce line"):
        repro.parse_reproduce_line("Source: crt.sh")
