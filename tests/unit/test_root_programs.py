"""What root programs actually did, applied to real certificates (tests/fixtures/real) — and the actions file."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from cryptography import x509 as cx509
from cryptography.hazmat.primitives.serialization import Encoding

from analysis import crtsh, policies, presets, root_programs
from analysis.normalise import normalise

REAL = Path(__file__).parents[1] / "fixtures" / "real"
SYMANTEC_LEAF = "0E0F0E57A50D4665F429B682A99BEEEDDC630D5B28ABDFDB6EF4550F373686F6"  # the-acey.com, to 2019-08-07
SYMANTEC_G4 = "564DBC6A76550FD2D4F4BAC6448A1157B33CBD8E0B3FD76D72107540964A85B5"  # its issuer
GOOGLE_LEAF = "4CB37380288CED39EA8F515F2EF39C0C1841F0FC0B7C4D162EF59D633738E64B"  # under Google Internet Authority G2
GIAG2 = "9B759D41E3DE30F9D2F902027D792B65D950A98BBB6D6D56BE7F2528453BF8E9"  # exempt in Firefox and Chrome
CERTINOMIS_LEAF = "FED84C79E622846C0ABC7F64D44DE1606921BA1DBFE1182A1F31A90B25A2E857"
GITHUB_LEAF = "3111500C4A66012CDAE333EC3FCA1C9DDE45C954440E7EE413716BFF3663C074"
VERISIGN_G3 = "EB04CF5EB1F39AFA762F2BB120F296CBA520C1B97DB1589565B81CB9A17B7244"  # the Symantec leaf's root
GEOTRUST_GLOBAL = "FF856A2D251DCD88D36656F450126798CFABAADE40799C722DE4D2B5DB36A73A"
CERTINOMIS = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"
ENTRUST_2048 = "6DC47172E01CBCB0BF62580D895FE2B8AC9AD4F873801E0C10B9C837D21EB177"
ENTRUST_2048_OLD = "D1C339EA2784EB870F934FC5634E4AA9AD5505016401F26465D37A574663359F"  # same subject and key, 1999


def der(sha: str) -> bytes:
    return cx509.load_pem_x509_certificate((REAL / f"{sha}.pem").read_bytes()).public_bytes(Encoding.DER)


def population(*leaves: tuple[str, int, str]):
    """Real leaves as a normalised population: (leaf SHA-256, issuer crt.sh CA id, issuer name)."""
    rows = [(i, ca, name, der(sha)) for i, (sha, ca, name) in enumerate(leaves, start=1)]
    return normalise(crtsh.certificates_frame(crtsh.records_from_der_rows(
        ("certificate_id", "issuer_ca_id", "issuer_name", "certificate"), rows)))


# crt.sh ca_hierarchy rows of a Symantec root: CA 10 = Symantec Class 3 Secure Server CA - G4, CA 20 = Google
# Internet Authority G2 (real CCADB certificates), both below root CA 1.
HIERARCHY = pd.DataFrame({"depth": [1, 1], "ca_id": [10, 20], "sha256": [SYMANTEC_G4, GIAG2],
                          "path": [[1, 10], [1, 20]]})


def verdict(program: str, root: str, norm, hierarchy=HIERARCHY) -> pd.DataFrame:
    found, _ = presets.program_presets(program, root)
    return policies.classify(norm, presets.actual_policy(program, found, hierarchy=hierarchy))


def test_the_actions_file_is_valid_and_cited():
    actions = root_programs.load_actions()
    assert len(actions) == 36
    per_program = pd.Series([a.program for a in actions]).value_counts().to_dict()
    assert per_program == {"Microsoft": 12, "Mozilla": 9, "Chrome": 9, "Apple": 6}
    assert all(a.source_url.startswith("https://") for a in actions)
    assert {a.mechanism for a in actions} <= set(root_programs.MECHANISMS)
    chrome66 = next(a for a in actions if a.action_id == "chrome-symantec-66")
    assert len(chrome66.roots) == 58 and len(chrome66.exceptions) == 11
    assert GEOTRUST_GLOBAL in chrome66.roots and GIAG2 in root_programs.exempt_certificates(chrome66)


@pytest.mark.parametrize("column, value, message", [
    ("source_url", "", "source_url must be the primary source"),
    ("roots_sha256", "2A99F5BC", "64 hex digits"),
    ("mechanism", "blocklist", "mechanism 'blocklist' is not one of"),
    ("cutoff", "2024-11-31T23:59:59Z", "not a real date"),
    ("basis", "earliest_sct", "only Chrome judges certificates on their earliest SCT"),
    ("exceptions", "intermediate:ABC", "must be spki:SHA256 or sha256:SHA256"),
])
def test_a_bad_row_is_refused_in_one_line(tmp_path, column, value, message):
    with open(root_programs.ACTIONS_CSV, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    row = next(r for r in rows if r["action_id"] == "apple-entrust-2024")
    row[column] = value
    bad = tmp_path / "actions.csv"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=root_programs.COLUMNS)
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(root_programs.ActionsError, match=message) as err:
        root_programs.load_actions(bad)
    assert "\n" not in str(err.value) and "apple-entrust-2024" in str(err.value)


def test_symantec_leaf_valid_after_2018_10_23_is_affected_under_firefox_and_chrome():
    """Firefox 63 was the planned release; Mozilla delayed the full distrust to Firefox 64 (2018-12-11)."""
    norm = population((SYMANTEC_LEAF, 10, "Symantec Class 3 Secure Server CA - G4"))
    moz = verdict("Mozilla", VERISIGN_G3, norm)
    assert moz["status"].tolist() == ["affected"]
    assert moz["breaks_on"].iloc[0] == pd.Timestamp("2018-12-11")  # Firefox 64; notBefore 2016-08-06 passed FF60
    assert "Firefox 64" in moz["reason"].iloc[0] and "delaying-further-symantec" in moz["reason"].iloc[0]
    chrome = verdict("Chrome", VERISIGN_G3, norm)
    assert chrome["status"].tolist() == ["affected"]
    assert chrome["breaks_on"].iloc[0] == pd.Timestamp("2018-10-16")  # Chrome 70
    assert "chrome-symantec-70" in chrome["reason"].iloc[0]


def test_a_leaf_under_an_exempt_managed_sub_ca_is_not_affected():
    norm = population((GOOGLE_LEAF, 20, "Google Internet Authority G2"))
    for program in ("Mozilla", "Chrome"):
        v = verdict(program, GEOTRUST_GLOBAL, norm)
        assert v["status"].tolist() == ["survives"], program
        assert "exempt_issuer" in v["category"].iloc[0]
        assert "exempt intermediate" in v["reason"].iloc[0]
    # Without the hierarchy the exemption cannot be resolved: judged as any Symantec leaf (it expired in 2016).
    bare = verdict("Chrome", GEOTRUST_GLOBAL, norm, hierarchy=None)
    assert "exempt_issuer" not in bare["category"].iloc[0]


def test_certinomis_still_matches():
    found, source = presets.program_presets("Mozilla", CERTINOMIS)
    assert [(p.mechanism, p.client_release, p.client_release_date) for p in found] == [
        ("removal", "Firefox 69", pd.Timestamp("2019-09-03"))]
    assert "NSS certdata.txt history" in source
    norm = population((CERTINOMIS_LEAF, 30, "Certinomis - Easy CA"))
    v = verdict("Mozilla", CERTINOMIS, norm)
    # internet.extra.laposte.fr expired on 2019-06-29, before Firefox 69 shipped the removal.
    assert v["category"].iloc[0] == "expires_before_break" and "Bug 1552374" in v["reason"].iloc[0]


def test_a_root_no_program_acted_on_gets_a_clear_line():
    record = presets.actual_record(["96BCEC06264976F37460779ACF28C5A7CFE8A3C0AAE11A8FFCEE05C0BDDF08C6"])  # ISRG X1
    assert record == []
    moz = "bundled NSS certdata.txt history and " + presets.BUNDLED_SOURCE
    assert record.lines() == [f"{p}: no action on this root ({moz if p == 'Mozilla' else presets.BUNDLED_SOURCE})."
                              for p in presets.PROGRAMS]


def test_a_program_that_acted_twice_applies_both_in_order():
    found, _ = presets.program_presets("Chrome", GEOTRUST_GLOBAL)
    assert [p.action_id for p in found] == ["chrome-symantec-66", "chrome-symantec-66-after-2017-12",
                                            "chrome-symantec-70"]
    apple, _ = presets.program_presets("Apple", GEOTRUST_GLOBAL)
    assert [p.mechanism for p in apple] == ["distrust_before", "distrust_after", "removal"]


def test_chrome_entrust_is_judged_on_the_earliest_sct_others_on_notbefore():
    chrome, _ = presets.program_presets("Chrome", ENTRUST_2048)
    assert [(p.basis, p.date) for p in chrome] == [("earliest_sct", pd.Timestamp("2024-11-11 23:59:59"))]
    apple, _ = presets.program_presets("Apple", ENTRUST_2048)
    assert [(p.basis, p.date) for p in apple] == [("not_before", pd.Timestamp("2024-11-15 23:59:59"))]
    ms, _ = presets.program_presets("Microsoft", ENTRUST_2048)
    assert [(p.basis, p.date) for p in ms] == [("not_before", pd.Timestamp("2025-04-16"))]
    assert ms[0].policy().effective == pd.Timestamp("2025-04-16")  # released 2025-02-25, enforced from the cut-off


def test_izenpe_trust_object_distrust_after_is_found():
    found, _ = presets.program_presets("Mozilla", "2530CC8E98321502BAD96F9B1FBA1B099E2D299E0F4548BB914F363BC0D4531F")
    assert [(p.mechanism, p.date) for p in found][-1] == ("distrust_after", pd.Timestamp("2026-04-15 23:59:59"))


def test_entrust_leaves_are_not_affected_by_the_2013_re_issue():
    """crt.sh groups Entrust.net Premium 2048 (1999 certificate, D1C339EA…) and its 2013 re-issue (6DC47172…) into
    one CA: the 2013 swap in NSS is a re-issue, not a removal, so github.com (2018–2020) survives Mozilla."""
    norm = population((GITHUB_LEAF, 40, "DigiCert SHA2 Extended Validation Server CA"))
    record = presets.actual_record([ENTRUST_2048, ENTRUST_2048_OLD])
    v = policies.classify(norm, presets.actual_policy("Mozilla", record.of("Mozilla")))
    assert v["status"].tolist() == ["survives"]


def test_crtsh_root_trust_purpose_comes_first_when_connected():
    """With crt.sh's rows for the root, a program they record comes from them (plus client code); the others
    from the bundled files; the record says which source each program used."""
    from types import SimpleNamespace

    from analysis.report import _mozilla_presets

    trust = pd.DataFrame({"certificate_id": [123, 123], "trust_context_id": [6, 1], "trust_purpose_id": [1, 1],
                          "disabled_from": [None, None],
                          "notbefore_until": [pd.Timestamp("2024-11-11 23:59:59"), pd.Timestamp("2025-04-16")]})
    fetched = SimpleNamespace(root=pd.DataFrame({"certificate_id": [123], "sha256": [ENTRUST_2048]}), trust=trust,
                              hierarchy=HIERARCHY)
    record = _mozilla_presets(fetched)
    assert record.sources["Chrome"] == record.sources["Microsoft"] == presets.CRTSH_SOURCE
    assert record.sources["Apple"] == presets.BUNDLED_SOURCE
    assert "NSS certdata.txt history" in record.sources["Mozilla"]
    chrome = record.of("Chrome")
    assert [(p.basis, p.date, p.provenance.source) for p in chrome] == [
        ("earliest_sct", pd.Timestamp("2024-11-11 23:59:59"), presets.CRTSH_SOURCE)]
    assert record.hierarchy is HIERARCHY
    lines = record.lines()
    assert len(lines) == len(record) and all("actual rule" in line for line in lines)
    # Chrome's Symantec rules live in its code, in no root store: they join crt.sh's rows (the same two rows,
    # attached to GeoTrust Global CA here), in date order.
    sym = presets.actual_record([GEOTRUST_GLOBAL], trust=trust.assign(certificate_id=7),
                                sha256_by_certificate_id={7: GEOTRUST_GLOBAL})
    assert [p.action_id for p in sym.of("Chrome")] == ["chrome-symantec-66", "chrome-symantec-66-after-2017-12",
                                                      "chrome-symantec-70", None]


def test_crosscheck_script_prints_agreements_and_differences(tmp_path, capsys):
    """The cross-check against crt.sh's root_trust_purpose history, on a two-row history written here (the real
    history is GPL-3.0 data the repository does not ship)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "crosscheck", Path(__file__).parents[2] / "scripts" / "crosscheck_root_programs.py")
    crosscheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(crosscheck)
    history = tmp_path / "history.csv"
    history.write_text(
        "program,crtsh_trust_context_id,root_sha256,trust_purpose_oid,disabled_from,notbefore_until\n"
        f"Google Chrome,6,{ENTRUST_2048},1.3.6.1.5.5.7.3.1,,2024-11-11T23:59:59Z\n"
        f"Apple,12,{ENTRUST_2048},1.3.6.1.5.5.7.3.1,,2024-11-15 00:00:00\n")
    assert crosscheck.main([str(history)]) == 0
    out = capsys.readouterr().out
    assert f"agree         chrome-entrust-131             {ENTRUST_2048[:16]}…" in out
    assert "differ        apple-entrust-2024" in out and "crt.sh notbefore_until 2024-11-15 00:00:00" in out
    assert out.rstrip().endswith("1 agree, 1 differ, 192 not in crt.sh")
    assert crosscheck.main([str(tmp_path / "absent.csv")]) == 2
