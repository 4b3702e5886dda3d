"""Against the real crt.sh (skipped unless DISTRUST_IMPACT_LIVE=1): the same queries and client, the seed case.

crt.sh is not reachable from the project's CI machines; run these by hand before a release:
``DISTRUST_IMPACT_LIVE=1 .venv/bin/pytest tests/integration/test_live_crtsh.py``.
"""

from __future__ import annotations

import pytest

from analysis import crtsh
from analysis.config import CERTINOMIS_ROOT_SHA256
from analysis.report import Report

pytestmark = pytest.mark.crtsh


@pytest.fixture(scope="module")
def certinomis(tmp_path_factory):
    return crtsh.fetch_ca(CERTINOMIS_ROOT_SHA256, as_of="2019-05-17", cache_dir=tmp_path_factory.mktemp("live"),
                          progress=True)


def test_certinomis_hierarchy_on_crtsh(certinomis):
    names = set(certinomis.hierarchy["ca_name"])
    for cn in ("Certinomis - Easy CA", "Certinomis - Standard CA", "Certinomis - Prime CA", "StartCom BR SSL ICA",
               "StartCom EV SSL ICA"):
        assert any(n.endswith(f"CN={cn}") for n in names), cn


def test_certinomis_seed_numbers_are_of_the_published_order(certinomis):
    """About 1,381 unexpired certificates chained to the root when the removal was decided (the removal bug)."""
    report = Report.build(ca=CERTINOMIS_ROOT_SHA256, distrust_date="2019-09-03", as_of="2019-05-17",
                          options=f"removal;constrain:gouv.fr;mozilla-actual:{CERTINOMIS_ROOT_SHA256}", source="crtsh",
                          fetched=certinomis)  # as known on 2019-05-17 Mozilla had not acted: its whole record
    issuances = report.primary.summary_values()["issuances"]
    assert 800 <= issuances <= 3000, issuances
    assert max(len(line) for line in report.summary_text().splitlines()) <= 72
