"""Impact tables: summary, groupings, expiry histogram, survival curve, option comparison, date sweep.

The one-line entry point for notebooks::

    ev = evaluate(certs, Removal("2019-09-03"), revocations=rev, ct=ct,
                  expires_on_or_before="2019-08-31", issued_after="2019-05-17")
    ev.summary(); ev.by_organisation(); ev.survival_curve(); ev.to_csv(path)

Every table is a DataFrame with the snake_case columns documented on its function. Counts are of *issuances* (a
precertificate and its final certificate count once, see :mod:`analysis.normalise`) unless a column says
``certificate_rows``. "Organisations" counts distinct subject O= grouping keys; issuances without an O= are
counted apart (``affected_without_organisation``), never as one big organisation.

Over 500 lines on purpose: every table a report shows is a method of one :class:`Evaluation` and shares its
verdict arrays; the date sweep and the survival curve (vectorised over days) stay beside the per-date tables the
tests check them against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.normalise import (
    VALIDATION_LEVELS,
    Normalised,
    _object_cells,
    issuance_domains,
    normalise,
    release_arrow_memory,
)
from analysis.policies import STATUSES, Policy, Removal, as_utc_timestamp, classify

NO_REGISTRABLE_DOMAIN = "(no registrable domain)"
SUMMARY_METRICS = (
    "certificate_rows", "issuances", "unparsable", "excluded_expired", "excluded_issued_after", "revoked",
    "survivors", "affected", "affected_certificate_rows", "organisations_affected", "affected_without_organisation",
    "registrable_domains_affected", "affected_with_invalid_name",
)
SWEEP_POLICIES = ("removal", "not_before", "earliest_sct")

_NAT = np.iinfo(np.int64).min
_NEVER = np.iinfo(np.int64).min + 1  # "affected at no date" (avoids NaT's bit pattern)
_ALWAYS = np.iinfo(np.int64).max
_DAY = 86_400 * 10**9


def _ns_col(frame: pd.DataFrame, col: str) -> np.ndarray:
    return frame[col].to_numpy(dtype="datetime64[ns]").view("i8")


# ---------------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Evaluation:
    """A policy applied to a normalised population, with every output as a method.

    Attributes:
        normalised: the population (:class:`~analysis.normalise.Normalised`).
        policy: the policy evaluated.
        verdicts: per issuance ``breaks_on, category, reason, status`` (see :func:`analysis.policies.classify`).
        expires_on_or_before, issued_after: the analysis filters used (None: not applied).
    """

    normalised: Normalised
    policy: Policy
    verdicts: pd.DataFrame
    expires_on_or_before: pd.Timestamp | None = None
    issued_after: pd.Timestamp | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def results(self) -> pd.DataFrame:
        """Issuances joined with their verdicts: every ``ISSUANCE_COLUMNS`` column plus ``breaks_on, category,
        reason, status``."""
        if "results" not in self._cache:
            self._cache["results"] = pd.concat([self.normalised.issuances, self.verdicts], axis=1)
        return self._cache["results"]

    def status_mask(self, status: str | Iterable[str] | None = "affected") -> np.ndarray:
        """Boolean mask of issuances with the given status(es) (see :data:`STATUSES`); None selects every
        issuance."""
        s = self.verdicts["status"]
        if status is None:
            return np.ones(len(s), dtype=bool)
        if isinstance(status, str):
            status = (status,)
        bad = set(status) - set(STATUSES)
        if bad:
            raise ValueError(f"unknown status {sorted(bad)}; choose from {STATUSES}")
        return s.isin(list(status)).to_numpy(dtype=bool)

    def summary_values(self) -> dict[str, int]:
        """The summary as a dict (see :func:`summary`)."""
        if "summary" not in self._cache:
            self._cache["summary"] = _summary_values(self)
            release_arrow_memory()
        return dict(self._cache["summary"])

    def summary(self) -> pd.DataFrame:
        """See :func:`summary`."""
        return summary(self)

    def by_status(self) -> pd.DataFrame:
        """Why: ``status, category, reason, certificates`` — one row per (status, category) that occurs."""
        v = self.verdicts
        out = (v.groupby(["status", "category", "reason"], observed=True).size()
               .rename("certificates").reset_index())
        out = out[out["certificates"] > 0]
        out["status"] = out["status"].astype(str)
        out["_o"] = out["status"].map({s: i for i, s in enumerate(STATUSES)})
        out = out.sort_values(["_o", "certificates", "category"], ascending=[True, False, True])
        return out.drop(columns="_o").astype({"category": str, "reason": str}).reset_index(drop=True)

    def by_organisation(self, status="affected", examples: int = 3) -> pd.DataFrame:
        """Per organisation (subject O= grouping key; ``(no organisation)`` is one row): ``organisation,
        certificates, registrable_domains, earliest_not_after, latest_not_after, example_domains`` (the
        ``examples`` registrable domains with most certificates, comma-separated). Sorted by certificates."""
        return self._cached(("by_organisation", status, examples), self._by_organisation, status, examples)

    def _by_organisation(self, status, examples) -> pd.DataFrame:
        org = self.normalised.issuances["organisation"]
        labels = np.asarray(org.cat.categories, dtype=object)
        t = _group_table(self, org.cat.codes.to_numpy().astype(np.int64), len(labels), status, examples)
        t.insert(0, "organisation", labels[t.pop("_group").to_numpy()])
        cols = ["organisation", "certificates", "registrable_domains", "earliest_not_after", "latest_not_after"]
        return _sorted(t[cols + (["example_domains"] if examples > 0 else [])], "organisation")

    def by_intermediate(self, status="affected", examples: int = 3) -> pd.DataFrame:
        """Per issuing CA: ``issuer_name, issuer_ca_id, certificates, organisations, registrable_domains,
        earliest_not_after, latest_not_after, example_domains``. Sorted by certificates."""
        return self._cached(("by_intermediate", status, examples), self._by_intermediate, status, examples)

    def _by_intermediate(self, status, examples) -> pd.DataFrame:
        iss = self.normalised.issuances
        codes, ca = pd.factorize(iss["issuer_ca_id"].to_numpy())
        # The first issuer name of each issuer (NaN when it has none), by a scatter-min over the rows that have one.
        cat = iss["issuer_name"].array
        pos = np.flatnonzero(cat.codes >= 0)
        first = np.full(len(ca), len(cat), dtype=np.int64)
        np.minimum.at(first, codes[pos], pos)
        has = first < len(cat)
        name = np.full(len(ca), np.nan, dtype=object)
        name[has] = np.asarray(cat.categories, dtype=object)[cat.codes[first[has]]]
        t = _group_table(self, codes.astype(np.int64), len(ca), status, examples)
        g = t.pop("_group").to_numpy()
        t.insert(0, "issuer_ca_id", np.asarray(ca)[g])
        t.insert(0, "issuer_name", name[g])
        cols = ["issuer_name", "issuer_ca_id", "certificates", "organisations", "registrable_domains",
                "earliest_not_after", "latest_not_after"]
        return _sorted(t[cols + (["example_domains"] if examples > 0 else [])], "issuer_name")

    def by_validation_level(self, status="affected") -> pd.DataFrame:
        """Per validation level, every level listed (``EV, OV, IV, DV, unknown``): ``validation_level,
        certificates, organisations, registrable_domains, earliest_not_after, latest_not_after``."""
        return self._cached(("by_validation_level", status), self._by_validation_level, status)

    def _by_validation_level(self, status) -> pd.DataFrame:
        lv = self.normalised.issuances["validation_level"]
        levels = list(lv.cat.categories)
        t = _group_table(self, lv.cat.codes.to_numpy().astype(np.int64), len(levels), status, 0)
        t.insert(0, "validation_level", np.asarray(levels, dtype=object)[t.pop("_group").to_numpy()])
        t = t.set_index("validation_level").reindex(list(VALIDATION_LEVELS))
        for c in ("certificates", "organisations", "registrable_domains"):
            t[c] = t[c].fillna(0).astype(np.int64)
        cols = ["certificates", "organisations", "registrable_domains", "earliest_not_after", "latest_not_after"]
        return t[cols].reset_index()

    def _cached(self, key, fn, *args):
        # Tables are pure functions of the evaluation: compute once (to_text and notebooks call them repeatedly).
        key = tuple(tuple(k) if isinstance(k, (list, set, frozenset)) else k for k in key)
        if key not in self._cache:
            self._cache[key] = fn(*args)
            release_arrow_memory()  # the group-by temporaries, before the next table adds its own
        return self._cache[key].copy()

    def by_registrable_domain(self, status="affected", examples: int = 3) -> pd.DataFrame:
        """Per registrable domain (eTLD+1): ``registrable_domain, certificates, dns_names, organisations,
        earliest_not_after, latest_not_after, example_names``. A certificate with names under several domains
        counts once under each (so the column does not sum to the total); certificates with no registrable domain
        at all (no DNS name, only invalid names or unknown TLDs) form the ``(no registrable domain)`` row."""
        return self._cached(("by_registrable_domain", status, examples), _by_domain, self, status, examples)

    def expiry_histogram(self, reference=None) -> pd.DataFrame:
        """See :func:`expiry_histogram`."""
        return expiry_histogram(self, reference)

    def survival_curve(self, reference=None) -> pd.DataFrame:
        """See :func:`survival_curve`."""
        return survival_curve(self, reference)

    def certificates(self, status="affected") -> pd.DataFrame:
        """One row per issuance with the given status(es), for export: ``crtsh_id, certificate_id,
        precertificate_id, sha256, precertificate_sha256`` (SHA-256 of the final certificate and of the
        precertificate, upper-case hex; what crt.sh links are built from), ``organisation, subject_o, subject_cn,
        dns_names`` (space-separated, as written),
        ``registrable_domains`` (space-separated), ``validation_level, issuer_name, not_before, not_after,
        breaks_on, status, category, reason, is_revoked, revocation_date, parse_error``."""
        idx = np.flatnonzero(self.status_mask(status))
        # Only the exported columns are taken (the hex dedup keys and serials are not copied).
        iss = self.normalised.issuances[list(_EXPORTED_ISSUANCE_COLUMNS)].iloc[idx]
        v = self.verdicts[["breaks_on", "status", "category", "reason"]].iloc[idx]
        out = pd.DataFrame({
            "crtsh_id": iss["crtsh_id"].to_numpy(), "certificate_id": iss["certificate_id"].array,
            "precertificate_id": iss["precertificate_id"].array,
            "sha256": iss["sha256"].array, "precertificate_sha256": iss["precertificate_sha256"].array,
            "organisation": iss["organisation"].array, "subject_o": iss["subject_o"].array,
            "subject_cn": iss["subject_cn"].array,
            "dns_names": _joined(iss["dns_names"]),
            "registrable_domains": self._domain_strings(idx),
        })
        for c in ("validation_level", "issuer_name", "not_before", "not_after"):
            out[c] = iss[c].array
        for c in ("breaks_on", "status", "category", "reason"):
            out[c] = v[c].array
        for c in ("is_revoked", "revocation_date", "parse_error"):
            out[c] = iss[c].array
        return out

    def _domain_strings(self, idx: np.ndarray) -> np.ndarray:
        """Space-separated registrable domains of the issuances ``idx`` (sorted)."""
        pi, pdom, duniq = _issuance_domain_pairs(self.normalised)
        want = np.zeros(len(self.normalised.issuances), dtype=bool)
        want[idx] = True
        sel = want[pi]
        pi, pdom = pi[sel], pdom[sel]
        order = np.lexsort((_alpha_rank(self.normalised, "domains", duniq)[pdom], pi))  # alphabetical per row
        pi, lab = pi[order], duniq[pdom[order]]

        pos = np.full(len(want), -1, dtype=np.int64)
        pos[idx] = np.arange(len(idx))
        # idx is ascending, so the rows' positions are too: one list per row, joined by Arrow (no per-row Python).
        offsets = np.r_[0, np.cumsum(np.bincount(pos[pi], minlength=len(idx)))].astype(np.int32)
        lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(lab, type=pa.string()))
        return pd.array(pc.binary_join(lists, " "), dtype="str")

    def to_csv(self, path, status="affected", *, crtsh_ids: bool = False) -> Path:
        """Write :meth:`certificates` as CSV with crt.sh links (see :func:`analysis.textfmt.write_csv`): by
        SHA-256, or by crt.sh id with ``crtsh_ids=True`` (only when the rows come from crt.sh itself)."""
        from analysis.textfmt import write_csv

        return write_csv(self.certificates(status), path, crtsh_ids=crtsh_ids)

    def to_text(self, table: str | pd.DataFrame = "summary", **kwargs) -> str:
        """A table (a DataFrame or the name of a method, e.g. ``"by_organisation"``) as 72-column text."""
        from analysis.textfmt import format_table

        df = getattr(self, table)() if isinstance(table, str) else table
        return format_table(df, **kwargs)


def evaluate(source: pd.DataFrame | Normalised, policy: Policy, *, revocations: pd.DataFrame | None = None,
             ct: pd.DataFrame | None = None, expires_on_or_before=None, issued_after=None) -> Evaluation:
    """Normalise (unless ``source`` already is :class:`Normalised`) and apply ``policy`` and the analysis filters.

    Args:
        source: the certificates frame of ``docs/design.md``, or an already normalised population (then
            ``revocations``/``ct`` must be None — they were used when normalising).
        policy: a :mod:`analysis.policies` policy.
        revocations, ct: side frames (see :func:`analysis.normalise.normalise`).
        expires_on_or_before: exclude certificates whose notAfter UTC date is on or before this date.
        issued_after: exclude certificates whose notBefore UTC date is after this date.
    """
    norm = _as_normalised(source, revocations, ct)
    v = classify(norm, policy, expires_on_or_before=expires_on_or_before, issued_after=issued_after)
    return Evaluation(norm, policy, v,
                      None if expires_on_or_before is None else as_utc_timestamp(expires_on_or_before),
                      None if issued_after is None else as_utc_timestamp(issued_after))


def _as_normalised(source, revocations, ct) -> Normalised:
    if isinstance(source, Normalised):
        if revocations is not None or ct is not None:
            raise ValueError("source is already normalised: pass revocations/ct to normalise() instead")
        return source
    return normalise(source, revocations=revocations, ct=ct)


# ---------------------------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------------------------

_SUMMARY_DESCRIPTIONS = {
    "certificate_rows": "crt.sh certificate rows (precertificate and final each count)",
    "issuances": ("= unparsable + excluded_expired + excluded_issued_after + revoked + survivors + affected "
                  "(precertificate/certificate pairs count once)"),
    "unparsable": "parse_error: counted, not judged",
    "excluded_expired": "analysis filter: expires on or before {expires_on_or_before}",
    "excluded_issued_after": "analysis filter: issued after {issued_after}",
    "revoked": "revoked on or before the date it would break",
    "survivors": "still trusted, or expire before they would break",
    "affected": "break under the policy while unexpired",
    "affected_certificate_rows": "crt.sh rows behind the affected issuances",
    "organisations_affected": "distinct subject O= (case/space-insensitive)",
    "affected_without_organisation": "affected issuances without subject O=",
    "registrable_domains_affected": "distinct eTLD+1 of affected DNS names",
    "affected_with_invalid_name": "affected issuances with a name that is not a valid hostname",
}


_EXPORTED_ISSUANCE_COLUMNS = (
    "crtsh_id", "certificate_id", "precertificate_id", "sha256", "precertificate_sha256", "organisation", "subject_o",
    "subject_cn", "dns_names", "validation_level", "issuer_name", "not_before", "not_after", "is_revoked",
    "revocation_date", "parse_error")


def _joined(column: pd.Series):
    """Space-separated text of each list cell (None/NaN cells: ""), joined by Arrow in C++; a cell Arrow cannot
    take as a list of strings (a non-string name, an unpaired surrogate) sends the column down the Python path."""
    if isinstance(column.dtype, pd.ArrowDtype) and pa.types.is_list(column.dtype.pyarrow_dtype):
        lists = column.array._pa_array
        if not pc.any(pc.is_null(pc.list_flatten(lists))).as_py():
            return pd.array(pc.fill_null(pc.binary_join(lists, " "), ""), dtype="str")
        cells = _object_cells(lists)  # a None inside a list: Python below
    else:
        cells = column.to_numpy()
    try:
        lists = pa.array(cells, type=pa.list_(pa.string()), from_pandas=True)
        if pc.any(pc.is_null(pc.list_flatten(lists))).as_py():  # a None inside a list: written "None" below
            raise pa.ArrowInvalid("null name")
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
        return np.array([" ".join(map(str, x)) if x is not None and not isinstance(x, float) else ""
                         for x in cells] + [None], dtype=object)[:-1]
    return pd.array(pc.fill_null(pc.binary_join(lists, " "), ""), dtype="str")


def _summary_values(ev: Evaluation) -> dict[str, int]:
    iss = ev.normalised.issuances
    counts = ev.verdicts["status"].value_counts().reindex(STATUSES, fill_value=0)
    aff = ev.status_mask("affected")
    okey = iss["organisation_key"].cat.codes.to_numpy()[aff]
    pi, pdom, duniq = _issuance_domain_pairs(ev.normalised)
    out = {
        "certificate_rows": ev.normalised.certificate_rows,
        "issuances": len(iss),
        "unparsable": int(counts["unparsable"]),
        "excluded_expired": int(counts["excluded_expired"]),
        "excluded_issued_after": int(counts["excluded_issued_after"]),
        "revoked": int(counts["revoked"]),
        "survivors": int(counts["survives"]),
        "affected": int(counts["affected"]),
        "affected_certificate_rows": int(iss["certificate_rows"].to_numpy()[aff].sum()),
        "organisations_affected": _n_distinct(okey[okey >= 0]),
        "affected_without_organisation": int((okey < 0).sum()),
        "registrable_domains_affected": _n_distinct(pdom[aff[pi]]),
        "affected_with_invalid_name": int(iss["has_invalid_name"].to_numpy()[aff].sum()),
    }
    parts = ("unparsable", "excluded_expired", "excluded_issued_after", "revoked", "survivors", "affected")
    # The invariant the analysis rests on: every issuance has exactly one status.
    assert sum(out[p] for p in parts) == out["issuances"], out
    return out


def _n_distinct(codes: np.ndarray) -> int:
    """Number of distinct non-negative integer codes."""
    return int(np.count_nonzero(np.bincount(codes))) if len(codes) else 0


def summary(ev: Evaluation) -> pd.DataFrame:
    """Headline numbers: ``metric, value, description`` with the metrics of :data:`SUMMARY_METRICS`.

    Arithmetic: ``issuances = unparsable + excluded_expired + excluded_issued_after + revoked + survivors +
    affected`` (asserted), and ``certificate_rows - issuances`` rows were merged precertificate/certificate pairs.
    """
    return summary_frame(ev.summary_values(), ev.expires_on_or_before, ev.issued_after)


def summary_frame(vals: Mapping[str, int], expires_on_or_before=None, issued_after=None) -> pd.DataFrame:
    """The summary table of the values :meth:`Evaluation.summary_values` returns (shared with
    :mod:`analysis.outofcore`)."""
    fmt = {"expires_on_or_before": _d(expires_on_or_before), "issued_after": _d(issued_after)}
    return pd.DataFrame({
        "metric": list(SUMMARY_METRICS),
        "value": [vals[m] for m in SUMMARY_METRICS],
        "description": [_SUMMARY_DESCRIPTIONS[m].format(**fmt) for m in SUMMARY_METRICS],
    })


def _d(ts) -> str:
    return "(not applied)" if ts is None else pd.Timestamp(ts).strftime("%Y-%m-%d")


# ---------------------------------------------------------------------------------------------------------------
# Groupings
# ---------------------------------------------------------------------------------------------------------------

def _issuance_domain_pairs(norm: Normalised) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(issuance, domain_code) unique pairs and the domain labels (cached on the population)."""
    if "issuance_domains" not in norm._cache:
        norm._cache.update(issuance_domains(norm.names, norm.distinct_names))
    return norm._cache["issuance_domains"]


def _group_table(ev: Evaluation, gcodes: np.ndarray, ng: int, status, examples: int) -> pd.DataFrame:
    """Shared aggregation over an issuance-level integer group code (0..ng-1): ``_group``, ``certificates,
    organisations, registrable_domains, earliest_not_after, latest_not_after``, ``example_domains`` (if
    ``examples``); only groups with certificates are returned."""
    iss = ev.normalised.issuances
    mask = ev.status_mask(status)
    g = gcodes[mask]
    t = pd.DataFrame({"_group": np.arange(ng)})
    t["certificates"] = np.bincount(g, minlength=ng)
    lo, hi = _min_max(g, _ns_col(iss, "not_after")[mask], ng)
    t["earliest_not_after"], t["latest_not_after"] = lo, hi
    # Distinct named organisations per group (the no-O= bucket is not an organisation).
    o = iss["organisation_key"].cat.codes.to_numpy().astype(np.int64)[mask]
    ok = o >= 0
    mo = len(iss["organisation_key"].cat.categories) + 1
    t["organisations"] = np.bincount(_unique_sorted(g[ok] * mo + o[ok], ng * mo) // mo, minlength=ng)
    # Registrable domains per group: via unique (issuance, domain) pairs of the selected issuances.
    pi, pdom, duniq = _issuance_domain_pairs(ev.normalised)
    sel = mask[pi]
    md = len(duniq) + 1
    u, cnt = _unique_counts(gcodes[pi[sel]] * md + pdom[sel], ng * md)
    ug, ud = u // md, u % md
    t["registrable_domains"] = np.bincount(ug, minlength=ng)
    if examples > 0:
        t["example_domains"] = _examples(ug, ud, cnt, duniq, _alpha_rank(ev.normalised, "domains", duniq), ng,
                                         examples)
    return t[t["certificates"] > 0].reset_index(drop=True)


def _unique_sorted(a: np.ndarray, space: int | None = None) -> np.ndarray:
    """Sorted distinct values of non-negative codes below ``space`` (counted when the space is small, else
    sorted)."""
    if space is not None and space <= max(4 * len(a), 1 << 16):
        return np.flatnonzero(np.bincount(a, minlength=space))
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _unique_counts(a: np.ndarray, space: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and their counts, as :func:`_unique_sorted`."""
    if space is not None and space <= max(4 * len(a), 1 << 16):
        cnt = np.bincount(a, minlength=space)
        u = np.flatnonzero(cnt)
        return u, cnt[u]
    a = np.sort(a)
    if not len(a):
        return a, np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
    return a[starts], np.diff(np.r_[starts, len(a)])


def _min_max(g: np.ndarray, values_ns: np.ndarray, ng: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group min and max of int64-ns timestamps, ignoring NaT; NaT for empty groups."""
    ok = values_ns != _NAT
    lo = np.full(ng, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(ng, _NAT, dtype=np.int64)
    np.minimum.at(lo, g[ok], values_ns[ok])
    np.maximum.at(hi, g[ok], values_ns[ok])
    lo[lo == np.iinfo(np.int64).max] = _NAT
    return lo.view("datetime64[ns]"), hi.view("datetime64[ns]")


def _alpha_rank(norm: Normalised, name: str, labels: np.ndarray) -> np.ndarray:
    """Alphabetical rank of each label (cached per population): the tie-break for examples."""
    key = f"alpha_rank_{name}"
    if key not in norm._cache:
        rank = np.empty(len(labels), dtype=np.int64)
        rank[np.argsort(np.asarray(labels, dtype=str), kind="stable")] = np.arange(len(labels))
        norm._cache[key] = rank
    return norm._cache[key]


_RUN_MINIMA_MAX_K = 8  # above: one sort of the pairs is cheaper than k passes over them


def _examples(groups: np.ndarray, items: np.ndarray, counts: np.ndarray, labels: np.ndarray, rank: np.ndarray,
              ng: int, k: int) -> np.ndarray:
    """Per group, the ``k`` items with most certificates (ties: alphabetical, ``rank``), joined by ", ".

    ``groups``/``items`` are distinct pairs. For the few examples the tables show, each item's score (fewer
    certificates, then alphabetical rank) is taken ``k`` times as the minimum of each group's run, so the pairs are
    not sorted and the labels are joined column-wise; for a larger ``k`` the pairs are sorted once."""
    out = np.full(ng, "", dtype=object)
    if len(groups) == 0 or k <= 0:
        return out
    if k > _RUN_MINIMA_MAX_K:
        return _examples_by_sort(groups, items, counts, labels, rank, out, k)
    if not bool((groups[1:] >= groups[:-1]).all()):
        order = np.argsort(groups, kind="stable")
        groups, items, counts = groups[order], items[order], counts[order]
    r = rank[items]
    nr = int(r.max()) + 1
    score = (counts.max() - counts).astype(np.int64) * nr + r
    done = np.iinfo(np.int64).max
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    lengths = np.diff(np.r_[starts, len(groups)])
    run_of = np.repeat(np.arange(len(starts)), lengths)
    text = np.full(len(starts), "", dtype=object)
    for j in range(min(k, int(lengths.max()))):
        best = np.minimum.reduceat(score, starts)
        pick = np.flatnonzero((score == best[run_of]) & (score != done))
        runs = run_of[pick]
        first = np.r_[True, runs[1:] != runs[:-1]]  # one per run (ranks are unique, so there is one anyway)
        pick, runs = pick[first], runs[first]
        sep = text[runs] + ", " if j else text[runs]
        text[runs] = sep + labels[items[pick]]
        score[pick] = done
    out[groups[starts]] = text
    return out


def _examples_by_sort(groups, items, counts, labels, rank, out: np.ndarray, k: int) -> np.ndarray:
    """:func:`_examples` by one sort of the pairs on (group, fewer certificates, rank)."""
    r, c = rank[items], counts.max() - counts
    nr, nc = int(r.max()) + 1, int(c.max()) + 1
    if int(groups.max()) + 1 <= np.iinfo(np.int64).max // (nr * nc):  # one int64 key: one sort, not three
        order = np.argsort((groups * nc + c) * nr + r)
    else:
        order = np.lexsort((r, c, groups))
    g, it = groups[order], items[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    pos = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    top = pos < k
    g, it = g[top], it[top]
    lab = labels[it]
    bounds = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:]):
        out[g[a]] = ", ".join(lab[a:b])
    return out


def _sorted(t: pd.DataFrame, label: str) -> pd.DataFrame:
    return t.sort_values(["certificates", label], ascending=[False, True], kind="stable").reset_index(drop=True)


def _by_domain(ev: Evaluation, status, examples: int) -> pd.DataFrame:
    norm = ev.normalised
    iss = norm.issuances
    mask = ev.status_mask(status)
    n = len(iss)
    pi, pdom, duniq = _issuance_domain_pairs(norm)
    sel = mask[pi]
    pi, pdom = pi[sel], pdom[sel]
    nd_ = len(duniq)
    # Issuances with no registrable domain at all get the extra bucket nd_.
    has = np.bincount(pi, minlength=n) > 0
    lone = np.flatnonzero(mask & ~has)
    pi = np.concatenate([pi, lone])
    pdom = np.concatenate([pdom, np.full(len(lone), nd_, dtype=np.int64)])
    labels = np.append(duniq, NO_REGISTRABLE_DOMAIN).astype(object)
    ng = nd_ + 1
    t = pd.DataFrame({"registrable_domain": labels})
    t["certificates"] = np.bincount(pdom, minlength=ng)
    o = iss["organisation_key"].cat.codes.to_numpy().astype(np.int64)[pi]
    ok = o >= 0
    mo = len(iss["organisation_key"].cat.categories) + 1
    t["organisations"] = np.bincount(_unique_sorted(pdom[ok] * mo + o[ok], ng * mo) // mo, minlength=ng)
    # Distinct DNS names per domain; names without a registrable domain fall in the extra bucket (whichever
    # certificate they are on).
    nm = norm.names
    nsel = mask[nm["issuance"].to_numpy()]
    mn = len(norm.distinct_names) + 1
    # A name has one domain: the distinct (domain, name) pairs are the distinct names, counted without a sort.
    cnt = np.bincount(nm["name_id"].to_numpy()[nsel], minlength=mn)
    ids = np.flatnonzero(cnt)
    dn = _name_domain_codes(norm)[ids]
    u = np.where(dn < 0, nd_, dn) * mn + ids
    order = np.argsort(u)
    u, cnt = u[order], cnt[ids][order]
    t["dns_names"] = np.bincount(u // mn, minlength=ng)
    t["earliest_not_after"], t["latest_not_after"] = _min_max(pdom, _ns_col(iss, "not_after")[pi], ng)
    if examples > 0:
        dnames = norm.distinct_names["dns_name"].to_numpy(dtype=object)
        t["example_names"] = _examples(u // mn, u % mn, cnt, dnames, _alpha_rank(norm, "names", dnames), ng,
                                       examples)
    t = t[t["certificates"] > 0]
    cols = ["registrable_domain", "certificates", "dns_names", "organisations", "earliest_not_after",
            "latest_not_after"] + (["example_names"] if examples > 0 else [])
    return _sorted(t[cols], "registrable_domain")


def _name_domain_codes(norm: Normalised) -> np.ndarray:
    """Per distinct name, the code of its registrable domain in ``_issuance_domain_pairs``' labels (-1: none)."""
    _issuance_domain_pairs(norm)
    return norm._cache["name_domain_codes"]


# ---------------------------------------------------------------------------------------------------------------
# Expiry relative to the distrust date
# ---------------------------------------------------------------------------------------------------------------

def expiry_histogram(ev: Evaluation, reference=None) -> pd.DataFrame:
    """Certificates by month of notAfter relative to the distrust date (``reference``, default ``policy.date``).

    Columns: ``month`` ("YYYY-MM" of notAfter), ``months_from_distrust`` (0 = the distrust month, negative =
    before), ``affected, survivors, revoked, excluded`` (both analysis filters), ``total``. Every month between the
    first and last is listed. Unparsable certificates have no notAfter and are not in it.
    """
    ref = as_utc_timestamp(ev.policy.date if reference is None else reference)
    na = ev.normalised.issuances["not_after"]
    ok = na.notna().to_numpy()
    months = (na.dt.year.to_numpy() * 12 + na.dt.month.to_numpy())[ok].astype(np.int64)
    status = ev.verdicts["status"].to_numpy()[ok]
    return expiry_table(ref, months, status, np.ones(len(months), dtype=np.int64))


def expiry_table(reference, months: np.ndarray, status: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    """The expiry histogram from (``months`` = year * 12 + month of notAfter, ``status``, ``weights`` = how many
    issuances) triples (shared with :mod:`analysis.outofcore`, which counts them in DuckDB)."""
    ref = as_utc_timestamp(reference)
    cols = {"affected": ("affected",), "survivors": ("survives",), "revoked": ("revoked",),
            "excluded": ("excluded_expired", "excluded_issued_after")}
    if not len(months):
        return pd.DataFrame(columns=["month", "months_from_distrust", *cols, "total"])
    m = np.asarray(months, dtype=np.int64)
    lo, hi = int(m.min()), int(m.max())
    out = pd.DataFrame({"_m": np.arange(lo, hi + 1)})
    out["month"] = [f"{(x - 1) // 12:04d}-{(x - 1) % 12 + 1:02d}" for x in out["_m"]]
    out["months_from_distrust"] = out["_m"] - (ref.year * 12 + ref.month)
    w = np.asarray(weights, dtype=np.int64)
    for name, sts in cols.items():
        sel = np.isin(status, sts)
        out[name] = np.bincount(m[sel] - lo, weights=w[sel], minlength=hi - lo + 1).astype(np.int64)
    out["total"] = out[list(cols)].sum(axis=1)
    return out.drop(columns="_m")


def survival_curve(ev: Evaluation, reference=None) -> pd.DataFrame:
    """How many certificates the policy breaks are broken on each day, from the distrust date (``reference``,
    default ``policy.date``) to the last notAfter among them.

    A certificate is broken on day D if the policy has distrusted it by then and it has not expired: ``breaks_on``
    < D + 1 day and notAfter >= D (broken at some instant of that UTC day). Under a removal that is every affected
    certificate still valid; under an allowlist with a sunset the allowlisted certificates only count from the
    sunset, those not on the list from the distrust date. Columns: ``date``, ``days_after_distrust``, ``broken``,
    ``share_broken`` (of the affected certificates broken on the distrust day, or of all affected if none).
    ``df.attrs``: ``affected`` (certificates the policy breaks, the line's n) and ``issuances``.
    """
    ref = as_utc_timestamp(ev.policy.date if reference is None else reference).normalize().value
    aff = ev.status_mask("affected")
    bo = _ns_col(ev.verdicts, "breaks_on")[aff]
    na = _ns_col(ev.normalised.issuances, "not_after")[aff]
    ones = np.ones(len(na), dtype=np.int64)
    return survival_table(ref, int(na.max()) if len(na) else None, (_day_bucket(bo, ref), ones),
                          (_day_bucket(na, ref), ones), {"affected": int(aff.sum()),
                                                         "issuances": len(ev.normalised.issuances)})


def _day_bucket(values_ns: np.ndarray, ref: int) -> np.ndarray:
    """Day k of each timestamp counted from ``ref`` (floor), days before ``ref`` all in k = -1."""
    return np.maximum((values_ns - ref) // _DAY, -1)


def survival_table(ref: int, last_not_after: int | None, breaks: tuple[np.ndarray, np.ndarray],
                   expiries: tuple[np.ndarray, np.ndarray], attrs: dict) -> pd.DataFrame:
    """The survival curve from day buckets (:func:`_day_bucket` of the affected certificates' ``breaks_on`` and
    notAfter, each with a count), the last notAfter among them and ``ref`` (UTC midnight of the distrust date, ns);
    shared with :mod:`analysis.outofcore`, which counts the buckets in DuckDB.

    A certificate is broken on day D = ref + k days if breaks_on < D + 1 day (bucket <= k) and notAfter >= D (not
    bucket <= k - 1).
    """
    if last_not_after is None or last_not_after < ref:
        out = pd.DataFrame({"date": pd.to_datetime([pd.Timestamp(ref)]).as_unit("ns"), "days_after_distrust": [0],
                            "broken": [0], "share_broken": [0.0]})
        out.attrs.update(attrs)
        return out
    n_days = (last_not_after - ref) // _DAY + 1
    days = ref + np.arange(n_days, dtype=np.int64) * _DAY

    def upto(buckets: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """c[j] = the count in buckets <= j - 1, for j = 0 .. n_days (bucket -1 first)."""
        k, n = np.asarray(buckets[0], dtype=np.int64), np.asarray(buckets[1], dtype=np.int64)
        return np.cumsum(np.bincount(k + 1, weights=n, minlength=n_days + 1).astype(np.int64))

    distrusted = upto(breaks)[1:n_days + 1]  # breaks_on < D + 1 day
    expired = upto(expiries)[:n_days]  # notAfter < D
    # An affected certificate breaks before it expires (classify), so every expired one was counted as distrusted.
    broken = distrusted - expired
    base = broken[0] if broken[0] > 0 else attrs["affected"]
    out = pd.DataFrame({
        "date": days.view("datetime64[ns]"),
        "days_after_distrust": np.arange(len(days)),
        "broken": broken.astype(np.int64),
        "share_broken": broken / base,
    })
    out.attrs.update(attrs)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Option comparison and date sweep
# ---------------------------------------------------------------------------------------------------------------

def compare_options(source: pd.DataFrame | Normalised, options: Mapping[str, Policy] | Sequence[Policy], *,
                    revocations=None, ct=None, expires_on_or_before=None, issued_after=None) -> pd.DataFrame:
    """Several policies on the same population, side by side.

    ``options`` maps a short label to a policy (or is a list: labels are the policies' names). Normalises once.
    Returns one row per :data:`SUMMARY_METRICS` metric (``metric`` column) and one integer column per option;
    ``df.attrs["policies"]`` maps each label to the policy's name and rule.
    """
    norm = _as_normalised(source, revocations, ct)
    if not isinstance(options, Mapping):
        options = {p.name: p for p in options}
    out = pd.DataFrame({"metric": list(SUMMARY_METRICS)})
    for label, pol in options.items():
        vals = evaluate(norm, pol, expires_on_or_before=expires_on_or_before,
                        issued_after=issued_after).summary_values()
        out[label] = [vals[m] for m in SUMMARY_METRICS]
    out.attrs["policies"] = {label: {"name": p.name, "rule": p.rule} for label, p in options.items()}
    return out


def date_sweep(source: pd.DataFrame | Normalised, dates: Iterable, policy: str | Callable = "removal", *,
               dates_only: bool = False, revocations=None, ct=None, expires_on_or_before=None,
               issued_after=None) -> pd.DataFrame:
    """The impact as a function of candidate distrust dates.

    ``policy`` is ``"removal"`` (:class:`Removal` at each date), ``"not_before"`` or ``"earliest_sct"``
    (:class:`DistrustAfter` with that basis, enforced from the same date, ``dates_only`` as given; with
    ``dates_only`` the dates are taken at UTC midnight). These are vectorised: each issuance gets the last date at
    which it would count as affected, and each candidate date is one binary search — the result equals a full
    :func:`evaluate` per date (tested). Any other ``policy`` is a callable ``date -> Policy`` evaluated per date.

    Columns: ``distrust_date, issuances, affected, survivors, revoked, excluded, unparsable,
    organisations_affected, registrable_domains_affected``; ``excluded`` is both analysis filters.
    """
    norm = _as_normalised(source, revocations, ct)
    dates = pd.DatetimeIndex([as_utc_timestamp(d) for d in dates]).as_unit("ns")
    if dates_only:
        dates = dates.normalize()
    cols = ["distrust_date", "issuances", "affected", "survivors", "revoked", "excluded", "unparsable",
            "organisations_affected", "registrable_domains_affected"]
    if callable(policy):
        rows = []
        for d in dates:
            v = evaluate(norm, policy(d), expires_on_or_before=expires_on_or_before,
                         issued_after=issued_after).summary_values()
            rows.append([d, v["issuances"], v["affected"], v["survivors"], v["revoked"],
                         v["excluded_expired"] + v["excluded_issued_after"], v["unparsable"],
                         v["organisations_affected"], v["registrable_domains_affected"]])
        return pd.DataFrame(rows, columns=cols)
    if policy not in SWEEP_POLICIES:
        raise ValueError(f"policy must be one of {SWEEP_POLICIES} or a callable date -> Policy")

    iss = norm.issuances
    n = len(iss)
    # Status precedence of classify(): unparsable, filters, then revoked/affected/survives. Use classify itself for
    # the date-independent part so the two can never drift apart.
    probe = classify(norm, Removal(dates[0]) if len(dates) else Removal("2000-01-01"),
                     expires_on_or_before=expires_on_or_before, issued_after=issued_after)["status"].to_numpy()
    unparsable = probe == "unparsable"
    excluded = np.isin(probe, ("excluded_expired", "excluded_issued_after"))
    eligible = ~unparsable & ~excluded
    upper = _sweep_upper_bound(iss, policy, dates_only)
    revoked_any = iss["is_revoked"].to_numpy(dtype=bool) & eligible
    u_all = np.sort(upper[eligible])
    u_rev = np.sort(upper[revoked_any])
    d = dates.asi8
    affected = len(u_all) - np.searchsorted(u_all, d, side="left")  # count of U >= d
    revoked = revoked_any.sum() - (len(u_rev) - np.searchsorted(u_rev, d, side="left"))
    n_eligible = int(eligible.sum())

    # An organisation / domain is affected at d iff the largest U among its eligible issuances is >= d.
    def distinct_affected(codes: np.ndarray, owners: np.ndarray) -> np.ndarray:
        ok = (codes >= 0) & eligible[owners]
        if not ok.any():
            return np.zeros(len(d), dtype=np.int64)
        best = pd.Series(upper[owners[ok]]).groupby(codes[ok]).max().to_numpy()
        best = np.sort(best)
        return len(best) - np.searchsorted(best, d, side="left")

    ocodes = iss["organisation_key"].cat.codes.to_numpy().astype(np.int64)
    pi, pdom, _ = _issuance_domain_pairs(norm)
    return pd.DataFrame({
        "distrust_date": dates,
        "issuances": n,
        "affected": affected.astype(np.int64),
        "survivors": (n_eligible - affected - revoked).astype(np.int64),
        "revoked": revoked.astype(np.int64),
        "excluded": int(excluded.sum()),
        "unparsable": int(unparsable.sum()),
        "organisations_affected": distinct_affected(ocodes, np.arange(n)),
        "registrable_domains_affected": distinct_affected(pdom, pi),
    })[cols]


def _sweep_upper_bound(iss: pd.DataFrame, policy: str, dates_only: bool) -> np.ndarray:
    """Per issuance, the last distrust date d at which it is ``affected`` (affected(d) iff d <= U; _NEVER: at no d).

    Derivation (policies.classify with the policy at date d, enforced from d; rr = revocation date, +inf if not
    revoked, -inf if revoked at an unknown date):

    * removal: breaks_on = max(d, nb), needs na >= breaks_on, not revoked iff rr > breaks_on
      => affected iff na >= nb and rr > nb and d <= na and d < rr:  U = min(na, rr - 1).
    * not_before: breaks iff nb > d (dates_only: nb >= day(d) + 1 day); then breaks_on = nb
      => affected iff na >= nb and rr > nb and d < nb:  U = nb - 1 (dates_only: nb - 1 day, d at midnight).
    * earliest_sct: breaks iff no SCT or s > d (dates_only: s >= day(d) + 1 day), breaks_on = max(d, nb)
      => affected iff na >= nb and rr > nb and d <= na and d < rr and d < s:  U = min(na, rr - 1, s - 1).
    """
    nb, na = _ns_col(iss, "not_before"), _ns_col(iss, "not_after")
    r = _ns_col(iss, "revocation_date")
    rev = iss["is_revoked"].to_numpy(dtype=bool)
    rr = np.where(~rev, _ALWAYS, np.where(r == _NAT, _NEVER, r))
    valid = (nb != _NAT) & (na != _NAT) & (na >= nb) & (rr > nb)
    rr_m1 = np.where(rr == _ALWAYS, _ALWAYS, rr - 1)
    if policy == "removal":
        u = np.minimum(na, rr_m1)
    elif policy == "not_before":
        u = nb - (_DAY if dates_only else 1)
    else:
        s = _ns_col(iss, "earliest_sct")
        s_m = np.where(s == _NAT, _ALWAYS, s - (_DAY if dates_only else 1))
        u = np.minimum(np.minimum(na, rr_m1), s_m)
    return np.where(valid, u, _NEVER)
