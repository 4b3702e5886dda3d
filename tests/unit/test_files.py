"""analysis.files: every output is written whole or not at all, with the permissions of an ordinary new file."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from analysis import files, textfmt


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_outputs_get_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        csv = textfmt.write_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
        raw = files.atomic_write_bytes(tmp_path / "d" / "b.bin", b"x", durable=True)
        assert _mode(csv) == _mode(raw) == 0o644
        assert raw.read_bytes() == b"x"
    finally:
        os.umask(umask)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def half(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        files.atomic_write(target, half)
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
