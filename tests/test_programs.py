"""Every program side by side (analysis.programs): the demo's second scenario (the demo root treated the way each
program treated Entrust) asserted against numbers derived from the generator's plan, and past days replayed."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from analysis import crtsh, demo, policies, presets, programs, trustpaths
from analysis.frames import CERTIFICATES
from analysis.normalise import normalise, organisation_key, registrable_domains
from analysis.textfmt import display_width


def _demo_root() -> str:
    import csv

    from analysis.demo_db import demo_files

    with (demo_files() / "truth.csv").open(newline="") as f:
        return next(r["sha256"] for r in csv.DictReader(f) if r["kind"] == "root" and r["label"] == "root")


@pytest.fixture(scope="module")
def fetched(demo_db, tmp_path_factory):
    """The demo population as of 2019-05-17, fetched through the real client from the local database."""
    return crtsh.fetch_ca(_demo_root(), as_of="2019-05-17", dsn=demo_db.replace("user=postgres", "user=guest"),
                          cache_dir=tmp_path_factory.mktemp("cache"), source_name="demo")


@pytest.fixture(scope="module")
def norm(fetched):
    ca_ids = set(int(x) for f in (fetched.root, fetched.hierarchy) for x in f["certificate_id"].dropna())
    certs = fetched.certificates
    keep = ~certs["certificate_id"].isin(ca_ids) & (certs["is_server_auth"] | certs["parse_error"].notna())
    return normalise(certs[keep].reset_index(drop=True), revocations=fetched.revocations, ct=fetched.ct)


def _naive(t: datetime | None) -> pd.Timestamp | None:
    return None if t is None else pd.Timestamp(t.astimezone(UTC).replace(tzinfo=None))


def _by_construction(rule):
    """Affected issuances of the generator's plan (those unexpired on 2019-05-17, as fetched) under ``rule``:
    (key -> when it breaks, or None), with the classify() precedence for revocations."""
    out = []
    for i in demo.plan_population().issuances:
        nb, na = _naive(i.not_before), _naive(i.not_after)
        if na <= pd.Timestamp("2019-05-17"):
            continue
        sct = min((_naive(t) for _, t in i.precert_entries + i.final_entries), default=None)
        b = rule(nb, na, sct)
        if b is None or na < b:
            continue
        rev = _naive(i.revocation_date)
        if rev is not None and rev <= b:
            continue
        out.append((i, b))
    return out


def _distrust_after(cutoff, effective, basis="not_before"):
    cutoff, effective = pd.Timestamp(cutoff), pd.Timestamp(effective)

    def rule(nb, na, sct):
        key = nb if basis == "not_before" else sct
        if key is not None and key <= cutoff:
            return None
        return max(effective, nb)
    return rule


def _earliest(*rules):
    def rule(nb, na, sct):
        hits = [b for r in rules if (b := r(nb, na, sct)) is not None and na >= b]
        return min(hits) if hits else None
    return rule


def _expected(rule):
    hits = _by_construction(rule)
    orgs = {organisation_key(i.organisation.name) for i, _ in hits if i.organisation}
    names = registrable_domains([n for i, _ in hits for n in i.dns_names])
    domains = set(names["registrable_domain"].dropna())
    if not hits:
        return [0, 0, 0, 0, "-", "-"]
    return [len(hits), len(orgs), len(domains), 0, f"{min(b for _, b in hits):%Y-%m-%d}",
            f"{max(_naive(i.not_after) for i, _ in hits):%Y-%m-%d}"]


# Entrust Root Certification Authority - G2, every date moved 2,192 days earlier (2024-11-11 -> 2018-11-11)
EXPECTED_RULES = {
    "Chrome": _distrust_after("2018-11-11 23:59:59", "2018-11-12", "earliest_sct"),
    "Mozilla": _earliest(_distrust_after("2018-11-30 23:59:59", "2018-11-30 23:59:59"),
                         lambda nb, na, sct: max(pd.Timestamp("2020-04-08"), nb)),  # server trust off 2026-04-09
    "Apple": _distrust_after("2018-11-15 23:59:59", "2018-11-15 23:59:59"),
    "Microsoft": _distrust_after("2019-04-16", "2019-04-16"),
}


def test_demo_treated_like_entrust_by_each_program(norm, fetched):
    cmp = programs.entrust_demo_comparison(norm, [_demo_root()], hierarchy=fetched.hierarchy)
    t = cmp.table.set_index("metric")
    for program, rule in EXPECTED_RULES.items():
        got = t[program].tolist()[1:]
        assert got == _expected(rule), program
    # the headline numbers, as a reader would quote them
    assert t.loc["affected"].tolist() == [998, 673, 663, 247]
    assert t.loc["rule"].tolist() == ["after 2018-11-30 + removed 2020-04-08", "SCT after 2018-11-11",
                                      "after 2018-11-15", "after 2019-04-16"]
    text = cmp.to_text()
    assert max(display_width(line) for line in text.splitlines()) <= 72
    assert ("Chrome: SCT after 2018-11-11 [data/root_programs/actions.csv\n"
            "  chrome-entrust-131; dates moved 2,192 days earlier]") in text


def test_survival_series_counts_broken_certificates_per_day(norm, fetched):
    cmp = programs.entrust_demo_comparison(norm, [_demo_root()], hierarchy=fetched.hierarchy)
    s = cmp.series.set_index("date")
    for program, rule in EXPECTED_RULES.items():
        hits = _by_construction(rule)
        for day in ("2019-06-10", "2020-01-01", "2020-10-12"):
            d = pd.Timestamp(day)
            want = sum(b.normalize() <= d <= _naive(i.not_after).normalize() for i, b in hits)
            assert int(s.loc[d, program]) == want, (program, day)


def test_a_trusted_partner_root_saves_everything_through_the_cross_sign(norm, fetched):
    """Demo Partner Root CA cross-signed the Demo Root CA key until 2025-06-01, after every demo leaf expires: in a
    store that trusts the partner root, nothing breaks; ignoring alternate paths gives the numbers back."""
    partner = fetched.hierarchy.loc[(fetched.hierarchy["depth"] == 0)
                                    & (fetched.hierarchy["parent_ca_id"] != fetched.hierarchy["ca_id"])]
    assert len(partner) == 1
    g = trustpaths.CAGraph.build(fetched.hierarchy, ccadb=False)
    partner_node = g.node(int(partner["parent_ca_id"].iloc[0]))
    # the partner root's own self-signed certificate is not in this tree: give its node one by hand
    store = trustpaths.RootTrust.fixed("Apple", ["PARTNER"], "hypothetical: partner trusted")
    g.certs.setdefault(partner_node, set()).add("PARTNER")
    record = programs.entrust_demo_record([_demo_root()])
    saved = programs.compare_programs(norm, record, ["Apple"], hierarchy=fetched.hierarchy, graph=g,
                                      stores={"Apple": store}, in_store={"Apple": True})
    t = saved.table.set_index("metric")
    hits = _by_construction(EXPECTED_RULES["Apple"])
    n = len(hits)
    revoked_later = sum(i.revocation_date is not None for i, _ in hits)  # saved, so revoked before any break
    assert (n, revoked_later) == (663, 30)
    assert t.loc["affected", "Apple"] == 0 and t.loc["saved_by_other_path", "Apple"] == n - revoked_later
    reasons = saved.evaluations["Apple"].verdicts["reason"].astype(str)
    assert reasons[saved.evaluations["Apple"].verdicts["category"].astype(str) == "saved_by_path"].str.contains(
        "Demo Root CA").all()
    plain = programs.compare_programs(norm, record, ["Apple"], hierarchy=fetched.hierarchy, in_store={"Apple": True},
                                      ignore_alternate_paths=True)
    assert plain.table.set_index("metric").loc["affected", "Apple"] == n


def test_a_root_never_in_a_store_says_so(norm):
    certinomis = presets.actual_record([trustpaths_CERTINOMIS])
    cmp = programs.compare_programs(norm, certinomis, ignore_alternate_paths=True)
    t = cmp.table.set_index("metric")
    assert t["Chrome"].tolist() == [programs.NOT_IN_STORE] * len(programs.METRICS)
    assert t["Apple"].tolist() == [programs.NOT_IN_STORE] * len(programs.METRICS)
    assert t.loc["rule", "Mozilla"] == "removed 2019-09-03"


trustpaths_CERTINOMIS = "2A99F5BC1174B73CBB1D620884E01C34E51CCB3978DA125F0E33268883BF4158"


def test_certinomis_replayed_on_2019_05_17_knew_of_no_action(norm):
    """On 2019-05-17 no program had acted on Certinomis - Root CA (Mozilla removed it in NSS on 2019-06-04, shipped in
    Firefox 69 on 2019-09-03): nothing is affected; the certificates issued after that day are excluded."""
    record = presets.actual_record([trustpaths_CERTINOMIS])
    then = programs.compare_programs(norm, record, ["Mozilla"], as_of="2019-05-17")
    assert then.table.set_index("metric")["Mozilla"].tolist() == [programs.NO_ACTION, 0, 0, 0, 0, "-", "-"]
    now = programs.compare_programs(norm, record, ["Mozilla"], ignore_alternate_paths=True)
    want = _expected(lambda nb, na, sct: max(pd.Timestamp("2019-09-03"), nb))
    assert want == [1290, 116, 269, 0, "2019-09-03", "2021-11-08"]
    assert now.table.set_index("metric")["Mozilla"].tolist()[1:] == want
    proposal = programs.compare_programs(norm, record, ["Mozilla"], as_of="2019-05-17",
                                         proposals={"Mozilla": policies.Removal("2019-09-03")},
                                         ignore_alternate_paths=True)
    ev = proposal.evaluations["Mozilla"]
    issued_by_then = [i for i, _ in _by_construction(lambda nb, na, sct: max(pd.Timestamp("2019-09-03"), nb))
                      if _naive(i.not_before) < pd.Timestamp("2019-05-18")]
    assert ev.summary_values()["affected"] == len(issued_by_then) == 1144  # 1,290 - 146 issued after 2019-05-17
    assert ev.summary_values()["excluded_issued_after"] == 150


# -- Symantec, replayed the day before and the day after Chrome 70 (2018-10-16) -------------------------------------

GEOTRUST_GLOBAL = "FF856A2D251DCD88D36656F450126798CFABAADE40799C722DE4D2B5DB36A73A"


def _symantec_population():
    """Five leaves under a (fictional) issuing CA of GeoTrust Global CA: notBefore before/after 2016-06-01, expiring
    before or after 2018-10-16."""
    rows = [("2015-09-01", "2018-09-30"),   # old, expires before Chrome 70: broken by Chrome 66 (2018-04-17)
            ("2016-03-01", "2019-03-01"),   # old: broken by Chrome 66
            ("2016-08-01", "2018-10-15"),   # new, expires the day before Chrome 70: never broken
            ("2017-01-01", "2019-06-01"),   # new: broken only by Chrome 70 (2018-10-16)
            ("2018-06-01", "2020-06-01")]   # issued after 2017-12-01: broken by Chrome 66 from its notBefore
    n = len(rows)
    frame = CERTIFICATES.frame({
        "certificate_id": np.arange(1, n + 1, dtype=np.int64), "issuer_ca_id": np.full(n, 424242, dtype=np.int64),
        "issuer_name": "CN=Example Symantec-era CA", "sha256": [f"{i:064X}" for i in range(n)],
        "serial_number": [f"{i:02x}" for i in range(n)],
        "not_before": pd.to_datetime([r[0] for r in rows]), "not_after": pd.to_datetime([r[1] for r in rows]),
        "subject_o": [f"Org {i}" for i in range(n)], "subject_cn": [f"h{i}.example.com" for i in range(n)],
        "dns_names": [[f"h{i}.example{i}.com"] for i in range(n)], "policy_oids": [[] for _ in range(n)],
        "is_precertificate": False, "is_server_auth": True, "dedup_key": [f"{i:064X}" for i in range(n)],
        "parse_error": None,
    })
    return normalise(frame)


def test_symantec_the_day_before_and_after_chrome_70():
    norm = _symantec_population()
    record = presets.actual_record([GEOTRUST_GLOBAL])
    before = programs.compare_programs(norm, record, ["Chrome", "Mozilla"], as_of="2018-10-15")
    after = programs.compare_programs(norm, record, ["Chrome", "Mozilla"], as_of="2018-10-17")
    b, a = before.table.set_index("metric"), after.table.set_index("metric")
    assert b["Chrome"].tolist()[1:] == [3, 3, 3, 0, "2018-04-17", "2020-06-01"]
    assert a["Chrome"].tolist()[1:] == [4, 4, 4, 0, "2018-04-17", "2020-06-01"]
    # Firefox 64 (2018-12-11; the full distrust planned for 63) was not out on either day: only Firefox 60's
    # notBefore rule (2018-05-09) is known
    assert b["Mozilla"].tolist()[1:] == a["Mozilla"].tolist()[1:] == [2, 2, 2, 0, "2018-05-09", "2019-03-01"]


def test_cross_program_figure_is_reproducible(norm, fetched, tmp_path):
    from analysis.figures_programs import plot_programs

    cmp = programs.entrust_demo_comparison(norm, [_demo_root()], hierarchy=fetched.hierarchy)
    for run in ("a", "b"):
        fig = plot_programs(cmp, ca="Demo Root CA", source="demo population (synthetic)", path_stem=tmp_path / run)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("Mozilla (after 2018-11-30 + removed 2020-04-08): 998 affected")
    assert labels[3].startswith("Microsoft (after 2019-04-16): 247 affected")  # every label names the rule
    for ext in ("png", "svg"):
        assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()


def test_input_checksum_survives_the_cache_round_trip(fetched):
    from analysis import repro

    frames = {"certificates": fetched.certificates, "revocations": fetched.revocations, "ct": fetched.ct}
    again = crtsh.load_cached(fetched.cache_path)
    shuffled = {"certificates": again.certificates.sample(frac=1, random_state=1)[again.certificates.columns[::-1]],
                "revocations": again.revocations, "ct": again.ct}
    assert repro.input_checksum(frames) == repro.input_checksum(shuffled)


def test_programs_argument():
    assert programs.parse_programs("all") == ["Mozilla", "Chrome", "Apple", "Microsoft"]
    assert programs.parse_programs(" chrome, Mozilla,chrome") == ["Chrome", "Mozilla"]
    with pytest.raises(ValueError, match="unknown root program 'safari'; choose from all, mozilla, chrome"):
        programs.parse_programs("mozilla,safari")


def test_record_for_a_fetched_root_and_with_paths(fetched, norm):
    record = programs.record_for(fetched)
    # the root's two certificates (self-signed, and the partner's cross-certificate); nobody ever acted on them
    assert _demo_root() in record.root_sha256s and len(record.root_sha256s) == 2 and list(record) == []
    cmp = programs.compare_programs(norm, record)
    assert cmp.table.set_index("metric").loc["affected"].tolist() == [programs.NOT_IN_STORE] * 4
    base = policies.Removal("2019-09-03")
    assert trustpaths.with_paths(base, program="Mozilla", hierarchy=fetched.hierarchy, root_sha256s=[_demo_root()],
                                 ignore_alternate_paths=True) is base
    wrapped = trustpaths.with_paths(base, program="Mozilla", hierarchy=fetched.hierarchy, root_sha256s=[_demo_root()])
    # the partner root is in no real store: nothing saved, same verdicts
    assert policies.classify(norm, wrapped)["status"].tolist() == policies.classify(norm, base)["status"].tolist()


def test_demo_treated_like_entrust_premium_2048(norm, fetched):
    """Entrust.net Premium 2048: the same cut-offs, but Mozilla removed it from NSS on 2025-04-16 (moved:
    2019-04-16) where it turned Root G2's server trust bit off only on 2026-04-09."""
    cmp = programs.entrust_demo_comparison(norm, [_demo_root()], hierarchy=fetched.hierarchy,
                                           entrust_root=programs.ENTRUST_PREMIUM_2048)
    t = cmp.table.set_index("metric")
    assert t.loc["rule", "Mozilla"] == "after 2018-11-30 + removed 2019-04-16"
    mozilla = _earliest(_distrust_after("2018-11-30 23:59:59", "2018-11-30 23:59:59"),
                        lambda nb, na, sct: max(pd.Timestamp("2019-04-16"), nb))
    assert t["Mozilla"].tolist()[1:] == _expected(mozilla)
    for program in ("Chrome", "Apple", "Microsoft"):
        assert t[program].tolist()[1:] == _expected(EXPECTED_RULES[program]), program
    assert t.loc["affected"].tolist() == [1521, 673, 663, 247]
