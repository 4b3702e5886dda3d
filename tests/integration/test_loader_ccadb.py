"""The loader against crt.sh's own import, on all 10,217 real CCADB CA certificates (tests/fixtures/ccadb_import),
in a real PostgreSQL; the input order and OpenSSL's signature rules without a database are in
tests/unit/test_loader_ccadb.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from analysis.localdb import load_paths
from tests.unit.test_loader_ccadb import PEM_CSV, _crtsh_verdicts, _read_gz_csv

# Certificates on which the project's x509 functions (analysis/x509.py, not the loader) still differ from libx509pq,
# so their CA identity, and what joins it, differs. Remove an entry once analysis/x509.py matches on it.
X509_DIFFERENCES: dict[str, str] = {}  # certificate SHA-256 prefix -> why analysis.x509 reads it differently


def _write_pem_bundles(folder: Path) -> int:
    """One PEM file per CCADB year report, certificates in row order (the fixture's input order); rows written."""
    folder.mkdir()
    rows = 0
    for report in sorted(PEM_CSV.glob("AllCertificatePEMsCSVFormat_NotBeforeYear_*.csv.gz")):
        pems = [r["X.509 Certificate (PEM)"].strip().strip("'") + "\n" for r in _read_gz_csv(report)]
        (folder / report.name.replace(".csv.gz", ".pem")).write_text("".join(pems), encoding="ascii")
        rows += len(pems)
    return rows


@pytest.mark.slow
def test_ccadb_set_is_linked_exactly_as_crtsh_imports_it(empty_db, sql, tmp_path):
    expected, crtsh_order = _crtsh_verdicts()
    assert set(X509_DIFFERENCES) <= set(expected)
    folder = tmp_path / "ccadb"
    assert _write_pem_bundles(folder) == 10_229

    started = time.monotonic()
    report = load_paths(empty_db, [folder])
    elapsed = time.monotonic() - started
    print(f"loaded the CCADB set in {elapsed:.1f} s")
    assert report.bad_files == [] and report.warnings == []
    assert (report.files_read, report.certificates_seen, report.inserted, report.already_present) == (
        33, 10_229, 10_217, 12)

    rows = sql("""
        SELECT upper(left(encode(digest(c.certificate, 'sha256'), 'hex'), 16)), c.issuer_ca_id, i.name,
               upper(left(encode(digest(i.public_key, 'sha256'), 'hex'), 16)), s.name,
               upper(left(encode(digest(s.public_key, 'sha256'), 'hex'), 16))
        FROM certificate c JOIN ca i ON i.id = c.issuer_ca_id
        LEFT JOIN ca_certificate cac ON cac.certificate_id = c.id LEFT JOIN ca s ON s.id = cac.ca_id
        ORDER BY c.id""")
    ours = {sha: (None if issuer_id == -1 else (i_name, i_key), None if s_name is None else (s_name, s_key))
            for sha, issuer_id, i_name, i_key, s_name, s_key in rows}
    assert set(ours) == set(expected)
    differ = {sha for sha in expected if ours[sha] != expected[sha]}
    assert differ <= set(X509_DIFFERENCES), sorted(differ - set(X509_DIFFERENCES))
    same = [sha for sha in expected if sha not in X509_DIFFERENCES]
    assert sum(expected[sha][0] is None for sha in same) == 31  # all of crt.sh's -1s
    # and in crt.sh's import order (ids), apart from those certificates
    assert [r[0] for r in rows if r[0] not in X509_DIFFERENCES] == [
        sha for sha in crtsh_order if sha not in X509_DIFFERENCES]
