"""Junk input loaded into a real PostgreSQL: rejects are named and the rest loads; the load command's exit
codes. Each kind of junk judged without a database is in tests/unit/test_loader_junk.py."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.localdb import load_paths
from analysis.x509 import sha256_hex
from tests.unit.test_loader_junk import EASY, EASY_PEM, ROOT, ROOT_PEM


def _junk_folder(tmp_path: Path) -> Path:
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "root.der").write_bytes(ROOT)
    (d / "easy.pem").write_bytes(b"junk before\n" + EASY_PEM + ROOT_PEM[:300])  # one good block, one cut short
    (d / "random.der").write_bytes(b"\x30" + random.Random(7).randbytes(500))
    (d / "trailing.cer").write_bytes(EASY + b"\n")
    (d / "huge.der").write_bytes(b"\x30\x84\x08\xf0\xd1\x80")  # declares 150 MB
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "README.txt").write_text("no certificates here\n")
    (tmp_path / "only_junk").mkdir()
    (tmp_path / "only_junk" / "x.pem").write_bytes(b"not a certificate\n")
    return d


def test_rejects_are_named_and_the_rest_loads(empty_db, sql, tmp_path):
    d = _junk_folder(tmp_path)
    report = load_paths(empty_db, [d, tmp_path / "nothing", tmp_path / "only_junk", "/dev/zero"])
    rejected = {(Path(p.split(" [")[0]).name, p.split(" [")[1][:-1] if " [" in p else None): why
                for p, why in report.bad_files}
    assert set(rejected) == {("easy.pem", "PEM block 2"), ("random.der", None), ("trailing.cer", None),
                             ("huge.der", None), ("x.pem", None), ("zero", None)}
    assert rejected[("zero", None)] == "not a regular file"
    assert rejected[("trailing.cer", None)] == "1 byte after the certificate"
    assert rejected[("huge.der", None)].startswith("declares 150,000,006 bytes")
    assert report.inserted == 2 and report.unparsable == []
    assert report.warnings == [f"{tmp_path / 'nothing'}: no certificate files (.cer, .crt, .der, .pem) in this folder",
                               f"{tmp_path / 'only_junk'}: no certificate in this folder"]
    rows = sql("SELECT upper(encode(digest(c.certificate, 'sha256'), 'hex')), i.name FROM certificate c "
               "JOIN ca i ON i.id = c.issuer_ca_id ORDER BY c.id")
    assert rows == [(sha256_hex(ROOT), "C=FR, O=Certinomis, OU=0002 433998903, CN=Certinomis - Root CA"),
                    (sha256_hex(EASY), "C=FR, O=Certinomis, OU=0002 433998903, CN=Certinomis - Root CA")]
    assert "rejected (not loaded): 6" in report.summary()


@pytest.mark.slow
def test_load_command_exits_1_on_rejects_and_0_with_only_a_warning(empty_db, tmp_path):
    d = _junk_folder(tmp_path)
    run = subprocess.run([sys.executable, "-m", "analysis", "load", "--dsn", empty_db, str(d)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert "rejected (not loaded): 4" in run.stdout
    assert f"rejected: {d / 'huge.der'}: declares 150,000,006 bytes" in run.stdout
    assert f"rejected: {d / 'easy.pem'} [PEM block 2]: no END line (truncated PEM)" in run.stdout
    run = subprocess.run([sys.executable, "-m", "analysis", "load", "--dsn", empty_db, str(tmp_path / "nothing")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"warning: {tmp_path / 'nothing'}: no certificate files" in run.stdout
