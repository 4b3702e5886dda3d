"""Alternate trust paths and the replay of a past day in a report's options: the parts that need no database
(the integration half, on real certificates, is tests/integration/test_paths_options.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import presets
from analysis.report import command_for
from analysis.scenario import Scenario, ScenarioError, parse_option

D = pd.Timestamp


def test_an_actual_option_replays_the_actions_known_on_the_snapshot_date():
    """Certinomis - Root CA, as known on 2019-05-17: no program had acted (NSS removed it on 2019-06-04); the option
    says so in one line. ``mozilla-actual:SHA256`` applies the root's whole record on purpose."""
    certinomis = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"
    record = presets.actual_record([certinomis])
    s = Scenario.from_strings(ca=certinomis, distrust_date="2019-09-03", as_of="2019-05-17",
                              options="mozilla-actual")
    with pytest.raises(ScenarioError, match="known on the snapshot date 2019-05-17 .*made public on 2019-06-04"):
        s.policy_for(s.options[0], mozilla_presets=record)
    later = Scenario.from_strings(ca=certinomis, distrust_date="2019-09-03", as_of="2019-06-04",
                                  options="mozilla-actual")
    assert "removal" in later.policy_for(later.options[0], mozilla_presets=record).name.lower()
    whole = s.policy_for(parse_option(f"mozilla-actual:{certinomis}"), mozilla_presets=record)
    assert whole.date == D("2019-09-03")


def test_the_flag_is_a_parameter_and_part_of_the_command():
    s = Scenario.from_strings(ca="demo", distrust_date="2019-09-03", as_of="2019-05-17",
                              ignore_alternate_paths="true")
    assert s.ignore_alternate_paths and s.parameters()["ignore_alternate_paths"] == "true"
    assert "ignore_alternate_paths" not in Scenario.from_strings(ca="demo", distrust_date="2019-09-03",
                                                                 as_of="2019-05-17").parameters()
    assert command_for({**s.parameters(), "source": "demo"})[-1] == "--ignore-alternate-paths"
    with pytest.raises(ScenarioError, match="ignore-alternate-paths: 'maybe' is not true or false"):
        Scenario.from_strings(ca="demo", distrust_date="2019-09-03", as_of="2019-05-17",
                              ignore_alternate_paths="maybe")


def test_a_crtsh_trust_row_is_known_from_its_own_date_not_from_when_it_was_read():
    rows = pd.DataFrame({"certificate_id": [7, 7], "trust_context_id": [5, 6], "trust_purpose_id": [1, 1],
                         "disabled_from": ["2019-09-03", None], "notbefore_until": [None, "2024-11-11T23:59:59"]})
    found = presets.presets_from_root_trust_purpose(rows, queried_at="2026-12-01")
    assert [(p.program, p.known_from) for p in found] == [("Mozilla", D("2019-09-03")), ("Chrome", D("2024-11-11"))]
    assert [p.program for p in presets.known_by(found, "2020-01-01")] == ["Mozilla"]
