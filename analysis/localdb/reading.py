"""Reading certificate files for the loader: exactly one certificate per DER file or PEM block, streamed, size-capped.

A PEM file may hold any number of ``CERTIFICATE`` blocks (text around them is ignored); any other file must be
exactly one DER certificate. What is not exactly one certificate -- bad base64, a truncated body, bytes after the
certificate, a structure that is not ``SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }`` with definite lengths, more than
``max_bytes`` (a DER header is checked before the rest of the file is read) -- is refused with its reason, block by
block, and never read whole into memory.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
MAX_CERTIFICATE_BYTES = 1 << 20  # far above any real certificate (the largest in CT logs are a few hundred KB)
_CHUNK = 1 << 16
_BEGIN = re.compile(rb"-----BEGIN ((?:TRUSTED |X509 )?)CERTIFICATE-----")
_END = re.compile(rb"-----END (?:TRUSTED |X509 )?CERTIFICATE-----")
_MARKER_TAIL = 40  # longer than any marker: a marker split across two chunks is kept whole


class NotACertificate(ValueError):
    """The bytes are not exactly one certificate."""


def _header(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, start of contents, length of contents) of the TLV at ``pos``, whose header must end by ``end``. Definite
    lengths only, in any long form (OpenSSL accepts non-minimal ones); high-tag-number tags are refused."""
    if pos + 2 > end:
        raise NotACertificate("truncated")
    tag, length = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise NotACertificate("not DER: high tag number")
    start = pos + 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0:
            raise NotACertificate("not DER: indefinite length")
        if n > 8:
            raise NotACertificate("not DER: length of length over 8")
        if start + n > end:
            raise NotACertificate("truncated")
        length = int.from_bytes(buf[start : start + n], "big")
        start += n
    return tag, start, length


def _tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int, int]:
    """(tag, start of contents, end of contents, start of the TLV) of the TLV at ``pos``, which must end by
    ``end``."""
    tag, start, length = _header(buf, pos, end)
    if start + length > end:
        raise NotACertificate(f"truncated: {_bytes(start + length - end)} missing")
    return tag, start, start + length, pos


def _bytes(n: int) -> str:
    return f"{n:,} byte" + ("" if n == 1 else "s")


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out, pos = [], start
    while pos < end:
        out.append(_tlv(buf, pos, end))
        pos = out[-1][2]
    return out


def _signed_parts(der: bytes) -> tuple[tuple[int, int, int, int], ...]:
    """The Certificate's three parts (tbsCertificate, signatureAlgorithm, signatureValue); NotACertificate unless
    ``der`` is exactly ``SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }`` with nothing after it."""
    tag, start, end, _ = _tlv(der, 0, len(der))
    if tag != 0x30:
        raise NotACertificate("not a DER SEQUENCE")
    if end != len(der):
        raise NotACertificate(f"{_bytes(len(der) - end)} after the certificate")
    try:
        parts = _children(der, start, end)
        if [p[0] for p in parts] != [0x30, 0x30, 0x03]:
            raise NotACertificate("SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING } expected")
        if len(_children(der, parts[0][1], parts[0][2])) < 6:
            raise NotACertificate("too few TBSCertificate fields")
    except NotACertificate as exc:
        raise NotACertificate(f"not a certificate: {exc}") from None
    return tuple(parts)


def _read_der(f: BinaryIO, head: bytes, max_bytes: int) -> bytes:
    """The one DER certificate of a file whose first bytes are ``head``; its header is checked before the rest is
    read, so an oversized blob is refused without reading it."""
    _, start, length = _header(head, 0, len(head))
    total = start + length
    if total > max_bytes:
        raise NotACertificate(f"declares {total:,} bytes, over the {max_bytes:,}-byte limit for one certificate")
    der = head + f.read(total + 1 - len(head)) if len(head) <= total else head
    if len(der) > total:
        rest = len(der) - total + len(f.read(max_bytes))
        raise NotACertificate(f"{_bytes(rest)}{'+' if rest > max_bytes else ''} after the certificate")
    _signed_parts(der)
    return der


def _pem_blocks(f: BinaryIO, head: bytes, max_bytes: int) -> Iterator[tuple[int, bytes | NotACertificate]]:
    """(block number, DER or the reason it is refused) for each CERTIFICATE block, reading ``_CHUNK`` bytes at a
    time and never holding more than one block (at most ``max_bytes`` decoded)."""
    max_b64 = (max_bytes + 2) // 3 * 4
    buf, body, number, inside, trusted, too_big = head, bytearray(), 0, False, False, False
    while True:
        m = (_END if inside else _BEGIN).search(buf)
        if m is None:
            cut = max(len(buf) - _MARKER_TAIL, 0)
            if inside and not too_big:
                body += b"".join(buf[:cut].split())
                too_big = len(body) > max_b64
            buf = buf[cut:]
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            buf += chunk
            continue
        if not inside:
            number, inside, trusted, too_big, body = number + 1, True, m.group(1) == b"TRUSTED ", False, bytearray()
            buf = buf[m.end() :]
            continue
        if not too_big:
            body += b"".join(buf[: m.start()].split())
            too_big = len(body) > max_b64
        buf, inside = buf[m.end() :], False
        try:
            der = b"" if too_big else base64.b64decode(bytes(body), validate=True)
        except (binascii.Error, ValueError) as exc:
            yield number, NotACertificate(f"bad base64 ({exc})")
            continue
        if too_big or len(der) > max_bytes:
            yield number, NotACertificate(f"over the {max_bytes:,}-byte limit for one certificate")
            continue
        try:
            if trusted:  # OpenSSL's TRUSTED CERTIFICATE: the certificate, then its trust settings
                der = der[: _tlv(der, 0, len(der))[2]]
            _signed_parts(der)
            yield number, der
        except NotACertificate as exc:
            yield number, exc
    if inside:
        yield number, NotACertificate("no END line (truncated PEM)")
    elif number == 0:
        yield 0, NotACertificate("no PEM certificate block and not DER")


def read_certificates(path: Path, max_bytes: int = MAX_CERTIFICATE_BYTES) -> Iterator[tuple[str, bytes | str]]:
    """(where, DER) for each certificate of a PEM or DER file, or (where, reason) for what is refused; ``where`` is
    the path, with the PEM block number when the file holds PEM. OSError when the file cannot be opened."""
    with open(path, "rb") as f:
        head = f.read(min(_CHUNK, max_bytes))
        if head[:1] == b"\x30":
            try:
                yield str(path), _read_der(f, head, max_bytes)
            except NotACertificate as exc:
                yield str(path), str(exc)
            return
        for number, item in _pem_blocks(f, head, max_bytes):
            where = f"{path} [PEM block {number}]" if number else str(path)
            yield where, item if isinstance(item, bytes) else str(item)


def iter_files(paths: Iterable[str | Path], warnings: list[str] | None = None) -> Iterable[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in CERT_SUFFIXES)
            if not files and warnings is not None:
                warnings.append(f"{p}: no certificate files ({', '.join(sorted(CERT_SUFFIXES))}) in this folder")
            yield from files
        else:
            yield p
