"""The demo population's plan (analysis.demo) for other seeds, without writing it. The population written and
recomputed from its DER files is in tests/integration/test_demo.py."""

from __future__ import annotations

from analysis import demo


def test_other_seeds_differ_but_keep_the_shape():
    for seed in (1, 2, 3):
        m = demo.expected_counts(seed)
        h = m["expected_as_of_2019_05_17"]
        assert h["unexpired_issuances"] == 1400
        assert h["organisations"] == 120
        assert 200 <= h["no_organisation_issuances"] <= 500
        assert 50 <= h["expiring_on_or_before_2019_08_31"] <= 400
    assert demo.plan_population(1).issuances[0].serial != demo.plan_population(2).issuances[0].serial
