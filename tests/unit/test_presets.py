"""analysis.presets: what root programs actually did, as policies with provenance."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import policies, presets

CERTINOMIS = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"
THAWTE_G2 = "A4310D50AF18A6447190372A86AFAF8B951FFB431D837F1E5688B45971ED1557"
ENTRUST_ROOT = "73C176434F1BC6D5ADF45B0E76E727287C8DE57616C1E6E6141A2B2CBC7D8E4C"
CHUNGHWA_EPKI = "C0A6F4DC63A24BFDCF54EF2A6A082A0A72DE35803E2FF5FF527AE5D87206DFD5"
ISRG_ROOT_X1 = "96BCEC06264976F37460779ACF28C5A7CFE8A3C0AAE11A8FFCEE05C0BDDF08C6"


def test_certinomis_mozilla_removal():
    p = presets.mozilla_preset(CERTINOMIS)
    assert (p.program, p.mechanism, p.date, p.purpose) == ("Mozilla", "removal", pd.Timestamp("2019-06-04"), "server")
    assert (p.client_release, p.client_release_date) == ("Firefox 69", pd.Timestamp("2019-09-03"))
    assert p.root_label == "Certinomis - Root CA"
    assert p.provenance.date == pd.Timestamp("2019-06-04")
    assert "311ccf25bcf9" in p.provenance.reference and "Bug 1552374" in p.provenance.reference
    assert p.description.startswith("Mozilla's actual rule: removed the root on 2019-06-04; shipped in Firefox 69")
    assert presets.mozilla_presets(CERTINOMIS) == [p]
    # Certinomis - Root CA was never trusted for email (CKT_NSS_MUST_VERIFY_TRUST), so no email action.
    assert presets.mozilla_presets(CERTINOMIS, purpose="email") == []


def test_symantec_distrust_after_then_removal():
    ps = presets.mozilla_presets(THAWTE_G2)
    assert [(p.mechanism, p.date) for p in ps] == [("distrust_after", pd.Timestamp("2018-09-30")),
                                                   ("removal", pd.Timestamp("2020-12-01"))]
    da = ps[0]
    assert (da.basis, da.dates_only, da.effective) == ("not_before", False, pd.Timestamp("2020-05-27"))
    assert da.client_release is None
    assert "date is the NSS commit" in da.provenance.note
    assert "Bug 1618404" in da.provenance.reference


def test_entrust_distrust_after():
    p = presets.mozilla_preset(ENTRUST_ROOT)
    assert (p.mechanism, p.date, p.effective) == ("distrust_after", pd.Timestamp("2024-11-30 23:59:59"),
                                                  pd.Timestamp("2024-11-15"))


def test_release_named_in_commit_subject():
    ps = presets.mozilla_presets(CHUNGHWA_EPKI)
    off = [p for p in ps if p.mechanism == "server_trust_removed"]
    assert len(off) == 1 and off[0].client_release == "Firefox 141" and off[0].client_release_date is None
    assert [p.mechanism for p in ps] == ["server_trust_removed", "distrust_after"]
    assert ps[1].date == pd.Timestamp("2025-04-15 23:59:59")
    # The trust-bit removal was undone two weeks later and replaced by the distrust-after: that is the rule.
    assert ps[0].extra["superseded"] and not ps[1].extra["superseded"]
    assert presets.mozilla_preset(CHUNGHWA_EPKI) == ps[1]


def test_no_action_gives_none():
    assert presets.mozilla_preset(ISRG_ROOT_X1) is None
    with pytest.raises(ValueError):
        presets.mozilla_presets(CERTINOMIS, purpose="codesign")


ROWS = pd.DataFrame([
    # Chrome: Entrust sct_not_after
    {"CERTIFICATE_ID": 11, "TRUST_CONTEXT_ID": 6, "TRUST_PURPOSE_ID": 1, "DISABLED_FROM": None,
     "NOTBEFORE_UNTIL": pd.Timestamp("2024-11-11 23:59:59")},
    # Microsoft: NotBefore + Disable (Certinomis - Autorité Racine in crt.sh's history)
    {"CERTIFICATE_ID": 12, "TRUST_CONTEXT_ID": 1, "TRUST_PURPOSE_ID": 1, "DISABLED_FROM": pd.Timestamp("2019-08-01"),
     "NOTBEFORE_UNTIL": pd.Timestamp("2018-07-31")},
    {"CERTIFICATE_ID": 11, "TRUST_CONTEXT_ID": 12, "TRUST_PURPOSE_ID": 1, "DISABLED_FROM": None,
     "NOTBEFORE_UNTIL": pd.Timestamp("2024-11-30 23:59:59")},
    {"CERTIFICATE_ID": 11, "TRUST_CONTEXT_ID": 23, "TRUST_PURPOSE_ID": 1, "DISABLED_FROM": None,
     "NOTBEFORE_UNTIL": pd.Timestamp("2024-11-11 23:59:59")},
    {"CERTIFICATE_ID": 11, "TRUST_CONTEXT_ID": 5, "TRUST_PURPOSE_ID": 1, "DISABLED_FROM": None,
     "NOTBEFORE_UNTIL": pd.Timestamp("2024-11-30 23:59:59")},
    # plain trust: no preset; other purpose / unknown context: ignored
    {"CERTIFICATE_ID": 13, "TRUST_CONTEXT_ID": 5, "TRUST_PURPOSE_ID": 1, "DISABLED_FROM": None,
     "NOTBEFORE_UNTIL": None},
    {"CERTIFICATE_ID": 11, "TRUST_CONTEXT_ID": 5, "TRUST_PURPOSE_ID": 3, "DISABLED_FROM": None,
     "NOTBEFORE_UNTIL": pd.Timestamp("2024-11-30")},
    {"CERTIFICATE_ID": 11, "TRUST_CONTEXT_ID": 17, "TRUST_PURPOSE_ID": 1, "DISABLED_FROM": None,
     "NOTBEFORE_UNTIL": pd.Timestamp("2024-11-30")},
])


def test_presets_from_root_trust_purpose():
    got = presets.presets_from_root_trust_purpose(ROWS, sha256_by_certificate_id={11: ENTRUST_ROOT},
                                                  queried_at="2025-01-01T00:00:00Z")
    summary = [(p.program, p.root_sha256, p.mechanism, p.date, p.basis, p.dates_only) for p in got]
    assert summary == [
        ("Chrome", ENTRUST_ROOT, "distrust_after", pd.Timestamp("2024-11-11 23:59:59"), "earliest_sct", False),
        ("Microsoft", "crtsh:12", "distrust_after", pd.Timestamp("2018-07-31"), "not_before", False),
        ("Microsoft", "crtsh:12", "disabled", pd.Timestamp("2019-08-01"), None, False),
        ("Apple", ENTRUST_ROOT, "distrust_after", pd.Timestamp("2024-11-30 23:59:59"), "not_before", False),
        ("Java", ENTRUST_ROOT, "distrust_after", pd.Timestamp("2024-11-11 23:59:59"), "not_before", True),
        ("Mozilla", ENTRUST_ROOT, "distrust_after", pd.Timestamp("2024-11-30 23:59:59"), "not_before", False),
    ]
    assert got[0].provenance.source == "crt.sh root_trust_purpose"
    assert got[0].provenance.date == pd.Timestamp("2025-01-01")
    assert "trust_context_id=6 (Chrome)" in got[0].provenance.reference
    assert got[0].description.startswith("Chrome's actual rule: distrusts server certificates whose earliest SCT")
    # lower-case column names (psycopg2 rows) work the same
    lower = presets.presets_from_root_trust_purpose(ROWS.rename(columns=str.lower).to_dict("records"))
    assert [p.mechanism for p in lower] == [p.mechanism for p in got]


# ------------------------------------------------------------------------------------------------------------------
# The policy objects
# ------------------------------------------------------------------------------------------------------------------

def test_policies():
    removal = presets.mozilla_preset(CERTINOMIS).policy()
    assert isinstance(removal, policies.Cited) and "Bug 1552374" in removal.citation  # every reason cites it
    assert isinstance(removal.policy, policies.Removal) and removal.date == pd.Timestamp("2019-06-04")
    at_release = presets.mozilla_preset(CERTINOMIS).policy(at_client_release=True)
    assert at_release.date == pd.Timestamp("2019-09-03")

    ps = presets.mozilla_presets(THAWTE_G2)
    da = ps[0].policy()
    assert isinstance(da.policy, policies.DistrustAfter)
    assert (da.date, da.basis, da.dates_only) == (pd.Timestamp("2018-09-30"), "not_before", False)
    assert da.effective == pd.Timestamp("2020-05-27")  # enforced from the NSS commit that set it, not the cutoff
    both = presets.combined_policy(ps)
    assert isinstance(both, policies.Compose)

    got = presets.presets_from_root_trust_purpose(ROWS)
    chrome, java = got[0].policy(), got[4].policy()
    assert (chrome.basis, chrome.dates_only) == ("earliest_sct", False)
    assert (java.basis, java.dates_only) == ("not_before", True)
    assert isinstance(got[2].policy().policy, policies.Removal)


def test_crtsh_disabled_since_always_and_unreadable_rows_are_said():
    sha = "DB3517D1F6732A2D5AB97C533EC70779EE3270A62FB4AC4238372460E6F01E88"  # Entrust G4: '-infinity' in authroot
    rows = pd.DataFrame({"certificate_id": [1], "trust_context_id": [1], "trust_purpose_id": [1],
                         "disabled_from": ["-infinity"], "notbefore_until": [None]})
    found, source = presets.program_presets("Microsoft", sha, trust=rows, sha256_by_certificate_id={1: sha})
    assert source == presets.CRTSH_SOURCE
    assert "disabled the root for all time (DISABLED_FROM '-infinity')" in found[0].description
    assert found[0].policy().policy.date == pd.Timestamp.min.ceil("D")
    found, source = presets.program_presets("Microsoft", sha, trust=rows.drop(columns=["trust_purpose_id"]))
    assert source.endswith("(crt.sh root_trust_purpose rows unreadable: KeyError: 'trust_purpose_id')")
    assert [p.action_id for p in found] == ["microsoft-entrust-2025"]  # the bundled file instead, and it says so


def test_microsoft_disable_breaks_when_the_store_shipped_from_either_source():
    """authroot.stl disables StartCom "from 2019-02-01" (crt.sh's DISABLED_FROM), but that store was released on
    2019-03-05 (Microsoft's February 2019 deployment notice): certificates break on 2019-03-05 whether the action is
    read from crt.sh or from the actions file. A crt.sh row the file does not know keeps its own date."""
    startcom = "C766A9BEF2D4071C863A31AA4920E813B2D198608CB7B7CFE21143B836DF09EA"
    trust = pd.DataFrame({"certificate_id": [9], "trust_context_id": [1], "trust_purpose_id": [1],
                          "disabled_from": ["2019-02-01"], "notbefore_until": [None]})
    (connected,), source = presets.program_presets("Microsoft", startcom, trust=trust,
                                                   sha256_by_certificate_id={9: startcom})
    (offline,), _ = presets.program_presets("Microsoft", startcom)
    assert source == presets.CRTSH_SOURCE
    assert (connected.mechanism, connected.date, connected.effective) == (
        "disabled", pd.Timestamp("2019-02-01"), pd.Timestamp("2019-03-05"))
    assert connected.policy(at_client_release=True).date == offline.policy(at_client_release=True).date \
        == pd.Timestamp("2019-03-05")
    assert "disabled the root from 2019-02-01 (deployed 2019-03-05)" in connected.description
    other = trust.assign(disabled_from=["2019-01-01"])
    (unknown,), _ = presets.program_presets("Microsoft", startcom, trust=other, sha256_by_certificate_id={9: startcom})
    assert unknown.effective is None and unknown.policy().date == pd.Timestamp("2019-01-01")
