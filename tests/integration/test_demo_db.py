"""The demo population as loaded into the local crt.sh-compatible database: counts known by construction."""

from __future__ import annotations

import psycopg2
import pytest


@pytest.fixture(scope="module")
def q(demo_db):
    conn = psycopg2.connect(demo_db)
    conn.autocommit = True

    def run(query, params=None):
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    yield run
    conn.close()


def test_every_certificate_found_its_issuer(q, demo_manifest):
    kinds = demo_manifest["counts_by_kind"]
    demo_total = sum(kinds.values())
    rows = q("""SELECT count(*) FILTER (WHERE c.issuer_ca_id = -1), count(*)
                FROM certificate c JOIN ca ON ca.id = c.issuer_ca_id OR c.issuer_ca_id = -1
                WHERE ca.name LIKE '%%Distrust Impact Demo%%' OR c.issuer_ca_id = -1""")
    assert rows == [(0, demo_total)]


def test_leaves_and_precertificates_per_kind(q, demo_manifest):
    kinds = demo_manifest["counts_by_kind"]
    rows = q("""SELECT sum(ca.num_issued[1]), sum(ca.num_issued[2]) FROM ca
                WHERE ca.name LIKE '%%Distrust Impact Demo (synthetic), CN=Demo __ CA'""")
    assert rows == [(kinds["leaf"], kinds["precert"])]


def test_unexpired_issuances_as_of_seed_date(q, demo_manifest):
    """crt.sh's dedup rule (issuer, serial, stripped TBS) applied in SQL gives the generator's 1,400."""
    want = demo_manifest["expected_as_of_2019_05_17"]
    rows = q("""
        SELECT count(DISTINCT (c.issuer_ca_id, x509_serialNumber(c.certificate),
                               digest(x509_tbscert_strip_ct_ext(c.certificate), 'sha256')))
        FROM ca JOIN certificate c ON c.issuer_ca_id = ca.id
        WHERE ca.name LIKE '%%Distrust Impact Demo (synthetic), CN=Demo __ CA'
          AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) > '2019-05-17'
          AND x509_notBefore(c.certificate) <= '2019-05-17'""")
    assert rows == [(want["unexpired_issuances"],)]


def test_revocations_and_ct_entries_loaded(q, demo_manifest):
    assert q("SELECT count(*) FROM crl_revoked") == [(demo_manifest["issuances"]["revoked"],)]
    assert q("SELECT count(*) FROM ct_log_entry") == [(demo_manifest["ct_log_entries"],)]
    assert q("SELECT count(*) FROM ct_log") == [(demo_manifest["ct_logs"],)]


def test_real_certinomis_hierarchy_is_linked(q):
    # Certinomis - Root CA signed the two StartCom intermediates in 2017 (one reason for its distrust)
    rows = q("""SELECT DISTINCT ca_child.name FROM ca root
                JOIN certificate c ON c.issuer_ca_id = root.id AND x509_canIssueCerts(c.certificate)
                JOIN ca_certificate cac ON cac.certificate_id = c.id
                JOIN ca ca_child ON ca_child.id = cac.ca_id
                WHERE root.name = 'C=FR, O=Certinomis, OU=0002 433998903, CN=Certinomis - Root CA'
                  AND ca_child.name LIKE '%%StartCom%%'""")
    assert sorted(r[0] for r in rows) == [
        "C=ES, O=StartCom CA, OU=StartCom Certification Authority, CN=StartCom BR SSL ICA",
        "C=ES, O=StartCom CA, OU=StartCom Certification Authority, CN=StartCom EV SSL ICA",
    ]
