"""The root programs' record of a population is computed once: the options' check a run makes in its kernel before
the first notebook and every report of that population share it (it was computed again by the check, 0.3 s of the
demo's preparation). The kernel's preparation normalises the population without evaluating a report."""

from __future__ import annotations

import gc

import pytest

from analysis import crtsh
from analysis import report as report_module
from analysis.report import Report, check_filters, check_options, checked_scenario, population
from analysis.runs import _PREPARE, DEMO_DEFAULTS
from analysis.sources import fetch_population, forget_population
from tests.integration.test_report import demo_cache  # noqa: F401 (the fixture: the demo fetched into a cache)

pytestmark = pytest.mark.integration

SEED = dict(ca="demo", distrust_date="2019-09-03", as_of="2019-05-17", expires_on_or_before="2019-08-31",
            issued_after="2019-05-17", options=DEMO_DEFAULTS["options"])  # with the Certinomis record's option


@pytest.fixture()
def records(monkeypatch):
    """Every root programs' record computed through analysis.report in this process (the real function, counted)."""
    calls = []
    real = report_module._mozilla_presets

    def counted(fetched):
        calls.append(fetched)
        return real(fetched)

    monkeypatch.setattr(report_module, "_mozilla_presets", counted)
    return calls


def test_the_options_check_and_every_report_share_one_record(demo_cache, records):
    forget_population()
    scenario = checked_scenario(**SEED)
    fetched = fetch_population(scenario.ca, scenario.as_of, "demo", demo_cache)
    check_options(scenario, fetched)
    check_filters(scenario, fetched)
    assert records == [fetched]
    first = Report.build(**SEED, source="demo", fetched=fetched)
    later = Report.build(**{**SEED, "distrust_date": "2020-01-15"}, source="demo", cache_dir=str(demo_cache))
    assert records == [fetched]  # computed once, by the check
    assert first.presets is later.presets is population(fetched)[1]
    assert first.primary.summary_values()["affected"] == 1144  # the demo's number, as before
    check_options(scenario, fetched)  # a second check (another date's) computes nothing either
    assert records == [fetched]


def test_the_kernels_preparation_normalises_without_a_report(demo_cache, records, monkeypatch):
    """What the kernel runs before the first notebook (analysis.runs._PREPARE), run here: the checks, then the
    population normalised with its record, kept for the notebooks; no report evaluated."""
    forget_population()
    monkeypatch.setenv("DISTRUST_IMPACT_CACHE_DIR", str(demo_cache))
    evaluated = []
    monkeypatch.setattr(Report, "build", classmethod(lambda cls, **kw: evaluated.append(kw)))
    scenario = checked_scenario(**SEED)
    namespace: dict = {}
    try:
        exec(_PREPARE.format(scenario=scenario.parameters(), source="demo", max_rows=crtsh.DEFAULT_MAX_ROWS),
             namespace)
        assert gc.get_freeze_count() > 0  # what stays for the run is left out of later collections
    finally:
        gc.unfreeze()
    fetched = namespace["_fetched"]
    assert evaluated == [] and records == [fetched]
    assert fetched is fetch_population(scenario.ca, scenario.as_of, "demo", demo_cache)
    assert id(fetched) in report_module._POPULATIONS  # normalised, for the first notebook's report
