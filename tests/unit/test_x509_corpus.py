"""The regression corpus of x509 calls holds what it says (tests/fixtures/x509/corpus.py); every call on every
certificate compared with crt.sh's libx509pq is in tests/integration/test_x509_corpus.py."""

from __future__ import annotations

from tests.x509_corpus import corpus, recorded  # noqa: F401  (session-scoped fixture)


def test_corpus_size(recorded):
    doc, certs = recorded
    ccadb = corpus.ccadb_certificates()
    assert len(ccadb) == 10217
    assert len(doc["sha256"]) == 10358
    assert len(corpus.CALLS) == 51
