"""A report folder checked against its manifest and re-derived (analysis.verify)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import programs, verify
from analysis.textfmt import write_csv
from tests.unit.test_programs import GEOTRUST_GLOBAL, _symantec_population


def _write(folder, norm):
    """A stand-in for the report's writer: the cross-program table as CSV and text, from the population."""
    from analysis import presets

    cmp = programs.compare_programs(norm, presets.actual_record([GEOTRUST_GLOBAL]), as_of="2018-10-17",
                                    ignore_alternate_paths=True)
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    write_csv(cmp.table, folder / "tables" / "programs_compared.csv")
    (folder / "summary.txt").write_text(cmp.to_text(), encoding="utf-8")


def test_a_folder_matches_until_an_output_or_an_input_changes(tmp_path):
    norm = _symantec_population()
    inputs = {"certificates": norm.issuances[["certificate_id", "not_before", "not_after"]]}
    cmd = ["distrust-impact", "report", "--ca", GEOTRUST_GLOBAL, "--programs", "all", "--as-of", "2018-10-17"]
    _write(tmp_path, norm)
    manifest = verify.write_manifest(tmp_path, command=cmd, inputs=inputs, version="0.1.0")
    doc = verify.read_manifest(tmp_path)
    assert sorted(doc["files"]) == ["summary.txt", "tables/programs_compared.csv"]
    assert doc["reproduce"].startswith("reproduce: distrust-impact report --ca FF856A2D")
    assert manifest.name == "reproduce.json"
    assert verify.verify_folder(tmp_path, rebuild=lambda d: _write(d, norm), inputs=inputs) == []

    (tmp_path / "summary.txt").write_text("edited", encoding="utf-8")
    (tmp_path / "extra.csv").write_text("x\n", encoding="utf-8")
    later = norm.issuances[["certificate_id", "not_before", "not_after"]].copy()
    later.loc[later.index[0], "not_after"] += pd.Timedelta(days=1)
    found = verify.verify_folder(tmp_path, rebuild=lambda d: None, inputs={"certificates": later})
    assert [(m.path, m.kind) for m in found] == [
        ("summary.txt", "changed"), ("extra.csv", "unlisted"), ("(input rows)", "input_changed"),
        ("summary.txt", "not_rederived"), ("tables/programs_compared.csv", "not_rederived")]
    assert str(found[0]).startswith("summary.txt: changed (expected ")


def test_a_folder_without_a_manifest_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no reproduce.json here"):
        verify.verify_folder(tmp_path)
