"""Paths and fixed constants, in one place (cookiecutter-data-science: paths live in one config module)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = PROJECT_ROOT / "queries"
DATA_DIR = Path(os.environ.get("DISTRUST_IMPACT_DATA", PROJECT_ROOT / "data"))
CACHE_DIR = DATA_DIR / "cache"
FIGURES_DIR = PROJECT_ROOT / "figures"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
SQL_DIR = Path(__file__).resolve().parent / "sql"

CRTSH_DSN = "host=crt.sh port=5432 dbname=certwatch user=guest connect_timeout=15 application_name=distrust-impact"

# Seed case (docs/rules.md, "The seed case"): Certinomis - Root CA, removed from NSS 2019-06-04, Firefox 69
# on 2019-09-03.
CERTINOMIS_ROOT_SHA256 = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"

# CA/B Forum Baseline Requirements policy OIDs (BR 7.1.6.1, EV Guidelines 9.3.2).
POLICY_OID_LEVEL = {
    "2.23.140.1.2.1": "DV",
    "2.23.140.1.2.2": "OV",
    "2.23.140.1.2.3": "IV",
    "2.23.140.1.1": "EV",
}
# RFC 6962 3.3: the embedded SCT list extension (the demo's final certificates carry one).
CT_SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2"
