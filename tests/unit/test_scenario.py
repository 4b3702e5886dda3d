"""Report parameters: validated before any query, one-line errors that say what is accepted."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import policies
from analysis.report import ca_folder_name
from analysis.scenario import Scenario, ScenarioError, parse_option, parse_options, slug

SEED = dict(ca="demo", distrust_date="2019-09-03", as_of="2019-05-17", expires_on_or_before="2019-08-31",
            issued_after="2019-05-17", options="removal;constrain:gouv.fr;allowlist:2020-06-30")


def test_seed_scenario_parses():
    s = Scenario.from_strings(**SEED)
    assert s.distrust_date == dt.date(2019, 9, 3) and s.as_of == dt.date(2019, 5, 17)
    assert [o.label for o in s.options] == ["removal", "only gouv.fr", "allowlist to 2020-06-30"]
    assert s.parameters() == SEED


@pytest.mark.parametrize("field, value, message", [
    ("distrust_date", "2019-02-30", "distrust date: '2019-02-30' is not a real date"),
    ("distrust_date", "03/09/2019", "distrust date: '03/09/2019' is not a date; use YYYY-MM-DD"),
    ("distrust_date", "", "distrust date: a date is required"),
    ("as_of", "2019-13-01", "as-of date: '2019-13-01' is not a real date"),
    ("as_of", "2019-10-01", "as-of date 2019-10-01 is after the distrust date 2019-09-03"),
    ("expires_on_or_before", "tomorrow", "expires-on-or-before filter: 'tomorrow' is not a date"),
    ("issued_after", "2019-5-17", "issued-after filter: '2019-5-17' is not a date"),
    ("options", "", "options: name at least one option"),
    ("options", "revoke", "unknown option 'revoke'; use removal, distrust-after:DATE"),
    ("options", "constrain:", "option 'constrain:': give permitted DNS subtrees"),
    ("options", "constrain:gouv fr", "('gouv fr' is not a DNS name)"),
    ("options", "allowlist:2019-06-30", "the sunset must be after the distrust date 2019-09-03"),
    ("options", "removal;removal", "each option once"),
    ("ca", "  ", "ca: give a root SHA-256 fingerprint, a crt.sh CA id, or a CA name"),
])
def test_bad_parameters_give_one_line_errors(field, value, message):
    with pytest.raises(ScenarioError) as err:
        Scenario.from_strings(**{**SEED, field: value})
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_options_map_to_the_policies_they_name():
    s = Scenario.from_strings(**{**SEED, "options": "removal;distrust-after:2019-05-17;sct-after:2019-05-17;"
                                                    "constrain:gouv.fr,Gov.PF."})
    kinds = [type(s.policy_for(o)).__name__ for o in s.options]
    assert kinds == ["Removal", "DistrustAfter", "DistrustAfter", "NameConstrained"]
    sct = s.policy_for(s.options[2])
    assert sct.basis == "earliest_sct"
    assert s.options[3].arg == ("gouv.fr", "gov.pf")
    with pytest.raises(ScenarioError, match="never in NSS"):
        s.policy_for(parse_option("mozilla-actual"), mozilla_presets=[])


def test_values_stay_data():
    """A parameter that looks like code is refused as a date, and a CA name is only ever a string."""
    with pytest.raises(ScenarioError):
        Scenario.from_strings(**{**SEED, "distrust_date": "__import__('os').system('true')"})
    s = Scenario.from_strings(**{**SEED, "ca": "'; DROP TABLE ca; --"})
    assert s.ca == "'; DROP TABLE ca; --"
    assert slug(s.ca) == "drop-table-ca"


def test_output_folder_names_need_no_query():
    assert ca_folder_name("demo", "demo") == "demo-root-ca"
    assert ca_folder_name("1234", "crtsh") == "ca-1234"
    assert ca_folder_name("2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158", "crtsh") == \
        "certinomis-root-ca-2a99f5bc"
    assert ca_folder_name("Certinomis%", "crtsh") == "certinomis"
    assert parse_options("removal; allowlist:2020-06-30 ")[1].spec == "allowlist:2020-06-30"
    assert isinstance(Scenario.from_strings(**SEED).policy_for(parse_option("removal")), policies.Removal)


def test_mozilla_actual_applies_a_real_decision_to_this_population():
    """The demo is shaped after Certinomis: Mozilla's real rule for it (removal, shipped in Firefox 69)."""
    from analysis.scenario import CERTINOMIS_ACTUAL

    s = Scenario.from_strings(**{**SEED, "options": "removal;" + CERTINOMIS_ACTUAL})
    option = s.options[1]
    assert option.label == "Mozilla: Certinomis - Root CA"
    policy = s.policy_for(option)
    assert isinstance(policy, policies.Cited) and isinstance(policy.policy, policies.Removal)
    assert policy.date == policies.as_utc_timestamp("2019-09-03")
    assert "Firefox 69, 2019-09-03" in policy.citation and "Bug 1552374" in policy.citation
    with pytest.raises(ScenarioError, match="took no action"):
        s.policy_for(parse_option("mozilla-actual:" + "00" * 32))
    with pytest.raises(ScenarioError, match="64 hex digits"):
        parse_option("mozilla-actual:2A99F5BC")


def test_distrust_after_dates_include_the_whole_day():
    s = Scenario.from_strings(**{**SEED, "options": "distrust-after:2019-05-17;sct-after:2024-11-11"})
    nb, sct = (s.policy_for(o) for o in s.options)
    assert nb.date == policies.as_utc_timestamp("2019-05-17T23:59:59")
    assert sct.date == policies.as_utc_timestamp("2024-11-11T23:59:59") and sct.basis == "earliest_sct"


def test_issued_after_defaults_to_the_snapshot_date():
    s = Scenario.from_strings(**{**SEED, "issued_after": ""})
    assert s.issued_after == s.as_of == dt.date(2019, 5, 17)
    later = Scenario.from_strings(**{**SEED, "issued_after": "2019-09-03"})
    assert later.issued_after == dt.date(2019, 9, 3)


@pytest.mark.parametrize("spec", ["constrain:192.0.2.1", "constrain:gouv.fr,192.0.2.0/24", "constrain:2001:db8::1",
                                  "constrain:10.0.0"])
def test_an_ip_address_constraint_is_refused_never_taken_for_a_dns_name(spec):
    with pytest.raises(ScenarioError, match="is an IP address; name constraints here are DNS subtrees"):
        parse_option(spec)
    assert parse_option("constrain:1password.com").arg == ("1password.com",)  # digits in a label are fine


def test_every_program_has_an_actual_option():
    for kind, program in (("chrome-actual", "Chrome"), ("apple-actual", "Apple"), ("microsoft-actual", "Microsoft")):
        assert parse_option(kind).label == f"{program}'s actual rule"
    geotrust = "FF856A2D251DCD88D36656F450126798CFABAADE40799C722DE4D2B5DB36A73A"
    s = Scenario.from_strings(**{**SEED, "options": f"chrome-actual:{geotrust}"})
    assert s.options[0].label == "Chrome: GeoTrust Global CA"
    policy = s.policy_for(s.options[0])
    assert [p.citation.split(",")[0] for p in policy.policies] == [
        "Chrome distrust-before", "Chrome distrust-after", "Chrome removal"]
    ms = s.policy_for(parse_option("microsoft-actual:FF856A2D251DCD88D36656F450126798CFABAADE40799C722DE4D2B5DB36A73A"))
    assert [p.citation.split(",")[0] for p in ms.policies] == ["Microsoft distrust-after", "Microsoft removal"]
    epki = "C0A6F4DC63A24BFDCF54EF2A6A082A0A72DE35803E2FF5FF527AE5D87206DFD5"  # Chunghwa: Chrome only
    with pytest.raises(ScenarioError, match="Microsoft took no action on root C0A6F4DC63A24BFD"):
        s.policy_for(parse_option("microsoft-actual:" + epki))
