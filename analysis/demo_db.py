"""The demo database: the synthetic demo population plus the real Certinomis CA certificates from the CCADB.

``load_demo(dsn)`` generates the demo files (deterministic; cached under ``data/demo/generated/<seed>/``, which git
ignores) and loads them with the same loader a user would run on real files, so every later step — queries, client,
impact library, notebooks — is exercised exactly as on crt.sh data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from analysis import demo
from analysis.config import DATA_DIR
from analysis.localdb import LoadReport, load_paths

DEMO_DIR = DATA_DIR / "demo" / "generated"
CERTINOMIS_DIR = DATA_DIR / "ccadb" / "certinomis"  # real CA certificates (CDLA-Permissive-2.0, CCADB)


def demo_files(seed: int = demo.DEFAULT_SEED, workdir: Path | None = None) -> Path:
    """The folder holding the generated demo population for ``seed`` (generated once, then reused)."""
    folder = (workdir or DEMO_DIR) / str(seed)
    manifest = folder / "manifest.json"
    if manifest.exists():
        meta = json.loads(manifest.read_text())
        if meta.get("generator_version") == demo.GENERATOR_VERSION and meta.get("seed") == seed:
            return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    demo.generate(tmp, seed=seed)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def load_demo(dsn: str, seed: int = demo.DEFAULT_SEED, workdir: Path | None = None,
              with_certinomis: bool = True) -> LoadReport:
    folder = demo_files(seed, workdir)
    paths = [folder / "certs"] + ([CERTINOMIS_DIR] if with_certinomis and CERTINOMIS_DIR.exists() else [])
    return load_paths(
        dsn,
        paths,
        revocations_csv=folder / "revocations.csv",
        ct_logs_csv=folder / "ct_logs.csv",
        ct_entries_csv=folder / "ct_log_entries.csv",
    )
