"""analysis.nss: the certdata.txt parser, on synthetic snippets and on the four real snapshots in data/nss/."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis import nss, nss_history

CERTINOMIS = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"


# ------------------------------------------------------------------------------------------------------------------
# Synthetic snippets
# ------------------------------------------------------------------------------------------------------------------

def _octal(data: bytes) -> str:
    """certdata.txt MULTILINE_OCTAL body: 16 bytes per line."""
    return "\n".join("".join(f"\\{b:03o}" for b in data[i:i + 16]) for i in range(0, len(data), 16))


@pytest.fixture(scope="module")
def test_cert():
    """A small self-signed certificate (real DER), made at test time."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Snippet Org"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Snippet Root")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(0x1234).not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
            .not_valid_after(dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    issuer = cert.issuer.public_bytes()
    serial = b"\x02\x02\x12\x34"  # DER INTEGER 0x1234
    return der, issuer, serial


def _snippet(der, issuer, serial, *, cert_distrust="CKA_NSS_SERVER_DISTRUST_AFTER CK_BBOOL CK_FALSE",
             comment_in_trust=True, sha1=None):
    sha1 = sha1 or hashlib.sha1(der).digest()
    comment = "# For Server Distrust After: Sat Nov 30 23:59:59 2024\n" if comment_in_trust else ""
    return f"""#
# header comment
#
BEGINDATA
CKA_CLASS CK_OBJECT_CLASS CKO_NSS_BUILTIN_ROOT_LIST
CKA_LABEL UTF8 "Mozilla Builtin Roots"

#
# Certificate "Snippet Root"
#
CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE
CKA_TOKEN CK_BBOOL CK_TRUE
CKA_LABEL UTF8 "Snippet Root \\303\\251"
CKA_CERTIFICATE_TYPE CK_CERTIFICATE_TYPE CKC_X_509
CKA_ISSUER MULTILINE_OCTAL
{_octal(issuer)}
END
CKA_SERIAL_NUMBER MULTILINE_OCTAL
{_octal(serial)}
END
CKA_VALUE MULTILINE_OCTAL
{_octal(der)}
END
CKA_NSS_MOZILLA_CA_POLICY CK_BBOOL CK_TRUE
# For Server Distrust After: Sat Nov 30 23:59:59 2024
{cert_distrust}
CKA_NSS_EMAIL_DISTRUST_AFTER CK_BBOOL CK_FALSE

# Trust for "Snippet Root"
CKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST
CKA_LABEL UTF8 "Snippet Root"
CKA_CERT_SHA1_HASH MULTILINE_OCTAL
{_octal(sha1)}
END
CKA_ISSUER MULTILINE_OCTAL
{_octal(issuer)}
END
CKA_SERIAL_NUMBER MULTILINE_OCTAL
{_octal(serial)}
END
{comment}CKA_TRUST_SERVER_AUTH CK_TRUST CKT_NSS_TRUSTED_DELEGATOR
# a second comment line, between two trust attributes
CKA_TRUST_EMAIL_PROTECTION CK_TRUST CKT_NSS_MUST_VERIFY_TRUST
CKA_TRUST_CODE_SIGNING CK_TRUST CKT_NSS_NOT_TRUSTED
CKA_TRUST_STEP_UP_APPROVED CK_BBOOL CK_FALSE
"""


def test_comment_inside_object_does_not_end_it(test_cert):
    """The known bug: a parser that ends an object at a '#' line loses the trust bits after it, and the root drops out
    of the server-trusted set. Comments are skipped; objects end only at the next CKA_CLASS."""
    der, issuer, serial = test_cert
    cd = nss.parse_certdata(_snippet(der, issuer, serial))
    assert [o.object_class for o in cd.objects] == ["CKO_NSS_BUILTIN_ROOT_LIST", "CKO_CERTIFICATE", "CKO_NSS_TRUST"]
    assert len(cd.certificates) == 1 and cd.trust_only.empty
    row = cd.certificates.iloc[0]
    assert row["sha256"] == hashlib.sha256(der).hexdigest().upper()
    assert row["sha1"] == hashlib.sha1(der).hexdigest().upper()
    assert row["label"] == "Snippet Root \u00e9"
    assert row["server_trust"] == nss.TRUSTED_DELEGATOR
    assert row["email_trust"] == nss.MUST_VERIFY_TRUST
    assert row["codesign_trust"] == nss.NOT_TRUSTED
    assert bool(row["is_server_trusted"]) and not bool(row["is_email_trusted"])
    assert bool(row["has_trust_object"]) and bool(row["trust_sha1_matches"])
    assert row["serial_number"] == "1234"
    assert row["subject_cn"] == "Snippet Root" and row["subject_o"] == "Snippet Org"
    assert row["not_before"] == pd.Timestamp("2020-01-01")
    assert pd.isna(row["server_distrust_after"]) and row["server_distrust_after_source"] is None
    assert cd.summary() == {"certificates": 1, "server_trusted": 1, "email_trusted": 0, "server_distrust_after": 0,
                            "email_distrust_after": 0, "trust_only": 0}


def test_naive_parser_would_have_dropped_the_trust_bits(test_cert):
    """Demonstrate the bug the parser avoids: cutting objects at comment lines loses CKA_TRUST_SERVER_AUTH."""
    der, issuer, serial = test_cert
    text = _snippet(der, issuer, serial)
    trust_part = text[text.index("CKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST"):]
    naive_object = trust_part.split("\n#")[0]  # what an object-ends-at-comment parser keeps
    assert "CKA_TRUST_SERVER_AUTH" not in naive_object
    assert nss.parse_certdata(text).certificates.iloc[0]["server_trust"] == nss.TRUSTED_DELEGATOR


def test_distrust_after_multiline_octal_on_certificate(test_cert):
    der, issuer, serial = test_cert
    octal = _octal(b"241130235959Z")
    cd = nss.parse_certdata(_snippet(der, issuer, serial,
                                     cert_distrust=f"CKA_NSS_SERVER_DISTRUST_AFTER MULTILINE_OCTAL\n{octal}\nEND"))
    row = cd.certificates.iloc[0]
    assert row["server_distrust_after"] == pd.Timestamp("2024-11-30 23:59:59")
    assert row["server_distrust_after_source"] == "certificate"
    assert pd.isna(row["email_distrust_after"])


def test_sha1_mismatch_is_flagged(test_cert):
    der, issuer, serial = test_cert
    with pytest.warns(UserWarning, match="CKA_CERT_SHA1_HASH"):
        cd = nss.parse_certdata(_snippet(der, issuer, serial, sha1=b"\x00" * 20))
    assert not bool(cd.certificates.iloc[0]["trust_sha1_matches"])


def test_unterminated_multiline_octal_is_an_error():
    with pytest.raises(nss.CertdataError, match="without END"):
        nss.parse_objects("BEGINDATA\nCKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\nCKA_VALUE MULTILINE_OCTAL\n\\060\n")


def test_decode_octal_and_utctime():
    assert nss.decode_octal(r"\060\202\003") == b"\x30\x82\x03"
    assert nss.decode_octal(r"Caf\303\251") == "Café".encode()
    # RFC 5280 4.1.2.5.1: YY >= 50 -> 19YY
    assert nss.parse_utctime(b"991231235959Z") == pd.Timestamp("1999-12-31 23:59:59")
    assert nss.parse_utctime("200101000000Z") == pd.Timestamp("2020-01-01")
    with pytest.raises(nss.CertdataError):
        nss.parse_utctime("2024-11-30")


# ------------------------------------------------------------------------------------------------------------------
# The real snapshots (data/nss/snapshots)
# ------------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def snapshots():
    return nss.load_all_snapshots()


# data/nss/README.md and nss_certdata_versions.csv: certificate objects / server-auth TRUSTED_DELEGATOR roots.
EXPECTED_COUNTS = {
    "2019-06-03": (156, 140),
    "2019-06-04": (155, 139),
    "2020-05-27": (152, 138),
    "2026-04-09": (167, 121),
}


@pytest.mark.parametrize("date", sorted(EXPECTED_COUNTS))
def test_counts_per_snapshot(snapshots, date):
    s = snapshots[date].summary()
    assert (s["certificates"], s["server_trusted"]) == EXPECTED_COUNTS[date]


def test_counts_match_versions_table(snapshots):
    """The parser agrees with the independently derived versions table (state as of each snapshot's commit; the
    2019-06-03 file is the parent of the removal commit, i.e. the state left by the last change before it)."""
    versions = pd.read_csv(nss.NSS_DATA_DIR / "nss_certdata_versions.csv", dtype={"nss_commit": str})
    versions["date"] = pd.to_datetime(versions["date"])
    for date, commit in nss.SNAPSHOT_COMMITS.items():
        match = versions[versions["nss_commit"] == commit]
        v = match.iloc[-1] if len(match) else versions[versions["date"] <= date].iloc[-1]
        s = snapshots[date].summary()
        assert (s["certificates"], s["server_trusted"]) == (v["objects_with_certificates"],
                                                            v["server_auth_trusted_delegator_count"]), date


def test_every_certificate_has_its_trust_object(snapshots):
    for date, cd in snapshots.items():
        c = cd.certificates
        assert c["has_trust_object"].all(), date
        assert c["trust_sha1_matches"].astype(bool).all(), date
        assert c["sha256"].is_unique, date
        assert c["not_before"].notna().all()


def test_sha256_matches_the_fingerprint_comments(snapshots):
    """Independent check of the DER decoding: certdata.txt's own '# Fingerprint (SHA-256):' comments."""
    for date in nss.SNAPSHOTS:
        text = gzip.decompress(nss.snapshot_path(date).read_bytes()).decode()
        certs_part = [blk for blk in text.split("# Certificate ")[1:]]
        commented = set()
        for blk in certs_part:
            m = re.search(r"# Fingerprint \(SHA-256\): ([0-9A-F:]+)", blk)
            if m:
                commented.add(m.group(1).replace(":", ""))
        computed = set(snapshots[date].certificates["sha256"])
        assert commented and commented <= computed, date  # older versions lack the comment for some roots
        if date == "2026-04-09":
            assert commented == computed


def test_trust_only_explicit_distrust_entries(snapshots):
    assert len(snapshots["2019-06-03"].trust_only) == 7
    t = snapshots["2020-05-27"].trust_only
    assert (t["server_trust"] == nss.NOT_TRUSTED).all()
    assert sorted(t["label"].str.extract(r"^(\w+)")[0].unique()) == ["Distrust", "MITM", "TURKTRUST"]
    assert snapshots["2026-04-09"].trust_only.empty


def test_certinomis_removed_between_2019_06_03_and_2019_06_04(snapshots):
    before, after = snapshots["2019-06-03"], snapshots["2019-06-04"]
    assert CERTINOMIS in before and CERTINOMIS not in after
    row = before.root(CERTINOMIS)
    assert row["label"] == "Certinomis - Root CA"
    assert row["sha1"] == "9D70BB01A5A4A018112EF71C01B932C534E788A8"
    assert row["server_trust"] == nss.TRUSTED_DELEGATOR
    assert pd.isna(row["server_distrust_after"])  # NSS had no DISTRUST_AFTER attribute before October 2019
    # The only difference between the two versions is that root.
    assert set(before.certificates["sha256"]) - set(after.certificates["sha256"]) == {CERTINOMIS}
    assert set(after.certificates["sha256"]) <= set(before.certificates["sha256"])


SYMANTEC_2020 = {  # Bug 1618404 (label -> CKA_NSS_SERVER_DISTRUST_AFTER)
    "GeoTrust Global CA": "2020-01-01",
    "GeoTrust Primary Certification Authority": "2019-04-30",
    "GeoTrust Primary Certification Authority - G2": "2020-01-01",
    "GeoTrust Primary Certification Authority - G3": "2019-04-30",
    "GeoTrust Universal CA": "2018-09-30",
    "GeoTrust Universal CA 2": "2020-01-01",
    "VeriSign Class 3 Public Primary Certification Authority - G4": "2019-01-31",
    "VeriSign Class 3 Public Primary Certification Authority - G5": "2019-04-30",
    "VeriSign Universal Root Certification Authority": "2019-04-30",
    "thawte Primary Root CA": "2019-04-30",
    "thawte Primary Root CA - G2": "2018-09-30",
    "thawte Primary Root CA - G3": "2019-04-30",
}
OTHERS_2020 = {  # Bug 1621159, same day
    "Taiwan GRCA": "2019-09-19",
    "EC-ACC": "2019-12-28",
    "EE Certification Centre Root CA": "2017-09-01",
}


def test_symantec_distrust_after_dates_2020(snapshots):
    c = snapshots["2020-05-27"].certificates
    got = {r.label: r.server_distrust_after for r in c[c["server_distrust_after"].notna()].itertuples()}
    expected = {k: pd.Timestamp(v) for k, v in {**SYMANTEC_2020, **OTHERS_2020}.items()}
    assert got == expected
    sym = c[c["label"].isin(SYMANTEC_2020)]
    assert (sym["server_trust"] == nss.TRUSTED_DELEGATOR).all()  # still trusted, but only for older certificates
    assert (sym["server_distrust_after_source"] == "certificate").all()
    assert c["email_distrust_after"].isna().all()


def test_entrust_and_2026_distrust_after(snapshots):
    c = snapshots["2026-04-09"].certificates
    da = c[c["server_distrust_after"].notna()].set_index("label")
    entrust = da[da.index.str.startswith("Entrust")]
    assert sorted(entrust.index) == ["Entrust Root Certification Authority",
                                     "Entrust Root Certification Authority - EC1",
                                     "Entrust Root Certification Authority - G2",
                                     "Entrust.net Premium 2048 Secure Server CA"]
    # 241130235959Z
    assert (entrust["server_distrust_after"] == pd.Timestamp("2024-11-30 23:59:59")).all()
    assert da.loc["ePKI Root Certification Authority", "server_distrust_after"] == pd.Timestamp("2025-04-15 23:59:59")
    # Izenpe.com: the date sits on the *trust* object, after a comment line inside it.
    assert da.loc["Izenpe.com", "server_distrust_after"] == pd.Timestamp("2026-04-15 23:59:59")
    assert da.loc["Izenpe.com", "server_distrust_after_source"] == "trust"
    assert da.loc["Izenpe.com", "server_trust"] == nss.TRUSTED_DELEGATOR
    assert len(da) == 6


def test_comment_in_object_on_real_snapshots(snapshots):
    """In the real files, '# For Server Distrust After' comments sit inside objects (2020 and 2026). Every object that
    contains such a comment still has all its attributes after it."""
    for date, expected_objects in {"2019-06-03": 0, "2020-05-27": 15, "2026-04-09": 6}.items():
        text = gzip.decompress(nss.snapshot_path(date).read_bytes()).decode()
        body = text[text.index("BEGINDATA"):]
        objects_with_comment = 0
        for chunk in body.split("CKA_CLASS CK_OBJECT_CLASS ")[1:]:
            inner = chunk.split("\n\n")[0]  # the object's own lines, up to the blank line before the next header
            if "\n#" in inner:
                objects_with_comment += 1
                after_comment = inner[inner.index("\n#"):]
                assert "CKA_NSS_SERVER_DISTRUST_AFTER" in after_comment
        assert objects_with_comment == expected_objects, date
    # ... and the parser kept every trust object's trust bits: no certificate lost its server trust value.
    for date, cd in snapshots.items():
        assert cd.certificates["server_trust"].notna().all(), date


# ------------------------------------------------------------------------------------------------------------------
# Old spellings and escapes (certdata.txt 2000-2011)
# ------------------------------------------------------------------------------------------------------------------

def test_netscape_spelling_reads_as_nss(test_cert):
    """Before 2011-04-13 (Bug 642503) the trust class and values were spelled CKO_NETSCAPE_* / CKT_NETSCAPE_*; they
    read as the names that commit rewrote them to, so trust bits are known from 2000 on."""
    der, issuer, serial = test_cert
    text = (_snippet(der, issuer, serial).replace("CKO_NSS_TRUST", "CKO_NETSCAPE_TRUST")
            .replace("CKT_NSS_TRUSTED_DELEGATOR", "CKT_NETSCAPE_TRUSTED_DELEGATOR")
            .replace("CKT_NSS_MUST_VERIFY_TRUST", "CKT_NETSCAPE_TRUST_UNKNOWN")
            .replace("CKT_NSS_NOT_TRUSTED", "CKT_NETSCAPE_VALID"))
    row = nss.parse_certdata(text).certificates.iloc[0]
    assert (row["server_trust"], row["email_trust"], row["codesign_trust"]) == (
        nss.TRUSTED_DELEGATOR, nss.TRUST_UNKNOWN, nss.NOT_TRUSTED)
    assert bool(row["is_server_trusted"])


def test_hex_escapes_in_labels():
    """2007-2022 labels such as 'EBG Elektronik Sertifika Hizmet Sa\\xC4\\x9Flay...' hold C hex escapes."""
    assert nss.decode_octal(r"Sa\xC4\x9Flay\xc4\xb1\x63\xc4\xb1s\xc4\xb1").decode() == "Sağlayıcısı"
    assert nss.decode_octal(r"T\xc3\x9c\x42\xC4\xB0TAK").decode() == "TÜBİTAK"


# ------------------------------------------------------------------------------------------------------------------
# analysis.nss_history: the history rebuilt from certdata.txt versions
# ------------------------------------------------------------------------------------------------------------------

FIXTURES = Path(__file__).parents[1] / "fixtures" / "nss"
ENTRUST_2048_BEFORE = FIXTURES / "certdata_2013-02-28_nss-bf65ba4ce1c2_entrust2048.txt"
ENTRUST_2048_AFTER = FIXTURES / "certdata_2013-04-11_nss-6d10b1b240d2_entrust2048.txt"
ENTRUST_2048_OLD = "D1C339EA2784EB870F934FC5634E4AA9AD5505016401F26465D37A574663359F"
ENTRUST_2048_NEW = "6DC47172E01CBCB0BF62580D895FE2B8AC9AD4F873801E0C10B9C837D21EB177"
BUG_857615 = "Bug 857615 - April 2013 batch of NSS root CA changes, r=rrelyea"


def _version(date, commit, subject, source):
    return nss_history.Version(pd.Timestamp(date), commit, subject, nss.parse_certdata(source))


def test_entrust_2048_reissue_is_not_a_removal():
    """NSS swapped the 1999 certificate of Entrust.net Premium 2048 (D1C339EA..., expiring 2019) for a re-issue with
    the same subject and key (6DC47172..., expiring 2029) in April 2013: a re-issue, the CA stayed."""
    before, after = nss.parse_certdata(ENTRUST_2048_BEFORE), nss.parse_certdata(ENTRUST_2048_AFTER)
    old, new = before.root(ENTRUST_2048_OLD), after.root(ENTRUST_2048_NEW)
    assert (old["subject_name"], old["spki_sha256"]) == (new["subject_name"], new["spki_sha256"])
    assert new["subject_name"] == ("O=Entrust.net, OU=www.entrust.net/CPS_2048 incorp. by ref. (limits liab.), "
                                   "OU=(c) 1999 Entrust.net Limited, CN=Entrust.net Certification Authority (2048)")
    assert (old["not_after"], new["not_after"]) == (pd.Timestamp("2019-12-24 18:20:51"),
                                                    pd.Timestamp("2029-07-24 14:15:12"))
    t = nss_history.build_tables([_version("2013-04-11", "6d10b1b240d2", BUG_857615, ENTRUST_2048_AFTER)],
                                 previous=before)
    e = t.events.set_index("event")
    assert sorted(t.events["event"]) == ["added", "reissued"]
    assert e.loc["reissued", "sha256"] == ENTRUST_2048_OLD
    assert e.loc["reissued", "reissued_as"] == ENTRUST_2048_NEW == e.loc["reissued", "same_ca_kept"]
    assert e.loc["added", "sha256"] == ENTRUST_2048_NEW


def test_successor_not_trusted_for_the_same_purposes_is_a_removal():
    """Same subject and key, but the new certificate is not a TLS trust anchor: for TLS the CA was removed."""
    text = ENTRUST_2048_AFTER.read_text().replace(
        "CKA_TRUST_SERVER_AUTH CK_TRUST CKT_NSS_TRUSTED_DELEGATOR",
        "CKA_TRUST_SERVER_AUTH CK_TRUST CKT_NSS_MUST_VERIFY_TRUST")
    t = nss_history.build_tables([_version("2013-04-11", "6d10b1b240d2", BUG_857615, text)],
                                 previous=nss.parse_certdata(ENTRUST_2048_BEFORE))
    gone = t.events[t.events["sha256"] == ENTRUST_2048_OLD].iloc[0]
    assert (gone["event"], gone["reissued_as"], gone["same_ca_kept"]) == ("removed", "", ENTRUST_2048_NEW)


def _committed(name):
    return pd.read_csv(nss.NSS_DATA_DIR / name, dtype=str, keep_default_na=False)


def test_history_rebuilt_from_the_shipped_snapshots_matches_the_committed_tables(snapshots):
    """The builder, run on the four shipped certdata.txt files, gives the committed rows for those versions."""
    events = _committed("nss_root_events.csv")
    subject = events.loc[events["nss_commit"] == "311ccf25bcf9", "commit_subject"].iloc[0]
    versions = [nss_history.Version(pd.Timestamp(d), nss.SNAPSHOT_COMMITS[d], subject, snapshots[d])
                for d in ("2019-06-04", "2020-05-27", "2026-04-09")]
    # 2019-06-03 (a0c8f974b58f) holds the state before the Certinomis removal: the events of 311ccf25bcf9 follow.
    t = nss_history.build_tables(versions[:1], previous=snapshots["2019-06-03"])
    assert t.events.to_dict("records") == events[events["nss_commit"] == "311ccf25bcf9"].to_dict("records")
    assert len(t.events) == 1 and t.events["event"].iloc[0] == "removed"

    t = nss_history.build_tables(versions)
    committed = _committed("nss_certdata_versions.csv").set_index("nss_commit")
    for row in t.versions.astype(str).to_dict("records"):
        assert row == {"nss_commit": row["nss_commit"], **committed.loc[row["nss_commit"]].to_dict()}
    # The state of every certificate in the latest version (trust bits, distrust-after on either object).
    last_cols = ["sha256", "last_server_trust", "last_email_trust", "last_server_distrust_after",
                 "last_email_distrust_after", "subject_name", "spki_sha256", "not_after"]
    latest = set(snapshots["2026-04-09"].certificates["sha256"])
    timeline = _committed("nss_root_timeline.csv")
    expected = timeline[timeline["sha256"].isin(latest)][last_cols].sort_values("sha256").to_dict("records")
    rebuilt = t.timeline[t.timeline["sha256"].isin(latest)]
    assert rebuilt[last_cols].sort_values("sha256").to_dict("records") == expected and len(expected) == 167
    izenpe = timeline[timeline["label"] == "Izenpe.com"].iloc[0]
    assert izenpe["last_server_distrust_after"] == "2026-04-15T23:59:59Z"


def _git(repo, *args):
    when = "2013-04-11T23:30:00-07:00"
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": os.environ["PATH"],
                        "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})


def test_command_walks_a_git_history(tmp_path, capsys):
    """End to end on a real git repository: the pre-2013 path, then the move to lib/, first-parent order, UTC days."""
    repo = tmp_path / "nss"
    old_path = repo / "security/nss/lib/ckfw/builtins/certdata.txt"
    old_path.parent.mkdir(parents=True)
    _git(tmp_path, "init", "-q", str(repo))
    old_path.write_bytes(ENTRUST_2048_BEFORE.read_bytes())
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "add the 1999 certificate")
    new_path = repo / "lib/ckfw/builtins/certdata.txt"
    new_path.parent.mkdir(parents=True)
    _git(repo, "mv", str(old_path), str(new_path))
    _git(repo, "commit", "-q", "-m", "reorganize the directory layout")
    new_path.write_bytes(ENTRUST_2048_AFTER.read_bytes())
    _git(repo, "commit", "-q", "-a", "-m", BUG_857615)
    out = tmp_path / "out"
    assert nss_history.main(["--git-dir", str(repo / ".git"), "--out", str(out)]) == 0
    assert "3 certdata.txt versions" in capsys.readouterr().out
    versions = pd.read_csv(out / "nss_certdata_versions.csv", dtype=str)
    assert list(versions["date"]) == ["2013-04-12"] * 3  # 23:30 at UTC-7 is the next UTC day
    events = pd.read_csv(out / "nss_root_events.csv", dtype=str, keep_default_na=False)
    assert list(zip(events["event"], events["sha256"].str[:8], events["reissued_as"].str[:8])) == [
        ("added", "D1C339EA", ""), ("added", "6DC47172", ""), ("reissued", "D1C339EA", "6DC47172")]
    assert events["commit_subject"].iloc[-1] == BUG_857615
    timeline = pd.read_csv(out / "nss_root_timeline.csv", dtype=str, keep_default_na=False).set_index("sha256")
    assert timeline.loc[ENTRUST_2048_OLD, "reissued_as"] == ENTRUST_2048_NEW


def test_command_reports_a_bad_git_dir_in_one_line(tmp_path, capsys):
    assert nss_history.main(["--git-dir", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: git rev-parse") and "\n" not in err
    assert not list(tmp_path.iterdir())
