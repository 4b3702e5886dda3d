"""Loader input that is not exactly one certificate: refused by file (and PEM block), the rest still loads, memory
stays bounded; real certificates from data/ccadb/certinomis (CCADB, CDLA-Permissive-2.0)."""

from __future__ import annotations

import base64
import random
import tracemalloc
from pathlib import Path

from analysis import ccadb
from analysis.localdb.loader import MAX_CERTIFICATE_BYTES, read_certificates, verify_signature
from analysis.x509 import public_key

ROOT_PEM = ccadb.load_pem(ccadb.CERTINOMIS_ROOT_CA)  # Certinomis - Root CA, self-signed
EASY_PEM = ccadb.load_pem("1E7D52025BE0FEF49628F0B34DC8798F2DE7E0B42EC429594A62F5F8A388E3BF")  # Easy CA, by the root


def _der(pem: bytes) -> bytes:
    return base64.b64decode(b"".join(line for line in pem.splitlines() if not line.startswith(b"-----")))


ROOT, EASY = _der(ROOT_PEM), _der(EASY_PEM)


def _reasons(path: Path, **kw) -> list[tuple[str, str]]:
    """(where, reason or 'ok') for each item read from ``path``."""
    return [(Path(w).name if "[" not in w else Path(w.split(" [")[0]).name + " [" + w.split(" [")[1],
             "ok" if isinstance(item, bytes) else item)
            for w, item in read_certificates(path, **kw)]


def test_random_bytes_starting_with_0x30_are_refused(tmp_path):
    rng = random.Random(13)
    cases = {
        "random.der": b"\x30" + rng.randbytes(4095),
        "random_long.der": b"\x30\x82\x0f\xff" + rng.randbytes(4095),  # a matching length, no certificate inside
        "three_octets.der": b"\x30\x06" + b"\x04\x00" * 3,
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    # its second byte (0x7b) declares 123 bytes of contents: the other 3,971 follow the "certificate"
    assert _reasons(tmp_path / "random.der") == [("random.der", "3,971 bytes after the certificate")]
    assert _reasons(tmp_path / "random_long.der") == [
        ("random_long.der", "not a certificate: not DER: length of length over 8")]
    assert _reasons(tmp_path / "three_octets.der") == [
        ("three_octets.der", "not a certificate: SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING } expected")]


def test_der_with_trailing_garbage_or_cut_short_is_refused(tmp_path):
    (tmp_path / "trailing.der").write_bytes(ROOT + b"garbage")
    (tmp_path / "short.der").write_bytes(ROOT[:-10])
    (tmp_path / "ok.der").write_bytes(ROOT)
    assert _reasons(tmp_path / "trailing.der") == [("trailing.der", "7 bytes after the certificate")]
    assert _reasons(tmp_path / "short.der") == [("short.der", "truncated: 10 bytes missing")]
    assert _reasons(tmp_path / "ok.der") == [("ok.der", "ok")]
    # refused as input, though OpenSSL's d2i_X509/X509_verify (and so verify_signature) ignore the trailing bytes
    assert verify_signature(ROOT + b"garbage", public_key(ROOT)) and not verify_signature(ROOT[:-1], public_key(ROOT))


def test_pem_blocks_each_judged_by_number(tmp_path):
    lines = ROOT_PEM.splitlines(keepends=True)
    truncated_body = b"".join(lines[:6] + lines[-1:])  # BEGIN, 5 body lines, END
    bad_base64 = ROOT_PEM.replace(lines[3], b"!!!!" + lines[3][4:])
    trailing = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(ROOT + b"\x00\x00") + \
        b"-----END CERTIFICATE-----\n"
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"subject=Certinomis\n" + ROOT_PEM + truncated_body + bad_base64 + trailing + EASY_PEM +
                       ROOT_PEM[: len(ROOT_PEM) // 2])
    got = _reasons(bundle)
    assert [w for w, _ in got] == [f"bundle.pem [PEM block {n}]" for n in range(1, 7)]
    assert got[0][1] == "ok" and got[4][1] == "ok"
    assert got[1][1].startswith("truncated")
    assert got[2][1].startswith("bad base64")
    assert got[3][1] == "2 bytes after the certificate"
    assert got[5][1] == "no END line (truncated PEM)"


def test_no_certificate_in_a_text_file(tmp_path):
    (tmp_path / "notes.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    (tmp_path / "empty.crt").write_bytes(b"")
    assert _reasons(tmp_path / "notes.pem") == [("notes.pem", "no PEM certificate block and not DER")]
    assert _reasons(tmp_path / "empty.crt") == [("empty.crt", "no PEM certificate block and not DER")]


def _peak_while(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_huge_blobs_are_refused_without_being_read_whole(tmp_path):
    size = 150_000_000
    der_blob = tmp_path / "blob.der"  # a DER header declaring 150 MB, then (sparse) zeros
    with der_blob.open("wb") as f:
        f.write(b"\x30\x84" + (size - 6).to_bytes(4, "big"))
        f.truncate(size)
    got, peak = _peak_while(lambda: _reasons(der_blob))
    assert got == [("blob.der", f"declares {size:,} bytes, over the {MAX_CERTIFICATE_BYTES:,}-byte limit for one "
                                "certificate")]
    assert peak < 2 * MAX_CERTIFICATE_BYTES

    text_blob = tmp_path / "blob.pem"  # 150 MB without a single PEM marker or newline
    with text_blob.open("wb") as f:
        f.write(b"A")
        f.truncate(size)
    got, peak = _peak_while(lambda: _reasons(text_blob))
    assert got == [("blob.pem", "no PEM certificate block and not DER")]
    assert peak < 2 * MAX_CERTIFICATE_BYTES

    big_block = tmp_path / "big_block.pem"  # one 3 MB PEM block, then a real certificate
    big_block.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + b"QUFB\n" * 750_000 + b"-----END CERTIFICATE-----\n"
                          + ROOT_PEM)
    got, peak = _peak_while(lambda: _reasons(big_block))
    assert got == [("big_block.pem [PEM block 1]", f"over the {MAX_CERTIFICATE_BYTES:,}-byte limit for one "
                                                   "certificate"),
                   ("big_block.pem [PEM block 2]", "ok")]
    assert peak < 4 * MAX_CERTIFICATE_BYTES
    assert _reasons(tmp_path / "big_block.pem", max_bytes=len(ROOT) - 1)[1][1].startswith("over the")


