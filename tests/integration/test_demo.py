"""Tests of the synthetic demo population (analysis.demo).

The expected numbers are recomputed from the DER files and the CSVs with ``cryptography`` and a tiny DER walker,
never from the generator's own variables, so a bug in the generator's bookkeeping cannot hide itself.
"""

from __future__ import annotations

import csv
import hashlib
import json
import struct
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from analysis import demo

UTC = UTC
AS_OF = datetime(2019, 5, 17, tzinfo=UTC)
CUTOFF = datetime(2019, 8, 31, 23, 59, 59, tzinfo=UTC)
POISON = "1.3.6.1.4.1.11129.2.4.3"
SCT_LIST = "1.3.6.1.4.1.11129.2.4.2"
LEVEL_OF_POLICY = {"2.23.140.1.2.1": "DV", "2.23.140.1.2.2": "OV", "2.23.140.1.1": "EV"}


# --- a minimal DER walker: enough to strip CT extensions from a TBSCertificate (crt.sh's dedup rule) ------------


def _tlv(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, end) of the TLV at pos."""
    tag, first = buf[pos], buf[pos + 1]
    start = pos + 2
    length = first
    if first & 0x80:
        n = first & 0x7F
        length = int.from_bytes(buf[start:start + n], "big")
        start += n
    return tag, start, start + length


def _children(buf: bytes, start: int, end: int):
    pos = start
    while pos < end:
        tag, cstart, cend = _tlv(buf, pos)
        yield tag, pos, cstart, cend
        pos = cend


def _encode(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _encode_oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


CT_OIDS_DER = {_encode_oid(POISON), _encode_oid(SCT_LIST)}


def strip_ct(tbs: bytes) -> bytes:
    """TBSCertificate without the poison and SCT-list extensions (x509_tbscert_strip_ct_ext)."""
    _tag, start, end = _tlv(tbs, 0)
    parts = []
    for tag, pos, cstart, cend in _children(tbs, start, end):
        if tag == 0xA3:  # [3] EXPLICIT Extensions
            _t, estart, eend = _tlv(tbs, cstart)
            kept = []
            for _t2, xpos, xstart, xend in _children(tbs, estart, eend):
                _t3, ostart, oend = _tlv(tbs, xstart)
                if tbs[ostart:oend] not in CT_OIDS_DER:
                    kept.append(tbs[xpos:xend])
            parts.append(_encode(0xA3, _encode(0x30, b"".join(kept))))
        else:
            parts.append(tbs[pos:cend])
    return _encode(0x30, b"".join(parts))


def der_serial_contents(tbs: bytes) -> bytes:
    """The serialNumber INTEGER contents as encoded (keeps a leading 00)."""
    _tag, start, end = _tlv(tbs, 0)
    children = list(_children(tbs, start, end))
    tag, _pos, cstart, cend = children[1] if children[0][0] == 0xA0 else children[0]
    assert tag == 0x02
    return tbs[cstart:cend]


# --- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    demo.generate(d)
    return d


@pytest.fixture(scope="module")
def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def certs(out) -> dict[str, x509.Certificate]:
    result = {}
    for path in sorted((out / "certs").glob("*.der")):
        der = path.read_bytes()
        assert path.stem == hashlib.sha256(der).hexdigest().upper()
        result[path.stem] = x509.load_der_x509_certificate(der)
    return result


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def truth(out) -> dict[str, dict[str, str]]:
    return {r["sha256"]: r for r in _read_csv(out / "truth.csv")}


@pytest.fixture(scope="module")
def entries(out) -> list[dict[str, str]]:
    return _read_csv(out / "ct_log_entries.csv")


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _is_ca(c: x509.Certificate) -> bool:
    try:
        return c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _is_precert(c: x509.Certificate) -> bool:
    try:
        return c.extensions.get_extension_for_oid(x509.ObjectIdentifier(POISON)).critical
    except x509.ExtensionNotFound:
        return False


def _kind(c: x509.Certificate, root_subjects: set[bytes]) -> str:
    if _is_ca(c):
        if c.subject == c.issuer:
            return "root"
        return "cross" if c.subject.public_bytes() in root_subjects else "intermediate"
    return "precert" if _is_precert(c) else "leaf"


def _o(c: x509.Certificate) -> str | None:
    attrs = c.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return attrs[0].value if attrs else None


def _dns(c: x509.Certificate) -> list[str]:
    try:
        return c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        return []


def _level(c: x509.Certificate) -> str | None:
    pols = c.extensions.get_extension_for_class(x509.CertificatePolicies).value
    levels = {LEVEL_OF_POLICY[p.policy_identifier.dotted_string] for p in pols
              if p.policy_identifier.dotted_string in LEVEL_OF_POLICY}
    assert len(levels) == 1
    return levels.pop()


def _gouv(name: str) -> bool:
    return name == "gouv.fr" or name.endswith(".gouv.fr")


@pytest.fixture(scope="module")
def kinds(certs) -> dict[str, str]:
    roots = {c.subject.public_bytes() for c in certs.values() if _is_ca(c) and c.subject == c.issuer}
    return {sha: _kind(c, roots) for sha, c in certs.items()}


@pytest.fixture(scope="module")
def issuances(certs, kinds) -> dict[tuple[bytes, int], dict[str, str]]:
    """crt.sh's dedup rule: same issuer, same serial, same TBSCertificate once the CT extensions are stripped."""
    groups: dict[tuple[bytes, int], dict[str, str]] = defaultdict(dict)
    for sha, c in certs.items():
        if kinds[sha] in ("leaf", "precert"):
            g = groups[(c.issuer.public_bytes(), c.serial_number)]
            assert kinds[sha] not in g, "two certificates of the same kind share issuer and serial"
            g[kinds[sha]] = sha
    return dict(groups)


# --- determinism --------------------------------------------------------------------------------------------------


def _tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_same_seed_writes_byte_identical_files(out, tmp_path):
    stale = tmp_path / "certs" / ("00" * 32 + ".der")
    stale.parent.mkdir()
    stale.write_bytes(b"left over from an earlier run")
    demo.generate(tmp_path)
    assert _tree(tmp_path) == _tree(out)


def test_expected_counts_without_writing_equal_the_manifest(manifest):
    expected = demo.expected_counts()
    written = {k: v for k, v in manifest.items() if k not in ("checksums", "population_sha256")}
    assert expected == written


def test_manifest_checksums_match_files(out, manifest):
    for name, digest in manifest["checksums"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    shas = sorted(p.stem for p in (out / "certs").glob("*.der"))
    assert hashlib.sha256("\n".join(shas).encode()).hexdigest() == manifest["population_sha256"]


# --- manifest numbers recomputed from the DER files ---------------------------------------------------------------


def test_counts_by_kind_from_der(certs, kinds, manifest, truth):
    assert dict(Counter(kinds.values())) == manifest["counts_by_kind"]
    assert len(certs) == manifest["certificates"]
    assert set(truth) == set(certs)
    assert {sha: r["kind"] for sha, r in truth.items()} == kinds


def test_headline_numbers_from_der(out, certs, issuances, manifest):
    revoked_keys = {}
    for r in _read_csv(out / "revocations.csv"):
        c = certs[r["certificate_sha256"]]
        key = (c.issuer.public_bytes(), c.serial_number)
        assert key not in revoked_keys, "one revocation row per issuance"
        revoked_keys[key] = _ts(r["revocation_date"])

    rows = []
    for key, g in issuances.items():
        c = certs[g.get("leaf") or g["precert"]]
        rows.append(dict(
            nb=c.not_valid_before_utc, na=c.not_valid_after_utc, o=_o(c), dns=_dns(c), level=_level(c),
            orphan="leaf" not in g, final_only="precert" not in g, revoked=revoked_keys.get(key),
        ))
    alive = [r for r in rows if r["nb"] <= AS_OF < r["na"]]
    revoked_alive = [r for r in alive if r["revoked"] and r["revoked"] <= AS_OF]
    recomputed = {
        "unexpired_issuances": len(alive),
        "unexpired_orphan_precerts": sum(r["orphan"] for r in alive),
        "unexpired_final_only": sum(r["final_only"] for r in alive),
        "unexpired_revoked": len(revoked_alive),
        "organisations": len({r["o"] for r in alive if r["o"]}),
        "no_organisation_issuances": sum(r["o"] is None for r in alive),
        "gouv_fr_issuances": sum(any(_gouv(n) for n in r["dns"]) for r in alive),
        "dv_issuances": sum(r["level"] == "DV" for r in alive),
        "ov_issuances": sum(r["level"] == "OV" for r in alive),
        "ev_issuances": sum(r["level"] == "EV" for r in alive),
        "expiring_on_or_before_2019_08_31": sum(r["na"] <= CUTOFF for r in alive),
        "in_scope_unrevoked_issuances": sum(r["na"] > CUTOFF and not (r["revoked"] and r["revoked"] <= AS_OF)
                                            for r in alive),
        "issued_after_2019_05_17": sum(r["nb"] > AS_OF for r in rows),
        "expired_before_2019_05_17": sum(r["na"] <= AS_OF for r in rows),
    }
    headline = manifest["expected_as_of_2019_05_17"]
    assert {k: headline[k] for k in recomputed} == recomputed
    assert manifest["issuances"] == {
        "total": len(rows),
        "pairs": sum(not r["orphan"] and not r["final_only"] for r in rows),
        "orphan_precerts": sum(r["orphan"] for r in rows),
        "final_only": sum(r["final_only"] for r in rows),
        "revoked": len(revoked_keys),
        "organisations": len({r["o"] for r in rows if r["o"]}),
    }
    # The filters must each change the answer (dates are kept off the boundaries, so <= vs < cannot matter).
    for r in rows:
        assert not (datetime(2019, 5, 17, tzinfo=UTC) <= r["nb"] < datetime(2019, 5, 19, tzinfo=UTC))
        assert not (datetime(2019, 5, 16, tzinfo=UTC) <= r["na"] < datetime(2019, 5, 19, tzinfo=UTC))


def test_required_ranges(manifest):
    h = manifest["expected_as_of_2019_05_17"]
    assert 1300 <= h["unexpired_issuances"] <= 1500
    assert 110 <= h["organisations"] <= 130
    assert 0.15 <= h["no_organisation_issuances"] / h["unexpired_issuances"] <= 0.35
    assert h["expired_before_2019_05_17"] >= 200
    assert h["issued_after_2019_05_17"] >= 50
    assert h["expiring_on_or_before_2019_08_31"] >= 50
    assert h["unexpired_orphan_precerts"] >= 20 and h["unexpired_final_only"] >= 20
    assert h["unexpired_revoked"] >= 10
    assert h["gouv_fr_issuances"] >= 100
    assert h["gouv_fr_issuances"] > h["all_names_gouv_fr_issuances"]  # some mix gouv.fr with other names
    assert manifest["issuances"]["organisations"] > h["organisations"]  # former customers, only expired
    assert manifest["oddities"]["wildcard_issuances"] >= 20
    assert manifest["oddities"]["multi_san_issuances"] >= 100


def test_heavy_head_of_organisations(certs, issuances):
    per_org = Counter()
    for g in issuances.values():
        c = certs[g.get("leaf") or g["precert"]]
        if c.not_valid_before_utc <= AS_OF < c.not_valid_after_utc and _o(c):
            per_org[_o(c)] += 1
    top = per_org.most_common()
    assert top[0][1] >= 200 and top[1][1] >= 100
    assert sum(n for _, n in top[:5]) >= 0.5 * sum(per_org.values())
    assert sum(n == 1 for _, n in top) >= 20  # and a long tail


# --- certificate structure -----------------------------------------------------------------------------------------


def test_every_certificate_verifies_against_its_issuer(certs, kinds):
    cas = [c for sha, c in certs.items() if kinds[sha] in ("root", "cross", "intermediate")]
    for sha, c in certs.items():
        issuers = [ca for ca in cas if ca.subject == c.issuer]
        assert issuers, sha
        for ca in issuers:  # "Demo Root CA" has two certificates (self-signed and cross-signed), one key
            c.verify_directly_issued_by(ca)
    roots = [c for sha, c in certs.items() if kinds[sha] == "root"]
    cross = [c for sha, c in certs.items() if kinds[sha] == "cross"]
    assert len(roots) == 2 and len(cross) == 1
    demo_root = next(r for r in roots if r.subject == cross[0].subject)
    assert demo_root.public_key() == cross[0].public_key() and demo_root.issuer != cross[0].issuer
    for c in cas:
        assert "(synthetic)" in _o(c)


def test_precert_and_final_differ_only_by_ct_extensions(certs, issuances):
    pairs = [g for g in issuances.values() if len(g) == 2]
    assert pairs
    for g in pairs:
        pre, fin = certs[g["precert"]], certs[g["leaf"]]
        assert pre.serial_number == fin.serial_number
        poison = pre.extensions.get_extension_for_oid(x509.ObjectIdentifier(POISON))
        assert poison.critical and isinstance(poison.value, x509.PrecertPoison)
        sct = fin.extensions.get_extension_for_oid(x509.ObjectIdentifier(SCT_LIST))
        assert not sct.critical
        with pytest.raises(x509.ExtensionNotFound):
            fin.extensions.get_extension_for_oid(x509.ObjectIdentifier(POISON))
        assert strip_ct(pre.tbs_certificate_bytes) == strip_ct(fin.tbs_certificate_bytes)
        assert strip_ct(pre.tbs_certificate_bytes) != pre.tbs_certificate_bytes


def test_scts_are_genuine_and_match_the_precert_log_entries(certs, issuances, entries):
    logs_key = {n: demo._derive_key(demo.DEFAULT_SEED, f"ct-log/{n}").public_key() for n in range(1, 7)}
    log_by_id = {hashlib.sha256(k.public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)).digest(): n
                 for n, k in logs_key.items()}
    by_cert = defaultdict(list)
    for e in entries:
        by_cert[e["certificate_sha256"]].append((int(e["ct_log_id"]), _ts(e["entry_timestamp"])))
    cas = {c.subject.public_bytes(): c for c in certs.values() if _is_ca(c)}
    pairs = [g for g in issuances.values() if len(g) == 2]
    for g in pairs[:: max(1, len(pairs) // 150)]:  # a sample keeps the test fast
        fin = certs[g["leaf"]]
        issuer = cas[fin.issuer.public_bytes()]
        key_hash = hashlib.sha256(issuer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
        tbs = strip_ct(fin.tbs_certificate_bytes)
        scts = fin.extensions.get_extension_for_oid(x509.ObjectIdentifier(SCT_LIST)).value
        seen = set()
        for sct in scts:
            log = log_by_id[sct.log_id]
            seen.add((log, sct.timestamp.replace(tzinfo=UTC)))
            ts_ms = int((sct.timestamp.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC))
                        / timedelta(milliseconds=1))
            signed = (b"\x00\x00" + struct.pack(">Q", ts_ms) + b"\x00\x01" + key_hash
                      + len(tbs).to_bytes(3, "big") + tbs + b"\x00\x00")
            logs_key[log].verify(sct.signature, signed, ec.ECDSA(hashes.SHA256()))
        assert seen == set(by_cert[g["precert"]])


def test_ct_entries(certs, kinds, entries, truth, issuances):
    by_cert = defaultdict(list)
    per_log = defaultdict(list)
    for e in entries:
        by_cert[e["certificate_sha256"]].append(_ts(e["entry_timestamp"]))
        per_log[e["ct_log_id"]].append((_ts(e["entry_timestamp"]), int(e["entry_id"])))
    assert set(by_cert) == set(certs)  # every certificate file was logged
    for sha, c in certs.items():
        if kinds[sha] in ("leaf", "precert"):
            first = min(by_cert[sha])
            assert c.not_valid_before_utc < first < c.not_valid_before_utc + timedelta(days=21)
            assert truth[sha]["earliest_ct_entry"] and _ts(truth[sha]["earliest_ct_entry"]) == first
    for g in issuances.values():
        if len(g) == 2:
            assert max(by_cert[g["precert"]]) < min(by_cert[g["leaf"]])
    for rows in per_log.values():  # entry ids grow with time inside a log
        ids = [i for _t, i in sorted(rows)]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_ct_logs_csv(out, entries):
    logs = _read_csv(out / "ct_logs.csv")
    assert [list(r) for r in logs][0] == ["id", "operator", "url", "name"]
    ids = {r["id"] for r in logs}
    assert {e["ct_log_id"] for e in entries} <= ids
    assert all(".example/" in r["url"] and "(synthetic)" in r["operator"] for r in logs)


def test_leaf_content_rules(certs, kinds):
    for sha, c in certs.items():
        if kinds[sha] not in ("leaf", "precert"):
            continue
        nb, na = c.not_valid_before_utc, c.not_valid_after_utc
        assert 2016 <= nb.year <= 2019 and nb <= datetime(2019, 9, 1, tzinfo=UTC)
        assert timedelta(days=365) <= na - nb <= timedelta(days=1095)
        if nb >= datetime(2018, 3, 1, tzinfo=UTC):
            assert na - nb <= timedelta(days=825)  # CA/B Forum Ballot 193
        level = _level(c)
        assert (_o(c) is None) == (level == "DV")
        if level == "EV":
            assert not any(n.startswith("*.") for n in _dns(c))
            assert c.subject.get_attributes_for_oid(NameOID.JURISDICTION_COUNTRY_NAME)


def test_oddities_present(certs, kinds, truth):
    leaves = {sha: c for sha, c in certs.items() if kinds[sha] in ("leaf", "precert")}
    all_dns = {sha: _dns(c) for sha, c in leaves.items()}
    space = [sha for sha, names in all_dns.items() if any(" " in n for n in names)]
    assert space and all("san_space" in truth[sha]["oddities"] for sha in space)
    assert any(n.endswith(".intranet") for names in all_dns.values() for n in names)
    assert any(len(names) != len(set(names)) for names in all_dns.values())
    assert any(any(n.startswith("*.") for n in names) for names in all_dns.values())
    assert any(any(_gouv(n) for n in names) for names in all_dns.values())
    ipv6 = [c for c in leaves.values()
            if any(ip.version == 6 for ip in c.extensions.get_extension_for_class(x509.SubjectAlternativeName)
                   .value.get_values_for_type(x509.IPAddress))]
    assert ipv6
    non_ascii = [c for c in leaves.values() if _o(c) and not _o(c).isascii()]
    assert non_ascii
    assert any(_o(c) == "Société Générale d'Exemple" for c in non_ascii)
    for c in non_ascii[:50]:
        assert c.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0]._type == x509.name._ASN1Type.UTF8String
    assert any(_o(c) is None and _level(c) == "DV" for c in leaves.values())
    high_bit = [sha for sha, c in leaves.items() if der_serial_contents(c.tbs_certificate_bytes)[0] == 0]
    assert high_bit
    for sha in high_bit:
        assert truth[sha]["serial"].startswith("00") and len(truth[sha]["serial"]) == 34
        assert "high_bit_serial" in truth[sha]["oddities"]
    assert any(certs[sha].not_valid_before_utc <= AS_OF < certs[sha].not_valid_after_utc for sha in high_bit)


def test_truth_rows_agree_with_der(certs, truth):
    for sha, r in truth.items():
        c = certs[sha]
        assert _ts(r["not_before"]) == c.not_valid_before_utc and _ts(r["not_after"]) == c.not_valid_after_utc
        assert int(r["serial"], 16) == c.serial_number
        if r["kind"] in ("leaf", "precert"):
            assert r["organisation"] == (_o(c) or "")
            assert r["dns_names"].split(";") == _dns(c)
            assert r["validation_level"] == _level(c)


def test_revocations_csv(out, certs, truth):
    rows = _read_csv(out / "revocations.csv")
    assert rows and list(rows[0]) == ["certificate_sha256", "revocation_date", "reason_code"]
    for r in rows:
        c = certs[r["certificate_sha256"]]
        assert c.not_valid_before_utc < _ts(r["revocation_date"]) < c.not_valid_after_utc
        assert r["reason_code"] in ("", "1", "3", "4", "5")
        assert truth[r["certificate_sha256"]]["revoked"] == "true"
    revoked_issuances = {truth[s]["issuance_id"] for s, t in truth.items() if t["revoked"] == "true"}
    assert len(revoked_issuances) == len(rows)
