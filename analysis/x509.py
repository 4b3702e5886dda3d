"""crt.sh-format fields from DER certificates, in pure Python: what crt.sh's libx509pq returns, exactly.

This module is the single implementation behind the local database's ``x509_*`` SQL functions (it is shipped into
PostgreSQL as PL/Python source by :mod:`analysis.localdb.schema`) and behind client-side parsing of DER fetched from
crt.sh (:func:`analysis.crtsh.extract_fields`). It must therefore:

* depend on nothing but the standard library (the server's Python has no project packages);
* give what libx509pq (C, over OpenSSL 3.0) gives, for every function and argument, on every certificate: which
  certificates OpenSSL refuses to decode (then ``ERROR!``/NULL/false/-1/no rows, per function), which extensions it
  refuses (duplicated or malformed: the function then sees no extension), OpenSSL's name printer with any flags,
  its object names, and libx509pq's own rules (``docs/crtsh.md``, section "x509_* functions").

The regression corpus in ``tests/fixtures/x509`` (10,358 real and odd certificates, 51 calls each) holds
libx509pq's recorded outputs; ``tests/integration/test_x509_corpus.py`` checks every one of them.

Use :func:`call` for SQL semantics (``call("x509_subjectName", der, None)``); the per-function helpers below raise
:class:`X509Error` where libx509pq's ``d2i_X509`` would fail. :func:`parse` parses once; the
:class:`Certificate` methods give every field from that one parse.

Over 500 lines on purpose: it is shipped into PostgreSQL as *one* PL/Python source (stdlib only, no imports of the
package), so it cannot be split into modules; about 1,250 of its lines are OpenSSL's object table (OID, short name,
long name) that the name printer needs, the rest one function per libx509pq function.
"""

from __future__ import annotations

import datetime as _dt
import hashlib as _hashlib

ERROR_TEXT = "ERROR!"  # what libx509pq's text functions return for an unparsable certificate
UNSUPPORTED_ATTRIBUTE = "Unsupported Attribute"
UNSUPPORTED_GENERAL_NAME = "Unsupported GeneralName"


class X509Error(ValueError):
    """The bytes are not a certificate OpenSSL's d2i_X509 would decode (or a part is not what it must be)."""


# --------------------------------------------------------------------------------------------------------------------
# BER/DER reading, as lenient and as strict as OpenSSL's template decoder: definite (short or long form, leading
# zero octets allowed) and indefinite lengths are read; tags above 30 are not used in certificates.


def _tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int, int]:
    """One TLV at ``pos`` (not past ``end``): (tag octet, contents start, contents end, position after the TLV)."""
    if pos + 2 > end:
        raise X509Error("truncated DER")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise X509Error("high tag number")
    length = buf[pos + 1]
    start = pos + 2
    if length < 0x80:
        stop = start + length
    elif length == 0x80:  # indefinite length: constructed contents up to an end-of-contents octet pair
        if not tag & 0x20:
            raise X509Error("indefinite length on a primitive")
        _NOT_DER[0] += 1
        p = start
        while True:
            if p + 2 > end:
                raise X509Error("missing end-of-contents")
            if buf[p] == 0 and buf[p + 1] == 0:
                return tag, start, p, p + 2
            p = _tlv(buf, p, end)[3]
    else:
        n = length & 0x7F
        if n > 8 or start + n > end:
            raise X509Error("bad length")
        length = int.from_bytes(buf[start : start + n], "big")
        if length < 0x80 or buf[start] == 0:
            _NOT_DER[0] += 1  # a long form where DER has a shorter one
        stop = start + n + length
        start += n
    if stop > end:
        raise X509Error("truncated DER")
    return tag, start, stop, stop


def _items(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The TLVs from ``start`` to ``end``: [(tag, contents start, contents end, TLV start)]."""
    out = []
    pos = start
    while pos < end:
        length = buf[pos + 1] if pos + 2 <= end else 0xFF
        if length < 0x80 and buf[pos] & 0x1F != 0x1F:  # the common case, inline
            stop = pos + 2 + length
            if stop > end:
                raise X509Error("truncated DER")
            out.append((buf[pos], pos + 2, stop, pos))
            pos = stop
        else:
            t = _tlv(buf, pos, end)
            out.append((t[0], t[1], t[2], pos))
            pos = t[3]
    return out


# How many non-DER lengths (indefinite, or long where short would do) the reader has met: a certificate read without
# any has DER lengths throughout, so OpenSSL's re-encoding of its TBSCertificate gives back the same bytes.
_NOT_DER = [0]


def _tlv_end(buf: bytes, item) -> int:
    """Position just after the TLV ``item`` (indefinite lengths included)."""
    if buf[item[3] + 1] != 0x80:
        return item[2]
    return _tlv(buf, item[3], len(buf))[3]


def _collect(buf: bytes, item, depth: int = 0) -> bytes:
    """The octets of a string TLV; a constructed (BER) string is the concatenation of its primitive parts, whatever
    their tags, nested at most 5 deep (OpenSSL's asn1_collect)."""
    if not item[0] & 0x20:
        return buf[item[1] : item[2]]
    _NOT_DER[0] += 1
    if depth >= 5:
        raise X509Error("string nested too deep")
    return b"".join(_collect(buf, part, depth + 1) for part in _items(buf, item[1], item[2]))


def _check_oid(content: bytes) -> None:
    """c2i_ASN1_OBJECT: non-empty, no 0x80 leading octet in a sub-identifier, last octet ends a sub-identifier."""
    if not content or content[-1] & 0x80:
        raise X509Error("invalid object encoding")
    prev = 0
    for b in content:
        if b == 0x80 and not prev & 0x80:
            raise X509Error("invalid object encoding")
        prev = b


def _oid_text(content: bytes) -> str:
    arcs = []
    value = 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


_OID_CACHE: dict[bytes, str] = {}


def _oid(buf: bytes, item) -> str:
    if item[0] != 0x06:
        raise X509Error("not an OBJECT IDENTIFIER")
    content = buf[item[1] : item[2]]
    text = _OID_CACHE.get(content)
    if text is None:
        _check_oid(content)
        text = _oid_text(content)
        if len(_OID_CACHE) < 4096:
            _OID_CACHE[content] = text
    return text


def _check_integer(content: bytes) -> None:
    """c2i_ibuf: non-empty and minimally encoded (OpenSSL's "illegal padding")."""
    if not content:
        raise X509Error("illegal zero-length INTEGER")
    if len(content) > 1:
        pad = content[0] == 0 or (content[0] == 0xFF and any(content[1:]))
        if pad and (content[0] & 0x80) == (content[1] & 0x80):
            raise X509Error("illegal INTEGER padding")


def _integer(buf: bytes, item, tag: int = 0x02) -> int:
    if item[0] != tag:
        raise X509Error("not an INTEGER")
    content = buf[item[1] : item[2]]
    _check_integer(content)
    return int.from_bytes(content, "big", signed=True)


def _bit_string(buf: bytes, item, tag: int = 0x03) -> bytes:
    """The data octets of a BIT STRING (unused-bits octet checked and removed, unused bits cleared)."""
    if item[0] != tag:
        raise X509Error("not a BIT STRING")
    content = buf[item[1] : item[2]]
    if not content or content[0] > 7:
        raise X509Error("invalid BIT STRING")
    data = content[1:]
    if data and content[0] and data[-1] & ~(0xFF << content[0]) & 0xFF:
        _NOT_DER[0] += 1  # unused bits set: OpenSSL clears them
        data = data[:-1] + bytes([data[-1] & (0xFF << content[0]) & 0xFF])
    return data


def _boolean(buf: bytes, item) -> bool:
    if item[0] != 0x01 or item[2] - item[1] != 1:
        raise X509Error("bad BOOLEAN")
    return buf[item[1]] != 0


def _check_algorithm(buf: bytes, item) -> str:
    """X509_ALGOR: SEQUENCE { OBJECT, ANY OPTIONAL }."""
    if item[0] != 0x30:
        raise X509Error("AlgorithmIdentifier is not a SEQUENCE")
    parts = _items(buf, item[1], item[2])
    if not 1 <= len(parts) <= 2:
        raise X509Error("bad AlgorithmIdentifier")
    if len(parts) == 2:
        _check_any(buf, parts[1])
    return _oid(buf, parts[0])


def _check_any(buf: bytes, item) -> None:
    """An ANY value: universal primitive types are decoded (and so checked) by OpenSSL; SEQUENCE, SET and other
    classes are kept as they are."""
    tag = item[0]
    if tag & 0xC0 or (tag & 0x1F) in (16, 17):
        return
    number = tag & 0x1F
    if tag & 0x20 and number in (1, 2, 5, 6, 10):
        raise X509Error("constructed primitive type")
    data = _collect(buf, item)
    if number == 1 and len(data) != 1:
        raise X509Error("bad BOOLEAN")
    if number in (2, 10):
        _check_integer(data)
    elif number == 3 and (not data or data[0] > 7):
        raise X509Error("invalid BIT STRING")
    elif number == 5 and data:
        raise X509Error("NULL is not empty")
    elif number == 6:
        _check_oid(data)
    elif (number == 30 and len(data) % 2) or (number == 28 and len(data) % 4):
        raise X509Error("bad string length")


def _der_any(buf: bytes, item) -> bytes:
    """OpenSSL's re-encoding of an ANY value: SEQUENCE, SET and non-universal values as they were read, other
    values DER-encoded from their (collected) contents."""
    tag = item[0]
    if tag & 0xC0 or (tag & 0x1F) in (16, 17):
        return buf[item[3] : _tlv_end(buf, item)]
    return _der_tlv(tag & 0x1F, _collect(buf, item))


def _der_algorithm(buf: bytes, item) -> bytes:
    parts = _items(buf, item[1], item[2])
    return _der_tlv(0x30, b"".join(_der_any(buf, p) for p in parts))


def _der_bit_string(buf: bytes, item, tag: int = 0x03) -> bytes:
    content = _collect(buf, item)
    return _der_tlv(tag, content[:1] + _bit_string(content, (0x03, 0, len(content), 0)))


# --------------------------------------------------------------------------------------------------------------------
# OpenSSL's objects (short and long names) and OBJ_* lookups


def obj_nid(oid: str) -> int:
    """OBJ_obj2nid: 0 (NID_undef) for an OID OpenSSL has no name for."""
    entry = _OBJ_BY_OID.get(oid)
    return entry[0] if entry else 0


def obj_txt2nid(text: str) -> int:
    """OBJ_txt2nid: a short name, a long name (case-sensitive) or the dotted OID of a known object; else 0."""
    nid = _OBJ_SN.get(text) or _OBJ_LN.get(text)
    if nid:
        return nid
    oid = _dotted(text)
    return obj_nid(oid) if oid else 0


def _dotted(text: str) -> str | None:
    """The canonical dotted form of ``text`` if OpenSSL's a2d_ASN1_OBJECT accepts it, else None."""
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isdigit() and p.isascii() for p in parts):
        return None
    arcs = [int(p) for p in parts]
    if arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        return None
    return ".".join(str(a) for a in arcs)


def obj_long_name(oid: str) -> str:
    """OBJ_obj2txt(…, no_name=0): the long name, or the dotted OID for an unknown object."""
    entry = _OBJ_BY_OID.get(oid)
    return entry[2] if entry else oid


def _obj_buffer(text: str, size: int = 80) -> str:
    """OBJ_obj2txt into a char[size] buffer: at most size-1 characters."""
    return text[: size - 1]


def _obj_txt2obj(text: str) -> str | None:
    """OBJ_txt2obj(text, 0) as a dotted OID (names first, then numeric), or None."""
    nid = _OBJ_SN.get(text) or _OBJ_LN.get(text)
    if nid:
        return _OBJ_OID_BY_NID.get(nid)
    if text not in _DOTTED:
        if len(_DOTTED) >= 4096:
            _DOTTED.clear()
        _DOTTED[text] = _dotted(text)
    return _DOTTED[text]


_DOTTED: dict[str, str | None] = {}  # _dotted of the texts asked for (the same OIDs, once per certificate)


# --------------------------------------------------------------------------------------------------------------------
# Strings: ASN1_STRING types in names, ASN1_STRING_to_UTF8 and the canonical-form checks d2i_X509 makes

# tag2nbyte in OpenSSL's a_strex.c / a_mbstr.c: bytes per character (0 = UTF-8); other tags cannot be converted
_CHAR_WIDTH = {12: 0, 18: 1, 19: 1, 20: 1, 22: 1, 23: 1, 24: 1, 26: 1, 28: 4, 30: 2}
# universal tags a Name attribute value may have (B_ASN1_PRINTABLE: strings, BIT STRING, SEQUENCE, "unknown" tags)
_NAME_VALUE_TAGS = {3, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 28, 29, 30}
_CANON_TAGS = {12, 19, 20, 22, 26, 28, 30}  # ASN1_MASK_CANON: converted to UTF-8 when the name is decoded
_CANON_CHECKED = {12, 28, 30}  # the ones whose conversion can fail (one-octet strings always convert)


def _code_points(tag: int, data: bytes) -> list[int]:
    """The characters of a string value; X509Error where ASN1_STRING_to_UTF8 fails."""
    width = _CHAR_WIDTH.get(tag)
    if width is None:
        raise X509Error("string type cannot be converted")
    if width == 0:
        try:
            return [ord(ch) for ch in data.decode("utf-8")]
        except UnicodeDecodeError as exc:
            raise X509Error("invalid UTF8String") from exc
    if width == 1:
        return list(data)
    if len(data) % width:
        raise X509Error("bad string length")
    cps = [int.from_bytes(data[i : i + width], "big") for i in range(0, len(data), width)]
    for c in cps:
        if c > 0x10FFFF or 0xD800 <= c <= 0xDFFF:
            raise X509Error("invalid character")
    return cps


def _utf8_text(data: bytes) -> str:
    """A UTF8String's characters (what ``_code_points`` gives for it, as a string)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise X509Error("invalid UTF8String") from exc


def _to_utf8(tag: int, data: bytes) -> str:
    """ASN1_STRING_to_UTF8 then strlen (libx509pq copies up to the first NUL)."""
    width = _CHAR_WIDTH.get(tag)
    if width == 1:  # one octet per character: chr() of each octet
        text = data.decode("latin-1")
    elif width == 0:
        text = _utf8_text(data)
    else:
        text = "".join(map(chr, _code_points(tag, data)))
    nul = text.find("\x00")
    return text if nul < 0 else text[:nul]


# --------------------------------------------------------------------------------------------------------------------
# Names


# Decoded parts of certificates, by their encoding: a CA's certificates repeat the same issuer Name, subject RDNs
# (C=, O=), algorithm identifiers and most extensions, so each distinct encoding is decoded once. An entry holds the
# decoded value and how many non-DER lengths its decoding met (added to _NOT_DER again on every hit, so a
# certificate's re-encoding decision is the same as without the memo). Only successful decodings are kept; the
# table is emptied when full, so memory stays bounded.
_MEMO: dict = {}
_MEMO_SIZE = 8192


def _memo(kind: str, raw: bytes, decode, *args):
    """``decode(*args)``, or its value from an earlier decoding of the same ``raw`` bytes (the TLV it reads, header
    included) for the same ``kind``."""
    key = (kind, raw)
    hit = _MEMO.get(key)
    if hit is None:
        before = _NOT_DER[0]
        hit = (decode(*args), _NOT_DER[0] - before)
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = hit
    elif hit[1]:
        _NOT_DER[0] += hit[1]
    return hit[0]


def _rdn_entries(buf: bytes, rdn) -> tuple:
    """The (OID, tag, data, DER of the value) of each AttributeTypeAndValue of one RDN (a SET)."""
    out = []
    for atv in _items(buf, rdn[1], rdn[2]):
        parts = _items(buf, atv[1], atv[2]) if atv[0] == 0x30 else ()
        if len(parts) != 2:
            raise X509Error("bad AttributeTypeAndValue")
        oid = _oid(buf, parts[0])
        value = parts[1]
        tag = value[0]
        if tag & 0xC0 or (tag & 0x1F) not in _NAME_VALUE_TAGS:
            raise X509Error("attribute value of a type a Name cannot hold")
        number = tag & 0x1F
        if number == 16 and not tag & 0x20:
            raise X509Error("primitive SEQUENCE")
        data = buf[value[1] : value[2]] if number == 16 else _collect(buf, value)
        if number == 3:
            data = _bit_string(data, (3, 0, len(data), 0))
        elif number == 12:
            _utf8_text(data)  # x509_name_canon converts it to UTF-8 or fails the decode
        elif number in _CANON_CHECKED:
            _code_points(number, data)
        out.append((oid, number, data, buf[value[3] : _tlv_end(buf, value)]))
    return tuple(out)


class Name:
    """A decoded X.509 Name: ``entries`` = [(set index, OID, tag, data, DER of the value)], in certificate order."""

    __slots__ = ("entries", "der")

    def __init__(self, buf: bytes, item):
        if item[0] != 0x30:
            raise X509Error("Name is not a SEQUENCE")
        self.der = buf[item[3] : _tlv_end(buf, item)]
        entries = []
        for index, rdn in enumerate(_items(buf, item[1], item[2])):
            if rdn[0] != 0x31:
                raise X509Error("RDN is not a SET")
            for entry in _memo("rdn", buf[rdn[3] : rdn[2]], _rdn_entries, buf, rdn):
                entries.append((index, *entry))
        self.entries = entries

    def canonical(self) -> tuple:
        """X509_NAME_cmp's canonical form: per RDN, the values as trimmed, space-collapsed, ASCII-lower-cased UTF-8."""
        rdns: dict[int, list] = {}
        for index, oid, tag, data, value_der in self.entries:
            if tag in _CANON_TAGS:
                text = "".join(map(chr, _code_points(tag, data))).strip(" \t\n\v\f\r")
                out = []
                for ch in text:
                    if ch in " \t\n\v\f\r":
                        if not out or out[-1] != " ":
                            out.append(" ")
                    else:
                        out.append(ch.lower() if ch.isascii() else ch)
                key = (oid, 12, "".join(out))
            else:
                key = (oid, tag, value_der)
            rdns.setdefault(index, []).append(key)
        return tuple(tuple(sorted(v, key=repr)) for _, v in sorted(rdns.items()))


# X509_NAME_print_ex flags (OpenSSL's asn1.h / x509.h)
ESC_2253, ESC_CTRL, ESC_MSB, ESC_QUOTE, UTF8_CONVERT = 0x1, 0x2, 0x4, 0x8, 0x10
IGNORE_TYPE, SHOW_TYPE, DUMP_ALL, DUMP_UNKNOWN, DUMP_DER, ESC_2254 = 0x20, 0x40, 0x80, 0x100, 0x200, 0x400
_ESC_FLAGS = ESC_2253 | ESC_2254 | ESC_QUOTE | ESC_CTRL | ESC_MSB
_FIRST_ESC, _LAST_ESC = 0x20, 0x40
SEP_COMMA_PLUS, SEP_CPLUS_SPC, SEP_SPLUS_SPC, SEP_MULTILINE = 1 << 16, 2 << 16, 3 << 16, 4 << 16
_SEP_MASK = 0xF << 16
DN_REV = 1 << 20
FN_SN, FN_LN, FN_OID, FN_NONE = 0, 1 << 21, 2 << 21, 3 << 21
_FN_MASK = 3 << 21
SPC_EQ, DUMP_UNKNOWN_FIELDS, FN_ALIGN = 1 << 23, 1 << 24, 1 << 25
# crt.sh's format (the flags argument NULL): RFC 2253 escaping + quotes, ", " and " + ", short names, raw UTF-8
CRTSH_NAME_FLAGS = (ESC_2253 | ESC_CTRL | ESC_MSB | UTF8_CONVERT | DUMP_UNKNOWN | DUMP_DER | ESC_QUOTE
                    | SEP_CPLUS_SPC | FN_SN) & ~ESC_MSB


def _char_type(c: int) -> int:
    """OpenSSL's charmap for ASCII: which escaping rules apply to the character."""
    t = 0
    if c < 32 or c == 127:
        t |= ESC_CTRL
    ch = chr(c)
    if ch in '"+,;<>\\':
        t |= ESC_2253
    if ch in " #+,;<>":
        t |= ESC_QUOTE
    if ch in " #":
        t |= _FIRST_ESC
    if ch == " ":
        t |= _LAST_ESC
    if ch in "\x00()*\\":
        t |= ESC_2254
    return t


_CHAR_TYPE = [_char_type(c) for c in range(128)]
_BS_ESC = ESC_2253 | _FIRST_ESC | _LAST_ESC
_TAG_NAMES = ["EOC", "BOOLEAN", "INTEGER", "BIT STRING", "OCTET STRING", "NULL", "OBJECT", "OBJECT DESCRIPTOR",
              "EXTERNAL", "REAL", "ENUMERATED", "<ASN1 11>", "UTF8STRING", "<ASN1 13>", "<ASN1 14>", "<ASN1 15>",
              "SEQUENCE", "SET", "NUMERICSTRING", "PRINTABLESTRING", "T61STRING", "VIDEOTEXSTRING", "IA5STRING",
              "UTCTIME", "GENERALIZEDTIME", "GRAPHICSTRING", "VISIBLESTRING", "GENERALSTRING", "UNIVERSALSTRING",
              "<ASN1 29>", "BMPSTRING"]


class _PrintFailed(Exception):
    """OpenSSL's printer stopped; what it wrote so far stays in the output."""


def _esc_char(c: int, flags: int, out: list, quote: list) -> None:
    """do_esc_char."""
    if c > 0xFFFFFFFF:
        raise _PrintFailed
    if c > 0xFFFF:
        out.append("\\W%08X" % c)
        return
    if c > 0xFF:
        out.append("\\U%04X" % c)
        return
    chflgs = flags & ESC_MSB if c > 0x7F else _CHAR_TYPE[c] & flags
    if chflgs & _BS_ESC:
        if chflgs & ESC_QUOTE:
            quote[0] = True
            out.append(chr(c))
        else:
            out.append("\\" + chr(c))
        return
    if chflgs & (ESC_CTRL | ESC_MSB | ESC_2254):
        out.append("\\%02X" % c)
        return
    if c == 0x5C and flags & _ESC_FLAGS:
        out.append("\\\\")
        return
    out.append(chr(c))


def _utf8_getc(data: bytes, i: int) -> tuple[int, int]:
    """UTF8_getc: (code point, length); _PrintFailed on an invalid sequence."""
    b = data[i]
    if b < 0x80:
        return b, 1
    for lead, mask, n, low in ((0xC0, 0x1F, 2, 0x80), (0xE0, 0x0F, 3, 0x800), (0xF0, 0x07, 4, 0x10000)):
        if b & (0xFF ^ (0xFF >> (n + 1))) == lead:
            if i + n > len(data) or any(data[i + k] & 0xC0 != 0x80 for k in range(1, n)):
                raise _PrintFailed
            c = b & mask
            for k in range(1, n):
                c = (c << 6) | (data[i + k] & 0x3F)
            if c < low or 0xD800 <= c <= 0xDFFF:
                raise _PrintFailed
            return c, n
    raise _PrintFailed


def _utf8_bytes(c: int) -> bytes:
    """UTF8_putc; nothing for a value it refuses (surrogates, beyond U+10FFFF)."""
    if 0xD800 <= c <= 0xDFFF or c > 0x10FFFF:
        return b""
    return chr(c).encode("utf-8")


def _do_buf(data: bytes, width: int, convert: bool, flags: int, out: list, quote: list) -> None:
    """do_buf: the characters of one value, escaped; a partial value is kept if it fails half-way."""
    if (width == 4 and len(data) % 4) or (width == 2 and len(data) % 2):
        raise _PrintFailed
    i = 0
    n = len(data)
    while i < n:
        orflags = _FIRST_ESC if i == 0 and flags & ESC_2253 else 0
        if width == 0:
            c, k = _utf8_getc(data, i)
        else:
            k = width
            c = int.from_bytes(data[i : i + k], "big")
        i += k
        if i == n and flags & ESC_2253:
            orflags = _LAST_ESC
        if convert:
            for b in _utf8_bytes(c):
                _esc_char(b, flags | orflags, out, quote)
        else:
            _esc_char(c, flags | orflags, out, quote)


def _print_value(tag: int, data: bytes, value_der: bytes, lflags: int, out: list) -> None:
    """do_print_ex for one attribute value."""
    flags = lflags & _ESC_FLAGS
    if lflags & SHOW_TYPE:
        out.append((_TAG_NAMES[tag] if 0 <= tag <= 30 else "(unknown)") + ":")
    if lflags & DUMP_ALL:
        width = -1
    elif lflags & IGNORE_TYPE:
        width = 1
    else:
        width = _CHAR_WIDTH.get(tag, -1) if 0 < tag < 31 else -1
        if width == -1 and not lflags & DUMP_UNKNOWN:
            width = 1
    if width == -1:  # do_dump: '#' and the hex of the DER encoding (or of the content octets)
        out.append("#" + (value_der if lflags & DUMP_DER else data).hex().upper())
        return
    convert = False
    if lflags & UTF8_CONVERT:
        if width == 0:
            width = 1  # a UTF8String converted to UTF-8 is copied octet by octet
        else:
            convert = True
    # first pass decides the quotes (OpenSSL prints nothing of a value whose first pass fails)
    probe: list = []
    quote = [False]
    _do_buf(data, width, convert, flags, probe, quote)
    if quote[0]:
        out.append('"')
    _do_buf(data, width, convert, flags, out, [False])
    if quote[0]:
        out.append('"')


def _name_print_ex(name: Name, flags: int) -> str:
    """X509_NAME_print_ex(out, name, 0, flags) as libx509pq calls it (do_name_ex; flags 0 = X509_NAME_print)."""
    if flags == 0:
        return _name_print_compat(name)
    sep = flags & _SEP_MASK
    if sep == SEP_MULTILINE:
        sep_dn, sep_mv = "\n", " + "
    elif sep == SEP_COMMA_PLUS:
        sep_dn, sep_mv = ",", "+"
    elif sep == SEP_CPLUS_SPC:
        sep_dn, sep_mv = ", ", " + "
    elif sep == SEP_SPLUS_SPC:
        sep_dn, sep_mv = "; ", " + "
    else:
        return ""
    sep_eq = " = " if flags & SPC_EQ else "="
    fn_opt = flags & _FN_MASK
    entries = name.entries[::-1] if flags & DN_REV else name.entries
    out: list = []
    prev = None
    try:
        for index, oid, tag, data, value_der in entries:
            if prev is not None:
                out.append(sep_mv if prev == index else sep_dn)
            prev = index
            nid = obj_nid(oid)
            if fn_opt != FN_NONE:
                if fn_opt == FN_OID or not nid:
                    label, width = _obj_buffer(oid), 0
                elif fn_opt == FN_SN:
                    label, width = _OBJ_BY_OID[oid][1], 10
                elif fn_opt == FN_LN:
                    label, width = _OBJ_BY_OID[oid][2], 25
                else:
                    label, width = "", 0
                out.append(label)
                if len(label) < width and flags & FN_ALIGN:
                    out.append(" " * (width - len(label)))
                out.append(sep_eq)
            orflags = DUMP_ALL if not nid and flags & DUMP_UNKNOWN_FIELDS else 0
            _print_value(tag, data, value_der, flags | orflags, out)
    except _PrintFailed:
        pass
    # each character of ``out`` is one octet written to OpenSSL's BIO; the text is those octets as UTF-8, up to a
    # NUL octet (where PostgreSQL's text ends; only flags without ESC_CTRL let one through)
    text = "".join(out).encode("latin-1", "replace").decode("utf-8", "replace")
    return text.split("\x00", 1)[0]


def _name_oneline(name: Name) -> str:
    """X509_NAME_oneline(name, NULL, 0): "/SN=value" per RDN ("+SN=value" for the next attribute of the same RDN),
    bytes outside ' '..'~' as \\xHH, '/' and '+' escaped with a backslash."""
    out = []
    prev = None
    for index, oid, _tag, data, _der in name.entries:
        out.append("+" if index == prev else "/")
        prev = index
        out.append((_OBJ_BY_OID[oid][1] if oid in _OBJ_BY_OID else _obj_buffer(oid)) + "=")
        for b in data:
            if b < 0x20 or b > 0x7E:
                out.append("\\x%02X" % b)
            elif b in (0x2F, 0x2B):
                out.append("\\" + chr(b))
            else:
                out.append(chr(b))
    return "".join(out)


def _name_print_compat(name: Name) -> str:
    """X509_NAME_print: the one-line form with "/" turned into ", " before an attribute of 1 or 2 upper-case letters."""
    s = _name_oneline(name)[1:]
    if not s:
        return ""
    n = len(s)

    def at(i):
        return s[i] if i < n else "\x00"

    out = []
    c = 0
    for i in range(n + 1):
        ch = at(i)
        up1 = "A" <= at(i + 1) <= "Z"
        if (ch == "/" and up1 and (at(i + 2) == "=" or ("A" <= at(i + 2) <= "Z" and at(i + 3) == "="))) or i == n:
            out.append(s[c:i])
            c = i + 1
            if i < n:
                out.append(", ")
    return "".join(out)


def format_name(_der, name: Name, flags: int | None = None) -> str:
    """A Name printed as libx509pq prints it (flags None = crt.sh's format). The first argument is ignored (kept for
    callers that pass the certificate's bytes)."""
    return _name_print_ex(name, CRTSH_NAME_FLAGS if flags is None else _c_unsigned_long(flags))


def _c_unsigned_long(v: int) -> int:
    """An SQL integer as the unsigned long OpenSSL receives (a negative int sign-extends)."""
    return v & 0xFFFFFFFFFFFFFFFF


# --------------------------------------------------------------------------------------------------------------------
# Extensions

BASIC_CONSTRAINTS = "2.5.29.19"
OLD_BASIC_CONSTRAINTS = "2.5.29.10"  # draft-ietf-pkix-ipki-part1-01, which libx509pq registers as "bCold"
KEY_USAGE = "2.5.29.15"
SUBJECT_ALT_NAME = "2.5.29.17"
ISSUER_ALT_NAME = "2.5.29.18"
CERTIFICATE_POLICIES = "2.5.29.32"
EXTENDED_KEY_USAGE = "2.5.29.37"
SUBJECT_KEY_IDENTIFIER = "2.5.29.14"
AUTHORITY_KEY_IDENTIFIER = "2.5.29.35"
CT_POISON = "1.3.6.1.4.1.11129.2.4.3"
CT_SCT_LIST = "1.3.6.1.4.1.11129.2.4.2"
ANY_EKU = "2.5.29.37.0"
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
_CPS = "1.3.6.1.5.5.7.2.1"
_USER_NOTICE = "1.3.6.1.5.5.7.2.2"
# SHA-256 of the signature value of Microsoft's "Root SGC Authority", which libx509pq treats as a CA although it
# has no basicConstraints (as CryptoAPI does)
_ROOT_SGC_SIGNATURE_SHA256 = "000062440527da1d57ebe94dac0482b149db949934eaa2faf55cbcfcd2bd80dc"


def _general_names(buf: bytes, start: int, end: int) -> list[tuple[int, object]]:
    """GENERAL_NAMES contents → [(type, value)]: 0 (OID, None), 1/2/6 IA5 octets, 4 Name, 7 octets, 3/5/8 None."""
    out = []
    for item in _items(buf, start, end):
        tag = item[0]
        if tag & 0xC0 != 0x80:
            raise X509Error("GeneralName is not context-specific")
        kind = tag & 0x1F
        constructed = tag & 0x20
        if kind == 0:  # otherName: [0] IMPLICIT SEQUENCE { type-id OID, [0] EXPLICIT ANY }
            parts = _items(buf, item[1], item[2]) if constructed else ()
            inner = _items(buf, parts[1][1], parts[1][2]) if len(parts) == 2 and parts[1][0] == 0xA0 else ()
            if len(inner) != 1:
                raise X509Error("bad otherName")
            _check_any(buf, inner[0])
            out.append((0, _oid(buf, parts[0])))
        elif kind in (1, 2, 6):
            out.append((kind, _collect(buf, item)))
        elif kind == 3:  # x400Address: [3] IMPLICIT SEQUENCE
            if not constructed:
                raise X509Error("bad x400Address")
            _items(buf, item[1], item[2])
            out.append((3, None))
        elif kind == 4:  # directoryName: [4] EXPLICIT Name
            parts = _items(buf, item[1], item[2]) if constructed else ()
            if len(parts) != 1:
                raise X509Error("bad directoryName")
            out.append((4, Name(buf, parts[0])))
        elif kind == 5:  # ediPartyName: [5] IMPLICIT SEQUENCE { [0] EXPLICIT DirectoryString OPT, [1] EXPLICIT … }
            parts = _items(buf, item[1], item[2]) if constructed else ()
            if not parts or len(parts) > 2 or parts[-1][0] != 0xA1 or (len(parts) == 2 and parts[0][0] != 0xA0):
                raise X509Error("bad ediPartyName")
            out.append((5, None))
        elif kind == 7:
            out.append((7, _collect(buf, item)))
        elif kind == 8:
            if constructed:
                raise X509Error("constructed OBJECT")
            _check_oid(buf[item[1] : item[2]])
            out.append((8, None))
        else:
            raise X509Error("unknown GeneralName")
    return out


def _decode_sequence_of(value: bytes, tag: int = 0x30) -> tuple[int, int]:
    """The contents of the SEQUENCE an extension value starts with (bytes after it are ignored, as OpenSSL does)."""
    t = _tlv(value, 0, len(value))
    if t[0] != tag:
        raise X509Error("extension value has the wrong type")
    return t[1], t[2]


def _decode_general_names(value: bytes) -> list:
    s, e = _decode_sequence_of(value)
    return _general_names(value, s, e)


def _decode_eku(value: bytes) -> list[str]:
    s, e = _decode_sequence_of(value)
    return [_oid(value, item) for item in _items(value, s, e)]


_DISPLAY_TEXT_TAGS = {0x16, 0x1A, 0x1E, 0x0C}  # B_ASN1_DISPLAYTEXT: IA5, Visible, BMP, UTF8


def _decode_policies(value: bytes) -> list[str]:
    """CERTIFICATEPOLICIES: the policy OIDs; X509Error where OpenSSL's template refuses any part of it."""
    s, e = _decode_sequence_of(value)
    out = []
    for info in _items(value, s, e):
        parts = _items(value, info[1], info[2]) if info[0] == 0x30 else ()
        if not 1 <= len(parts) <= 2:
            raise X509Error("bad PolicyInformation")
        out.append(_oid(value, parts[0]))
        if len(parts) == 2:
            if parts[1][0] != 0x30:
                raise X509Error("bad policyQualifiers")
            for pq in _items(value, parts[1][1], parts[1][2]):
                q = _items(value, pq[1], pq[2]) if pq[0] == 0x30 else ()
                if len(q) != 2:
                    raise X509Error("bad PolicyQualifierInfo")
                qid = _oid(value, q[0])
                if qid == _CPS and q[1][0] != 0x16:
                    raise X509Error("CPS qualifier is not an IA5String")
                if qid == _USER_NOTICE:
                    _check_user_notice(value, q[1])
    return out


def _check_user_notice(buf: bytes, item) -> None:
    """USERNOTICE: SEQUENCE { NoticeReference OPTIONAL, DisplayText OPTIONAL }."""
    if item[0] != 0x30:
        raise X509Error("bad UserNotice")
    parts = _items(buf, item[1], item[2])
    if parts and parts[0][0] == 0x30:
        ref = _items(buf, parts[0][1], parts[0][2])
        if len(ref) != 2 or ref[0][0] not in _DISPLAY_TEXT_TAGS or ref[1][0] != 0x30:
            raise X509Error("bad NoticeReference")
        for n in _items(buf, ref[1][1], ref[1][2]):
            _integer(buf, n)
        parts = parts[1:]
    if parts and parts[0][0] in _DISPLAY_TEXT_TAGS:
        parts = parts[1:]
    if parts:
        raise X509Error("bad UserNotice")


def _decode_octet_string(value: bytes) -> bytes:
    t = _tlv(value, 0, len(value))
    if t[0] & 0xDF != 0x04:
        raise X509Error("not an OCTET STRING")
    return _collect(value, (t[0], t[1], t[2], 0))


def _decode_aki(value: bytes) -> bytes | None:
    """AUTHORITY_KEYID: SEQUENCE { [0] keyIdentifier OPT, [1] GeneralNames OPT, [2] serial INTEGER OPT }."""
    s, e = _decode_sequence_of(value)
    keyid = None
    expected = [0x80, 0xA1, 0x82]
    for item in _items(value, s, e):
        if item[0] == 0xA0:  # a constructed keyIdentifier
            item = (0x80,) + item[1:]
            if not expected or expected[0] != 0x80:
                raise X509Error("bad AuthorityKeyIdentifier")
            expected.pop(0)
            keyid = _collect(value, (0xA0,) + item[1:])
            continue
        while expected and item[0] != expected[0]:
            expected.pop(0)
        if not expected:
            raise X509Error("bad AuthorityKeyIdentifier")
        tag = expected.pop(0)
        if tag == 0x80:
            keyid = value[item[1] : item[2]]
        elif tag == 0xA1:
            _general_names(value, item[1], item[2])
        else:
            _integer(value, item, 0x82)
    return keyid


def _decode_basic_constraints(value: bytes) -> tuple[bool, int | None]:
    s, e = _decode_sequence_of(value)
    parts = _items(value, s, e)
    ca = False
    path_len = None
    if parts and parts[0][0] == 0x01:
        ca = _boolean(value, parts[0])
        parts = parts[1:]
    if parts and parts[0][0] == 0x02:
        path_len = _integer(value, parts[0])
        parts = parts[1:]
    if parts:
        raise X509Error("bad basicConstraints")
    return ca, path_len


def _decode_old_basic_constraints(value: bytes) -> tuple[int, int | None]:
    """The draft's SEQUENCE { subjectType BIT STRING OPT, pathLen INTEGER OPT }: (subject type bits, pathLen)."""
    s, e = _decode_sequence_of(value)
    parts = _items(value, s, e)
    bits = 0
    path_len = None
    if parts and parts[0][0] == 0x03:
        data = _bit_string(value, parts[0])
        bits = (data[0] if data else 0) | ((data[1] << 8) if len(data) > 1 else 0)
        parts = parts[1:]
    if parts and parts[0][0] == 0x02:
        path_len = _integer(value, parts[0])
        parts = parts[1:]
    if parts:
        raise X509Error("bad old basicConstraints")
    return bits, path_len


def _decode_key_usage(value: bytes) -> int:
    """libx509pq's reading of keyUsage: data[0] | data[1] << 8."""
    t = _tlv(value, 0, len(value))
    data = _bit_string(value, (t[0], t[1], t[2], 0))
    return (data[0] if data else 0) | ((data[1] << 8) if len(data) > 1 else 0)


_KU_KEY_CERT_SIGN = 0x04
_CERT_CA_SUBJECT_FLAG = 0x80


def _asn1_integer_get(v: int) -> int:
    """ASN1_INTEGER_get (long; -1 when it does not fit) stored into a C int."""
    if not -(1 << 63) <= v < (1 << 63):
        v = -1
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


# --------------------------------------------------------------------------------------------------------------------
# Public keys: x509_publicKey is OpenSSL's re-encoding of the key it decoded (i2d_PUBKEY), NULL for a key it cannot
# decode

_RSA = "1.2.840.113549.1.1.1"
_RSA_PSS = "1.2.840.113549.1.1.10"
_EC = "1.2.840.10045.2.1"
_DSA = "1.2.840.10040.4.1"
_KEEP_AS_IS = {
    "1.3.101.110", "1.3.101.111", "1.3.101.112", "1.3.101.113",  # X25519, X448, Ed25519, Ed448
    "1.2.840.113549.1.3.1", "1.2.840.10046.2.1",  # DH, X9.42 DH
}
# the named curves OpenSSL 3.0 knows (`openssl ecparam -list_curves`)
_EC_CURVES = frozenset({
    "1.2.156.10197.1.301", "1.2.840.10045.3.0.1", "1.2.840.10045.3.0.10", "1.2.840.10045.3.0.11",
    "1.2.840.10045.3.0.12", "1.2.840.10045.3.0.13", "1.2.840.10045.3.0.16", "1.2.840.10045.3.0.17",
    "1.2.840.10045.3.0.18", "1.2.840.10045.3.0.19", "1.2.840.10045.3.0.2", "1.2.840.10045.3.0.20",
    "1.2.840.10045.3.0.3", "1.2.840.10045.3.0.4", "1.2.840.10045.3.0.5", "1.2.840.10045.3.0.6",
    "1.2.840.10045.3.0.7", "1.2.840.10045.3.1.1", "1.2.840.10045.3.1.2", "1.2.840.10045.3.1.3",
    "1.2.840.10045.3.1.4", "1.2.840.10045.3.1.5", "1.2.840.10045.3.1.6", "1.2.840.10045.3.1.7", "1.3.132.0.1",
    "1.3.132.0.10", "1.3.132.0.15", "1.3.132.0.16", "1.3.132.0.17", "1.3.132.0.2", "1.3.132.0.22", "1.3.132.0.23",
    "1.3.132.0.24", "1.3.132.0.25", "1.3.132.0.26", "1.3.132.0.27", "1.3.132.0.28", "1.3.132.0.29", "1.3.132.0.3",
    "1.3.132.0.30", "1.3.132.0.31", "1.3.132.0.32", "1.3.132.0.33", "1.3.132.0.34", "1.3.132.0.35", "1.3.132.0.36",
    "1.3.132.0.37", "1.3.132.0.38", "1.3.132.0.39", "1.3.132.0.4", "1.3.132.0.5", "1.3.132.0.6", "1.3.132.0.7",
    "1.3.132.0.8", "1.3.132.0.9", "1.3.36.3.3.2.8.1.1.1", "1.3.36.3.3.2.8.1.1.10", "1.3.36.3.3.2.8.1.1.11",
    "1.3.36.3.3.2.8.1.1.12", "1.3.36.3.3.2.8.1.1.13", "1.3.36.3.3.2.8.1.1.14", "1.3.36.3.3.2.8.1.1.2",
    "1.3.36.3.3.2.8.1.1.3", "1.3.36.3.3.2.8.1.1.4", "1.3.36.3.3.2.8.1.1.5", "1.3.36.3.3.2.8.1.1.6",
    "1.3.36.3.3.2.8.1.1.7", "1.3.36.3.3.2.8.1.1.8", "1.3.36.3.3.2.8.1.1.9", "2.23.43.1.4.1", "2.23.43.1.4.10",
    "2.23.43.1.4.11", "2.23.43.1.4.12", "2.23.43.1.4.3", "2.23.43.1.4.4", "2.23.43.1.4.5", "2.23.43.1.4.6",
    "2.23.43.1.4.7", "2.23.43.1.4.8", "2.23.43.1.4.9",
})


def _der_tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(body)]) + body + content


# (p, a, b) of the prime curves (SEC 2, RFC 5639) whose points are checked as OpenSSL's EC_POINT_oct2point does
_PRIME_CURVES = {
    "1.2.840.10045.3.1.1": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC, 0x64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1),  # prime192v1
    "1.3.132.0.33": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFE, 0xB4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4),  # secp224r1
    "1.2.840.10045.3.1.7": (0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF, 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC, 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B),  # prime256v1
    "1.3.132.0.34": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC, 0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF),  # secp384r1
    "1.3.132.0.35": (0x1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF, 0x1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC, 0x51953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00),  # secp521r1
    "1.3.132.0.10": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F, 0x0, 0x7),  # secp256k1
    "1.3.36.3.3.2.8.1.1.7": (0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377, 0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9, 0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6),  # brainpoolP256r1
    "1.3.36.3.3.2.8.1.1.11": (0x8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53, 0x7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826, 0x4A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11),  # brainpoolP384r1
    "1.3.36.3.3.2.8.1.1.13": (0xAADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3, 0x7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA, 0x3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723),  # brainpoolP512r1
    "1.3.36.3.3.2.8.1.1.5": (0xD7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF, 0x68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43, 0x2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B),  # brainpoolP224r1
    "1.3.36.3.3.2.8.1.1.9": (0xD35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27, 0x3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4, 0x520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6),  # brainpoolP320r1
    "1.3.36.3.3.2.8.1.1.1": (0xE95E4A5F737059DC60DFC7AD95B3D8139515620F, 0x340E7BE2A280EB74E2BE61BADA745D97E8F7C300, 0x1E589A8595423412134FAA2DBDEC95C8D8675E58),  # brainpoolP160r1
    "1.3.36.3.3.2.8.1.1.3": (0xC302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297, 0x6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF, 0x469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9),  # brainpoolP192r1
    "1.3.132.0.31": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFEE37, 0x0, 0x3),  # secp192k1
    "1.3.132.0.32": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFE56D, 0x0, 0x5),  # secp224k1
    "1.3.132.0.8": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7FFFFFFF, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7FFFFFFC, 0x1C97BEFC54BD7A8B65ACF89F81D4D4ADC565FA45),  # secp160r1
    "1.3.132.0.9": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFAC73, 0x0, 0x7),  # secp160k1
    "1.3.132.0.30": (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFAC73, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFAC70, 0xB4E134D3FB59EB8BAB57274904664D5AF50388BA),  # secp160r2
}


def _ec_point_ok(curve: str, point: bytes) -> bool:
    """Would EC_POINT_oct2point accept this encoded point? (on the curve, coordinates below p, right length, the
    parity bit of a hybrid point right); points of curves not listed are accepted as they are."""
    if not point or point[0] not in (0, 2, 3, 4, 6, 7):
        return False
    if curve not in _PRIME_CURVES:
        return True
    p, a, b = _PRIME_CURVES[curve]
    n = (p.bit_length() + 7) // 8
    form = point[0] & ~1
    if point[0] == 0:
        return len(point) == 1
    if form == 2:
        if len(point) != 1 + n:
            return False
        x = int.from_bytes(point[1:], "big")
        if x >= p:
            return False
        rhs = (x * x * x + a * x + b) % p
        return pow(rhs, (p - 1) // 2, p) == 1 if rhs else not point[0] & 1
    if len(point) != 1 + 2 * n:
        return False
    x = int.from_bytes(point[1 : 1 + n], "big")
    y = int.from_bytes(point[1 + n :], "big")
    if x >= p or y >= p or (form == 6 and (y & 1) != (point[0] & 1)):
        return False
    return (y * y - x * x * x - a * x - b) % p == 0


def _der_unsigned(content: bytes) -> bytes:
    """An INTEGER TLV for the unsigned big-endian number ``content`` (BIGNUM → DER: minimal, positive)."""
    v = int.from_bytes(content, "big")
    n = v.bit_length() // 8 + 1  # room for a leading zero octet when the high bit is set
    return _der_tlv(0x02, v.to_bytes(n, "big"))


def _public_key(buf: bytes, spki) -> bytes | None:
    parts = _items(buf, spki[1], spki[2])
    alg = _items(buf, parts[0][1], parts[0][2])
    oid = _oid(buf, alg[0])
    key = _bit_string(buf, parts[1])
    der_spki = _der_tlv(0x30, _der_algorithm(buf, parts[0]) + _der_bit_string(buf, parts[1]))
    try:
        if oid in (_RSA, _RSA_PSS):
            if oid == _RSA_PSS and len(alg) == 2 and alg[1][0] != 0x30:
                return None  # RSASSA-PSS parameters must be a SEQUENCE when present
            t = _tlv(key, 0, len(key))
            ints = _items(key, t[1], t[2]) if t[0] == 0x30 else ()
            if len(ints) != 2 or any(i[0] != 0x02 for i in ints):
                return None
            # the modulus and exponent are read as unsigned BIGNUMs and written back minimal and positive
            rsa = _der_tlv(0x30, b"".join(_der_unsigned(key[i[1] : i[2]]) for i in ints))
            algorithm = (bytes.fromhex("300d06092a864886f70d0101010500") if oid == _RSA
                         else buf[parts[0][3] : _tlv_end(buf, parts[0])])
            return _der_tlv(0x30, algorithm + _der_tlv(0x03, b"\x00" + rsa))
        if oid == _EC:
            if len(alg) != 2 or alg[1][0] != 0x06:
                return der_spki if len(alg) == 2 and alg[1][0] == 0x30 else None
            curve = _oid(buf, alg[1])
            if curve not in _EC_CURVES or not _ec_point_ok(curve, key):
                return None
            return der_spki
        if oid == _DSA:
            t = _tlv(key, 0, len(key))
            _integer(key, (t[0], t[1], t[2], 0))
            return der_spki
        if oid in _KEEP_AS_IS:
            return der_spki
    except X509Error:
        return None
    return None


# --------------------------------------------------------------------------------------------------------------------
# The certificate


def _version(buf: bytes, item) -> int:
    """The version field: [0] EXPLICIT INTEGER."""
    inner = _items(buf, item[1], item[2])
    if len(inner) != 1:
        raise X509Error("bad version")
    return _integer(buf, inner[0])


def _extension(buf: bytes, ext) -> tuple[str, bool, bytes]:
    """One Extension: (OID, critical, the value's octets)."""
    parts = _items(buf, ext[1], ext[2]) if ext[0] == 0x30 else ()
    if not 2 <= len(parts) <= 3:
        raise X509Error("bad Extension")
    oid = _oid(buf, parts[0])
    critical = _boolean(buf, parts[1]) if len(parts) == 3 else False
    if parts[-1][0] & 0xDF != 0x04:
        raise X509Error("extension value is not an OCTET STRING")
    return oid, critical, _collect(buf, parts[-1])


class Certificate:
    """One certificate decoded as OpenSSL's d2i_X509 decodes it; X509Error where that would fail."""

    __slots__ = ("der", "tbs", "fields", "version", "serial", "issuer", "subject", "validity", "spki",
                 "extensions", "signature", "_cache")

    def __init__(self, der):
        if not isinstance(der, (bytes, bytearray, memoryview)):
            raise X509Error("not bytes")
        der = bytes(der)
        tag, s, e, stop = _tlv(der, 0, len(der))
        if tag != 0x30:
            raise X509Error("not a SEQUENCE")
        if stop != len(der):  # like d2i_X509, bytes after the certificate are ignored
            der = der[:stop]
        self.der = der
        self._cache = {}
        not_der = _NOT_DER[0]
        top = _items(der, s, e)
        if len(top) != 3 or top[0][0] != 0x30:
            raise X509Error("not a Certificate")
        self.tbs = top[0]
        _memo("alg", der[top[1][3] : top[1][2]], _check_algorithm, der, top[1])
        self.signature = _bit_string(der, top[2])
        fields = _items(der, top[0][1], top[0][2])
        i = 0
        self.version = 0  # X509_get_version: 0 = v1, 2 = v3
        if fields and fields[0][0] == 0xA0:
            self._cache["version_item"] = fields[0]
            self.version = _memo("version", der[fields[0][3] : fields[0][2]], _version, der, fields[0])
            i = 1
        if len(fields) < i + 6:
            raise X509Error("TBSCertificate too short")
        self.fields = fields[i:]  # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, …
        serial = fields[i]
        _integer(der, serial)
        self.serial = der[serial[1] : serial[2]]
        alg = fields[i + 1]
        _memo("alg", der[alg[3] : alg[2]], _check_algorithm, der, alg)
        issuer = fields[i + 2]
        self.issuer = _memo("name", der[issuer[3] : issuer[2]], Name, der, issuer)
        validity = fields[i + 3]
        times = _items(der, validity[1], validity[2]) if validity[0] == 0x30 else ()
        if len(times) != 2 or any(t[0] not in (0x17, 0x18) for t in times):
            raise X509Error("bad Validity")
        self.validity = [(t[0], der[t[1] : t[2]]) for t in times]
        self.subject = Name(der, fields[i + 4])
        spki = fields[i + 5]
        parts = _items(der, spki[1], spki[2]) if spki[0] == 0x30 else ()
        if len(parts) != 2:
            raise X509Error("bad SubjectPublicKeyInfo")
        _memo("alg", der[parts[0][3] : parts[0][2]], _check_algorithm, der, parts[0])
        _bit_string(der, parts[1])
        self.spki = spki
        self.extensions: list[tuple[str, bool, bytes, int, int]] = []  # (OID, critical, value, TLV start, end)
        rest = fields[i + 6 :]
        for tag in (0x81, 0x82):
            if rest and rest[0][0] == tag:
                _bit_string(der, rest[0], tag)
                rest = rest[1:]
        if rest and rest[0][0] == 0xA3:
            inner = _items(der, rest[0][1], rest[0][2])
            if len(inner) != 1 or inner[0][0] != 0x30:
                raise X509Error("bad extensions")
            for ext in _items(der, inner[0][1], inner[0][2]):
                self.extensions.append((*_memo("ext", der[ext[3] : ext[2]], _extension, der, ext), ext[3],
                                        _tlv_end(der, ext)))
            self._cache["ext_field"] = rest[0]
            rest = rest[1:]
        if rest:
            raise X509Error("unexpected TBSCertificate field")
        self._cache["der_lengths"] = _NOT_DER[0] == not_der

    def raw(self, item) -> bytes:
        """The encoding of one TLV of ``fields`` (e.g. ``raw(fields[5])``: the SubjectPublicKeyInfo as written)."""
        return self.der[item[3] : _tlv_end(self.der, item)]

    # -- extensions as X509_get_ext_d2i sees them ----------------------------------------------------------------
    def extension(self, oid: str):
        """The first extension with this OID (X509_get_ext_by_OBJ), or None."""
        for ext in self.extensions:
            if ext[0] == oid:
                return ext
        return None

    def decoded(self, oid: str, decoder):
        """X509_get_ext_d2i: None when the extension is absent, present more than once, or does not decode."""
        key = ("d2i", oid)
        if key in self._cache:
            return self._cache[key]
        found = [ext for ext in self.extensions if ext[0] == oid]
        result = None
        if len(found) == 1:
            try:
                result = (decoder(found[0][2]) if decoder is _decode_general_names  # different in every certificate
                          else _memo(decoder.__name__, found[0][2], decoder, found[0][2]))
            except (X509Error, IndexError):
                result = None
        self._cache[key] = result
        return result

    # -- the functions ------------------------------------------------------------------------------------------
    def subject_name(self, flags: int | None = None) -> str:
        return format_name(None, self.subject, flags)

    def issuer_name(self, flags: int | None = None) -> str:
        return format_name(None, self.issuer, flags)

    def common_name(self) -> str | None:
        """The first CN; NULL without one, or for a CN OpenSSL cannot convert to UTF-8 (libx509pq crashes there)."""
        for _index, oid, tag, data, _der in self.subject.entries:
            if oid == "2.5.4.3":
                return _to_utf8(tag, data) if tag in _CHAR_WIDTH else None
        return None

    def name_attributes(self, attr: str | None, is_subject: bool | None, values: bool | None = True) -> list[str]:
        nid = -1 if attr is None else obj_txt2nid(attr)
        if nid == 0:
            return [UNSUPPORTED_ATTRIBUTE]
        out = []
        for _index, oid, tag, data, _der in (self.subject if is_subject else self.issuer).entries:
            if nid != -1 and obj_nid(oid) != nid:
                continue
            if not values:
                out.append(_obj_buffer(oid))
            elif tag in _CHAR_WIDTH:
                out.append(_to_utf8(tag, data))
            # else: libx509pq crashes the server (ASN1_STRING_to_UTF8 fails and it returns a NULL pointer);
            # the value is left out, as the other calls on that certificate suggest (docs/crtsh.md)
        return out

    def not_before(self) -> _dt.datetime | None:
        return _time(*self.validity[0])

    def not_after(self) -> _dt.datetime | None:
        return _time(*self.validity[1])

    def serial_number(self) -> bytes | None:
        return self.serial if len(self.serial) <= 127 else None

    def public_key(self) -> bytes | None:
        if "spk" not in self._cache:
            self._cache["spk"] = _public_key(self.der, self.spki)
        return self._cache["spk"]

    def has_extension(self, oid: str, is_critical: bool | None = None) -> bool:
        wanted = _obj_txt2obj(oid)
        ext = None if wanted is None else self.extension(wanted)
        if ext is None:
            return False
        return is_critical is None or ext[1] == bool(is_critical)

    def _basic(self):
        return self.decoded(BASIC_CONSTRAINTS, _decode_basic_constraints)

    def _is_root_sgc(self) -> bool:
        return (len(self.signature) == 256
                and _hashlib.sha256(self.signature).hexdigest() == _ROOT_SGC_SIGNATURE_SHA256)

    def can_issue_certs(self) -> bool:
        """libx509pq's rule (not OpenSSL's X509_check_ca): v1/v2 → self-issued (canonical name comparison);
        basicConstraints cA, else the draft basicConstraints' CA subject type, else the Root SGC Authority; then a
        keyUsage that decodes and lacks keyCertSign makes it false."""
        if self.version < 2:
            return self.subject.canonical() == self.issuer.canonical()
        bc = self._basic()
        if bc is not None:
            ok = bc[0]
        elif self.extension(OLD_BASIC_CONSTRAINTS) is not None:
            try:
                ok = bool(_decode_old_basic_constraints(self.extension(OLD_BASIC_CONSTRAINTS)[2])[0]
                          & _CERT_CA_SUBJECT_FLAG)
            except (X509Error, IndexError):
                ok = False
        else:
            ok = self._is_root_sgc()
        if ok:
            ku = self.decoded(KEY_USAGE, _decode_key_usage)
            if ku is not None and not ku & _KU_KEY_CERT_SIGN:
                return False
        return ok

    def path_len_constraint(self) -> int | None:
        """NULL = no limit (v1/v2, a CA without pathLen, the Root SGC Authority); -3 not a CA; -4 v3 without
        basicConstraints; -1 when the draft basicConstraints does not decode."""
        if self.version < 2:
            return None
        bc = self._basic()
        if bc is not None:
            if not bc[0]:
                return -3
            return None if bc[1] is None else _asn1_integer_get(bc[1])
        old = self.extension(OLD_BASIC_CONSTRAINTS)
        if old is not None:
            try:
                bits, path_len = _decode_old_basic_constraints(old[2])
            except (X509Error, IndexError):
                return -1
            if not bits & _CERT_CA_SUBJECT_FLAG:
                return -3
            return None if path_len is None else _asn1_integer_get(path_len)
        return None if self._is_root_sgc() else -4

    def alt_names(self, name_type: int | None = None, is_subject_alt_name: bool | None = True,
                  values: bool | None = True) -> list[str]:
        if name_type is not None and name_type not in (1, 2, 4, 6, 7):
            return [UNSUPPORTED_GENERAL_NAME]
        names = self.decoded(SUBJECT_ALT_NAME if is_subject_alt_name else ISSUER_ALT_NAME, _decode_general_names)
        out = []
        for kind, value in names or ():
            if name_type is not None and kind != name_type:
                continue
            if not values:
                if kind == 0:
                    out.append(_obj_buffer(value))
            elif kind in (1, 2, 6):
                out.append(_to_utf8(22, value))
            elif kind == 4:
                out.append(format_name(None, value).split("\x00")[0])
            elif kind == 7 and len(value) == 4:
                out.append("%d.%d.%d.%d" % tuple(value))
            elif kind == 7 and len(value) == 16:
                out.append("".join(":%X" % int.from_bytes(value[i : i + 2], "big") for i in range(0, 16, 2)))
        return out

    def cert_policies(self) -> list[str]:
        return [_obj_buffer(p) for p in self.decoded(CERTIFICATE_POLICIES, _decode_policies) or ()]

    def ext_key_usages(self, numeric: bool | None = True) -> list[str]:
        ekus = self.decoded(EXTENDED_KEY_USAGE, _decode_eku) or ()
        return [_obj_buffer(o if numeric else obj_long_name(o)) for o in ekus]

    def is_eku_permitted(self, oid: str) -> bool:
        if oid == ANY_EKU:
            return True
        ekus = self.decoded(EXTENDED_KEY_USAGE, _decode_eku)
        if ekus is None:
            return True
        return any(_obj_buffer(e) in (oid, ANY_EKU) for e in ekus)

    def subject_key_identifier(self) -> bytes | None:
        return self.decoded(SUBJECT_KEY_IDENTIFIER, _decode_octet_string)

    def authority_key_id(self) -> bytes | None:
        return self.decoded(AUTHORITY_KEY_IDENTIFIER, _decode_aki)

    def tbscert_strip_ct_ext(self) -> bytes:
        """The TBSCertificate re-encoded by OpenSSL (i2d_re_X509_tbs) after deleting the first SCT-list and the first
        poison extension: definite lengths throughout; with neither extension, the bytes as they were (re-encoded)."""
        d = self.der
        drop = set()
        for oid in (CT_SCT_LIST, CT_POISON):
            for n, ext in enumerate(self.extensions):
                if ext[0] == oid:
                    drop.add(n)
                    break
        tbs = self.tbs
        ext_field = self._cache.get("ext_field")
        if self._cache["der_lengths"]:  # re-encoding gives the same bytes: splice the kept extensions
            if ext_field is None or not drop:
                return d[tbs[3] : tbs[2]]
            kept = b"".join(d[e[3] : e[4]] for n, e in enumerate(self.extensions) if n not in drop)
            new_ext = _der_tlv(0xA3, _der_tlv(0x30, kept)) if kept else b""
            return _der_tlv(0x30, d[tbs[1] : ext_field[3]] + new_ext + d[ext_field[2] : tbs[2]])
        return self._der_tbs(drop)

    def _der_tbs(self, drop: set) -> bytes:
        """i2d_re_X509_tbs: every field DER-encoded from what was decoded; Names and SEQUENCE parameters are written
        as they were read (OpenSSL keeps their encoding)."""
        d = self.der
        f = self.fields
        out = []
        version = self._cache.get("version_item")
        if version is not None:
            inner = _items(d, version[1], version[2])[0]
            out.append(_der_tlv(0xA0, _der_tlv(0x02, d[inner[1] : inner[2]])))
        out.append(_der_tlv(0x02, self.serial))
        out.append(_der_algorithm(d, f[1]))
        out.append(d[f[2][3] : _tlv_end(d, f[2])])
        out.append(_der_tlv(0x30, b"".join(_der_tlv(tag, text) for tag, text in self.validity)))
        out.append(d[f[4][3] : _tlv_end(d, f[4])])
        spki = _items(d, f[5][1], f[5][2])
        out.append(_der_tlv(0x30, _der_algorithm(d, spki[0]) + _der_bit_string(d, spki[1])))
        for item in f[6:]:
            if item[0] in (0x81, 0x82):
                out.append(_der_bit_string(d, item, item[0]))
        if self._cache.get("ext_field") is not None:
            exts = []
            for n, ext in enumerate(self.extensions):
                if n in drop:
                    continue
                parts = _items(d, ext[3], ext[4])
                parts = _items(d, parts[0][1], parts[0][2])
                body = _der_tlv(0x06, d[parts[0][1] : parts[0][2]])
                if len(parts) == 3:
                    body += _der_tlv(0x01, d[parts[1][1] : parts[1][2]])
                exts.append(_der_tlv(0x30, body + _der_tlv(0x04, ext[2])))
            if exts or not drop:
                out.append(_der_tlv(0xA3, _der_tlv(0x30, b"".join(exts))))
        return _der_tlv(0x30, b"".join(out))


def _time(tag: int, text: bytes) -> _dt.datetime | None:
    """libx509pq's own Time parser: YYMMDDHHMM (UTCTime, YY < 50 → 20YY) or YYYYMMDDHHMM (GeneralizedTime) digits,
    month 1–12, seconds when two more digits follow (else 0); the rest (fractions, zone offsets) is ignored, and
    out-of-range days, hours, minutes and seconds roll over (timegm). None when it does not parse."""
    n = 10 if tag == 0x17 else 12
    if len(text) < n or not text[:n].isdigit():  # bytes.isdigit: ASCII digits only
        return None
    if tag == 0x17:
        year = (text[0] - 48) * 10 + text[1] - 48
        year += 2000 if year < 50 else 1900
    else:
        year = int(text[:4])
    o = n - 8
    month = (text[o] - 48) * 10 + text[o + 1] - 48
    day = (text[o + 2] - 48) * 10 + text[o + 3] - 48
    hour = (text[o + 4] - 48) * 10 + text[o + 5] - 48
    minute = (text[o + 6] - 48) * 10 + text[o + 7] - 48
    if not 1 <= month <= 12:
        return None
    tail = text[n : n + 2]
    second = (tail[0] - 48) * 10 + tail[1] - 48 if len(tail) == 2 and tail.isdigit() else 0
    try:
        return _dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        pass
    try:
        return _dt.datetime(year, month, 1) + _dt.timedelta(days=day - 1, hours=hour, minutes=minute,
                                                            seconds=second)
    except (ValueError, OverflowError):
        return None


_LAST: list = [None]  # (bytes, Certificate or X509Error) of the last parse, swapped in one assignment


def parse(der) -> Certificate:
    """Decode once (the last certificate is cached: SQL calls one function after another on the same bytes)."""
    last = _LAST[0]
    if last is not None and (der is last[0] or der == last[0]):
        cert = last[1]
    else:
        try:
            cert = Certificate(der)
        except X509Error as exc:
            cert = exc
        except (IndexError, ValueError) as exc:
            cert = X509Error(str(exc))
        _LAST[0] = (der, cert)
    if isinstance(cert, X509Error):
        raise cert.with_traceback(None)
    return cert


# --------------------------------------------------------------------------------------------------------------------
# The SQL functions: crt.sh's name → (method, value for a NULL certificate, value for one OpenSSL cannot decode)

_SETOF = object()
FUNCTIONS = {
    "x509_subjectName": ("subject_name", None, ERROR_TEXT),
    "x509_issuerName": ("issuer_name", None, ERROR_TEXT),
    "x509_commonName": ("common_name", None, ERROR_TEXT),
    "x509_nameAttributes": ("name_attributes", _SETOF, _SETOF),
    "x509_altNames": ("alt_names", _SETOF, _SETOF),
    "x509_notBefore": ("not_before", None, None),
    "x509_notAfter": ("not_after", None, None),
    "x509_serialNumber": ("serial_number", None, None),
    "x509_publicKey": ("public_key", None, None),
    "x509_hasExtension": ("has_extension", None, None),
    "x509_canIssueCerts": ("can_issue_certs", None, False),
    "x509_getPathLenConstraint": ("path_len_constraint", -2, -1),
    "x509_certPolicies": ("cert_policies", _SETOF, _SETOF),
    "x509_extKeyUsages": ("ext_key_usages", _SETOF, _SETOF),
    "x509_isEKUPermitted": ("is_eku_permitted", None, False),
    "x509_subjectKeyIdentifier": ("subject_key_identifier", None, None),
    "x509_authorityKeyId": ("authority_key_id", None, None),
    "x509_tbscert_strip_ct_ext": ("tbscert_strip_ct_ext", None, None),
}


def call(function: str, der, *args):
    """``function(der, *args)`` with libx509pq's semantics: NULL arguments, error values, the 'Unsupported …' rows.
    SETOF functions return a list."""
    method, on_null, on_error = FUNCTIONS[function]
    if function == "x509_nameAttributes":
        args = (args[0], bool(args[1]), args[2] if len(args) > 2 else True)
        if args[0] is not None and obj_txt2nid(args[0]) == 0:
            return [UNSUPPORTED_ATTRIBUTE]
    elif function == "x509_altNames":
        args = tuple(args) + (None, True, True)[len(args):]
        if args[0] is not None and args[0] not in (1, 2, 4, 6, 7):
            return [UNSUPPORTED_GENERAL_NAME]
    elif function == "x509_isEKUPermitted" and args[0] is None:
        return None
    elif function == "x509_hasExtension" and args[0] is None:
        return None
    if der is None:
        return [] if on_null is _SETOF else on_null
    try:
        cert = parse(der)
    except X509Error:
        return [] if on_error is _SETOF else on_error
    return getattr(cert, method)(*args)


# Per-function helpers (each raises X509Error for a certificate OpenSSL cannot decode)
def subject_name(der, flags: int | None = None) -> str:
    return parse(der).subject_name(flags)


def issuer_name(der, flags: int | None = None) -> str:
    return parse(der).issuer_name(flags)


def common_name(der) -> str | None:
    return parse(der).common_name()


def name_attributes(der, attr: str | None, is_subject: bool | None, values: bool | None = True) -> list[str]:
    return parse(der).name_attributes(attr, is_subject, values)


def alt_names(der, name_type: int | None = None, is_subject_alt_name: bool | None = True,
              values: bool | None = True) -> list[str]:
    return parse(der).alt_names(name_type, is_subject_alt_name, values)


def not_before(der) -> _dt.datetime | None:
    return parse(der).not_before()


def not_after(der) -> _dt.datetime | None:
    return parse(der).not_after()


def serial_number(der) -> bytes | None:
    return parse(der).serial_number()


def public_key(der) -> bytes | None:
    return parse(der).public_key()


def has_extension(der, oid: str, is_critical: bool | None = None) -> bool:
    return parse(der).has_extension(oid, is_critical)


def can_issue_certs(der) -> bool:
    return parse(der).can_issue_certs()


def path_len_constraint(der) -> int | None:
    return parse(der).path_len_constraint()


def cert_policies(der) -> list[str]:
    return parse(der).cert_policies()


def ext_key_usages(der, numeric: bool | None = True) -> list[str]:
    return parse(der).ext_key_usages(numeric)


def is_eku_permitted(der, oid: str) -> bool:
    return parse(der).is_eku_permitted(oid)


def subject_key_identifier(der) -> bytes | None:
    return parse(der).subject_key_identifier()


def authority_key_id(der) -> bytes | None:
    return parse(der).authority_key_id()


def tbscert_strip_ct_ext(der) -> bytes:
    return parse(der).tbscert_strip_ct_ext()


def sha256_hex(data: bytes) -> str:
    return _hashlib.sha256(data).hexdigest().upper()


# --------------------------------------------------------------------------------------------------------------------
# OpenSSL 3.0's object table (crypto/objects/objects.txt via obj_mac.h): dotted OID, short name, long name, in NID
# order ("-" = no OID). Made by tests/fixtures/x509/make_openssl_objects.py; the last line is the object libx509pq
# registers itself (OBJ_create) for the draft basicConstraints.
_OPENSSL_OBJECTS = """
1.2.840.113549	rsadsi	RSA Data Security, Inc.
1.2.840.113549.1	pkcs	RSA Data Security, Inc. PKCS
1.2.840.113549.2.2	MD2	md2
1.2.840.113549.2.5	MD5	md5
1.2.840.113549.3.4	RC4	rc4
1.2.840.113549.1.1.1	rsaEncryption	rsaEncryption
1.2.840.113549.1.1.2	RSA-MD2	md2WithRSAEncryption
1.2.840.113549.1.1.4	RSA-MD5	md5WithRSAEncryption
1.2.840.113549.1.5.1	PBE-MD2-DES	pbeWithMD2AndDES-CBC
1.2.840.113549.1.5.3	PBE-MD5-DES	pbeWithMD5AndDES-CBC
2.5	X500	directory services (X.500)
2.5.4	X509	X509
2.5.4.3	CN	commonName
2.5.4.6	C	countryName
2.5.4.7	L	localityName
2.5.4.8	ST	stateOrProvinceName
2.5.4.10	O	organizationName
2.5.4.11	OU	organizationalUnitName
2.5.8.1.1	RSA	rsa
1.2.840.113549.1.7	pkcs7	pkcs7
1.2.840.113549.1.7.1	pkcs7-data	pkcs7-data
1.2.840.113549.1.7.2	pkcs7-signedData	pkcs7-signedData
1.2.840.113549.1.7.3	pkcs7-envelopedData	pkcs7-envelopedData
1.2.840.113549.1.7.4	pkcs7-signedAndEnvelopedData	pkcs7-signedAndEnvelopedData
1.2.840.113549.1.7.5	pkcs7-digestData	pkcs7-digestData
1.2.840.113549.1.7.6	pkcs7-encryptedData	pkcs7-encryptedData
1.2.840.113549.1.3	pkcs3	pkcs3
1.2.840.113549.1.3.1	dhKeyAgreement	dhKeyAgreement
1.3.14.3.2.6	DES-ECB	des-ecb
1.3.14.3.2.9	DES-CFB	des-cfb
1.3.14.3.2.7	DES-CBC	des-cbc
1.3.14.3.2.17	DES-EDE	des-ede
-	DES-EDE3	des-ede3
1.3.6.1.4.1.188.7.1.1.2	IDEA-CBC	idea-cbc
-	IDEA-CFB	idea-cfb
-	IDEA-ECB	idea-ecb
1.2.840.113549.3.2	RC2-CBC	rc2-cbc
-	RC2-ECB	rc2-ecb
-	RC2-CFB	rc2-cfb
-	RC2-OFB	rc2-ofb
1.3.14.3.2.18	SHA	sha
1.3.14.3.2.15	RSA-SHA	shaWithRSAEncryption
-	DES-EDE-CBC	des-ede-cbc
1.2.840.113549.3.7	DES-EDE3-CBC	des-ede3-cbc
1.3.14.3.2.8	DES-OFB	des-ofb
-	IDEA-OFB	idea-ofb
1.2.840.113549.1.9	pkcs9	pkcs9
1.2.840.113549.1.9.1	emailAddress	emailAddress
1.2.840.113549.1.9.2	unstructuredName	unstructuredName
1.2.840.113549.1.9.3	contentType	contentType
1.2.840.113549.1.9.4	messageDigest	messageDigest
1.2.840.113549.1.9.5	signingTime	signingTime
1.2.840.113549.1.9.6	countersignature	countersignature
1.2.840.113549.1.9.7	challengePassword	challengePassword
1.2.840.113549.1.9.8	unstructuredAddress	unstructuredAddress
1.2.840.113549.1.9.9	extendedCertificateAttributes	extendedCertificateAttributes
2.16.840.1.113730	Netscape	Netscape Communications Corp.
2.16.840.1.113730.1	nsCertExt	Netscape Certificate Extension
2.16.840.1.113730.2	nsDataType	Netscape Data Type
-	DES-EDE-CFB	des-ede-cfb
-	DES-EDE3-CFB	des-ede3-cfb
-	DES-EDE-OFB	des-ede-ofb
-	DES-EDE3-OFB	des-ede3-ofb
1.3.14.3.2.26	SHA1	sha1
1.2.840.113549.1.1.5	RSA-SHA1	sha1WithRSAEncryption
1.3.14.3.2.13	DSA-SHA	dsaWithSHA
1.3.14.3.2.12	DSA-old	dsaEncryption-old
1.2.840.113549.1.5.11	PBE-SHA1-RC2-64	pbeWithSHA1AndRC2-CBC
1.2.840.113549.1.5.12	PBKDF2	PBKDF2
1.3.14.3.2.27	DSA-SHA1-old	dsaWithSHA1-old
2.16.840.1.113730.1.1	nsCertType	Netscape Cert Type
2.16.840.1.113730.1.2	nsBaseUrl	Netscape Base Url
2.16.840.1.113730.1.3	nsRevocationUrl	Netscape Revocation Url
2.16.840.1.113730.1.4	nsCaRevocationUrl	Netscape CA Revocation Url
2.16.840.1.113730.1.7	nsRenewalUrl	Netscape Renewal Url
2.16.840.1.113730.1.8	nsCaPolicyUrl	Netscape CA Policy Url
2.16.840.1.113730.1.12	nsSslServerName	Netscape SSL Server Name
2.16.840.1.113730.1.13	nsComment	Netscape Comment
2.16.840.1.113730.2.5	nsCertSequence	Netscape Certificate Sequence
-	DESX-CBC	desx-cbc
2.5.29	id-ce	id-ce
2.5.29.14	subjectKeyIdentifier	X509v3 Subject Key Identifier
2.5.29.15	keyUsage	X509v3 Key Usage
2.5.29.16	privateKeyUsagePeriod	X509v3 Private Key Usage Period
2.5.29.17	subjectAltName	X509v3 Subject Alternative Name
2.5.29.18	issuerAltName	X509v3 Issuer Alternative Name
2.5.29.19	basicConstraints	X509v3 Basic Constraints
2.5.29.20	crlNumber	X509v3 CRL Number
2.5.29.32	certificatePolicies	X509v3 Certificate Policies
2.5.29.35	authorityKeyIdentifier	X509v3 Authority Key Identifier
1.3.6.1.4.1.3029.1.2	BF-CBC	bf-cbc
-	BF-ECB	bf-ecb
-	BF-CFB	bf-cfb
-	BF-OFB	bf-ofb
2.5.8.3.101	MDC2	mdc2
2.5.8.3.100	RSA-MDC2	mdc2WithRSA
-	RC4-40	rc4-40
-	RC2-40-CBC	rc2-40-cbc
2.5.4.42	GN	givenName
2.5.4.4	SN	surname
2.5.4.43	initials	initials
0.9.2342.19200300.100.1.44	uid	uniqueIdentifier
2.5.29.31	crlDistributionPoints	X509v3 CRL Distribution Points
1.3.14.3.2.3	RSA-NP-MD5	md5WithRSA
2.5.4.5	serialNumber	serialNumber
2.5.4.12	title	title
2.5.4.13	description	description
1.2.840.113533.7.66.10	CAST5-CBC	cast5-cbc
-	CAST5-ECB	cast5-ecb
-	CAST5-CFB	cast5-cfb
-	CAST5-OFB	cast5-ofb
1.2.840.113533.7.66.12	pbeWithMD5AndCast5CBC	pbeWithMD5AndCast5CBC
1.2.840.10040.4.3	DSA-SHA1	dsaWithSHA1
-	MD5-SHA1	md5-sha1
1.3.14.3.2.29	RSA-SHA1-2	sha1WithRSA
1.2.840.10040.4.1	DSA	dsaEncryption
1.3.36.3.2.1	RIPEMD160	ripemd160
1.3.36.3.3.1.2	RSA-RIPEMD160	ripemd160WithRSA
1.2.840.113549.3.8	RC5-CBC	rc5-cbc
-	RC5-ECB	rc5-ecb
-	RC5-CFB	rc5-cfb
-	RC5-OFB	rc5-ofb
1.2.840.113549.1.9.16.3.8	ZLIB	zlib compression
2.5.29.37	extendedKeyUsage	X509v3 Extended Key Usage
1.3.6.1.5.5.7	PKIX	PKIX
1.3.6.1.5.5.7.3	id-kp	id-kp
1.3.6.1.5.5.7.3.1	serverAuth	TLS Web Server Authentication
1.3.6.1.5.5.7.3.2	clientAuth	TLS Web Client Authentication
1.3.6.1.5.5.7.3.3	codeSigning	Code Signing
1.3.6.1.5.5.7.3.4	emailProtection	E-mail Protection
1.3.6.1.5.5.7.3.8	timeStamping	Time Stamping
1.3.6.1.4.1.311.2.1.21	msCodeInd	Microsoft Individual Code Signing
1.3.6.1.4.1.311.2.1.22	msCodeCom	Microsoft Commercial Code Signing
1.3.6.1.4.1.311.10.3.1	msCTLSign	Microsoft Trust List Signing
1.3.6.1.4.1.311.10.3.3	msSGC	Microsoft Server Gated Crypto
1.3.6.1.4.1.311.10.3.4	msEFS	Microsoft Encrypted File System
2.16.840.1.113730.4.1	nsSGC	Netscape Server Gated Crypto
2.5.29.27	deltaCRL	X509v3 Delta CRL Indicator
2.5.29.21	CRLReason	X509v3 CRL Reason Code
2.5.29.24	invalidityDate	Invalidity Date
1.3.101.1.4.1	SXNetID	Strong Extranet ID
1.2.840.113549.1.12.1.1	PBE-SHA1-RC4-128	pbeWithSHA1And128BitRC4
1.2.840.113549.1.12.1.2	PBE-SHA1-RC4-40	pbeWithSHA1And40BitRC4
1.2.840.113549.1.12.1.3	PBE-SHA1-3DES	pbeWithSHA1And3-KeyTripleDES-CBC
1.2.840.113549.1.12.1.4	PBE-SHA1-2DES	pbeWithSHA1And2-KeyTripleDES-CBC
1.2.840.113549.1.12.1.5	PBE-SHA1-RC2-128	pbeWithSHA1And128BitRC2-CBC
1.2.840.113549.1.12.1.6	PBE-SHA1-RC2-40	pbeWithSHA1And40BitRC2-CBC
1.2.840.113549.1.12.10.1.1	keyBag	keyBag
1.2.840.113549.1.12.10.1.2	pkcs8ShroudedKeyBag	pkcs8ShroudedKeyBag
1.2.840.113549.1.12.10.1.3	certBag	certBag
1.2.840.113549.1.12.10.1.4	crlBag	crlBag
1.2.840.113549.1.12.10.1.5	secretBag	secretBag
1.2.840.113549.1.12.10.1.6	safeContentsBag	safeContentsBag
1.2.840.113549.1.9.20	friendlyName	friendlyName
1.2.840.113549.1.9.21	localKeyID	localKeyID
1.2.840.113549.1.9.22.1	x509Certificate	x509Certificate
1.2.840.113549.1.9.22.2	sdsiCertificate	sdsiCertificate
1.2.840.113549.1.9.23.1	x509Crl	x509Crl
1.2.840.113549.1.5.13	PBES2	PBES2
1.2.840.113549.1.5.14	PBMAC1	PBMAC1
1.2.840.113549.2.7	hmacWithSHA1	hmacWithSHA1
1.3.6.1.5.5.7.2.1	id-qt-cps	Policy Qualifier CPS
1.3.6.1.5.5.7.2.2	id-qt-unotice	Policy Qualifier User Notice
-	RC2-64-CBC	rc2-64-cbc
1.2.840.113549.1.9.15	SMIME-CAPS	S/MIME Capabilities
1.2.840.113549.1.5.4	PBE-MD2-RC2-64	pbeWithMD2AndRC2-CBC
1.2.840.113549.1.5.6	PBE-MD5-RC2-64	pbeWithMD5AndRC2-CBC
1.2.840.113549.1.5.10	PBE-SHA1-DES	pbeWithSHA1AndDES-CBC
1.3.6.1.4.1.311.2.1.14	msExtReq	Microsoft Extension Request
1.2.840.113549.1.9.14	extReq	Extension Request
2.5.4.41	name	name
2.5.4.46	dnQualifier	dnQualifier
1.3.6.1.5.5.7.1	id-pe	id-pe
1.3.6.1.5.5.7.48	id-ad	id-ad
1.3.6.1.5.5.7.1.1	authorityInfoAccess	Authority Information Access
1.3.6.1.5.5.7.48.1	OCSP	OCSP
1.3.6.1.5.5.7.48.2	caIssuers	CA Issuers
1.3.6.1.5.5.7.3.9	OCSPSigning	OCSP Signing
1	ISO	iso
1.2	member-body	ISO Member Body
1.2.840	ISO-US	ISO US Member Body
1.2.840.10040	X9-57	X9.57
1.2.840.10040.4	X9cm	X9.57 CM ?
1.2.840.113549.1.1	pkcs1	pkcs1
1.2.840.113549.1.5	pkcs5	pkcs5
1.2.840.113549.1.9.16	SMIME	S/MIME
1.2.840.113549.1.9.16.0	id-smime-mod	id-smime-mod
1.2.840.113549.1.9.16.1	id-smime-ct	id-smime-ct
1.2.840.113549.1.9.16.2	id-smime-aa	id-smime-aa
1.2.840.113549.1.9.16.3	id-smime-alg	id-smime-alg
1.2.840.113549.1.9.16.4	id-smime-cd	id-smime-cd
1.2.840.113549.1.9.16.5	id-smime-spq	id-smime-spq
1.2.840.113549.1.9.16.6	id-smime-cti	id-smime-cti
1.2.840.113549.1.9.16.0.1	id-smime-mod-cms	id-smime-mod-cms
1.2.840.113549.1.9.16.0.2	id-smime-mod-ess	id-smime-mod-ess
1.2.840.113549.1.9.16.0.3	id-smime-mod-oid	id-smime-mod-oid
1.2.840.113549.1.9.16.0.4	id-smime-mod-msg-v3	id-smime-mod-msg-v3
1.2.840.113549.1.9.16.0.5	id-smime-mod-ets-eSignature-88	id-smime-mod-ets-eSignature-88
1.2.840.113549.1.9.16.0.6	id-smime-mod-ets-eSignature-97	id-smime-mod-ets-eSignature-97
1.2.840.113549.1.9.16.0.7	id-smime-mod-ets-eSigPolicy-88	id-smime-mod-ets-eSigPolicy-88
1.2.840.113549.1.9.16.0.8	id-smime-mod-ets-eSigPolicy-97	id-smime-mod-ets-eSigPolicy-97
1.2.840.113549.1.9.16.1.1	id-smime-ct-receipt	id-smime-ct-receipt
1.2.840.113549.1.9.16.1.2	id-smime-ct-authData	id-smime-ct-authData
1.2.840.113549.1.9.16.1.3	id-smime-ct-publishCert	id-smime-ct-publishCert
1.2.840.113549.1.9.16.1.4	id-smime-ct-TSTInfo	id-smime-ct-TSTInfo
1.2.840.113549.1.9.16.1.5	id-smime-ct-TDTInfo	id-smime-ct-TDTInfo
1.2.840.113549.1.9.16.1.6	id-smime-ct-contentInfo	id-smime-ct-contentInfo
1.2.840.113549.1.9.16.1.7	id-smime-ct-DVCSRequestData	id-smime-ct-DVCSRequestData
1.2.840.113549.1.9.16.1.8	id-smime-ct-DVCSResponseData	id-smime-ct-DVCSResponseData
1.2.840.113549.1.9.16.2.1	id-smime-aa-receiptRequest	id-smime-aa-receiptRequest
1.2.840.113549.1.9.16.2.2	id-smime-aa-securityLabel	id-smime-aa-securityLabel
1.2.840.113549.1.9.16.2.3	id-smime-aa-mlExpandHistory	id-smime-aa-mlExpandHistory
1.2.840.113549.1.9.16.2.4	id-smime-aa-contentHint	id-smime-aa-contentHint
1.2.840.113549.1.9.16.2.5	id-smime-aa-msgSigDigest	id-smime-aa-msgSigDigest
1.2.840.113549.1.9.16.2.6	id-smime-aa-encapContentType	id-smime-aa-encapContentType
1.2.840.113549.1.9.16.2.7	id-smime-aa-contentIdentifier	id-smime-aa-contentIdentifier
1.2.840.113549.1.9.16.2.8	id-smime-aa-macValue	id-smime-aa-macValue
1.2.840.113549.1.9.16.2.9	id-smime-aa-equivalentLabels	id-smime-aa-equivalentLabels
1.2.840.113549.1.9.16.2.10	id-smime-aa-contentReference	id-smime-aa-contentReference
1.2.840.113549.1.9.16.2.11	id-smime-aa-encrypKeyPref	id-smime-aa-encrypKeyPref
1.2.840.113549.1.9.16.2.12	id-smime-aa-signingCertificate	id-smime-aa-signingCertificate
1.2.840.113549.1.9.16.2.13	id-smime-aa-smimeEncryptCerts	id-smime-aa-smimeEncryptCerts
1.2.840.113549.1.9.16.2.14	id-smime-aa-timeStampToken	id-smime-aa-timeStampToken
1.2.840.113549.1.9.16.2.15	id-smime-aa-ets-sigPolicyId	id-smime-aa-ets-sigPolicyId
1.2.840.113549.1.9.16.2.16	id-smime-aa-ets-commitmentType	id-smime-aa-ets-commitmentType
1.2.840.113549.1.9.16.2.17	id-smime-aa-ets-signerLocation	id-smime-aa-ets-signerLocation
1.2.840.113549.1.9.16.2.18	id-smime-aa-ets-signerAttr	id-smime-aa-ets-signerAttr
1.2.840.113549.1.9.16.2.19	id-smime-aa-ets-otherSigCert	id-smime-aa-ets-otherSigCert
1.2.840.113549.1.9.16.2.20	id-smime-aa-ets-contentTimestamp	id-smime-aa-ets-contentTimestamp
1.2.840.113549.1.9.16.2.21	id-smime-aa-ets-CertificateRefs	id-smime-aa-ets-CertificateRefs
1.2.840.113549.1.9.16.2.22	id-smime-aa-ets-RevocationRefs	id-smime-aa-ets-RevocationRefs
1.2.840.113549.1.9.16.2.23	id-smime-aa-ets-certValues	id-smime-aa-ets-certValues
1.2.840.113549.1.9.16.2.24	id-smime-aa-ets-revocationValues	id-smime-aa-ets-revocationValues
1.2.840.113549.1.9.16.2.25	id-smime-aa-ets-escTimeStamp	id-smime-aa-ets-escTimeStamp
1.2.840.113549.1.9.16.2.26	id-smime-aa-ets-certCRLTimestamp	id-smime-aa-ets-certCRLTimestamp
1.2.840.113549.1.9.16.2.27	id-smime-aa-ets-archiveTimeStamp	id-smime-aa-ets-archiveTimeStamp
1.2.840.113549.1.9.16.2.28	id-smime-aa-signatureType	id-smime-aa-signatureType
1.2.840.113549.1.9.16.2.29	id-smime-aa-dvcs-dvc	id-smime-aa-dvcs-dvc
1.2.840.113549.1.9.16.3.1	id-smime-alg-ESDHwith3DES	id-smime-alg-ESDHwith3DES
1.2.840.113549.1.9.16.3.2	id-smime-alg-ESDHwithRC2	id-smime-alg-ESDHwithRC2
1.2.840.113549.1.9.16.3.3	id-smime-alg-3DESwrap	id-smime-alg-3DESwrap
1.2.840.113549.1.9.16.3.4	id-smime-alg-RC2wrap	id-smime-alg-RC2wrap
1.2.840.113549.1.9.16.3.5	id-smime-alg-ESDH	id-smime-alg-ESDH
1.2.840.113549.1.9.16.3.6	id-smime-alg-CMS3DESwrap	id-smime-alg-CMS3DESwrap
1.2.840.113549.1.9.16.3.7	id-smime-alg-CMSRC2wrap	id-smime-alg-CMSRC2wrap
1.2.840.113549.1.9.16.4.1	id-smime-cd-ldap	id-smime-cd-ldap
1.2.840.113549.1.9.16.5.1	id-smime-spq-ets-sqt-uri	id-smime-spq-ets-sqt-uri
1.2.840.113549.1.9.16.5.2	id-smime-spq-ets-sqt-unotice	id-smime-spq-ets-sqt-unotice
1.2.840.113549.1.9.16.6.1	id-smime-cti-ets-proofOfOrigin	id-smime-cti-ets-proofOfOrigin
1.2.840.113549.1.9.16.6.2	id-smime-cti-ets-proofOfReceipt	id-smime-cti-ets-proofOfReceipt
1.2.840.113549.1.9.16.6.3	id-smime-cti-ets-proofOfDelivery	id-smime-cti-ets-proofOfDelivery
1.2.840.113549.1.9.16.6.4	id-smime-cti-ets-proofOfSender	id-smime-cti-ets-proofOfSender
1.2.840.113549.1.9.16.6.5	id-smime-cti-ets-proofOfApproval	id-smime-cti-ets-proofOfApproval
1.2.840.113549.1.9.16.6.6	id-smime-cti-ets-proofOfCreation	id-smime-cti-ets-proofOfCreation
1.2.840.113549.2.4	MD4	md4
1.3.6.1.5.5.7.0	id-pkix-mod	id-pkix-mod
1.3.6.1.5.5.7.2	id-qt	id-qt
1.3.6.1.5.5.7.4	id-it	id-it
1.3.6.1.5.5.7.5	id-pkip	id-pkip
1.3.6.1.5.5.7.6	id-alg	id-alg
1.3.6.1.5.5.7.7	id-cmc	id-cmc
1.3.6.1.5.5.7.8	id-on	id-on
1.3.6.1.5.5.7.9	id-pda	id-pda
1.3.6.1.5.5.7.10	id-aca	id-aca
1.3.6.1.5.5.7.11	id-qcs	id-qcs
1.3.6.1.5.5.7.12	id-cct	id-cct
1.3.6.1.5.5.7.0.1	id-pkix1-explicit-88	id-pkix1-explicit-88
1.3.6.1.5.5.7.0.2	id-pkix1-implicit-88	id-pkix1-implicit-88
1.3.6.1.5.5.7.0.3	id-pkix1-explicit-93	id-pkix1-explicit-93
1.3.6.1.5.5.7.0.4	id-pkix1-implicit-93	id-pkix1-implicit-93
1.3.6.1.5.5.7.0.5	id-mod-crmf	id-mod-crmf
1.3.6.1.5.5.7.0.6	id-mod-cmc	id-mod-cmc
1.3.6.1.5.5.7.0.7	id-mod-kea-profile-88	id-mod-kea-profile-88
1.3.6.1.5.5.7.0.8	id-mod-kea-profile-93	id-mod-kea-profile-93
1.3.6.1.5.5.7.0.9	id-mod-cmp	id-mod-cmp
1.3.6.1.5.5.7.0.10	id-mod-qualified-cert-88	id-mod-qualified-cert-88
1.3.6.1.5.5.7.0.11	id-mod-qualified-cert-93	id-mod-qualified-cert-93
1.3.6.1.5.5.7.0.12	id-mod-attribute-cert	id-mod-attribute-cert
1.3.6.1.5.5.7.0.13	id-mod-timestamp-protocol	id-mod-timestamp-protocol
1.3.6.1.5.5.7.0.14	id-mod-ocsp	id-mod-ocsp
1.3.6.1.5.5.7.0.15	id-mod-dvcs	id-mod-dvcs
1.3.6.1.5.5.7.0.16	id-mod-cmp2000	id-mod-cmp2000
1.3.6.1.5.5.7.1.2	biometricInfo	Biometric Info
1.3.6.1.5.5.7.1.3	qcStatements	qcStatements
1.3.6.1.5.5.7.1.4	ac-auditEntity	ac-auditEntity
1.3.6.1.5.5.7.1.5	ac-targeting	ac-targeting
1.3.6.1.5.5.7.1.6	aaControls	aaControls
1.3.6.1.5.5.7.1.7	sbgp-ipAddrBlock	sbgp-ipAddrBlock
1.3.6.1.5.5.7.1.8	sbgp-autonomousSysNum	sbgp-autonomousSysNum
1.3.6.1.5.5.7.1.9	sbgp-routerIdentifier	sbgp-routerIdentifier
1.3.6.1.5.5.7.2.3	textNotice	textNotice
1.3.6.1.5.5.7.3.5	ipsecEndSystem	IPSec End System
1.3.6.1.5.5.7.3.6	ipsecTunnel	IPSec Tunnel
1.3.6.1.5.5.7.3.7	ipsecUser	IPSec User
1.3.6.1.5.5.7.3.10	DVCS	dvcs
1.3.6.1.5.5.7.4.1	id-it-caProtEncCert	id-it-caProtEncCert
1.3.6.1.5.5.7.4.2	id-it-signKeyPairTypes	id-it-signKeyPairTypes
1.3.6.1.5.5.7.4.3	id-it-encKeyPairTypes	id-it-encKeyPairTypes
1.3.6.1.5.5.7.4.4	id-it-preferredSymmAlg	id-it-preferredSymmAlg
1.3.6.1.5.5.7.4.5	id-it-caKeyUpdateInfo	id-it-caKeyUpdateInfo
1.3.6.1.5.5.7.4.6	id-it-currentCRL	id-it-currentCRL
1.3.6.1.5.5.7.4.7	id-it-unsupportedOIDs	id-it-unsupportedOIDs
1.3.6.1.5.5.7.4.8	id-it-subscriptionRequest	id-it-subscriptionRequest
1.3.6.1.5.5.7.4.9	id-it-subscriptionResponse	id-it-subscriptionResponse
1.3.6.1.5.5.7.4.10	id-it-keyPairParamReq	id-it-keyPairParamReq
1.3.6.1.5.5.7.4.11	id-it-keyPairParamRep	id-it-keyPairParamRep
1.3.6.1.5.5.7.4.12	id-it-revPassphrase	id-it-revPassphrase
1.3.6.1.5.5.7.4.13	id-it-implicitConfirm	id-it-implicitConfirm
1.3.6.1.5.5.7.4.14	id-it-confirmWaitTime	id-it-confirmWaitTime
1.3.6.1.5.5.7.4.15	id-it-origPKIMessage	id-it-origPKIMessage
1.3.6.1.5.5.7.5.1	id-regCtrl	id-regCtrl
1.3.6.1.5.5.7.5.2	id-regInfo	id-regInfo
1.3.6.1.5.5.7.5.1.1	id-regCtrl-regToken	id-regCtrl-regToken
1.3.6.1.5.5.7.5.1.2	id-regCtrl-authenticator	id-regCtrl-authenticator
1.3.6.1.5.5.7.5.1.3	id-regCtrl-pkiPublicationInfo	id-regCtrl-pkiPublicationInfo
1.3.6.1.5.5.7.5.1.4	id-regCtrl-pkiArchiveOptions	id-regCtrl-pkiArchiveOptions
1.3.6.1.5.5.7.5.1.5	id-regCtrl-oldCertID	id-regCtrl-oldCertID
1.3.6.1.5.5.7.5.1.6	id-regCtrl-protocolEncrKey	id-regCtrl-protocolEncrKey
1.3.6.1.5.5.7.5.2.1	id-regInfo-utf8Pairs	id-regInfo-utf8Pairs
1.3.6.1.5.5.7.5.2.2	id-regInfo-certReq	id-regInfo-certReq
1.3.6.1.5.5.7.6.1	id-alg-des40	id-alg-des40
1.3.6.1.5.5.7.6.2	id-alg-noSignature	id-alg-noSignature
1.3.6.1.5.5.7.6.3	id-alg-dh-sig-hmac-sha1	id-alg-dh-sig-hmac-sha1
1.3.6.1.5.5.7.6.4	id-alg-dh-pop	id-alg-dh-pop
1.3.6.1.5.5.7.7.1	id-cmc-statusInfo	id-cmc-statusInfo
1.3.6.1.5.5.7.7.2	id-cmc-identification	id-cmc-identification
1.3.6.1.5.5.7.7.3	id-cmc-identityProof	id-cmc-identityProof
1.3.6.1.5.5.7.7.4	id-cmc-dataReturn	id-cmc-dataReturn
1.3.6.1.5.5.7.7.5	id-cmc-transactionId	id-cmc-transactionId
1.3.6.1.5.5.7.7.6	id-cmc-senderNonce	id-cmc-senderNonce
1.3.6.1.5.5.7.7.7	id-cmc-recipientNonce	id-cmc-recipientNonce
1.3.6.1.5.5.7.7.8	id-cmc-addExtensions	id-cmc-addExtensions
1.3.6.1.5.5.7.7.9	id-cmc-encryptedPOP	id-cmc-encryptedPOP
1.3.6.1.5.5.7.7.10	id-cmc-decryptedPOP	id-cmc-decryptedPOP
1.3.6.1.5.5.7.7.11	id-cmc-lraPOPWitness	id-cmc-lraPOPWitness
1.3.6.1.5.5.7.7.15	id-cmc-getCert	id-cmc-getCert
1.3.6.1.5.5.7.7.16	id-cmc-getCRL	id-cmc-getCRL
1.3.6.1.5.5.7.7.17	id-cmc-revokeRequest	id-cmc-revokeRequest
1.3.6.1.5.5.7.7.18	id-cmc-regInfo	id-cmc-regInfo
1.3.6.1.5.5.7.7.19	id-cmc-responseInfo	id-cmc-responseInfo
1.3.6.1.5.5.7.7.21	id-cmc-queryPending	id-cmc-queryPending
1.3.6.1.5.5.7.7.22	id-cmc-popLinkRandom	id-cmc-popLinkRandom
1.3.6.1.5.5.7.7.23	id-cmc-popLinkWitness	id-cmc-popLinkWitness
1.3.6.1.5.5.7.7.24	id-cmc-confirmCertAcceptance	id-cmc-confirmCertAcceptance
1.3.6.1.5.5.7.8.1	id-on-personalData	id-on-personalData
1.3.6.1.5.5.7.9.1	id-pda-dateOfBirth	id-pda-dateOfBirth
1.3.6.1.5.5.7.9.2	id-pda-placeOfBirth	id-pda-placeOfBirth
1.3.6.1.5.5.7.9.3	id-pda-gender	id-pda-gender
1.3.6.1.5.5.7.9.4	id-pda-countryOfCitizenship	id-pda-countryOfCitizenship
1.3.6.1.5.5.7.9.5	id-pda-countryOfResidence	id-pda-countryOfResidence
1.3.6.1.5.5.7.10.1	id-aca-authenticationInfo	id-aca-authenticationInfo
1.3.6.1.5.5.7.10.2	id-aca-accessIdentity	id-aca-accessIdentity
1.3.6.1.5.5.7.10.3	id-aca-chargingIdentity	id-aca-chargingIdentity
1.3.6.1.5.5.7.10.4	id-aca-group	id-aca-group
1.3.6.1.5.5.7.10.5	id-aca-role	id-aca-role
1.3.6.1.5.5.7.11.1	id-qcs-pkixQCSyntax-v1	id-qcs-pkixQCSyntax-v1
1.3.6.1.5.5.7.12.1	id-cct-crs	id-cct-crs
1.3.6.1.5.5.7.12.2	id-cct-PKIData	id-cct-PKIData
1.3.6.1.5.5.7.12.3	id-cct-PKIResponse	id-cct-PKIResponse
1.3.6.1.5.5.7.48.3	ad_timestamping	AD Time Stamping
1.3.6.1.5.5.7.48.4	AD_DVCS	ad dvcs
1.3.6.1.5.5.7.48.1.1	basicOCSPResponse	Basic OCSP Response
1.3.6.1.5.5.7.48.1.2	Nonce	OCSP Nonce
1.3.6.1.5.5.7.48.1.3	CrlID	OCSP CRL ID
1.3.6.1.5.5.7.48.1.4	acceptableResponses	Acceptable OCSP Responses
1.3.6.1.5.5.7.48.1.5	noCheck	OCSP No Check
1.3.6.1.5.5.7.48.1.6	archiveCutoff	OCSP Archive Cutoff
1.3.6.1.5.5.7.48.1.7	serviceLocator	OCSP Service Locator
1.3.6.1.5.5.7.48.1.8	extendedStatus	Extended OCSP Status
1.3.6.1.5.5.7.48.1.9	valid	valid
1.3.6.1.5.5.7.48.1.10	path	path
1.3.6.1.5.5.7.48.1.11	trustRoot	Trust Root
1.3.14.3.2	algorithm	algorithm
1.3.14.3.2.11	rsaSignature	rsaSignature
2.5.8	X500algorithms	directory services - algorithms
1.3	ORG	org
1.3.6	DOD	dod
1.3.6.1	IANA	iana
1.3.6.1.1	directory	Directory
1.3.6.1.2	mgmt	Management
1.3.6.1.3	experimental	Experimental
1.3.6.1.4	private	Private
1.3.6.1.5	security	Security
1.3.6.1.6	snmpv2	SNMPv2
1.3.6.1.7	Mail	Mail
1.3.6.1.4.1	enterprises	Enterprises
1.3.6.1.4.1.1466.344	dcobject	dcObject
0.9.2342.19200300.100.1.25	DC	domainComponent
0.9.2342.19200300.100.4.13	domain	Domain
2		
2.5.1.5	selected-attribute-types	Selected Attribute Types
2.5.1.5.55	clearance	clearance
1.2.840.113549.1.1.3	RSA-MD4	md4WithRSAEncryption
1.3.6.1.5.5.7.1.10	ac-proxying	ac-proxying
1.3.6.1.5.5.7.1.11	subjectInfoAccess	Subject Information Access
1.3.6.1.5.5.7.10.6	id-aca-encAttrs	id-aca-encAttrs
2.5.4.72	role	role
2.5.29.36	policyConstraints	X509v3 Policy Constraints
2.5.29.55	targetInformation	X509v3 AC Targeting
2.5.29.56	noRevAvail	X509v3 No Revocation Available
1.2.840.10045	ansi-X9-62	ANSI X9.62
1.2.840.10045.1.1	prime-field	prime-field
1.2.840.10045.1.2	characteristic-two-field	characteristic-two-field
1.2.840.10045.2.1	id-ecPublicKey	id-ecPublicKey
1.2.840.10045.3.1.1	prime192v1	prime192v1
1.2.840.10045.3.1.2	prime192v2	prime192v2
1.2.840.10045.3.1.3	prime192v3	prime192v3
1.2.840.10045.3.1.4	prime239v1	prime239v1
1.2.840.10045.3.1.5	prime239v2	prime239v2
1.2.840.10045.3.1.6	prime239v3	prime239v3
1.2.840.10045.3.1.7	prime256v1	prime256v1
1.2.840.10045.4.1	ecdsa-with-SHA1	ecdsa-with-SHA1
1.3.6.1.4.1.311.17.1	CSPName	Microsoft CSP Name
2.16.840.1.101.3.4.1.1	AES-128-ECB	aes-128-ecb
2.16.840.1.101.3.4.1.2	AES-128-CBC	aes-128-cbc
2.16.840.1.101.3.4.1.3	AES-128-OFB	aes-128-ofb
2.16.840.1.101.3.4.1.4	AES-128-CFB	aes-128-cfb
2.16.840.1.101.3.4.1.21	AES-192-ECB	aes-192-ecb
2.16.840.1.101.3.4.1.22	AES-192-CBC	aes-192-cbc
2.16.840.1.101.3.4.1.23	AES-192-OFB	aes-192-ofb
2.16.840.1.101.3.4.1.24	AES-192-CFB	aes-192-cfb
2.16.840.1.101.3.4.1.41	AES-256-ECB	aes-256-ecb
2.16.840.1.101.3.4.1.42	AES-256-CBC	aes-256-cbc
2.16.840.1.101.3.4.1.43	AES-256-OFB	aes-256-ofb
2.16.840.1.101.3.4.1.44	AES-256-CFB	aes-256-cfb
2.5.29.23	holdInstructionCode	Hold Instruction Code
1.2.840.10040.2.1	holdInstructionNone	Hold Instruction None
1.2.840.10040.2.2	holdInstructionCallIssuer	Hold Instruction Call Issuer
1.2.840.10040.2.3	holdInstructionReject	Hold Instruction Reject
0.9	data	data
0.9.2342	pss	pss
0.9.2342.19200300	ucl	ucl
0.9.2342.19200300.100	pilot	pilot
0.9.2342.19200300.100.1	pilotAttributeType	pilotAttributeType
0.9.2342.19200300.100.3	pilotAttributeSyntax	pilotAttributeSyntax
0.9.2342.19200300.100.4	pilotObjectClass	pilotObjectClass
0.9.2342.19200300.100.10	pilotGroups	pilotGroups
0.9.2342.19200300.100.3.4	iA5StringSyntax	iA5StringSyntax
0.9.2342.19200300.100.3.5	caseIgnoreIA5StringSyntax	caseIgnoreIA5StringSyntax
0.9.2342.19200300.100.4.3	pilotObject	pilotObject
0.9.2342.19200300.100.4.4	pilotPerson	pilotPerson
0.9.2342.19200300.100.4.5	account	account
0.9.2342.19200300.100.4.6	document	document
0.9.2342.19200300.100.4.7	room	room
0.9.2342.19200300.100.4.9	documentSeries	documentSeries
0.9.2342.19200300.100.4.14	rFC822localPart	rFC822localPart
0.9.2342.19200300.100.4.15	dNSDomain	dNSDomain
0.9.2342.19200300.100.4.17	domainRelatedObject	domainRelatedObject
0.9.2342.19200300.100.4.18	friendlyCountry	friendlyCountry
0.9.2342.19200300.100.4.19	simpleSecurityObject	simpleSecurityObject
0.9.2342.19200300.100.4.20	pilotOrganization	pilotOrganization
0.9.2342.19200300.100.4.21	pilotDSA	pilotDSA
0.9.2342.19200300.100.4.22	qualityLabelledData	qualityLabelledData
0.9.2342.19200300.100.1.1	UID	userId
0.9.2342.19200300.100.1.2	textEncodedORAddress	textEncodedORAddress
0.9.2342.19200300.100.1.3	mail	rfc822Mailbox
0.9.2342.19200300.100.1.4	info	info
0.9.2342.19200300.100.1.5	favouriteDrink	favouriteDrink
0.9.2342.19200300.100.1.6	roomNumber	roomNumber
0.9.2342.19200300.100.1.7	photo	photo
0.9.2342.19200300.100.1.8	userClass	userClass
0.9.2342.19200300.100.1.9	host	host
0.9.2342.19200300.100.1.10	manager	manager
0.9.2342.19200300.100.1.11	documentIdentifier	documentIdentifier
0.9.2342.19200300.100.1.12	documentTitle	documentTitle
0.9.2342.19200300.100.1.13	documentVersion	documentVersion
0.9.2342.19200300.100.1.14	documentAuthor	documentAuthor
0.9.2342.19200300.100.1.15	documentLocation	documentLocation
0.9.2342.19200300.100.1.20	homeTelephoneNumber	homeTelephoneNumber
0.9.2342.19200300.100.1.21	secretary	secretary
0.9.2342.19200300.100.1.22	otherMailbox	otherMailbox
0.9.2342.19200300.100.1.23	lastModifiedTime	lastModifiedTime
0.9.2342.19200300.100.1.24	lastModifiedBy	lastModifiedBy
0.9.2342.19200300.100.1.26	aRecord	aRecord
0.9.2342.19200300.100.1.27	pilotAttributeType27	pilotAttributeType27
0.9.2342.19200300.100.1.28	mXRecord	mXRecord
0.9.2342.19200300.100.1.29	nSRecord	nSRecord
0.9.2342.19200300.100.1.30	sOARecord	sOARecord
0.9.2342.19200300.100.1.31	cNAMERecord	cNAMERecord
0.9.2342.19200300.100.1.37	associatedDomain	associatedDomain
0.9.2342.19200300.100.1.38	associatedName	associatedName
0.9.2342.19200300.100.1.39	homePostalAddress	homePostalAddress
0.9.2342.19200300.100.1.40	personalTitle	personalTitle
0.9.2342.19200300.100.1.41	mobileTelephoneNumber	mobileTelephoneNumber
0.9.2342.19200300.100.1.42	pagerTelephoneNumber	pagerTelephoneNumber
0.9.2342.19200300.100.1.43	friendlyCountryName	friendlyCountryName
0.9.2342.19200300.100.1.45	organizationalStatus	organizationalStatus
0.9.2342.19200300.100.1.46	janetMailbox	janetMailbox
0.9.2342.19200300.100.1.47	mailPreferenceOption	mailPreferenceOption
0.9.2342.19200300.100.1.48	buildingName	buildingName
0.9.2342.19200300.100.1.49	dSAQuality	dSAQuality
0.9.2342.19200300.100.1.50	singleLevelQuality	singleLevelQuality
0.9.2342.19200300.100.1.51	subtreeMinimumQuality	subtreeMinimumQuality
0.9.2342.19200300.100.1.52	subtreeMaximumQuality	subtreeMaximumQuality
0.9.2342.19200300.100.1.53	personalSignature	personalSignature
0.9.2342.19200300.100.1.54	dITRedirect	dITRedirect
0.9.2342.19200300.100.1.55	audio	audio
0.9.2342.19200300.100.1.56	documentPublisher	documentPublisher
2.5.4.45	x500UniqueIdentifier	x500UniqueIdentifier
1.3.6.1.7.1	mime-mhs	MIME MHS
1.3.6.1.7.1.1	mime-mhs-headings	mime-mhs-headings
1.3.6.1.7.1.2	mime-mhs-bodies	mime-mhs-bodies
1.3.6.1.7.1.1.1	id-hex-partial-message	id-hex-partial-message
1.3.6.1.7.1.1.2	id-hex-multipart-message	id-hex-multipart-message
2.5.4.44	generationQualifier	generationQualifier
2.5.4.65	pseudonym	pseudonym
2.23.42	id-set	Secure Electronic Transactions
2.23.42.0	set-ctype	content types
2.23.42.1	set-msgExt	message extensions
2.23.42.3	set-attr	set-attr
2.23.42.5	set-policy	set-policy
2.23.42.7	set-certExt	certificate extensions
2.23.42.8	set-brand	set-brand
2.23.42.0.0	setct-PANData	setct-PANData
2.23.42.0.1	setct-PANToken	setct-PANToken
2.23.42.0.2	setct-PANOnly	setct-PANOnly
2.23.42.0.3	setct-OIData	setct-OIData
2.23.42.0.4	setct-PI	setct-PI
2.23.42.0.5	setct-PIData	setct-PIData
2.23.42.0.6	setct-PIDataUnsigned	setct-PIDataUnsigned
2.23.42.0.7	setct-HODInput	setct-HODInput
2.23.42.0.8	setct-AuthResBaggage	setct-AuthResBaggage
2.23.42.0.9	setct-AuthRevReqBaggage	setct-AuthRevReqBaggage
2.23.42.0.10	setct-AuthRevResBaggage	setct-AuthRevResBaggage
2.23.42.0.11	setct-CapTokenSeq	setct-CapTokenSeq
2.23.42.0.12	setct-PInitResData	setct-PInitResData
2.23.42.0.13	setct-PI-TBS	setct-PI-TBS
2.23.42.0.14	setct-PResData	setct-PResData
2.23.42.0.16	setct-AuthReqTBS	setct-AuthReqTBS
2.23.42.0.17	setct-AuthResTBS	setct-AuthResTBS
2.23.42.0.18	setct-AuthResTBSX	setct-AuthResTBSX
2.23.42.0.19	setct-AuthTokenTBS	setct-AuthTokenTBS
2.23.42.0.20	setct-CapTokenData	setct-CapTokenData
2.23.42.0.21	setct-CapTokenTBS	setct-CapTokenTBS
2.23.42.0.22	setct-AcqCardCodeMsg	setct-AcqCardCodeMsg
2.23.42.0.23	setct-AuthRevReqTBS	setct-AuthRevReqTBS
2.23.42.0.24	setct-AuthRevResData	setct-AuthRevResData
2.23.42.0.25	setct-AuthRevResTBS	setct-AuthRevResTBS
2.23.42.0.26	setct-CapReqTBS	setct-CapReqTBS
2.23.42.0.27	setct-CapReqTBSX	setct-CapReqTBSX
2.23.42.0.28	setct-CapResData	setct-CapResData
2.23.42.0.29	setct-CapRevReqTBS	setct-CapRevReqTBS
2.23.42.0.30	setct-CapRevReqTBSX	setct-CapRevReqTBSX
2.23.42.0.31	setct-CapRevResData	setct-CapRevResData
2.23.42.0.32	setct-CredReqTBS	setct-CredReqTBS
2.23.42.0.33	setct-CredReqTBSX	setct-CredReqTBSX
2.23.42.0.34	setct-CredResData	setct-CredResData
2.23.42.0.35	setct-CredRevReqTBS	setct-CredRevReqTBS
2.23.42.0.36	setct-CredRevReqTBSX	setct-CredRevReqTBSX
2.23.42.0.37	setct-CredRevResData	setct-CredRevResData
2.23.42.0.38	setct-PCertReqData	setct-PCertReqData
2.23.42.0.39	setct-PCertResTBS	setct-PCertResTBS
2.23.42.0.40	setct-BatchAdminReqData	setct-BatchAdminReqData
2.23.42.0.41	setct-BatchAdminResData	setct-BatchAdminResData
2.23.42.0.42	setct-CardCInitResTBS	setct-CardCInitResTBS
2.23.42.0.43	setct-MeAqCInitResTBS	setct-MeAqCInitResTBS
2.23.42.0.44	setct-RegFormResTBS	setct-RegFormResTBS
2.23.42.0.45	setct-CertReqData	setct-CertReqData
2.23.42.0.46	setct-CertReqTBS	setct-CertReqTBS
2.23.42.0.47	setct-CertResData	setct-CertResData
2.23.42.0.48	setct-CertInqReqTBS	setct-CertInqReqTBS
2.23.42.0.49	setct-ErrorTBS	setct-ErrorTBS
2.23.42.0.50	setct-PIDualSignedTBE	setct-PIDualSignedTBE
2.23.42.0.51	setct-PIUnsignedTBE	setct-PIUnsignedTBE
2.23.42.0.52	setct-AuthReqTBE	setct-AuthReqTBE
2.23.42.0.53	setct-AuthResTBE	setct-AuthResTBE
2.23.42.0.54	setct-AuthResTBEX	setct-AuthResTBEX
2.23.42.0.55	setct-AuthTokenTBE	setct-AuthTokenTBE
2.23.42.0.56	setct-CapTokenTBE	setct-CapTokenTBE
2.23.42.0.57	setct-CapTokenTBEX	setct-CapTokenTBEX
2.23.42.0.58	setct-AcqCardCodeMsgTBE	setct-AcqCardCodeMsgTBE
2.23.42.0.59	setct-AuthRevReqTBE	setct-AuthRevReqTBE
2.23.42.0.60	setct-AuthRevResTBE	setct-AuthRevResTBE
2.23.42.0.61	setct-AuthRevResTBEB	setct-AuthRevResTBEB
2.23.42.0.62	setct-CapReqTBE	setct-CapReqTBE
2.23.42.0.63	setct-CapReqTBEX	setct-CapReqTBEX
2.23.42.0.64	setct-CapResTBE	setct-CapResTBE
2.23.42.0.65	setct-CapRevReqTBE	setct-CapRevReqTBE
2.23.42.0.66	setct-CapRevReqTBEX	setct-CapRevReqTBEX
2.23.42.0.67	setct-CapRevResTBE	setct-CapRevResTBE
2.23.42.0.68	setct-CredReqTBE	setct-CredReqTBE
2.23.42.0.69	setct-CredReqTBEX	setct-CredReqTBEX
2.23.42.0.70	setct-CredResTBE	setct-CredResTBE
2.23.42.0.71	setct-CredRevReqTBE	setct-CredRevReqTBE
2.23.42.0.72	setct-CredRevReqTBEX	setct-CredRevReqTBEX
2.23.42.0.73	setct-CredRevResTBE	setct-CredRevResTBE
2.23.42.0.74	setct-BatchAdminReqTBE	setct-BatchAdminReqTBE
2.23.42.0.75	setct-BatchAdminResTBE	setct-BatchAdminResTBE
2.23.42.0.76	setct-RegFormReqTBE	setct-RegFormReqTBE
2.23.42.0.77	setct-CertReqTBE	setct-CertReqTBE
2.23.42.0.78	setct-CertReqTBEX	setct-CertReqTBEX
2.23.42.0.79	setct-CertResTBE	setct-CertResTBE
2.23.42.0.80	setct-CRLNotificationTBS	setct-CRLNotificationTBS
2.23.42.0.81	setct-CRLNotificationResTBS	setct-CRLNotificationResTBS
2.23.42.0.82	setct-BCIDistributionTBS	setct-BCIDistributionTBS
2.23.42.1.1	setext-genCrypt	generic cryptogram
2.23.42.1.3	setext-miAuth	merchant initiated auth
2.23.42.1.4	setext-pinSecure	setext-pinSecure
2.23.42.1.5	setext-pinAny	setext-pinAny
2.23.42.1.7	setext-track2	setext-track2
2.23.42.1.8	setext-cv	additional verification
2.23.42.5.0	set-policy-root	set-policy-root
2.23.42.7.0	setCext-hashedRoot	setCext-hashedRoot
2.23.42.7.1	setCext-certType	setCext-certType
2.23.42.7.2	setCext-merchData	setCext-merchData
2.23.42.7.3	setCext-cCertRequired	setCext-cCertRequired
2.23.42.7.4	setCext-tunneling	setCext-tunneling
2.23.42.7.5	setCext-setExt	setCext-setExt
2.23.42.7.6	setCext-setQualf	setCext-setQualf
2.23.42.7.7	setCext-PGWYcapabilities	setCext-PGWYcapabilities
2.23.42.7.8	setCext-TokenIdentifier	setCext-TokenIdentifier
2.23.42.7.9	setCext-Track2Data	setCext-Track2Data
2.23.42.7.10	setCext-TokenType	setCext-TokenType
2.23.42.7.11	setCext-IssuerCapabilities	setCext-IssuerCapabilities
2.23.42.3.0	setAttr-Cert	setAttr-Cert
2.23.42.3.1	setAttr-PGWYcap	payment gateway capabilities
2.23.42.3.2	setAttr-TokenType	setAttr-TokenType
2.23.42.3.3	setAttr-IssCap	issuer capabilities
2.23.42.3.0.0	set-rootKeyThumb	set-rootKeyThumb
2.23.42.3.0.1	set-addPolicy	set-addPolicy
2.23.42.3.2.1	setAttr-Token-EMV	setAttr-Token-EMV
2.23.42.3.2.2	setAttr-Token-B0Prime	setAttr-Token-B0Prime
2.23.42.3.3.3	setAttr-IssCap-CVM	setAttr-IssCap-CVM
2.23.42.3.3.4	setAttr-IssCap-T2	setAttr-IssCap-T2
2.23.42.3.3.5	setAttr-IssCap-Sig	setAttr-IssCap-Sig
2.23.42.3.3.3.1	setAttr-GenCryptgrm	generate cryptogram
2.23.42.3.3.4.1	setAttr-T2Enc	encrypted track 2
2.23.42.3.3.4.2	setAttr-T2cleartxt	cleartext track 2
2.23.42.3.3.5.1	setAttr-TokICCsig	ICC or token signature
2.23.42.3.3.5.2	setAttr-SecDevSig	secure device signature
2.23.42.8.1	set-brand-IATA-ATA	set-brand-IATA-ATA
2.23.42.8.30	set-brand-Diners	set-brand-Diners
2.23.42.8.34	set-brand-AmericanExpress	set-brand-AmericanExpress
2.23.42.8.35	set-brand-JCB	set-brand-JCB
2.23.42.8.4	set-brand-Visa	set-brand-Visa
2.23.42.8.5	set-brand-MasterCard	set-brand-MasterCard
2.23.42.8.6011	set-brand-Novus	set-brand-Novus
1.2.840.113549.3.10	DES-CDMF	des-cdmf
1.2.840.113549.1.1.6	rsaOAEPEncryptionSET	rsaOAEPEncryptionSET
2	JOINT-ISO-ITU-T	joint-iso-itu-t
2.23	international-organizations	International Organizations
1.3.6.1.4.1.311.20.2.2	msSmartcardLogin	Microsoft Smartcard Login
1.3.6.1.4.1.311.20.2.3	msUPN	Microsoft User Principal Name
-	AES-128-CFB1	aes-128-cfb1
-	AES-192-CFB1	aes-192-cfb1
-	AES-256-CFB1	aes-256-cfb1
-	AES-128-CFB8	aes-128-cfb8
-	AES-192-CFB8	aes-192-cfb8
-	AES-256-CFB8	aes-256-cfb8
-	DES-CFB1	des-cfb1
-	DES-CFB8	des-cfb8
-	DES-EDE3-CFB1	des-ede3-cfb1
-	DES-EDE3-CFB8	des-ede3-cfb8
2.5.4.9	street	streetAddress
2.5.4.17	postalCode	postalCode
1.3.6.1.5.5.7.21	id-ppl	id-ppl
1.3.6.1.5.5.7.1.14	proxyCertInfo	Proxy Certificate Information
1.3.6.1.5.5.7.21.0	id-ppl-anyLanguage	Any language
1.3.6.1.5.5.7.21.1	id-ppl-inheritAll	Inherit all
2.5.29.30	nameConstraints	X509v3 Name Constraints
1.3.6.1.5.5.7.21.2	id-ppl-independent	Independent
1.2.840.113549.1.1.11	RSA-SHA256	sha256WithRSAEncryption
1.2.840.113549.1.1.12	RSA-SHA384	sha384WithRSAEncryption
1.2.840.113549.1.1.13	RSA-SHA512	sha512WithRSAEncryption
1.2.840.113549.1.1.14	RSA-SHA224	sha224WithRSAEncryption
2.16.840.1.101.3.4.2.1	SHA256	sha256
2.16.840.1.101.3.4.2.2	SHA384	sha384
2.16.840.1.101.3.4.2.3	SHA512	sha512
2.16.840.1.101.3.4.2.4	SHA224	sha224
1.3	identified-organization	identified-organization
1.3.132	certicom-arc	certicom-arc
2.23.43	wap	wap
2.23.43.1	wap-wsg	wap-wsg
1.2.840.10045.1.2.3	id-characteristic-two-basis	id-characteristic-two-basis
1.2.840.10045.1.2.3.1	onBasis	onBasis
1.2.840.10045.1.2.3.2	tpBasis	tpBasis
1.2.840.10045.1.2.3.3	ppBasis	ppBasis
1.2.840.10045.3.0.1	c2pnb163v1	c2pnb163v1
1.2.840.10045.3.0.2	c2pnb163v2	c2pnb163v2
1.2.840.10045.3.0.3	c2pnb163v3	c2pnb163v3
1.2.840.10045.3.0.4	c2pnb176v1	c2pnb176v1
1.2.840.10045.3.0.5	c2tnb191v1	c2tnb191v1
1.2.840.10045.3.0.6	c2tnb191v2	c2tnb191v2
1.2.840.10045.3.0.7	c2tnb191v3	c2tnb191v3
1.2.840.10045.3.0.8	c2onb191v4	c2onb191v4
1.2.840.10045.3.0.9	c2onb191v5	c2onb191v5
1.2.840.10045.3.0.10	c2pnb208w1	c2pnb208w1
1.2.840.10045.3.0.11	c2tnb239v1	c2tnb239v1
1.2.840.10045.3.0.12	c2tnb239v2	c2tnb239v2
1.2.840.10045.3.0.13	c2tnb239v3	c2tnb239v3
1.2.840.10045.3.0.14	c2onb239v4	c2onb239v4
1.2.840.10045.3.0.15	c2onb239v5	c2onb239v5
1.2.840.10045.3.0.16	c2pnb272w1	c2pnb272w1
1.2.840.10045.3.0.17	c2pnb304w1	c2pnb304w1
1.2.840.10045.3.0.18	c2tnb359v1	c2tnb359v1
1.2.840.10045.3.0.19	c2pnb368w1	c2pnb368w1
1.2.840.10045.3.0.20	c2tnb431r1	c2tnb431r1
1.3.132.0.6	secp112r1	secp112r1
1.3.132.0.7	secp112r2	secp112r2
1.3.132.0.28	secp128r1	secp128r1
1.3.132.0.29	secp128r2	secp128r2
1.3.132.0.9	secp160k1	secp160k1
1.3.132.0.8	secp160r1	secp160r1
1.3.132.0.30	secp160r2	secp160r2
1.3.132.0.31	secp192k1	secp192k1
1.3.132.0.32	secp224k1	secp224k1
1.3.132.0.33	secp224r1	secp224r1
1.3.132.0.10	secp256k1	secp256k1
1.3.132.0.34	secp384r1	secp384r1
1.3.132.0.35	secp521r1	secp521r1
1.3.132.0.4	sect113r1	sect113r1
1.3.132.0.5	sect113r2	sect113r2
1.3.132.0.22	sect131r1	sect131r1
1.3.132.0.23	sect131r2	sect131r2
1.3.132.0.1	sect163k1	sect163k1
1.3.132.0.2	sect163r1	sect163r1
1.3.132.0.15	sect163r2	sect163r2
1.3.132.0.24	sect193r1	sect193r1
1.3.132.0.25	sect193r2	sect193r2
1.3.132.0.26	sect233k1	sect233k1
1.3.132.0.27	sect233r1	sect233r1
1.3.132.0.3	sect239k1	sect239k1
1.3.132.0.16	sect283k1	sect283k1
1.3.132.0.17	sect283r1	sect283r1
1.3.132.0.36	sect409k1	sect409k1
1.3.132.0.37	sect409r1	sect409r1
1.3.132.0.38	sect571k1	sect571k1
1.3.132.0.39	sect571r1	sect571r1
2.23.43.1.4.1	wap-wsg-idm-ecid-wtls1	wap-wsg-idm-ecid-wtls1
2.23.43.1.4.3	wap-wsg-idm-ecid-wtls3	wap-wsg-idm-ecid-wtls3
2.23.43.1.4.4	wap-wsg-idm-ecid-wtls4	wap-wsg-idm-ecid-wtls4
2.23.43.1.4.5	wap-wsg-idm-ecid-wtls5	wap-wsg-idm-ecid-wtls5
2.23.43.1.4.6	wap-wsg-idm-ecid-wtls6	wap-wsg-idm-ecid-wtls6
2.23.43.1.4.7	wap-wsg-idm-ecid-wtls7	wap-wsg-idm-ecid-wtls7
2.23.43.1.4.8	wap-wsg-idm-ecid-wtls8	wap-wsg-idm-ecid-wtls8
2.23.43.1.4.9	wap-wsg-idm-ecid-wtls9	wap-wsg-idm-ecid-wtls9
2.23.43.1.4.10	wap-wsg-idm-ecid-wtls10	wap-wsg-idm-ecid-wtls10
2.23.43.1.4.11	wap-wsg-idm-ecid-wtls11	wap-wsg-idm-ecid-wtls11
2.23.43.1.4.12	wap-wsg-idm-ecid-wtls12	wap-wsg-idm-ecid-wtls12
2.5.29.32.0	anyPolicy	X509v3 Any Policy
2.5.29.33	policyMappings	X509v3 Policy Mappings
2.5.29.54	inhibitAnyPolicy	X509v3 Inhibit Any Policy
-	Oakley-EC2N-3	ipsec3
-	Oakley-EC2N-4	ipsec4
1.2.392.200011.61.1.1.1.2	CAMELLIA-128-CBC	camellia-128-cbc
1.2.392.200011.61.1.1.1.3	CAMELLIA-192-CBC	camellia-192-cbc
1.2.392.200011.61.1.1.1.4	CAMELLIA-256-CBC	camellia-256-cbc
0.3.4401.5.3.1.9.1	CAMELLIA-128-ECB	camellia-128-ecb
0.3.4401.5.3.1.9.21	CAMELLIA-192-ECB	camellia-192-ecb
0.3.4401.5.3.1.9.41	CAMELLIA-256-ECB	camellia-256-ecb
0.3.4401.5.3.1.9.4	CAMELLIA-128-CFB	camellia-128-cfb
0.3.4401.5.3.1.9.24	CAMELLIA-192-CFB	camellia-192-cfb
0.3.4401.5.3.1.9.44	CAMELLIA-256-CFB	camellia-256-cfb
-	CAMELLIA-128-CFB1	camellia-128-cfb1
-	CAMELLIA-192-CFB1	camellia-192-cfb1
-	CAMELLIA-256-CFB1	camellia-256-cfb1
-	CAMELLIA-128-CFB8	camellia-128-cfb8
-	CAMELLIA-192-CFB8	camellia-192-cfb8
-	CAMELLIA-256-CFB8	camellia-256-cfb8
0.3.4401.5.3.1.9.3	CAMELLIA-128-OFB	camellia-128-ofb
0.3.4401.5.3.1.9.23	CAMELLIA-192-OFB	camellia-192-ofb
0.3.4401.5.3.1.9.43	CAMELLIA-256-OFB	camellia-256-ofb
2.5.29.9	subjectDirectoryAttributes	X509v3 Subject Directory Attributes
2.5.29.28	issuingDistributionPoint	X509v3 Issuing Distribution Point
2.5.29.29	certificateIssuer	X509v3 Certificate Issuer
1.2.410.200004	KISA	kisa
1.2.410.200004.1.3	SEED-ECB	seed-ecb
1.2.410.200004.1.4	SEED-CBC	seed-cbc
1.2.410.200004.1.6	SEED-OFB	seed-ofb
1.2.410.200004.1.5	SEED-CFB	seed-cfb
1.3.6.1.5.5.8.1.1	HMAC-MD5	hmac-md5
1.3.6.1.5.5.8.1.2	HMAC-SHA1	hmac-sha1
1.2.840.113533.7.66.13	id-PasswordBasedMAC	password based MAC
1.2.840.113533.7.66.30	id-DHBasedMac	Diffie-Hellman based MAC
1.3.6.1.5.5.7.4.16	id-it-suppLangTags	id-it-suppLangTags
1.3.6.1.5.5.7.48.5	caRepository	CA Repository
1.2.840.113549.1.9.16.1.9	id-smime-ct-compressedData	id-smime-ct-compressedData
1.2.840.113549.1.9.16.1.27	id-ct-asciiTextWithCRLF	id-ct-asciiTextWithCRLF
2.16.840.1.101.3.4.1.5	id-aes128-wrap	id-aes128-wrap
2.16.840.1.101.3.4.1.25	id-aes192-wrap	id-aes192-wrap
2.16.840.1.101.3.4.1.45	id-aes256-wrap	id-aes256-wrap
1.2.840.10045.4.2	ecdsa-with-Recommended	ecdsa-with-Recommended
1.2.840.10045.4.3	ecdsa-with-Specified	ecdsa-with-Specified
1.2.840.10045.4.3.1	ecdsa-with-SHA224	ecdsa-with-SHA224
1.2.840.10045.4.3.2	ecdsa-with-SHA256	ecdsa-with-SHA256
1.2.840.10045.4.3.3	ecdsa-with-SHA384	ecdsa-with-SHA384
1.2.840.10045.4.3.4	ecdsa-with-SHA512	ecdsa-with-SHA512
1.2.840.113549.2.6	hmacWithMD5	hmacWithMD5
1.2.840.113549.2.8	hmacWithSHA224	hmacWithSHA224
1.2.840.113549.2.9	hmacWithSHA256	hmacWithSHA256
1.2.840.113549.2.10	hmacWithSHA384	hmacWithSHA384
1.2.840.113549.2.11	hmacWithSHA512	hmacWithSHA512
2.16.840.1.101.3.4.3.1	dsa_with_SHA224	dsa_with_SHA224
2.16.840.1.101.3.4.3.2	dsa_with_SHA256	dsa_with_SHA256
1.0.10118.3.0.55	whirlpool	whirlpool
1.2.643.2.2	cryptopro	cryptopro
1.2.643.2.9	cryptocom	cryptocom
1.2.643.2.2.3	id-GostR3411-94-with-GostR3410-2001	GOST R 34.11-94 with GOST R 34.10-2001
1.2.643.2.2.4	id-GostR3411-94-with-GostR3410-94	GOST R 34.11-94 with GOST R 34.10-94
1.2.643.2.2.9	md_gost94	GOST R 34.11-94
1.2.643.2.2.10	id-HMACGostR3411-94	HMAC GOST 34.11-94
1.2.643.2.2.19	gost2001	GOST R 34.10-2001
1.2.643.2.2.20	gost94	GOST R 34.10-94
1.2.643.2.2.21	gost89	GOST 28147-89
-	gost89-cnt	gost89-cnt
1.2.643.2.2.22	gost-mac	GOST 28147-89 MAC
1.2.643.2.2.23	prf-gostr3411-94	GOST R 34.11-94 PRF
1.2.643.2.2.98	id-GostR3410-2001DH	GOST R 34.10-2001 DH
1.2.643.2.2.99	id-GostR3410-94DH	GOST R 34.10-94 DH
1.2.643.2.2.14.1	id-Gost28147-89-CryptoPro-KeyMeshing	id-Gost28147-89-CryptoPro-KeyMeshing
1.2.643.2.2.14.0	id-Gost28147-89-None-KeyMeshing	id-Gost28147-89-None-KeyMeshing
1.2.643.2.2.30.0	id-GostR3411-94-TestParamSet	id-GostR3411-94-TestParamSet
1.2.643.2.2.30.1	id-GostR3411-94-CryptoProParamSet	id-GostR3411-94-CryptoProParamSet
1.2.643.2.2.31.0	id-Gost28147-89-TestParamSet	id-Gost28147-89-TestParamSet
1.2.643.2.2.31.1	id-Gost28147-89-CryptoPro-A-ParamSet	id-Gost28147-89-CryptoPro-A-ParamSet
1.2.643.2.2.31.2	id-Gost28147-89-CryptoPro-B-ParamSet	id-Gost28147-89-CryptoPro-B-ParamSet
1.2.643.2.2.31.3	id-Gost28147-89-CryptoPro-C-ParamSet	id-Gost28147-89-CryptoPro-C-ParamSet
1.2.643.2.2.31.4	id-Gost28147-89-CryptoPro-D-ParamSet	id-Gost28147-89-CryptoPro-D-ParamSet
1.2.643.2.2.31.5	id-Gost28147-89-CryptoPro-Oscar-1-1-ParamSet	id-Gost28147-89-CryptoPro-Oscar-1-1-ParamSet
1.2.643.2.2.31.6	id-Gost28147-89-CryptoPro-Oscar-1-0-ParamSet	id-Gost28147-89-CryptoPro-Oscar-1-0-ParamSet
1.2.643.2.2.31.7	id-Gost28147-89-CryptoPro-RIC-1-ParamSet	id-Gost28147-89-CryptoPro-RIC-1-ParamSet
1.2.643.2.2.32.0	id-GostR3410-94-TestParamSet	id-GostR3410-94-TestParamSet
1.2.643.2.2.32.2	id-GostR3410-94-CryptoPro-A-ParamSet	id-GostR3410-94-CryptoPro-A-ParamSet
1.2.643.2.2.32.3	id-GostR3410-94-CryptoPro-B-ParamSet	id-GostR3410-94-CryptoPro-B-ParamSet
1.2.643.2.2.32.4	id-GostR3410-94-CryptoPro-C-ParamSet	id-GostR3410-94-CryptoPro-C-ParamSet
1.2.643.2.2.32.5	id-GostR3410-94-CryptoPro-D-ParamSet	id-GostR3410-94-CryptoPro-D-ParamSet
1.2.643.2.2.33.1	id-GostR3410-94-CryptoPro-XchA-ParamSet	id-GostR3410-94-CryptoPro-XchA-ParamSet
1.2.643.2.2.33.2	id-GostR3410-94-CryptoPro-XchB-ParamSet	id-GostR3410-94-CryptoPro-XchB-ParamSet
1.2.643.2.2.33.3	id-GostR3410-94-CryptoPro-XchC-ParamSet	id-GostR3410-94-CryptoPro-XchC-ParamSet
1.2.643.2.2.35.0	id-GostR3410-2001-TestParamSet	id-GostR3410-2001-TestParamSet
1.2.643.2.2.35.1	id-GostR3410-2001-CryptoPro-A-ParamSet	id-GostR3410-2001-CryptoPro-A-ParamSet
1.2.643.2.2.35.2	id-GostR3410-2001-CryptoPro-B-ParamSet	id-GostR3410-2001-CryptoPro-B-ParamSet
1.2.643.2.2.35.3	id-GostR3410-2001-CryptoPro-C-ParamSet	id-GostR3410-2001-CryptoPro-C-ParamSet
1.2.643.2.2.36.0	id-GostR3410-2001-CryptoPro-XchA-ParamSet	id-GostR3410-2001-CryptoPro-XchA-ParamSet
1.2.643.2.2.36.1	id-GostR3410-2001-CryptoPro-XchB-ParamSet	id-GostR3410-2001-CryptoPro-XchB-ParamSet
1.2.643.2.2.20.1	id-GostR3410-94-a	id-GostR3410-94-a
1.2.643.2.2.20.2	id-GostR3410-94-aBis	id-GostR3410-94-aBis
1.2.643.2.2.20.3	id-GostR3410-94-b	id-GostR3410-94-b
1.2.643.2.2.20.4	id-GostR3410-94-bBis	id-GostR3410-94-bBis
1.2.643.2.9.1.6.1	id-Gost28147-89-cc	GOST 28147-89 Cryptocom ParamSet
1.2.643.2.9.1.5.3	gost94cc	GOST 34.10-94 Cryptocom
1.2.643.2.9.1.5.4	gost2001cc	GOST 34.10-2001 Cryptocom
1.2.643.2.9.1.3.3	id-GostR3411-94-with-GostR3410-94-cc	GOST R 34.11-94 with GOST R 34.10-94 Cryptocom
1.2.643.2.9.1.3.4	id-GostR3411-94-with-GostR3410-2001-cc	GOST R 34.11-94 with GOST R 34.10-2001 Cryptocom
1.2.643.2.9.1.8.1	id-GostR3410-2001-ParamSet-cc	GOST R 3410-2001 Parameter Set Cryptocom
-	HMAC	hmac
1.3.6.1.4.1.311.17.2	LocalKeySet	Microsoft Local Key set
2.5.29.46	freshestCRL	X509v3 Freshest CRL
1.3.6.1.5.5.7.8.3	id-on-permanentIdentifier	Permanent Identifier
2.5.4.14	searchGuide	searchGuide
2.5.4.15	businessCategory	businessCategory
2.5.4.16	postalAddress	postalAddress
2.5.4.18	postOfficeBox	postOfficeBox
2.5.4.19	physicalDeliveryOfficeName	physicalDeliveryOfficeName
2.5.4.20	telephoneNumber	telephoneNumber
2.5.4.21	telexNumber	telexNumber
2.5.4.22	teletexTerminalIdentifier	teletexTerminalIdentifier
2.5.4.23	facsimileTelephoneNumber	facsimileTelephoneNumber
2.5.4.24	x121Address	x121Address
2.5.4.25	internationaliSDNNumber	internationaliSDNNumber
2.5.4.26	registeredAddress	registeredAddress
2.5.4.27	destinationIndicator	destinationIndicator
2.5.4.28	preferredDeliveryMethod	preferredDeliveryMethod
2.5.4.29	presentationAddress	presentationAddress
2.5.4.30	supportedApplicationContext	supportedApplicationContext
2.5.4.31	member	member
2.5.4.32	owner	owner
2.5.4.33	roleOccupant	roleOccupant
2.5.4.34	seeAlso	seeAlso
2.5.4.35	userPassword	userPassword
2.5.4.36	userCertificate	userCertificate
2.5.4.37	cACertificate	cACertificate
2.5.4.38	authorityRevocationList	authorityRevocationList
2.5.4.39	certificateRevocationList	certificateRevocationList
2.5.4.40	crossCertificatePair	crossCertificatePair
2.5.4.47	enhancedSearchGuide	enhancedSearchGuide
2.5.4.48	protocolInformation	protocolInformation
2.5.4.49	distinguishedName	distinguishedName
2.5.4.50	uniqueMember	uniqueMember
2.5.4.51	houseIdentifier	houseIdentifier
2.5.4.52	supportedAlgorithms	supportedAlgorithms
2.5.4.53	deltaRevocationList	deltaRevocationList
2.5.4.54	dmdName	dmdName
1.2.840.113549.1.9.16.3.9	id-alg-PWRI-KEK	id-alg-PWRI-KEK
-	CMAC	cmac
2.16.840.1.101.3.4.1.6	id-aes128-GCM	aes-128-gcm
2.16.840.1.101.3.4.1.7	id-aes128-CCM	aes-128-ccm
2.16.840.1.101.3.4.1.8	id-aes128-wrap-pad	id-aes128-wrap-pad
2.16.840.1.101.3.4.1.26	id-aes192-GCM	aes-192-gcm
2.16.840.1.101.3.4.1.27	id-aes192-CCM	aes-192-ccm
2.16.840.1.101.3.4.1.28	id-aes192-wrap-pad	id-aes192-wrap-pad
2.16.840.1.101.3.4.1.46	id-aes256-GCM	aes-256-gcm
2.16.840.1.101.3.4.1.47	id-aes256-CCM	aes-256-ccm
2.16.840.1.101.3.4.1.48	id-aes256-wrap-pad	id-aes256-wrap-pad
-	AES-128-CTR	aes-128-ctr
-	AES-192-CTR	aes-192-ctr
-	AES-256-CTR	aes-256-ctr
1.2.392.200011.61.1.1.3.2	id-camellia128-wrap	id-camellia128-wrap
1.2.392.200011.61.1.1.3.3	id-camellia192-wrap	id-camellia192-wrap
1.2.392.200011.61.1.1.3.4	id-camellia256-wrap	id-camellia256-wrap
2.5.29.37.0	anyExtendedKeyUsage	Any Extended Key Usage
1.2.840.113549.1.1.8	MGF1	mgf1
1.2.840.113549.1.1.10	RSASSA-PSS	rsassaPss
1.3.111.2.1619.0.1.1	AES-128-XTS	aes-128-xts
1.3.111.2.1619.0.1.2	AES-256-XTS	aes-256-xts
-	RC4-HMAC-MD5	rc4-hmac-md5
-	AES-128-CBC-HMAC-SHA1	aes-128-cbc-hmac-sha1
-	AES-192-CBC-HMAC-SHA1	aes-192-cbc-hmac-sha1
-	AES-256-CBC-HMAC-SHA1	aes-256-cbc-hmac-sha1
1.2.840.113549.1.1.7	RSAES-OAEP	rsaesOaep
1.2.840.10046.2.1	dhpublicnumber	X9.42 DH
1.3.36.3.3.2.8.1.1.1	brainpoolP160r1	brainpoolP160r1
1.3.36.3.3.2.8.1.1.2	brainpoolP160t1	brainpoolP160t1
1.3.36.3.3.2.8.1.1.3	brainpoolP192r1	brainpoolP192r1
1.3.36.3.3.2.8.1.1.4	brainpoolP192t1	brainpoolP192t1
1.3.36.3.3.2.8.1.1.5	brainpoolP224r1	brainpoolP224r1
1.3.36.3.3.2.8.1.1.6	brainpoolP224t1	brainpoolP224t1
1.3.36.3.3.2.8.1.1.7	brainpoolP256r1	brainpoolP256r1
1.3.36.3.3.2.8.1.1.8	brainpoolP256t1	brainpoolP256t1
1.3.36.3.3.2.8.1.1.9	brainpoolP320r1	brainpoolP320r1
1.3.36.3.3.2.8.1.1.10	brainpoolP320t1	brainpoolP320t1
1.3.36.3.3.2.8.1.1.11	brainpoolP384r1	brainpoolP384r1
1.3.36.3.3.2.8.1.1.12	brainpoolP384t1	brainpoolP384t1
1.3.36.3.3.2.8.1.1.13	brainpoolP512r1	brainpoolP512r1
1.3.36.3.3.2.8.1.1.14	brainpoolP512t1	brainpoolP512t1
1.2.840.113549.1.1.9	PSPECIFIED	pSpecified
1.3.133.16.840.63.0.2	dhSinglePass-stdDH-sha1kdf-scheme	dhSinglePass-stdDH-sha1kdf-scheme
1.3.132.1.11.0	dhSinglePass-stdDH-sha224kdf-scheme	dhSinglePass-stdDH-sha224kdf-scheme
1.3.132.1.11.1	dhSinglePass-stdDH-sha256kdf-scheme	dhSinglePass-stdDH-sha256kdf-scheme
1.3.132.1.11.2	dhSinglePass-stdDH-sha384kdf-scheme	dhSinglePass-stdDH-sha384kdf-scheme
1.3.132.1.11.3	dhSinglePass-stdDH-sha512kdf-scheme	dhSinglePass-stdDH-sha512kdf-scheme
1.3.133.16.840.63.0.3	dhSinglePass-cofactorDH-sha1kdf-scheme	dhSinglePass-cofactorDH-sha1kdf-scheme
1.3.132.1.14.0	dhSinglePass-cofactorDH-sha224kdf-scheme	dhSinglePass-cofactorDH-sha224kdf-scheme
1.3.132.1.14.1	dhSinglePass-cofactorDH-sha256kdf-scheme	dhSinglePass-cofactorDH-sha256kdf-scheme
1.3.132.1.14.2	dhSinglePass-cofactorDH-sha384kdf-scheme	dhSinglePass-cofactorDH-sha384kdf-scheme
1.3.132.1.14.3	dhSinglePass-cofactorDH-sha512kdf-scheme	dhSinglePass-cofactorDH-sha512kdf-scheme
-	dh-std-kdf	dh-std-kdf
-	dh-cofactor-kdf	dh-cofactor-kdf
-	AES-128-CBC-HMAC-SHA256	aes-128-cbc-hmac-sha256
-	AES-192-CBC-HMAC-SHA256	aes-192-cbc-hmac-sha256
-	AES-256-CBC-HMAC-SHA256	aes-256-cbc-hmac-sha256
1.3.6.1.4.1.11129.2.4.2	ct_precert_scts	CT Precertificate SCTs
1.3.6.1.4.1.11129.2.4.3	ct_precert_poison	CT Precertificate Poison
1.3.6.1.4.1.11129.2.4.4	ct_precert_signer	CT Precertificate Signer
1.3.6.1.4.1.11129.2.4.5	ct_cert_scts	CT Certificate SCTs
1.3.6.1.4.1.311.60.2.1.1	jurisdictionL	jurisdictionLocalityName
1.3.6.1.4.1.311.60.2.1.2	jurisdictionST	jurisdictionStateOrProvinceName
1.3.6.1.4.1.311.60.2.1.3	jurisdictionC	jurisdictionCountryName
-	AES-128-OCB	aes-128-ocb
-	AES-192-OCB	aes-192-ocb
-	AES-256-OCB	aes-256-ocb
0.3.4401.5.3.1.9.6	CAMELLIA-128-GCM	camellia-128-gcm
0.3.4401.5.3.1.9.7	CAMELLIA-128-CCM	camellia-128-ccm
0.3.4401.5.3.1.9.9	CAMELLIA-128-CTR	camellia-128-ctr
0.3.4401.5.3.1.9.10	CAMELLIA-128-CMAC	camellia-128-cmac
0.3.4401.5.3.1.9.26	CAMELLIA-192-GCM	camellia-192-gcm
0.3.4401.5.3.1.9.27	CAMELLIA-192-CCM	camellia-192-ccm
0.3.4401.5.3.1.9.29	CAMELLIA-192-CTR	camellia-192-ctr
0.3.4401.5.3.1.9.30	CAMELLIA-192-CMAC	camellia-192-cmac
0.3.4401.5.3.1.9.46	CAMELLIA-256-GCM	camellia-256-gcm
0.3.4401.5.3.1.9.47	CAMELLIA-256-CCM	camellia-256-ccm
0.3.4401.5.3.1.9.49	CAMELLIA-256-CTR	camellia-256-ctr
0.3.4401.5.3.1.9.50	CAMELLIA-256-CMAC	camellia-256-cmac
1.3.6.1.4.1.11591.4.11	id-scrypt	scrypt
1.2.643.7.1	id-tc26	id-tc26
-	gost89-cnt-12	gost89-cnt-12
-	gost-mac-12	gost-mac-12
1.2.643.7.1.1	id-tc26-algorithms	id-tc26-algorithms
1.2.643.7.1.1.1	id-tc26-sign	id-tc26-sign
1.2.643.7.1.1.1.1	gost2012_256	GOST R 34.10-2012 with 256 bit modulus
1.2.643.7.1.1.1.2	gost2012_512	GOST R 34.10-2012 with 512 bit modulus
1.2.643.7.1.1.2	id-tc26-digest	id-tc26-digest
1.2.643.7.1.1.2.2	md_gost12_256	GOST R 34.11-2012 with 256 bit hash
1.2.643.7.1.1.2.3	md_gost12_512	GOST R 34.11-2012 with 512 bit hash
1.2.643.7.1.1.3	id-tc26-signwithdigest	id-tc26-signwithdigest
1.2.643.7.1.1.3.2	id-tc26-signwithdigest-gost3410-2012-256	GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)
1.2.643.7.1.1.3.3	id-tc26-signwithdigest-gost3410-2012-512	GOST R 34.10-2012 with GOST R 34.11-2012 (512 bit)
1.2.643.7.1.1.4	id-tc26-mac	id-tc26-mac
1.2.643.7.1.1.4.1	id-tc26-hmac-gost-3411-2012-256	HMAC GOST 34.11-2012 256 bit
1.2.643.7.1.1.4.2	id-tc26-hmac-gost-3411-2012-512	HMAC GOST 34.11-2012 512 bit
1.2.643.7.1.1.5	id-tc26-cipher	id-tc26-cipher
1.2.643.7.1.1.6	id-tc26-agreement	id-tc26-agreement
1.2.643.7.1.1.6.1	id-tc26-agreement-gost-3410-2012-256	id-tc26-agreement-gost-3410-2012-256
1.2.643.7.1.1.6.2	id-tc26-agreement-gost-3410-2012-512	id-tc26-agreement-gost-3410-2012-512
1.2.643.7.1.2	id-tc26-constants	id-tc26-constants
1.2.643.7.1.2.1	id-tc26-sign-constants	id-tc26-sign-constants
1.2.643.7.1.2.1.2	id-tc26-gost-3410-2012-512-constants	id-tc26-gost-3410-2012-512-constants
1.2.643.7.1.2.1.2.0	id-tc26-gost-3410-2012-512-paramSetTest	GOST R 34.10-2012 (512 bit) testing parameter set
1.2.643.7.1.2.1.2.1	id-tc26-gost-3410-2012-512-paramSetA	GOST R 34.10-2012 (512 bit) ParamSet A
1.2.643.7.1.2.1.2.2	id-tc26-gost-3410-2012-512-paramSetB	GOST R 34.10-2012 (512 bit) ParamSet B
1.2.643.7.1.2.2	id-tc26-digest-constants	id-tc26-digest-constants
1.2.643.7.1.2.5	id-tc26-cipher-constants	id-tc26-cipher-constants
1.2.643.7.1.2.5.1	id-tc26-gost-28147-constants	id-tc26-gost-28147-constants
1.2.643.7.1.2.5.1.1	id-tc26-gost-28147-param-Z	GOST 28147-89 TC26 parameter set
1.2.643.3.131.1.1	INN	INN
1.2.643.100.1	OGRN	OGRN
1.2.643.100.3	SNILS	SNILS
1.2.643.100.111	subjectSignTool	Signing Tool of Subject
1.2.643.100.112	issuerSignTool	Signing Tool of Issuer
-	gost89-cbc	gost89-cbc
-	gost89-ecb	gost89-ecb
-	gost89-ctr	gost89-ctr
-	kuznyechik-ecb	kuznyechik-ecb
-	kuznyechik-ctr	kuznyechik-ctr
-	kuznyechik-ofb	kuznyechik-ofb
-	kuznyechik-cbc	kuznyechik-cbc
-	kuznyechik-cfb	kuznyechik-cfb
-	kuznyechik-mac	kuznyechik-mac
-	ChaCha20-Poly1305	chacha20-poly1305
-	ChaCha20	chacha20
1.3.6.1.5.5.7.1.24	tlsfeature	TLS Feature
-	TLS1-PRF	tls1-prf
1.3.6.1.5.5.7.3.17	ipsecIKE	ipsec Internet Key Exchange
1.3.6.1.5.5.7.3.18	capwapAC	Ctrl/provision WAP Access
1.3.6.1.5.5.7.3.19	capwapWTP	Ctrl/Provision WAP Termination
1.3.6.1.5.5.7.3.21	secureShellClient	SSH Client
1.3.6.1.5.5.7.3.22	secureShellServer	SSH Server
1.3.6.1.5.5.7.3.23	sendRouter	Send Router
1.3.6.1.5.5.7.3.24	sendProxiedRouter	Send Proxied Router
1.3.6.1.5.5.7.3.25	sendOwner	Send Owner
1.3.6.1.5.5.7.3.26	sendProxiedOwner	Send Proxied Owner
1.3.6.1.5.2.3	id-pkinit	id-pkinit
1.3.6.1.5.2.3.4	pkInitClientAuth	PKINIT Client Auth
1.3.6.1.5.2.3.5	pkInitKDC	Signing KDC Response
1.3.101.110	X25519	X25519
1.3.101.111	X448	X448
-	HKDF	hkdf
-	KxRSA	kx-rsa
-	KxECDHE	kx-ecdhe
-	KxDHE	kx-dhe
-	KxECDHE-PSK	kx-ecdhe-psk
-	KxDHE-PSK	kx-dhe-psk
-	KxRSA_PSK	kx-rsa-psk
-	KxPSK	kx-psk
-	KxSRP	kx-srp
-	KxGOST	kx-gost
-	AuthRSA	auth-rsa
-	AuthECDSA	auth-ecdsa
-	AuthPSK	auth-psk
-	AuthDSS	auth-dss
-	AuthGOST01	auth-gost01
-	AuthGOST12	auth-gost12
-	AuthSRP	auth-srp
-	AuthNULL	auth-null
1.3.6.1.4.1.1722.12.2.1.16	BLAKE2b512	blake2b512
1.3.6.1.4.1.1722.12.2.2.8	BLAKE2s256	blake2s256
1.2.840.113549.1.9.16.1.19	id-smime-ct-contentCollection	id-smime-ct-contentCollection
1.2.840.113549.1.9.16.1.23	id-smime-ct-authEnvelopedData	id-smime-ct-authEnvelopedData
1.2.840.113549.1.9.16.1.28	id-ct-xml	id-ct-xml
-	Poly1305	poly1305
-	SipHash	siphash
-	KxANY	kx-any
-	AuthANY	auth-any
1.2.410.200046.1.1.1	ARIA-128-ECB	aria-128-ecb
1.2.410.200046.1.1.2	ARIA-128-CBC	aria-128-cbc
1.2.410.200046.1.1.3	ARIA-128-CFB	aria-128-cfb
1.2.410.200046.1.1.4	ARIA-128-OFB	aria-128-ofb
1.2.410.200046.1.1.5	ARIA-128-CTR	aria-128-ctr
1.2.410.200046.1.1.6	ARIA-192-ECB	aria-192-ecb
1.2.410.200046.1.1.7	ARIA-192-CBC	aria-192-cbc
1.2.410.200046.1.1.8	ARIA-192-CFB	aria-192-cfb
1.2.410.200046.1.1.9	ARIA-192-OFB	aria-192-ofb
1.2.410.200046.1.1.10	ARIA-192-CTR	aria-192-ctr
1.2.410.200046.1.1.11	ARIA-256-ECB	aria-256-ecb
1.2.410.200046.1.1.12	ARIA-256-CBC	aria-256-cbc
1.2.410.200046.1.1.13	ARIA-256-CFB	aria-256-cfb
1.2.410.200046.1.1.14	ARIA-256-OFB	aria-256-ofb
1.2.410.200046.1.1.15	ARIA-256-CTR	aria-256-ctr
-	ARIA-128-CFB1	aria-128-cfb1
-	ARIA-192-CFB1	aria-192-cfb1
-	ARIA-256-CFB1	aria-256-cfb1
-	ARIA-128-CFB8	aria-128-cfb8
-	ARIA-192-CFB8	aria-192-cfb8
-	ARIA-256-CFB8	aria-256-cfb8
1.2.840.113549.1.9.16.2.47	id-smime-aa-signingCertificateV2	id-smime-aa-signingCertificateV2
1.3.101.112	ED25519	ED25519
1.3.101.113	ED448	ED448
2.5.4.97	organizationIdentifier	organizationIdentifier
2.5.4.98	c3	countryCode3c
2.5.4.99	n3	countryCode3n
2.5.4.100	dnsName	dnsName
1.3.36.8.3.3	x509ExtAdmission	Professional Information or basis for Admission
2.16.840.1.101.3.4.2.5	SHA512-224	sha512-224
2.16.840.1.101.3.4.2.6	SHA512-256	sha512-256
2.16.840.1.101.3.4.2.7	SHA3-224	sha3-224
2.16.840.1.101.3.4.2.8	SHA3-256	sha3-256
2.16.840.1.101.3.4.2.9	SHA3-384	sha3-384
2.16.840.1.101.3.4.2.10	SHA3-512	sha3-512
2.16.840.1.101.3.4.2.11	SHAKE128	shake128
2.16.840.1.101.3.4.2.12	SHAKE256	shake256
2.16.840.1.101.3.4.2.13	id-hmacWithSHA3-224	hmac-sha3-224
2.16.840.1.101.3.4.2.14	id-hmacWithSHA3-256	hmac-sha3-256
2.16.840.1.101.3.4.2.15	id-hmacWithSHA3-384	hmac-sha3-384
2.16.840.1.101.3.4.2.16	id-hmacWithSHA3-512	hmac-sha3-512
2.16.840.1.101.3.4.3.3	id-dsa-with-sha384	dsa_with_SHA384
2.16.840.1.101.3.4.3.4	id-dsa-with-sha512	dsa_with_SHA512
2.16.840.1.101.3.4.3.5	id-dsa-with-sha3-224	dsa_with_SHA3-224
2.16.840.1.101.3.4.3.6	id-dsa-with-sha3-256	dsa_with_SHA3-256
2.16.840.1.101.3.4.3.7	id-dsa-with-sha3-384	dsa_with_SHA3-384
2.16.840.1.101.3.4.3.8	id-dsa-with-sha3-512	dsa_with_SHA3-512
2.16.840.1.101.3.4.3.9	id-ecdsa-with-sha3-224	ecdsa_with_SHA3-224
2.16.840.1.101.3.4.3.10	id-ecdsa-with-sha3-256	ecdsa_with_SHA3-256
2.16.840.1.101.3.4.3.11	id-ecdsa-with-sha3-384	ecdsa_with_SHA3-384
2.16.840.1.101.3.4.3.12	id-ecdsa-with-sha3-512	ecdsa_with_SHA3-512
2.16.840.1.101.3.4.3.13	id-rsassa-pkcs1-v1_5-with-sha3-224	RSA-SHA3-224
2.16.840.1.101.3.4.3.14	id-rsassa-pkcs1-v1_5-with-sha3-256	RSA-SHA3-256
2.16.840.1.101.3.4.3.15	id-rsassa-pkcs1-v1_5-with-sha3-384	RSA-SHA3-384
2.16.840.1.101.3.4.3.16	id-rsassa-pkcs1-v1_5-with-sha3-512	RSA-SHA3-512
1.2.410.200046.1.1.37	ARIA-128-CCM	aria-128-ccm
1.2.410.200046.1.1.38	ARIA-192-CCM	aria-192-ccm
1.2.410.200046.1.1.39	ARIA-256-CCM	aria-256-ccm
1.2.410.200046.1.1.34	ARIA-128-GCM	aria-128-gcm
1.2.410.200046.1.1.35	ARIA-192-GCM	aria-192-gcm
1.2.410.200046.1.1.36	ARIA-256-GCM	aria-256-gcm
-	ffdhe2048	ffdhe2048
-	ffdhe3072	ffdhe3072
-	ffdhe4096	ffdhe4096
-	ffdhe6144	ffdhe6144
-	ffdhe8192	ffdhe8192
1.3.6.1.5.5.7.3.27	cmcCA	CMC Certificate Authority
1.3.6.1.5.5.7.3.28	cmcRA	CMC Registration Authority
1.2.156.10197.1.104.1	SM4-ECB	sm4-ecb
1.2.156.10197.1.104.2	SM4-CBC	sm4-cbc
1.2.156.10197.1.104.3	SM4-OFB	sm4-ofb
1.2.156.10197.1.104.5	SM4-CFB1	sm4-cfb1
1.2.156.10197.1.104.4	SM4-CFB	sm4-cfb
1.2.156.10197.1.104.6	SM4-CFB8	sm4-cfb8
1.2.156.10197.1.104.7	SM4-CTR	sm4-ctr
1.2.156	ISO-CN	ISO CN Member Body
1.2.156.10197	oscca	oscca
1.2.156.10197.1	sm-scheme	sm-scheme
1.2.156.10197.1.401	SM3	sm3
1.2.156.10197.1.504	RSA-SM3	sm3WithRSAEncryption
1.2.840.113549.1.1.15	RSA-SHA512/224	sha512-224WithRSAEncryption
1.2.840.113549.1.1.16	RSA-SHA512/256	sha512-256WithRSAEncryption
1.2.643.7.1.2.1.1	id-tc26-gost-3410-2012-256-constants	id-tc26-gost-3410-2012-256-constants
1.2.643.7.1.2.1.1.1	id-tc26-gost-3410-2012-256-paramSetA	GOST R 34.10-2012 (256 bit) ParamSet A
1.2.643.7.1.2.1.2.3	id-tc26-gost-3410-2012-512-paramSetC	GOST R 34.10-2012 (512 bit) ParamSet C
1.2.804	ISO-UA	ISO-UA
1.2.804.2.1.1.1	ua-pki	ua-pki
1.2.804.2.1.1.1.1.1.1	dstu28147	DSTU Gost 28147-2009
1.2.804.2.1.1.1.1.1.1.2	dstu28147-ofb	DSTU Gost 28147-2009 OFB mode
1.2.804.2.1.1.1.1.1.1.3	dstu28147-cfb	DSTU Gost 28147-2009 CFB mode
1.2.804.2.1.1.1.1.1.1.5	dstu28147-wrap	DSTU Gost 28147-2009 key wrap
1.2.804.2.1.1.1.1.1.2	hmacWithDstu34311	HMAC DSTU Gost 34311-95
1.2.804.2.1.1.1.1.2.1	dstu34311	DSTU Gost 34311-95
1.2.804.2.1.1.1.1.3.1.1	dstu4145le	DSTU 4145-2002 little endian
1.2.804.2.1.1.1.1.3.1.1.1.1	dstu4145be	DSTU 4145-2002 big endian
1.2.804.2.1.1.1.1.3.1.1.2.0	uacurve0	DSTU curve 0
1.2.804.2.1.1.1.1.3.1.1.2.1	uacurve1	DSTU curve 1
1.2.804.2.1.1.1.1.3.1.1.2.2	uacurve2	DSTU curve 2
1.2.804.2.1.1.1.1.3.1.1.2.3	uacurve3	DSTU curve 3
1.2.804.2.1.1.1.1.3.1.1.2.4	uacurve4	DSTU curve 4
1.2.804.2.1.1.1.1.3.1.1.2.5	uacurve5	DSTU curve 5
1.2.804.2.1.1.1.1.3.1.1.2.6	uacurve6	DSTU curve 6
1.2.804.2.1.1.1.1.3.1.1.2.7	uacurve7	DSTU curve 7
1.2.804.2.1.1.1.1.3.1.1.2.8	uacurve8	DSTU curve 8
1.2.804.2.1.1.1.1.3.1.1.2.9	uacurve9	DSTU curve 9
1.3.111	ieee	ieee
1.3.111.2.1619	ieee-siswg	IEEE Security in Storage Working Group
1.2.156.10197.1.301	SM2	sm2
1.2.643.7.1.1.5.1	id-tc26-cipher-gostr3412-2015-magma	id-tc26-cipher-gostr3412-2015-magma
1.2.643.7.1.1.5.1.1	magma-ctr-acpkm	magma-ctr-acpkm
1.2.643.7.1.1.5.1.2	magma-ctr-acpkm-omac	magma-ctr-acpkm-omac
1.2.643.7.1.1.5.2	id-tc26-cipher-gostr3412-2015-kuznyechik	id-tc26-cipher-gostr3412-2015-kuznyechik
1.2.643.7.1.1.5.2.1	kuznyechik-ctr-acpkm	kuznyechik-ctr-acpkm
1.2.643.7.1.1.5.2.2	kuznyechik-ctr-acpkm-omac	kuznyechik-ctr-acpkm-omac
1.2.643.7.1.1.7	id-tc26-wrap	id-tc26-wrap
1.2.643.7.1.1.7.1	id-tc26-wrap-gostr3412-2015-magma	id-tc26-wrap-gostr3412-2015-magma
1.2.643.7.1.1.7.1.1	magma-kexp15	magma-kexp15
1.2.643.7.1.1.7.2	id-tc26-wrap-gostr3412-2015-kuznyechik	id-tc26-wrap-gostr3412-2015-kuznyechik
1.2.643.7.1.1.7.2.1	kuznyechik-kexp15	kuznyechik-kexp15
1.2.643.7.1.2.1.1.2	id-tc26-gost-3410-2012-256-paramSetB	GOST R 34.10-2012 (256 bit) ParamSet B
1.2.643.7.1.2.1.1.3	id-tc26-gost-3410-2012-256-paramSetC	GOST R 34.10-2012 (256 bit) ParamSet C
1.2.643.7.1.2.1.1.4	id-tc26-gost-3410-2012-256-paramSetD	GOST R 34.10-2012 (256 bit) ParamSet D
-	magma-ecb	magma-ecb
-	magma-ctr	magma-ctr
-	magma-ofb	magma-ofb
-	magma-cbc	magma-cbc
-	magma-cfb	magma-cfb
-	magma-mac	magma-mac
1.2.840.113549.2.12	hmacWithSHA512-224	hmacWithSHA512-224
1.2.840.113549.2.13	hmacWithSHA512-256	hmacWithSHA512-256
1.0.9797.3.4	GMAC	gmac
2.16.840.1.101.3.4.2.19	KMAC128	kmac128
2.16.840.1.101.3.4.2.20	KMAC256	kmac256
-	AES-128-SIV	aes-128-siv
-	AES-192-SIV	aes-192-siv
-	AES-256-SIV	aes-256-siv
1.3.6.1.4.1.1722.12.2.1	BLAKE2BMAC	blake2bmac
1.3.6.1.4.1.1722.12.2.2	BLAKE2SMAC	blake2smac
-	SSHKDF	sshkdf
1.2.156.10197.1.501	SM2-SM3	SM2-with-SM3
-	SSKDF	sskdf
-	X963KDF	x963kdf
-	X942KDF	x942kdf
1.3.6.1.5.5.7.8.9	id-on-SmtpUTF8Mailbox	Smtp UTF8 Mailbox
1.3.6.1.5.5.7.8.5	id-on-xmppAddr	XmppAddr
1.3.6.1.5.5.7.8.7	id-on-dnsSRV	SRVName
1.3.6.1.5.5.7.8.8	id-on-NAIRealm	NAIRealm
-	modp_1536	modp_1536
-	modp_2048	modp_2048
-	modp_3072	modp_3072
-	modp_4096	modp_4096
-	modp_6144	modp_6144
-	modp_8192	modp_8192
-	KxGOST18	kx-gost18
1.3.6.1.5.5.7.3.29	cmcArchive	CMC Archive Server
1.3.6.1.5.5.7.3.30	id-kp-bgpsec-router	BGPsec Router
1.3.6.1.5.5.7.3.31	id-kp-BrandIndicatorforMessageIdentification	Brand Indicator for Message Identification
1.3.6.1.5.5.7.3.32	cmKGA	Certificate Management Key Generation Authority
1.3.6.1.5.5.7.4.17	id-it-caCerts	id-it-caCerts
1.3.6.1.5.5.7.4.18	id-it-rootCaKeyUpdate	id-it-rootCaKeyUpdate
1.3.6.1.5.5.7.4.19	id-it-certReqTemplate	id-it-certReqTemplate
1.2.643.100.5	OGRNIP	OGRNIP
1.2.643.100.113	classSignTool	Class of Signing Tool
1.2.643.100.113.1	classSignToolKC1	Class of Signing Tool KC1
1.2.643.100.113.2	classSignToolKC2	Class of Signing Tool KC2
1.2.643.100.113.3	classSignToolKC3	Class of Signing Tool KC3
1.2.643.100.113.4	classSignToolKB1	Class of Signing Tool KB1
1.2.643.100.113.5	classSignToolKB2	Class of Signing Tool KB2
1.2.643.100.113.6	classSignToolKA1	Class of Signing Tool KA1
1.2.840.113549.1.9.16.1.24	id-ct-routeOriginAuthz	id-ct-routeOriginAuthz
1.2.840.113549.1.9.16.1.26	id-ct-rpkiManifest	id-ct-rpkiManifest
1.2.840.113549.1.9.16.1.35	id-ct-rpkiGhostbusters	id-ct-rpkiGhostbusters
1.2.840.113549.1.9.16.1.36	id-ct-resourceTaggedAttest	id-ct-resourceTaggedAttest
1.3.6.1.5.5.7.14	id-cp	id-cp
1.3.6.1.5.5.7.1.28	sbgp-ipAddrBlockv2	sbgp-ipAddrBlockv2
1.3.6.1.5.5.7.1.29	sbgp-autonomousSysNumv2	sbgp-autonomousSysNumv2
1.3.6.1.5.5.7.14.2	ipAddr-asNumber	ipAddr-asNumber
1.3.6.1.5.5.7.14.3	ipAddr-asNumberv2	ipAddr-asNumberv2
1.3.6.1.5.5.7.48.10	rpkiManifest	RPKI Manifest
1.3.6.1.5.5.7.48.11	signedObject	Signed Object
1.3.6.1.5.5.7.48.13	rpkiNotify	RPKI Notify
1.2.840.113549.1.9.16.1.47	id-ct-geofeedCSVwithCRLF	id-ct-geofeedCSVwithCRLF
1.2.840.113549.1.9.16.1.48	id-ct-signedChecklist	id-ct-signedChecklist
2.5.29.10	bCold	draft-ietf-pkix-ipki-part1-01 Basic Constraints
"""


def _build_objects():
    by_oid: dict[str, tuple[int, str, str]] = {}
    lines = [line.split("\t") for line in _OPENSSL_OBJECTS.strip().split("\n")]
    for nid, (oid, sn, ln) in enumerate(lines, start=1):
        if oid != "-":
            by_oid.setdefault(oid, (nid, sn, ln))
    by_sn: dict[str, int] = {}
    by_ln: dict[str, int] = {}
    for nid, (oid, sn, ln) in enumerate(lines, start=1):
        canonical = by_oid[oid][0] if oid != "-" else nid  # one number per OID
        by_sn.setdefault(sn, canonical)
        by_ln.setdefault(ln, canonical)
    oid_by_nid = {entry[0]: oid for oid, entry in by_oid.items()}
    return by_oid, by_sn, by_ln, oid_by_nid


_OBJ_BY_OID, _OBJ_SN, _OBJ_LN, _OBJ_OID_BY_NID = _build_objects()
