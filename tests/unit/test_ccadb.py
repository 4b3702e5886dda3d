"""analysis.ccadb: the offline CA hierarchy from the real CCADB metadata and the bundled PEMs (data/ccadb/)."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from cryptography import x509

from analysis import ccadb, nss, rootstore

ROOT = ccadb.CERTINOMIS_ROOT_CA
RACINE = ccadb.CERTINOMIS_AUTORITE_RACINE
BR, EV = ccadb.STARTCOM_BR_SSL_ICA_BY_CERTINOMIS, ccadb.STARTCOM_EV_SSL_ICA_BY_CERTINOMIS
STARTCOM_ROOTS = [  # self-signed roots the StartCom-issued versions of BR/EV SSL ICA chain to
    "9D1E2FD34F91EC6F24FB3516FA854BCE5AFB2A6BB41FD151D362F10124CC171F",  # StartCom Certification Authority G3
    "C766A9BEF2D4071C863A31AA4920E813B2D198608CB7B7CFE21143B836DF09EA",  # StartCom Certification Authority
    "C7BA6567DE93A798AE1FAA791E712D378FAE1F93C4397FEA441BB7CBE6FD5995",  # StartCom Certification Authority G2
    "E17890EE09A3FBF4F48B9C414A17D637B7A50647E9BC752322727FCC1742A911",  # StartCom Certification Authority
]

# The hierarchy of Certinomis - Root CA in the CCADB (sha256 -> subject CN), exactly.
CERTINOMIS_ROOT_CA_HIERARCHY = {
    "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158": "Certinomis - Root CA",
    "1E7D52025BE0FEF49628F0B34DC8798F2DE7E0B42EC429594A62F5F8A388E3BF": "Certinomis - Easy CA",
    "7109C8A0A805DA664733E6139DC10668B760D2E308756572B090A7F3FAE7FB9A": "Certinomis - Standard CA",
    "F9295618E7A752D107423C3D3E1FFE0D894F14369A188E733EEE36884EA73853": "Certinomis - Prime CA",
    "E6E8C0C0008AF7B6910ED50DDD88B118167805958DD67A778B390B72D9BBB5E6": "Certinomis - AA et Agents",
    "F735DB59F240540BEFCF1ABF57D4128EC285A3A2ACE4CF4987DED4A6847281A4": "Certinomis - Onetime CA",
    "350F568D9EB610C6A12373E6A31BE9876FA784E289C890E7BA07F1C346820D93": "Certinomis - Onetime CA 2016",
    "6D9A258172F5CD1BDFF447EF64F9A9593070F4ACCBFD07465E4A7CBD205A5CFC": "StartCom BR SSL ICA",
    "F6044A7B147C26BABAB17C5189A09BE781919E95E26F8014D6A8B9880A6BABED": "StartCom EV SSL ICA",
    "ADF2D6193E97685B33CD306869A016594347AB260F160BDD8FD56FC273CEDE5E": "Certinomis - Easy CA G2",
    "25F2CFF2D8A3D8E903B4331D76F3B946756E693C9A589F7A5E121A2C6EC5A086": "Certinomis - Prime CA G2",
    "AC374ADD6F654ADB5F1F76A7FAC5EA8FBBA2045D5647193547985208092FC6F2": "Certinomis - Standard CA G2",
    "E51E998355F742822F6BC4F7AA6342041F031E10F730DB6F9A67722B03F36819": "Certinomis - Timestamp CA",
    "97ABD7593E9AE8DF22FF46C417C763DD69AC551E2A78B164B66B97E63B1F86A8": "Certinomis - Web CA",
    "03B5FFE7DB4D85717CB2ED07119DD63A8D592C2FD04F2988D1C074F0FFFAAA2E": "Certinomis - Safe CA",
}


@pytest.fixture(scope="module")
def h():
    return ccadb.hierarchy(ROOT)


def test_metadata_loads():
    m = ccadb.load_metadata()
    assert len(m) == 10196 and m.index.is_unique
    assert str(m["not_after"].dtype) == "datetime64[ns]"
    assert m.loc[ROOT, "parents"] == ()
    assert m.loc[BR, "parents"] == (ROOT,)


def test_certinomis_root_ca_hierarchy_exact(h):
    assert dict(zip(h["sha256"], h["subject_cn"])) == CERTINOMIS_ROOT_CA_HIERARCHY
    assert list(h.columns) == ccadb.HIERARCHY_COLUMNS
    root = h.iloc[0]
    assert (root["sha256"], root["depth"], root["path"]) == (ROOT, 0, (ROOT,)) and pd.isna(root["issuer_sha256"])
    assert (h["depth"] <= 1).all() and (h.loc[h["depth"] == 1, "issuer_sha256"] == ROOT).all()
    # The Easy / Standard / Prime intermediates of 2013 and their G2 successors of 2017.
    cns = set(h["subject_cn"])
    for ca in ("Easy", "Standard", "Prime"):
        assert {f"Certinomis - {ca} CA", f"Certinomis - {ca} CA G2"} <= cns


def test_startcom_cross_signs(h):
    x = h.set_index("sha256")
    for sha in (BR, EV):
        assert bool(x.loc[sha, "is_cross_sign"])
        assert list(x.loc[sha, "other_roots"]) == STARTCOM_ROOTS
        assert x.loc[sha, "issuer"] == "CN=Certinomis - Root CA, O=Certinomis"
        assert x.loc[sha, "not_before"] == pd.Timestamp("2017-04-13 09:06:52" if sha == BR else "2017-04-13 09:12:58")
    # Easy/Standard/Prime/AA (2013) are also certified by Certinomis - Autorité Racine: cross-signs to that root.
    crossed = h[h["is_cross_sign"]]
    assert sorted(crossed["subject_cn"]) == ["Certinomis - AA et Agents", "Certinomis - Easy CA",
                                             "Certinomis - Prime CA", "Certinomis - Standard CA",
                                             "StartCom BR SSL ICA", "StartCom EV SSL ICA"]
    for other in crossed.loc[crossed["subject_cn"].str.startswith("Certinomis"), "other_roots"]:
        assert other == (RACINE,)


def test_roots_of():
    assert ccadb.roots_of(BR) == [ROOT]
    assert ccadb.roots_of(ROOT) == [ROOT]
    startcom_br = [s for s in ccadb.same_ca(BR) if s != BR]
    assert startcom_br == ["01C05B0A7F657E071765FDE94347C760A490FA7C3AEFEC3EA9CFAC3F62F1FBE3"]
    assert ccadb.roots_of(startcom_br[0]) == STARTCOM_ROOTS
    assert ccadb.roots_of("1E7D52025BE0FEF49628F0B34DC8798F2DE7E0B42EC429594A62F5F8A388E3BF") == [ROOT]
    with pytest.raises(KeyError):
        ccadb.roots_of("00" * 32)


def test_autorite_racine_hierarchy():
    h2 = ccadb.hierarchy(RACINE)
    assert len(h2) == 11 and h2.iloc[0]["sha256"] == RACINE
    assert (h2.loc[h2["is_cross_sign"], "other_roots"] == (ROOT,)).all()
    assert h2["is_cross_sign"].sum() == 4


def _pem_sha256(path) -> str:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    from cryptography.hazmat.primitives.serialization import Encoding

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest().upper()


def test_certinomis_bundle_is_exactly_the_connected_set():
    bundle = ccadb.bundled_pems(ccadb.CERTINOMIS_DIR)
    expected = ccadb.connected_certificates([ROOT, RACINE])
    assert sorted(bundle) == expected and len(expected) == 35
    for sha, path in bundle.items():
        assert _pem_sha256(path) == sha
    # Both cross-signed StartCom intermediates, their StartCom versions and all StartCom roots above them.
    assert {BR, EV, "01C05B0A7F657E071765FDE94347C760A490FA7C3AEFEC3EA9CFAC3F62F1FBE3",
            "6C9ED5F6951C0CE23F582004FC89D801558284442E685D85488C0D68B7121CD7", *STARTCOM_ROOTS} <= set(bundle)
    assert ccadb.load_pem(ROOT).startswith(b"-----BEGIN CERTIFICATE-----")


def test_roots_with_distrust_after_bundle():
    bundle = ccadb.bundled_pems(ccadb.ROOTS_WITH_DISTRUST_AFTER_DIR)
    assert len(bundle) == 24
    t = rootstore.load_timeline().set_index("sha256")
    events = rootstore.distrust_events()
    da = events[events["kind"].isin(["server_distrust_after_set", "email_distrust_after_set"])]
    for sha, path in bundle.items():
        assert _pem_sha256(path) == sha
        assert sha in set(da["sha256"]), t.loc[sha, "label"]
    # The four Entrust roots of the 2026 certdata.txt snapshot are there.
    c = nss.load_snapshot("2026-04-09").certificates
    entrust = c[c["label"].str.startswith("Entrust") & c["server_distrust_after"].notna()]
    assert set(entrust["sha256"]) <= set(bundle)
