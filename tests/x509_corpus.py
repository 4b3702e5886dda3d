"""The x509 regression corpus (tests/fixtures/x509/corpus.py, loaded as a module) and its recorded outputs, for the
unit test of its size and the integration tests that compare every call (tests/*/test_x509_corpus.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "x509_corpus", Path(__file__).parent / "fixtures" / "x509" / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


@pytest.fixture(scope="session")
def recorded():
    """(recorded outputs, certificates by SHA-256), loaded once for both modules."""
    doc = corpus.load_expected()
    certs = corpus.all_certificates()
    assert sorted(certs) == doc["sha256"], "the corpus and the recorded outputs hold different certificates"
    assert doc["_about"]["calls"] == corpus.CALLS
    return doc, certs
