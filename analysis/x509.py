"""crt.sh-format fields from DER certificates, in pure Python.

This module is the single implementation behind the local database's ``x509_*`` SQL functions (it is shipped into
PostgreSQL as PL/Python source by :mod:`analysis.localdb.schema`) and behind client-side parsing of DER fetched from
crt.sh. It must therefore:

* depend on nothing but the standard library (the server's Python has no project packages);
* reproduce crt.sh's ``libx509pq`` output formats exactly (see ``docs/crtsh.md`` in the shared docs and the oracle
  fixtures in ``tests/fixtures/x509``): OpenSSL's one-line name printer, UTC timestamps, DER serial contents, SETOF
  order, and ``ERROR!``/``None`` on input it cannot parse.

It is a strict-enough DER reader, not a validator: like OpenSSL it accepts what it can decode and reports failure
(``X509Error``) otherwise. Every public function takes the certificate's DER bytes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib as _hashlib

ERROR_TEXT = "ERROR!"  # what libx509pq's text functions return for an unparsable certificate


class X509Error(ValueError):
    """The bytes are not a certificate this reader can decode."""


# --------------------------------------------------------------------------------------------------------------------
# DER primitives


def _read_tlv(buf: bytes, pos: int) -> tuple[int, int, int, int]:
    """Read one TLV at ``pos``; return (tag byte, start of contents, end of contents, start of the TLV)."""
    if pos + 2 > len(buf):
        raise X509Error("truncated DER")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise X509Error("high tag numbers are not used in certificates")
    length = buf[pos + 1]
    hdr = 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + 2 + n > len(buf):
            raise X509Error("unsupported DER length")
        length = int.from_bytes(buf[pos + 2 : pos + 2 + n], "big")
        hdr += n
    start = pos + hdr
    end = start + length
    if end > len(buf):
        raise X509Error("truncated DER")
    return tag, start, end, pos


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tlv = _read_tlv(buf, pos)
        if tlv[2] > end:
            raise X509Error("child overruns its parent")
        out.append(tlv)
        pos = tlv[2]
    return out


def _encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _oid(content: bytes) -> str:
    if not content:
        raise X509Error("empty OID")
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


def _time(tag: int, content: bytes) -> _dt.datetime:
    """libx509pq's reading of a Time: fractional seconds truncated, missing seconds taken as 0, and a UTCTime
    offset such as +0200 ignored (the digits are taken as UTC, as the real extension does)."""
    try:
        text = content.decode("ascii")
        if tag == 0x17:  # UTCTime, RFC 5280 4.1.2.5.1: YY >= 50 means 19YY
            year = int(text[:2])
            year += 1900 if year >= 50 else 2000
            rest = text[2:]
        elif tag == 0x18:  # GeneralizedTime
            year = int(text[:4])
            rest = text[4:]
        else:
            raise X509Error("not a time")
        digits = ""
        for ch in rest:
            if not ch.isdigit():
                break
            digits += ch
        if len(digits) < 8:
            raise X509Error(f"bad time {text!r}")
        month, day, hour, minute = (int(digits[i : i + 2]) for i in range(0, 8, 2))
        second = int(digits[8:10]) if len(digits) >= 10 else 0
        return _dt.datetime(year, month, day, hour, minute, second)
    except (ValueError, UnicodeDecodeError) as exc:
        raise X509Error(f"bad time {content!r}") from exc


# --------------------------------------------------------------------------------------------------------------------
# Certificate structure


class Certificate:
    """Offsets into one DER certificate (RFC 5280 4.1)."""

    __slots__ = ("der", "tbs", "fields", "version", "extensions")

    def __init__(self, der: bytes):
        if not isinstance(der, (bytes, bytearray, memoryview)):
            raise X509Error("not bytes")
        der = bytes(der)
        self.der = der
        tag, start, end, _ = _read_tlv(der, 0)
        if tag != 0x30:
            raise X509Error("not a DER SEQUENCE")
        # like OpenSSL's d2i_X509, bytes after the certificate are ignored
        der = der[:end]
        self.der = der
        top = _children(der, start, end)
        if len(top) != 3 or top[0][0] != 0x30:
            raise X509Error("not a Certificate")
        self.tbs = top[0]
        fields = _children(der, top[0][1], top[0][2])
        self.version = 1
        if fields and fields[0][0] == 0xA0:
            vtag, vs, ve, _ = _read_tlv(der, fields[0][1])
            self.version = int.from_bytes(der[vs:ve], "big") + 1
            fields = fields[1:]
        # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional [1] [2] [3]
        if len(fields) < 6 or fields[0][0] != 0x02 or fields[2][0] != 0x30 or fields[3][0] != 0x30:
            raise X509Error("malformed TBSCertificate")
        if fields[4][0] != 0x30 or fields[5][0] != 0x30:
            raise X509Error("malformed TBSCertificate")
        self.fields = fields
        self.extensions: list[tuple[str, bool, int, int, int]] = []  # (oid, critical, value start, value end, TLV start)
        for f in fields[6:]:
            if f[0] == 0xA3:
                _, s, e, _ = _read_tlv(der, f[1])
                for ext in _children(der, s, e):
                    parts = _children(der, ext[1], ext[2])
                    if not parts or parts[0][0] != 0x06:
                        raise X509Error("malformed extension")
                    critical = False
                    if len(parts) == 3 and parts[1][0] == 0x01:
                        critical = der[parts[1][1] : parts[1][2]] != b"\x00"
                    value = parts[-1]
                    if value[0] != 0x04:
                        raise X509Error("extension value is not an OCTET STRING")
                    self.extensions.append(
                        (_oid(der[parts[0][1] : parts[0][2]]), critical, value[1], value[2], ext[3])
                    )

    # -- helpers -----------------------------------------------------------------------------------------------------
    def raw(self, tlv) -> bytes:
        return self.der[tlv[3] : tlv[2]]

    def content(self, tlv) -> bytes:
        return self.der[tlv[1] : tlv[2]]

    def extension(self, oid: str):
        for ext in self.extensions:
            if ext[0] == oid:
                return ext
        return None

    def extension_value(self, oid: str) -> bytes | None:
        ext = self.extension(oid)
        return None if ext is None else self.der[ext[2] : ext[3]]

    @property
    def issuer(self):
        return self.fields[2]

    @property
    def subject(self):
        return self.fields[4]


def parse(der: bytes) -> Certificate:
    return Certificate(der)


# --------------------------------------------------------------------------------------------------------------------
# Names: OpenSSL X509_NAME_print_ex as crt.sh calls it (ESC_2253 + ESC_CTRL + ESC_QUOTE + UTF8_CONVERT + DUMP_UNKNOWN
# + DUMP_DER, ", " and " + " separators, short names, certificate order; an attribute type OpenSSL has no name for
# is labelled with its dotted OID). Checked against libx509pq's outputs in tests/fixtures/x509.

# OpenSSL's short name (long name where it has no short one) per attribute OID (crypto/objects/objects.txt).
ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.13": "description",
    "2.5.4.14": "searchGuide",
    "2.5.4.15": "businessCategory",
    "2.5.4.16": "postalAddress",
    "2.5.4.17": "postalCode",
    "2.5.4.18": "postOfficeBox",
    "2.5.4.19": "physicalDeliveryOfficeName",
    "2.5.4.20": "telephoneNumber",
    "2.5.4.21": "telexNumber",
    "2.5.4.22": "teletexTerminalIdentifier",
    "2.5.4.23": "facsimileTelephoneNumber",
    "2.5.4.24": "x121Address",
    "2.5.4.25": "internationaliSDNNumber",
    "2.5.4.26": "registeredAddress",
    "2.5.4.27": "destinationIndicator",
    "2.5.4.28": "preferredDeliveryMethod",
    "2.5.4.29": "presentationAddress",
    "2.5.4.30": "supportedApplicationContext",
    "2.5.4.31": "member",
    "2.5.4.32": "owner",
    "2.5.4.33": "roleOccupant",
    "2.5.4.34": "seeAlso",
    "2.5.4.35": "userPassword",
    "2.5.4.36": "userCertificate",
    "2.5.4.37": "cACertificate",
    "2.5.4.38": "authorityRevocationList",
    "2.5.4.39": "certificateRevocationList",
    "2.5.4.40": "crossCertificatePair",
    "2.5.4.41": "name",
    "2.5.4.42": "GN",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.45": "x500UniqueIdentifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.47": "enhancedSearchGuide",
    "2.5.4.48": "protocolInformation",
    "2.5.4.49": "distinguishedName",
    "2.5.4.50": "uniqueMember",
    "2.5.4.51": "houseIdentifier",
    "2.5.4.52": "supportedAlgorithms",
    "2.5.4.53": "deltaRevocationList",
    "2.5.4.54": "dmdName",
    "2.5.4.65": "pseudonym",
    "2.5.4.72": "role",
    "2.5.4.97": "organizationIdentifier",
    "2.5.4.98": "c3",
    "2.5.4.99": "n3",
    "2.5.4.100": "dnsName",
    "1.2.840.113549.1.9.1": "emailAddress",
    "1.2.840.113549.1.9.2": "unstructuredName",
    "1.2.840.113549.1.9.8": "unstructuredAddress",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
    "1.2.643.3.131.1.1": "INN",
    "1.2.643.100.1": "OGRN",
    "1.2.643.100.3": "SNILS",
    "1.2.643.100.5": "OGRNIP",
    "1.2.643.100.4": "INNLE",
}
# OpenSSL long names, accepted as the attribute argument of x509_nameAttributes (OBJ_txt2nid takes either).
ATTRIBUTE_LONG_NAMES = {
    "commonName": "2.5.4.3",
    "surname": "2.5.4.4",
    "countryName": "2.5.4.6",
    "localityName": "2.5.4.7",
    "stateOrProvinceName": "2.5.4.8",
    "streetAddress": "2.5.4.9",
    "organizationName": "2.5.4.10",
    "organizationalUnitName": "2.5.4.11",
    "givenName": "2.5.4.42",
    "domainComponent": "0.9.2342.19200300.100.1.25",
    "userId": "0.9.2342.19200300.100.1.1",
    "jurisdictionLocalityName": "1.3.6.1.4.1.311.60.2.1.1",
    "jurisdictionStateOrProvinceName": "1.3.6.1.4.1.311.60.2.1.2",
    "jurisdictionCountryName": "1.3.6.1.4.1.311.60.2.1.3",
}
_NAME_TO_OID = {v: k for k, v in ATTRIBUTE_NAMES.items()}
_NAME_TO_OID.update(ATTRIBUTE_LONG_NAMES)

# ASN.1 string tags OpenSSL prints (tag2nbyte in crypto/asn1/a_strex.c): bytes per character.
_STRING_WIDTH = {0x0C: 0, 0x12: 1, 0x13: 1, 0x14: 1, 0x16: 1, 0x17: 1, 0x18: 1, 0x1A: 1, 0x1C: 4, 0x1E: 2}

# crypto/asn1/charmap.h flags, from OpenSSL's charmap.pl
_ESC_2253, _ESC_CTRL, _ESC_QUOTE = 0x01, 0x02, 0x08
_FIRST_ESC, _LAST_ESC = 0x20, 0x40


def _char_type(c: int) -> int:
    t = 0
    if c < 32 or c == 127:
        t |= _ESC_CTRL
    ch = chr(c)
    if ch == " ":
        t |= _ESC_QUOTE | _FIRST_ESC | _LAST_ESC
    elif ch == "#":
        t |= _ESC_QUOTE | _FIRST_ESC
    elif ch in ",+<>;":
        t |= _ESC_QUOTE | _ESC_2253
    elif ch in '"\\':
        t |= _ESC_2253
    return t


_CHAR_TYPE = [_char_type(c) for c in range(128)]
_BS_ESC = _ESC_2253 | _FIRST_ESC | _LAST_ESC


def _decode_chars(tag: int, content: bytes) -> list[int]:
    width = _STRING_WIDTH[tag]
    if width == 0:
        try:
            return [ord(ch) for ch in content.decode("utf-8")]
        except UnicodeDecodeError as exc:
            raise X509Error("invalid UTF8String") from exc
    if len(content) % width:
        raise X509Error("string length is not a multiple of its character width")
    if width == 1:
        return list(content)
    return [int.from_bytes(content[i : i + width], "big") for i in range(0, len(content), width)]


def _escape_value(chars: list[int]) -> str:
    """OpenSSL do_buf/do_esc_char with ESC_2253|ESC_CTRL|ESC_QUOTE|UTF8_CONVERT (ESC_MSB off: raw UTF-8)."""
    out = []
    quote = False
    last = len(chars) - 1
    for i, c in enumerate(chars):
        if c > 0x7F:
            out.append(chr(c))  # UTF-8 converted, bytes > 0x7f not escaped
            continue
        flags = _ESC_2253 | _ESC_CTRL | _ESC_QUOTE
        if i == 0:
            flags |= _FIRST_ESC
        if i == last:
            flags |= _LAST_ESC
        chflgs = _CHAR_TYPE[c] & flags
        if chflgs & _BS_ESC:
            if chflgs & _ESC_QUOTE:
                quote = True
                out.append(chr(c))
            else:
                out.append("\\" + chr(c))
        elif chflgs & _ESC_CTRL:
            out.append("\\%02X" % c)
        elif c == 0x5C:
            out.append("\\\\")
        else:
            out.append(chr(c))
    text = "".join(out)
    return f'"{text}"' if quote else text


def _attribute_value(der: bytes, tlv) -> str:
    """An attribute value as the name printer writes it."""
    tag = tlv[0]
    if tag in _STRING_WIDTH:
        return _escape_value(_decode_chars(tag, der[tlv[1] : tlv[2]]))
    # ASN1_STRFLGS_DUMP_UNKNOWN + DUMP_DER: '#' and the hex of the whole DER encoding
    return "#" + der[tlv[3] : tlv[2]].hex().upper()


def _name_entries(der: bytes, name_tlv) -> list[list[tuple[str, tuple]]]:
    """RDNs in certificate order, each a list of (oid, value TLV)."""
    rdns = []
    for rdn in _children(der, name_tlv[1], name_tlv[2]):
        if rdn[0] != 0x31:
            raise X509Error("RDN is not a SET")
        entries = []
        for atv in _children(der, rdn[1], rdn[2]):
            parts = _children(der, atv[1], atv[2])
            if len(parts) != 2 or parts[0][0] != 0x06:
                raise X509Error("malformed AttributeTypeAndValue")
            entries.append((_oid(der[parts[0][1] : parts[0][2]]), parts[1]))
        rdns.append(entries)
    return rdns


def format_name(der: bytes, name_tlv) -> str:
    """Print the Name whose TLV is ``name_tlv`` inside ``der``."""
    parts = []
    for rdn in _name_entries(der, name_tlv):
        items = []
        for oid, value in rdn:
            label = ATTRIBUTE_NAMES.get(oid)
            # an attribute OpenSSL has no name for is labelled with its dotted OID
            items.append(f"{label or oid}={_attribute_value(der, value)}")
        parts.append(" + ".join(items))
    return ", ".join(parts)


def _attribute_text(der: bytes, value) -> str:
    """ASN1_STRING_to_UTF8: the value as UTF-8 text, unescaped."""
    content = der[value[1] : value[2]]
    if value[0] in _STRING_WIDTH:
        return "".join(chr(c) for c in _decode_chars(value[0], content))
    return content.decode("utf-8", "replace")


UNSUPPORTED_ATTRIBUTE = "Unsupported Attribute"


def _resolve_attribute(attr: str) -> str | None:
    """OpenSSL's OBJ_txt2nid: a short name, a long name (case-sensitive) or the dotted OID of an object it knows."""
    if attr in _NAME_TO_OID:
        return _NAME_TO_OID[attr]
    if attr in ATTRIBUTE_NAMES:
        return attr
    return None


# --------------------------------------------------------------------------------------------------------------------
# The functions, one per crt.sh x509_* function. Each raises X509Error; the SQL wrappers turn that into
# ERROR!/NULL/false as libx509pq does.


def subject_name(der: bytes) -> str:
    cert = parse(der)
    return format_name(cert.der, cert.subject)


def issuer_name(der: bytes) -> str:
    cert = parse(der)
    return format_name(cert.der, cert.issuer)


def name_attributes(der: bytes, attr: str | None, is_subject: bool, values: bool = True) -> list[str]:
    """Values of the attributes ``attr`` (every attribute when None) of the subject (or the issuer), unescaped UTF-8;
    with ``values`` false, their dotted OIDs. An attribute name OpenSSL does not know gives one row,
    'Unsupported Attribute'."""
    cert = parse(der)
    oid = None
    if attr is not None:
        oid = _resolve_attribute(attr)
        if oid is None:
            return [UNSUPPORTED_ATTRIBUTE]
    out = []
    for rdn in _name_entries(cert.der, cert.subject if is_subject else cert.issuer):
        for entry_oid, value in rdn:
            if oid is None or entry_oid == oid:
                out.append(_attribute_text(cert.der, value) if values else entry_oid)
    return out


def common_name(der: bytes) -> str | None:
    names = name_attributes(der, "2.5.4.3", True)
    return names[0] if names else None


def not_before(der: bytes) -> _dt.datetime:
    cert = parse(der)
    validity = _children(cert.der, cert.fields[3][1], cert.fields[3][2])
    return _time(validity[0][0], cert.content(validity[0]))


def not_after(der: bytes) -> _dt.datetime:
    cert = parse(der)
    validity = _children(cert.der, cert.fields[3][1], cert.fields[3][2])
    return _time(validity[1][0], cert.content(validity[1]))


def serial_number(der: bytes) -> bytes:
    """DER INTEGER contents, leading 00 kept when the high bit is set (same form as crl_revoked.serial_number)."""
    cert = parse(der)
    return cert.content(cert.fields[0])


def public_key(der: bytes) -> bytes:
    """DER SubjectPublicKeyInfo (equals ca.public_key)."""
    cert = parse(der)
    return cert.raw(cert.fields[5])


def has_extension(der: bytes, oid: str, is_critical: bool | None) -> bool:
    cert = parse(der)
    ext = cert.extension(oid)
    if ext is None:
        return False
    return is_critical is None or ext[1] == bool(is_critical)


BASIC_CONSTRAINTS = "2.5.29.19"
KEY_USAGE = "2.5.29.15"
SUBJECT_ALT_NAME = "2.5.29.17"
ISSUER_ALT_NAME = "2.5.29.18"
CERTIFICATE_POLICIES = "2.5.29.32"
EXTENDED_KEY_USAGE = "2.5.29.37"
SUBJECT_KEY_IDENTIFIER = "2.5.29.14"
AUTHORITY_KEY_IDENTIFIER = "2.5.29.35"
NETSCAPE_CERT_TYPE = "2.16.840.1.113730.1.1"
CT_POISON = "1.3.6.1.4.1.11129.2.4.3"
ANY_EKU = "2.5.29.37.0"
CT_SCT_LIST = "1.3.6.1.4.1.11129.2.4.2"


def _basic_constraints(cert: Certificate) -> tuple[bool, int | None] | None:
    value = cert.extension_value(BASIC_CONSTRAINTS)
    if value is None:
        return None
    tag, s, e, _ = _read_tlv(value, 0)
    ca = False
    path_len = None
    for t in _children(value, s, e):
        if t[0] == 0x01:
            ca = value[t[1] : t[2]] != b"\x00"
        elif t[0] == 0x02:
            path_len = int.from_bytes(value[t[1] : t[2]], "big", signed=True)
    return ca, path_len


def _key_usage_bits(cert: Certificate) -> int | None:
    value = cert.extension_value(KEY_USAGE)
    if value is None:
        return None
    tag, s, e, _ = _read_tlv(value, 0)
    bits = value[s + 1 : e]  # skip the unused-bits octet
    return int.from_bytes(bits[:2].ljust(2, b"\x00"), "big")  # bit 0 (digitalSignature) is 0x8000


_KU_KEY_CERT_SIGN = 0x8000 >> 5


def can_issue_certs(der: bytes) -> bool:
    """OpenSSL X509_check_ca() != 0: basicConstraints cA (and keyCertSign if keyUsage is present), or a v1 self-issued
    root, or keyUsage keyCertSign without basicConstraints, or a Netscape CA cert type."""
    cert = parse(der)
    ku = _key_usage_bits(cert)
    if ku is not None and not ku & _KU_KEY_CERT_SIGN:
        return False
    bc = _basic_constraints(cert)
    if bc is not None:
        return bc[0]
    if cert.version == 1 and cert.raw(cert.subject) == cert.raw(cert.issuer):
        return True
    if ku is not None:
        return True
    ns = cert.extension_value(NETSCAPE_CERT_TYPE)
    if ns is not None:
        tag, s, e, _ = _read_tlv(ns, 0)
        return bool(ns[s + 1 : e][:1] and ns[s + 1] & 0x07)  # SSL CA, S/MIME CA, object-signing CA
    return False


def path_len_constraint(der: bytes) -> int | None:
    """basicConstraints pathLenConstraint as libx509pq reports it: the value for a CA (NULL when unlimited), -3 when
    cA is false, -4 for a v3 certificate without basicConstraints, NULL for a v1 certificate."""
    cert = parse(der)
    bc = _basic_constraints(cert)
    if bc is None:
        return None if cert.version == 1 else -4
    return bc[1] if bc[0] else -3


def _general_names(value: bytes) -> list[tuple[int, bytes, tuple]]:
    tag, s, e, _ = _read_tlv(value, 0)
    return [(t[0] & 0x1F, value[t[1] : t[2]], t) for t in _children(value, s, e)]


def _ip_text(raw: bytes) -> str:
    if len(raw) == 4:
        return ".".join(str(b) for b in raw)
    if len(raw) == 16:
        # libx509pq prints each 16-bit group as %X after a ':' (hence the leading colon)
        return "".join(":%X" % int.from_bytes(raw[i : i + 2], "big") for i in range(0, 16, 2))
    return raw.hex().upper()


UNSUPPORTED_GENERAL_NAME = "Unsupported GeneralName"
_SUPPORTED_GENERAL_NAMES = (1, 2, 4, 6, 7)  # rfc822Name, dNSName, directoryName, URI, iPAddress


def alt_names_on_error(name_type: int | None) -> list[str]:
    return [UNSUPPORTED_GENERAL_NAME] if name_type is not None and name_type not in _SUPPORTED_GENERAL_NAMES else []


def alt_names(der: bytes, name_type: int | None = None, is_subject_alt_name: bool | None = True,
              values: bool | None = True) -> list[str]:
    """Names from subjectAltName (issuerAltName when ``is_subject_alt_name`` is false or NULL), as written and not
    de-duplicated. ``name_type``: None all, 1 email, 2 DNS, 4 directoryName, 6 URI, 7 IP; anything else gives one
    row 'Unsupported GeneralName'. With ``values`` false, only the type OIDs of otherName entries."""
    if name_type is not None and name_type not in _SUPPORTED_GENERAL_NAMES:
        return [UNSUPPORTED_GENERAL_NAME]
    cert = parse(der)
    value = cert.extension_value(SUBJECT_ALT_NAME if is_subject_alt_name else ISSUER_ALT_NAME)
    if value is None:
        return []
    out = []
    for kind, content, tlv in _general_names(value):
        if not values:
            if kind == 0:  # otherName: [0] { type-id OID, [0] EXPLICIT value }
                oid_tlv = _read_tlv(value, tlv[1])
                out.append(_oid(value[oid_tlv[1] : oid_tlv[2]]))
            continue
        if name_type is not None and kind != name_type:
            continue
        if kind in (1, 2, 6):  # IA5String bytes read as Latin-1, output as UTF-8 (libx509pq)
            out.append(content.decode("latin-1"))
        elif kind == 7:
            out.append(_ip_text(content))
        elif kind == 4:  # directoryName: [4] EXPLICIT Name
            out.append(format_name(value, _read_tlv(value, tlv[1])))
    return out


def cert_policies(der: bytes) -> list[str]:
    cert = parse(der)
    value = cert.extension_value(CERTIFICATE_POLICIES)
    if value is None:
        return []
    tag, s, e, _ = _read_tlv(value, 0)
    out = []
    for info in _children(value, s, e):
        first = _read_tlv(value, info[1])
        out.append(_oid(value[first[1] : first[2]]))
    return out


# OpenSSL long names of EKU purposes (x509_extKeyUsages with its second argument false)
EKU_LONG_NAMES = {
    "1.3.6.1.5.5.7.3.1": "TLS Web Server Authentication",
    "1.3.6.1.5.5.7.3.2": "TLS Web Client Authentication",
    "1.3.6.1.5.5.7.3.3": "Code Signing",
    "1.3.6.1.5.5.7.3.4": "E-mail Protection",
    "1.3.6.1.5.5.7.3.5": "IPSec End System",
    "1.3.6.1.5.5.7.3.6": "IPSec Tunnel",
    "1.3.6.1.5.5.7.3.7": "IPSec User",
    "1.3.6.1.5.5.7.3.8": "Time Stamping",
    "1.3.6.1.5.5.7.3.9": "OCSP Signing",
    "2.5.29.37.0": "Any Extended Key Usage",
    "1.3.6.1.4.1.311.10.3.3": "Microsoft Server Gated Crypto",
    "2.16.840.1.113730.4.1": "Netscape Server Gated Crypto",
    "1.3.6.1.4.1.311.10.3.4": "Microsoft Encrypted File System",
    "1.3.6.1.4.1.311.20.2.2": "Microsoft Smartcard Login",
}


def ext_key_usages(der: bytes, numeric: bool | None = True) -> list[str]:
    cert = parse(der)
    value = cert.extension_value(EXTENDED_KEY_USAGE)
    if value is None:
        return []
    tag, s, e, _ = _read_tlv(value, 0)
    oids = [_oid(value[t[1] : t[2]]) for t in _children(value, s, e)]
    return oids if numeric else [EKU_LONG_NAMES.get(o, o) for o in oids]


def is_eku_permitted(der: bytes, oid: str) -> bool:
    cert = parse(der)
    if oid == ANY_EKU or cert.extension(EXTENDED_KEY_USAGE) is None:
        return True
    ekus = ext_key_usages(der)
    return oid in ekus or ANY_EKU in ekus


def subject_key_identifier(der: bytes) -> bytes | None:
    cert = parse(der)
    value = cert.extension_value(SUBJECT_KEY_IDENTIFIER)
    if value is None:
        return None
    tag, s, e, _ = _read_tlv(value, 0)
    return value[s:e]


def authority_key_id(der: bytes) -> bytes | None:
    cert = parse(der)
    value = cert.extension_value(AUTHORITY_KEY_IDENTIFIER)
    if value is None:
        return None
    tag, s, e, _ = _read_tlv(value, 0)
    for t in _children(value, s, e):
        if t[0] == 0x80:  # [0] keyIdentifier
            return value[t[1] : t[2]]
    return None


def tbscert_strip_ct_ext(der: bytes) -> bytes:
    """The TBSCertificate DER without the CT poison and SCT-list extensions: with the issuer CA and the serial, crt.sh's
    key for counting a precertificate and its certificate once (RFC 6962 3.2)."""
    cert = parse(der)
    d = cert.der
    tbs = cert.tbs
    ext_field = next((f for f in cert.fields[6:] if f[0] == 0xA3), None)
    if ext_field is None or not any(e[0] in (CT_POISON, CT_SCT_LIST) for e in cert.extensions):
        return cert.raw(tbs)  # unchanged bytes, even where the encoding is not strict DER
    _, seq_start, seq_end, seq_tlv = _read_tlv(d, ext_field[1])
    kept = b"".join(
        d[ext[4] : _read_tlv(d, ext[4])[2]] for ext in cert.extensions if ext[0] not in (CT_POISON, CT_SCT_LIST)
    )
    if kept:
        seq = b"\x30" + _encode_length(len(kept)) + kept
        new_ext = b"\xa3" + _encode_length(len(seq)) + seq
    else:
        new_ext = b""
    body = d[tbs[1] : ext_field[3]] + new_ext + d[ext_field[2] : tbs[2]]
    return b"\x30" + _encode_length(len(body)) + body


def sha256_hex(data: bytes) -> str:
    return _hashlib.sha256(data).hexdigest().upper()
