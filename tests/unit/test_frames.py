"""analysis.frames: each table declared once, and the places that use the declarations agree with them."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from analysis import frames, normalise
from analysis.config import PROJECT_ROOT
from analysis.crtsh import rows


def test_design_md_column_tables_are_generated_from_frames(capsys):
    frames.main()
    generated = capsys.readouterr().out.strip()  # what `python -m analysis.frames` prints
    design = (PROJECT_ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    assert generated in design, "docs/design.md's column tables differ from analysis/frames.py: paste the output " \
                                "of `python -m analysis.frames` there"
    for table in (frames.CERTIFICATES, frames.REVOCATIONS, frames.CT, frames.HIERARCHY):
        assert frames.markdown(table) in design


def test_the_fetch_and_normalise_use_the_declarations():
    assert rows.CERTIFICATE_COLUMNS == frames.CERTIFICATES.names
    assert rows.CERTIFICATES_SCHEMA.equals(frames.CERTIFICATES.schema)
    assert normalise.CERTIFICATES_COLUMNS == tuple(c for c in frames.CERTIFICATES.names if c != "is_server_auth")
    assert list(frames.TABLES) == ["root", "hierarchy", "certificates", "revocations", "ct", "trust", "aggregates"]
    assert len(frames.CERTIFICATES.names) == 15 and len(set(frames.CERTIFICATES.names)) == 15


def test_frame_builds_exactly_the_declared_columns_and_kinds():
    row = dict(certificate_id=7, issuer_ca_id=3, issuer_name="CN=CA", sha256="AB" * 32, serial_number="01",
               not_before=pd.Timestamp("2019-01-01"), not_after=pd.NaT, subject_o=None, subject_cn="a.example",
               dns_names=["a.example"], policy_oids=[], is_precertificate=False, is_server_auth=True,
               dedup_key=None, parse_error=None)
    df = frames.CERTIFICATES.frame([row])
    assert list(df.columns) == list(frames.CERTIFICATES.names)
    assert {c: str(t) for c, t in df.dtypes.items()} == {
        "certificate_id": "int64", "issuer_ca_id": "int64", "issuer_name": "str", "sha256": "str",
        "serial_number": "str", "not_before": "datetime64[ns]", "not_after": "datetime64[ns]",
        "subject_o": "str", "subject_cn": "str", "dns_names": "list<item: string>[pyarrow]",
        "policy_oids": "list<item: string>[pyarrow]",
        "is_precertificate": "bool", "is_server_auth": "bool", "dedup_key": "str", "parse_error": "str"}
    assert pd.isna(df.loc[0, "subject_o"]) and df.loc[0, "dns_names"] == ["a.example"]
    assert pd.isna(df.loc[0, "not_after"])
    # the same frame as the fetch's own conversion of the Arrow rows
    pd.testing.assert_frame_equal(df, rows.certificates_frame(pa.Table.from_pandas(df, preserve_index=False)))
    with pytest.raises(ValueError, match=r"certificates: missing columns \['is_server_auth'\]"):
        frames.CERTIFICATES.frame([{k: v for k, v in row.items() if k != "is_server_auth"}])
    with pytest.raises(ValueError, match=r"unknown columns \['extra'\]"):
        frames.CERTIFICATES.frame({**{k: [v] for k, v in row.items()}, "extra": [1]})
    rev = frames.REVOCATIONS.frame({"certificate_id": [1, 2], "revocation_date": pd.to_datetime(["2019-01-01"] * 2),
                                    "reason_code": [None, 4]})
    assert str(rev["reason_code"].dtype) == "Int64" and rev["reason_code"].isna().tolist() == [True, False]
