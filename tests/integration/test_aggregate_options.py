"""Every option of a CA over ``--max-rows``, from crt.sh's server-side counts (certificate_aggregates' cells), against
the row-by-row library on the same demo population: exact where the counts decide, the true number within the
bounds otherwise (docs/aggregates.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import psycopg2
import pytest
from cryptography import x509 as cx509
from cryptography.x509.oid import ExtendedKeyUsageOID

from analysis import crtsh, policies, textfmt
from analysis.aggregates import AggregateReport, _zone_verdict, names_verdict
from analysis.localdb import load_paths
from analysis.querylib import load_queries
from analysis.report import Report
from analysis.runs import DEMO_DEFAULTS, run_reports
from analysis.sources import demo_root_sha256
from analysis.textfmt import display_width
from tests import pki

CERTINOMIS = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"
SEED = dict(ca="demo", distrust_date="2019-09-03", as_of="2019-05-17", expires_on_or_before="2019-08-31",
            issued_after="2019-05-17")
SEED_OPTIONS = ("removal;constrain:gouv.fr;allowlist:2020-06-30;distrust-after:2019-03-31;sct-after:2019-03-31;"
                f"mozilla-actual:{CERTINOMIS};constrain:exemple.gouv.fr;constrain:exemple-services.fr,com")
# Every date a month boundary (the cut-offs' days end a month; the distrust date and the sunset start one), every
# subtree a zone: the counts decide every certificate.
ALIGNED = dict(ca="demo", distrust_date="2019-10-01", as_of="2019-05-17", expires_on_or_before="2019-09-30",
               issued_after="2019-04-30")
ALIGNED_OPTIONS = "removal;constrain:gouv.fr;constrain:fr;allowlist:2020-07-01;distrust-after:2019-03-31"


@pytest.fixture(scope="module")
def fetched(demo_db, tmp_path_factory):
    """The demo fetched twice from the local crt.sh-compatible database: every row, and only the aggregates."""
    guest = demo_db.replace("user=postgres", "user=guest")
    cache = tmp_path_factory.mktemp("aggregate-options")
    rows = crtsh.fetch_ca(demo_root_sha256(), as_of="2019-05-17", dsn=guest, cache_dir=cache, source_name="demo")
    counts = crtsh.fetch_ca(demo_root_sha256(), as_of="2019-05-17", dsn=guest, cache_dir=cache, source_name="demo",
                            max_rows=100)
    assert rows.mode == "rows" and counts.mode == "aggregates" and len(counts.certificates) == 0
    return rows, counts, cache


def _both(fetched, params, options):
    rows, counts, _ = fetched
    agg = AggregateReport.build(**params, options=options, source="demo", fetched=counts)
    report = Report.build(**params, options=options, source="demo", fetched=rows)
    truth = {label: ev.verdicts["status"].astype(str).value_counts().to_dict()
             for label, ev in report.evaluations.items()}
    return agg, truth


def test_the_cells_count_what_the_row_level_report_judges(fetched):
    rows, counts, _ = fetched
    agg = AggregateReport.build(**SEED, options="removal", source="demo", fetched=counts)
    report = Report.build(**SEED, options="removal", source="demo", fetched=rows)
    kinds = agg.counted().set_index("kind")["certificates"].to_dict()
    assert kinds == {"TLS server certificate": 1550, "unparsable": 0, "not for TLS servers": 0,
                     "CA certificate": 4}
    assert len(report.normalised.issuances) == 1550
    assert int(agg.cells["crtsh_rows"].sum()) == agg.fetched.rows_planned == 2796
    # the zones of the demo's names, a pair once (every demo certificate has DNS SANs)
    zones = agg.cells[agg.cells["kind"] == "s"].groupby("zones")["certificates"].sum().to_dict()
    assert zones == {(".com",): 86, (".com", ".fr"): 63, (".eu",): 46, (".fr",): 741,
                     (".fr", ".gouv.fr"): 91, (".gouv.fr",): 495, (".gouv.fr", ".intranet"): 1, (".net",): 27}


def test_every_seed_option_bounds_the_row_level_numbers(fetched):
    agg, truth = _both(fetched, SEED, SEED_OPTIONS)
    got = {b.label: b for b in agg.option_bounds}
    assert list(got) == list(truth)
    for label, b in got.items():
        for status in policies.STATUSES:
            assert b.lower[status] <= truth[label].get(status, 0) <= b.upper[status], (label, status)
    # the seed's distrust date (09-03), snapshot and issued-after cut-off (05-17) fall inside months: ranges
    removal = got["removal"]
    assert (removal.lower["affected"], truth["removal"]["affected"], removal.upper["affected"]) == (1036, 1144, 1161)
    assert removal.lower["excluded_expired"] == removal.upper["excluded_expired"] == 202  # 08-31 ends a month
    assert removal.why == ["dates within a month"]
    gouv = got["only gouv.fr"]
    assert (gouv.lower["affected"], truth["only gouv.fr"]["affected"], gouv.upper["affected"]) == (699, 781, 796)
    # gouv.fr is a zone: the names add no uncertainty; exemple.gouv.fr lies below one, exemple-services.fr too
    assert gouv.why == ["dates within a month"]
    assert "names the zones cannot place against exemple.gouv.fr" in got["only exemple.gouv.fr"].why
    assert "names the zones cannot place against com, exemple-services.fr" in \
        got["only exemple-services.fr, com"].why
    # the earliest SCT is not counted on the server: the range is wide, and says why
    sct = got["SCT after 2019-03-31"]
    assert (sct.lower["affected"], sct.upper["affected"]) == (0, 1161)
    assert "the earliest SCT, which the server does not count" in sct.why
    # Mozilla's actual rule on Certinomis is a removal shipped on 2019-09-03: the seed's removal
    assert got[f"Mozilla: {agg.scenario.options[5].label.split(': ', 1)[1]}"].lower == removal.lower


def test_month_aligned_dates_and_zone_subtrees_are_exact(fetched):
    agg, truth = _both(fetched, ALIGNED, ALIGNED_OPTIONS)
    for b in agg.option_bounds:
        assert b.exact, (b.label, b.lower, b.upper, b.why)
        assert {s: n for s, n in b.lower.items() if n} == truth[b.label], b.label
    table = agg.options_compared().set_index("option")
    assert table.loc["removal"].tolist() == ["1,036", "0", "48"]
    assert table.loc["only gouv.fr"].tolist() == ["699", "337", "48"]
    assert table.loc["only fr"].tolist() == ["147", "889", "48"]
    assert table.loc["allowlist to 2020-07-01"].tolist() == ["468", "568", "48"]
    assert table.loc["notBefore after 2019-03-31"].tolist() == ["80", "956", "48"]
    removal = agg.option_bounds[0]
    assert (removal.lower["excluded_expired"], removal.lower["excluded_issued_after"]) == (262, 204)
    # per issuing CA too
    rows, _, _ = fetched
    report = Report.build(**ALIGNED, options=ALIGNED_OPTIONS, source="demo", fetched=rows)
    issuer = report.normalised.issuances["issuer_ca_id"]
    by_ca = agg.affected_by_issuing_ca().set_index("issuer_ca_id")
    for label, ev in report.evaluations.items():
        true = issuer[ev.verdicts["status"] == "affected"].value_counts()
        assert {int(i): int(n) for i, n in true.items()} == \
            {int(i): int(v.replace(",", "")) for i, v in by_ca[label].items() if v != "0"}, label
    assert int(by_ca["removal"].str.replace(",", "").astype(int).sum()) == 1036

def test_the_aggregate_path_reports_every_option(fetched, tmp_path):
    """distrust-impact report with --max-rows under the demo's rows: the aggregate notebook, every option."""
    _, _, cache = fetched
    options = "removal;constrain:gouv.fr;allowlist:2020-06-30;distrust-after:2019-03-31"
    results = run_reports(dates=["2019-09-03"], out_root=tmp_path / "out", cache_dir=cache, max_rows=100,
                          log=lambda m: None, **{**DEMO_DEFAULTS, "options": options})
    assert [r.ok for r in results] == [True], results
    folder = tmp_path / "out" / "demo-root-ca" / "2019-09-03"
    summary = (folder / "summary.txt").read_text(encoding="utf-8")
    *post, reproduce = summary.splitlines()
    assert max(display_width(line) for line in post) <= 72
    assert "removal                     1,036–1,161  0–60" in summary
    assert "only gouv.fr                699–796" in summary
    # the command that gives this report from counts again (the row limit included) and the counts' checksum
    assert reproduce.startswith("reproduce: distrust-impact report --demo --ca demo --date 2019-09-03 ")
    assert "--option constrain:gouv.fr" in reproduce and "--max-rows 100 (distrust-impact " in reproduce
    assert (folder / "tables" / "options.csv").read_text(encoding="utf-8").splitlines()[-1] == "# " + reproduce
    table = textfmt.read_csv(folder / "tables" / "options.csv", dtype=str).to_dict("records")
    assert {r["option"] for r in table} == {"removal", "only gouv.fr", "allowlist to 2020-06-30",
                                            "notBefore after 2019-03-31"}
    assert len(table) == 4 * len(policies.STATUSES)


# -- the zones: the server keeps enough of each name to decide a constraint, or says it cannot ----------------------

@pytest.mark.parametrize("token, subtrees, verdict", [
    (".gouv.fr", ("gouv.fr",), True), ("=gouv.fr", ("gouv.fr",), True), ("=gouv.fr", (".gouv.fr",), False),
    (".gouv.fr", (".gouv.fr",), True), (".gouv.fr", ("fr",), True), (".fr", ("gouv.fr",), False),
    (".fr", ("fr",), True), ("=fr", (".fr",), False), (".fr", ("exemple.fr",), None),
    (".gouv.fr", ("exemple.gouv.fr",), None), (".com", ("example.com",), None), (".com", ("fr",), False),
    (".co.uk", ("uk",), True), (".fr", ("xfr",), False), (".gouv.fr", ("ville.gouv.fr", "fr"), True),
    (".gouv.fr", ("ville.gouv.fr", "com"), None),
])
def test_a_zone_decides_a_subtree_or_says_it_cannot(token, subtrees, verdict):
    assert _zone_verdict(token, subtrees) is verdict


def test_a_certificate_passes_only_with_every_name_inside():
    assert names_verdict((".fr", ".gouv.fr"), ("gouv.fr",)) is False
    assert names_verdict((".gouv.fr",), ("gouv.fr",)) is True
    assert names_verdict((".gouv.fr", ".fr"), ("fr",)) is True
    assert names_verdict((), ("gouv.fr",)) is False  # no name at all breaks
    assert names_verdict(("c.jp",), ("jp",)) is None  # a CN below jp may be a public suffix (tokyo.jp…)
    assert names_verdict(("c.com",), ("com",)) is True  # no rule below com (ICANN section)
    assert names_verdict(("c=gouv.fr",), ("gouv.fr",)) is False  # the CN is a public suffix: no name
    assert names_verdict(("c.intranet",), ("intranet",)) is False  # unknown suffix: no name


def test_the_server_computes_the_cells_as_documented(empty_db, tmp_path):
    """Names as written (case, trailing dot, wildcard, bare zone, single label, IP-like), the subject CN only without
    DNS SANs and only when it is a host name; the kinds; revocations at midnight and later in the day."""
    k = pki.key("root")
    root_name = pki.name("Zone Root")
    nb, na = dt.datetime(2019, 1, 1), dt.datetime(2020, 1, 1)
    client_only = [(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)]
    leaves = {
        "mixed": (["WWW.Gouv.FR.", "*.gouv.fr", "gouv.fr", "Exemple.fr"], "x", ()),
        "deep": (["a.b.c.co.uk", "abcde.uk", "localhost", "1.2.3.4"], "x", ()),
        "cn_host": ([], "Host.Exemple.FR", ()),
        "cn_not_host": ([], "Not a host name", ()),
        "cn_ip": ([], "192.0.2.1", ()),
        "client": (["client.gouv.fr"], "x", client_only),
        "revoked_midnight": (["a.gov.pf"], "x", ()),
        "revoked_later": (["b.gov.pf"], "x", ()),
    }
    d = tmp_path / "certs"
    d.mkdir()
    (d / "root.der").write_bytes(pki.der(pki.build(root_name, k, root_name, k, serial=1, ca=True,
                                                   not_after=dt.datetime(2030, 1, 1))))
    sha = {}
    for i, (label, (sans, cn, extra)) in enumerate(leaves.items()):
        data = pki.der(pki.build(pki.name(cn), pki.key(label), root_name, k, serial=100 + i, ca=False,
                                 not_before=nb, not_after=na, sans=sans, extra=extra))
        (d / f"{label}.der").write_bytes(data)
        sha[label] = hashlib.sha256(data).hexdigest().upper()
    revocations = tmp_path / "rev.csv"
    revocations.write_text("certificate_sha256,revocation_date,reason_code\n"
                           f"{sha['revoked_midnight']},2019-03-01T00:00:00Z,1\n"
                           f"{sha['revoked_later']},2019-03-01T10:00:00Z,\n")
    report = load_paths(empty_db, [d], revocations_csv=revocations)
    assert not report.bad_files and not report.bad_rows, report.summary()
    q = load_queries()["certificate_aggregates"]
    conn = psycopg2.connect(empty_db)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM ca WHERE name LIKE %s", ("%Zone Root",))
        ca_id = cur.fetchone()[0]
        # an undecodable row under the root, as crt.sh keeps what CT logs accepted
        cur.execute("INSERT INTO certificate (issuer_ca_id, certificate) VALUES (%s, %s)",
                    (ca_id, (d / "mixed.der").read_bytes()[:150]))
        cur.execute(q.sql, q.bind({"issuer_ca_id": ca_id, "as_of": dt.datetime(2019, 5, 17),
                                   "window_start": dt.datetime(2019, 5, 17), "window_end": None}))
        cells = sorted((json.loads(key), deduplicated) for dim, key, _, _, deduplicated in cur.fetchall()
                       if dim == "cell")
    conn.close()
    leaf = [ca_id, "s", "2019-01", "2020-01"]
    assert cells == sorted([
        ([ca_id, "c", "2018-01", "2030-01", "", []], 1),  # the root itself: a CA certificate
        ([ca_id, "u", "unparsable", "unparsable", "", []], 1),
        ([ca_id, "x", "2019-01", "2020-01", "", [".gouv.fr"]], 1),  # its EKU is clientAuth only
        ([*leaf, "", [".fr", ".gouv.fr", "=gouv.fr"]], 1),
        ([*leaf, "", [".4", ".co.uk", ".uk", "=localhost"]], 1),
        ([*leaf, "", ["c.fr"]], 1),  # Host.Exemple.FR: exemple has over 4 characters
        ([*leaf, "", []], 2),  # no SAN, and a CN that is no host name (or an IP address)
        ([*leaf, "2019-03-01", [".gov.pf"]], 1),
        ([*leaf, "2019-03-01+", [".gov.pf"]], 1),
    ])
