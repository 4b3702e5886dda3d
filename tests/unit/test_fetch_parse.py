"""The fetch's one-pass parse (analysis.crtsh.rows.extract_fields) gives, on every certificate of the x509 regression
corpus, exactly what the x509_* calls of unexpired_certificates.sql give one by one (analysis.x509.call, which the
corpus test checks against libx509pq), whatever the certificates parsed before it: the decodings analysis.x509 keeps
by their encoding (issuer names, RDNs, algorithm identifiers, extensions) change no value, even for a part with
non-DER lengths, whose certificate's TBSCertificate must still be re-encoded when that part comes from the memo."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from analysis import x509
from analysis.crtsh.rows import SERVER_AUTH, extract_fields
from tests import pki
from tests.x509_corpus import recorded  # noqa: F401  (session-scoped fixture)


def per_call(der: bytes) -> dict:
    """The fields as unexpired_certificates.sql asks for them: one x509_* call each."""

    def sql(function, *args):
        return x509.call(function, der, *args)

    subject_o = sql("x509_nameAttributes", "organizationName", True)
    stripped = sql("x509_tbscert_strip_ct_ext")
    return {
        "sha256": hashlib.sha256(der).digest(),
        "serial_number": sql("x509_serialNumber"),
        "not_before": sql("x509_notBefore"),
        "not_after": sql("x509_notAfter"),
        "subject_o": subject_o[0] if subject_o else None,
        "subject_cn": sql("x509_commonName"),
        "dns_names": sql("x509_altNames", 2),
        "policy_oids": sql("x509_certPolicies"),
        "is_precertificate": sql("x509_hasExtension", x509.CT_POISON, True),
        "is_server_auth": sql("x509_isEKUPermitted", SERVER_AUTH) or False,
        "dedup_key": None if stripped is None else hashlib.sha256(stripped).digest(),
    }


def test_one_pass_equals_the_calls_on_every_corpus_certificate_in_any_order(recorded):
    _, certs = recorded
    ders = [certs[sha] for sha in sorted(certs)]
    x509._MEMO.clear()
    expected = [per_call(d) for d in ders]  # each certificate parsed with the memo as the corpus order leaves it
    assert len(expected) == 10358
    assert sum(e["subject_cn"] == x509.ERROR_TEXT for e in expected) > 0  # unparsable ones are in the corpus too
    order = list(range(len(ders)))
    random.Random(14).shuffle(order)
    for i in order:  # another history before each certificate
        assert extract_fields(ders[i]) == expected[i], sorted(certs)[i]
    for i in order[:500]:  # and none at all
        x509._MEMO.clear()
        assert extract_fields(ders[i]) == expected[i], sorted(certs)[i]


def _tlv(tag: int, content: bytes, long_form: bool = False) -> bytes:
    if long_form and len(content) < 0x80:  # a length DER would write in one octet, written in two (BER)
        return bytes([tag, 0x81, len(content)]) + content
    return x509._der_tlv(tag, content)


def _rebuild(der: bytes, path: list[int], long_form_at_end: bool) -> bytes:
    """``der`` with the TLV at ``path`` (child indexes from the outermost SEQUENCE) given a long-form length, and
    every enclosing length fixed."""
    tag, start, stop, _ = x509._tlv(der, 0, len(der))
    if not path:
        return _tlv(tag, der[start:stop], long_form_at_end)
    items = x509._items(der, start, stop)
    parts = [der[i[3]:i[2]] for i in items]
    parts[path[0]] = _rebuild(parts[path[0]], path[1:], long_form_at_end)
    return _tlv(tag, b"".join(parts))


def test_a_memoised_part_with_a_non_der_length_still_makes_the_tbs_re_encoded():
    ca_key, leaf_key = pki.key("memo-ca"), pki.key("memo-leaf")
    issuer = pki.name("Memo CA")
    common = dict(ca=False, sans=["a.example"], not_before=dt.datetime(2020, 1, 1),
                  not_after=dt.datetime(2021, 1, 1))
    ders = [pki.der(pki.build(pki.name(f"leaf {n}"), leaf_key, issuer, ca_key, serial=n, **common))
            for n in (1, 2)]
    # Certificate → tbsCertificate → its signature AlgorithmIdentifier (after the version and serial) → the OID, in
    # BER: met inside the decoding the memo keeps, and re-encoded in DER by OpenSSL's i2d_re_X509_tbs
    ber = [_rebuild(d, [0, 2, 0], True) for d in ders]
    x509._MEMO.clear()
    cold = x509.Certificate(ber[0]).tbscert_strip_ct_ext()
    assert cold == x509.Certificate(ders[0]).tbscert_strip_ct_ext()  # re-encoded: the DER certificate's TBS
    assert len(ber[0]) == len(ders[0]) + 1
    assert x509.Certificate(ber[0]).tbscert_strip_ct_ext() == cold  # the algorithm's check from the memo
    assert x509.Certificate(ber[1]).tbscert_strip_ct_ext() == x509.Certificate(ders[1]).tbscert_strip_ct_ext()
    # a DER certificate with the same algorithm right after: its TBS as it is
    tbs = x509._items(ders[0], *x509._tlv(ders[0], 0, len(ders[0]))[1:3])[0]
    assert x509.Certificate(ders[0]).tbscert_strip_ct_ext() == ders[0][tbs[3]:tbs[2]]
    # and with the memo's count of non-DER lengths left out, the BER one would be taken as DER: the test can fail
    [key] = [k for k, v in x509._MEMO.items() if v[1]]  # the one part holding a non-DER length
    assert key[0] == "alg" and x509._MEMO[key][1] == 1
    value = x509._MEMO[key][0]
    x509._MEMO[key] = (value, 0)
    try:
        assert x509.Certificate(ber[0]).tbscert_strip_ct_ext() != cold
    finally:
        x509._MEMO.clear()
