"""Certificate signatures checked the way OpenSSL's ``X509_verify`` checks them, on the exact TBS bytes.

crt.sh links a certificate to its issuer's ``ca`` row only when that CA's key verifies the signature
(``find_issuer`` in its ``import_any_cert``); :func:`verify_signature` gives the same verdict for RSA (PKCS #1 v1.5
and PSS with its parameters), ECDSA, DSA, Ed25519 and Ed448 keys.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from analysis.localdb.reading import NotACertificate, _children, _signed_parts, _tlv


def _oid_der(dotted: str) -> bytes:
    """The contents octets of an OBJECT IDENTIFIER."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        septets = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            septets.append(0x80 | arc & 0x7F)
        out += bytes(reversed(septets))
    return bytes(out)


# signatureAlgorithm OID -> (key type, hash); hash None for EdDSA; "pss" reads the hash from the parameters. What
# X509_verify accepts with OpenSSL 3.0 (checked with libx509pq's x509_verify): not RSA with SHA-512/224 or
# SHA-512/256, nor ECDSA with SHA-3 (it has no signature-algorithm mapping for them), nor MD2 or MD4.
_SIGNATURE_ALGORITHMS: dict[bytes, tuple[str, type | None | str]] = {_oid_der(k): v for k, v in {
    "1.2.840.113549.1.1.4": ("rsa", hashes.MD5),
    "1.3.14.3.2.3": ("rsa", hashes.MD5),
    "1.2.840.113549.1.1.5": ("rsa", hashes.SHA1),
    "1.3.14.3.2.29": ("rsa", hashes.SHA1),
    "1.2.840.113549.1.1.14": ("rsa", hashes.SHA224),
    "1.2.840.113549.1.1.11": ("rsa", hashes.SHA256),
    "1.2.840.113549.1.1.12": ("rsa", hashes.SHA384),
    "1.2.840.113549.1.1.13": ("rsa", hashes.SHA512),
    "2.16.840.1.101.3.4.3.13": ("rsa", hashes.SHA3_224),
    "2.16.840.1.101.3.4.3.14": ("rsa", hashes.SHA3_256),
    "2.16.840.1.101.3.4.3.15": ("rsa", hashes.SHA3_384),
    "2.16.840.1.101.3.4.3.16": ("rsa", hashes.SHA3_512),
    "1.2.840.113549.1.1.10": ("rsa", "pss"),
    "1.2.840.10045.4.1": ("ec", hashes.SHA1),
    "1.2.840.10045.4.3.1": ("ec", hashes.SHA224),
    "1.2.840.10045.4.3.2": ("ec", hashes.SHA256),
    "1.2.840.10045.4.3.3": ("ec", hashes.SHA384),
    "1.2.840.10045.4.3.4": ("ec", hashes.SHA512),
    "1.2.840.10040.4.3": ("dsa", hashes.SHA1),
    "1.3.14.3.2.27": ("dsa", hashes.SHA1),
    "2.16.840.1.101.3.4.3.1": ("dsa", hashes.SHA224),
    "2.16.840.1.101.3.4.3.2": ("dsa", hashes.SHA256),
    "1.3.101.112": ("ed25519", None),
    "1.3.101.113": ("ed448", None),
}.items()}
_HASH_OIDS = {_oid_der(k): v for k, v in {
    "1.3.14.3.2.26": hashes.SHA1, "2.16.840.1.101.3.4.2.4": hashes.SHA224, "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384, "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}.items()}


_MGF1 = _oid_der("1.2.840.113549.1.1.8")


def _pss_padding(der: bytes, params: tuple[int, int, int, int] | None) -> tuple[padding.PSS, type]:
    """RSASSA-PSS-params (RFC 4055): hash SHA-1, MGF1 with SHA-1, salt 20, trailer 1 unless given."""
    hash_cls, mgf_cls, salt = hashes.SHA1, hashes.SHA1, 20
    if params is None or params[0] != 0x30:
        raise ValueError("RSASSA-PSS without parameters")
    for tag, s, e, _ in _children(der, params[1], params[2]):
        inner = _tlv(der, s, e)
        if tag == 0xA0:
            hash_alg = _children(der, inner[1], inner[2])
            hash_cls = _HASH_OIDS[der[hash_alg[0][1] : hash_alg[0][2]]]
        elif tag == 0xA1:
            alg = _children(der, inner[1], inner[2])
            if der[alg[0][1] : alg[0][2]] != _MGF1:
                raise ValueError("PSS mask generation is not MGF1")
            mgf_alg = _children(der, alg[1][1], alg[1][2])
            mgf_cls = _HASH_OIDS[der[mgf_alg[0][1] : mgf_alg[0][2]]]
        elif tag == 0xA2:
            salt = int.from_bytes(der[inner[1] : inner[2]], "big", signed=True)
        elif tag == 0xA3 and int.from_bytes(der[inner[1] : inner[2]], "big") != 1:
            raise ValueError("PSS trailer field is not 1")
    if salt < 0:
        raise ValueError("negative PSS salt length")
    return padding.PSS(mgf=padding.MGF1(mgf_cls()), salt_length=salt), hash_cls


_KEYS: dict[bytes, object] = {}


def _load_key(spki: bytes):
    key = _KEYS.get(spki)
    if key is None:
        try:
            key = serialization.load_der_public_key(spki)
        except (ValueError, UnsupportedAlgorithm, TypeError):
            key = False
        if len(_KEYS) > 100_000:
            _KEYS.clear()
        _KEYS[spki] = key
    return key


def verify_signature(der: bytes, spki: bytes) -> bool:
    """Does the key ``spki`` verify the signature on certificate ``der``, as OpenSSL's ``X509_verify`` decides?

    The signature is checked over the TBSCertificate bytes exactly as they are in ``der`` (non-strict DER included),
    the signature algorithm inside the TBSCertificate must equal the outer one (OID and parameters), the BIT STRING
    must have no unused bits, and the key type must fit the algorithm: RSA PKCS#1 v1.5 with MD5, SHA-1, SHA-2 and
    SHA-3, RSASSA-PSS, ECDSA with SHA-1 and SHA-2, DSA, Ed25519 and Ed448, as OpenSSL 3.0 accepts them. Keys
    ``cryptography`` cannot load never verify."""
    try:
        der = der[: _tlv(der, 0, len(der))[2]]  # like d2i_X509, ignore what follows the certificate
        tbs, outer, sig = _signed_parts(der)
        fields = _children(der, tbs[1], tbs[2])
        inner = fields[2] if fields[0][0] == 0xA0 else fields[1]  # after [0] version and serialNumber
        if der[inner[1] : inner[2]] != der[outer[1] : outer[2]]:
            return False  # X509_ALGOR_cmp
        if sig[2] <= sig[1] or der[sig[1]] != 0:
            return False  # no bits, or unused bits in the signature BIT STRING
        alg = _children(der, outer[1], outer[2])
        kind, hash_cls = _SIGNATURE_ALGORITHMS.get(der[alg[0][1] : alg[0][2]], (None, None))
        key = _load_key(spki)
        tbs_bytes, signature = der[tbs[3] : tbs[2]], der[sig[1] + 1 : sig[2]]
        if kind == "rsa" and isinstance(key, rsa.RSAPublicKey):
            if hash_cls == "pss":
                pad, hash_cls = _pss_padding(der, alg[1] if len(alg) > 1 else None)
            else:
                pad = padding.PKCS1v15()
            key.verify(signature, tbs_bytes, pad, hash_cls())
        elif kind == "ec" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, tbs_bytes, ec.ECDSA(hash_cls()))
        elif kind == "dsa" and isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, tbs_bytes, hash_cls())
        elif kind == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey) or (
            kind == "ed448" and isinstance(key, ed448.Ed448PublicKey)
        ):
            key.verify(signature, tbs_bytes)
        else:
            return False
        return True
    except (InvalidSignature, UnsupportedAlgorithm, NotACertificate, ValueError, TypeError, KeyError, IndexError):
        return False
