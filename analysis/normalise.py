"""One row per issuance: de-duplication, organisation, registrable domain, validation level.

Input is the certificates frame of ``docs/design.md`` (one row per crt.sh ``certificate`` row) plus the optional
revocations and CT side frames. Output is a :class:`Normalised` bundle:

* ``issuances`` — one row per issuance (a precertificate and its final certificate count once);
* ``names`` — one row per (issuance, distinct DNS name) — the long form used for domain groupings and name
  constraints;
* ``distinct_names`` — one row per distinct normalised DNS name, with its registrable domain and validity flags.

The counting rules are written up for users in ``docs/rules.md`` ("Counting rules").
Nothing is silently dropped: unparsable rows become their own issuances (``is_unparsable``), names that are not
valid hostnames stay in ``names`` with a ``name_issue``.

Speed: every string operation (organisation keys, host-name checks, Public Suffix List look-ups) runs once per
*distinct* value, never per row — a million crt.sh rows hold only tens of thousands of organisations and a few
hundred thousand names.

Over 500 lines: one job (rows to issuances) whose vectorised steps share private helpers on nanosecond arrays and
factor codes; split, they would have to be imported across modules.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import tldextract

from analysis.config import POLICY_OID_LEVEL
from analysis.frames import NORMALISE_INPUT

NO_ORGANISATION = "(no organisation)"
# Order matters when a certificate asserts several CA/B Forum OIDs: the most demanding level wins.
VALIDATION_LEVELS = ("EV", "OV", "IV", "DV", "unknown")
KINDS = ("pair", "certificate", "orphan_precertificate", "unparsable")

CERTIFICATES_COLUMNS = NORMALISE_INPUT  # the certificates frame's columns (analysis.frames) but is_server_auth

ISSUANCE_COLUMNS = (
    "crtsh_id", "certificate_id", "precertificate_id", "certificate_rows", "kind",
    "sha256", "precertificate_sha256", "issuer_ca_id", "issuer_name", "serial_number", "dedup_key",
    "not_before", "not_after", "subject_o", "organisation_key", "organisation", "subject_cn", "validation_level",
    "dns_names", "dns_name_count", "registrable_domain_count", "has_invalid_name",
    "parse_error", "is_unparsable", "earliest_sct", "is_revoked", "revocation_date", "reason_code",
)

_NAT = np.iinfo(np.int64).min  # numpy's NaT as int64


@dataclass(frozen=True)
class Normalised:
    """The normalised population. Build it with :func:`normalise`.

    Attributes:
        issuances: one row per issuance, index ``issuance`` (0..n-1); columns ``ISSUANCE_COLUMNS`` (see
            :func:`normalise`).
        names: one row per (issuance, distinct normalised name): ``issuance``, ``name_id``, ``from_subject_cn``
            (the CN stood in for missing DNS SANs).
        distinct_names: index ``name_id``; ``dns_name`` (normalised), ``is_wildcard``, ``registrable_domain``
            (None when there is none), ``is_valid_hostname``, ``name_issue`` (None when valid).
        certificate_rows: rows in the input certificates frame.
    """

    issuances: pd.DataFrame
    names: pd.DataFrame
    distinct_names: pd.DataFrame
    certificate_rows: int
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def names_with_domains(self) -> pd.DataFrame:
        """``names`` joined with ``distinct_names`` (issuance, name_id, from_subject_cn, dns_name, …)."""
        if "names_with_domains" not in self._cache:
            dn = self.distinct_names
            ids = self.names["name_id"].to_numpy()
            out = self.names.copy()
            for col in ("dns_name", "is_wildcard", "registrable_domain", "is_valid_hostname", "name_issue"):
                out[col] = dn[col].to_numpy()[ids]
            self._cache["names_with_domains"] = out
        return self._cache["names_with_domains"]

    def report(self) -> pd.DataFrame:
        """What normalisation did, as ``metric, value, description`` rows (the arithmetic is explicit)."""
        iss = self.issuances
        kind = iss["kind"].value_counts().reindex(KINDS, fill_value=0)
        dn = self.distinct_names
        rows = [
            ("certificate_rows", self.certificate_rows, "crt.sh certificate rows in the input"),
            ("issuances", len(iss), "= pairs + certificates + orphan_precertificates + unparsable"),
            ("pairs", int(kind["pair"]), "precertificate and final certificate counted once"),
            ("certificates", int(kind["certificate"]), "final certificate without a logged precertificate"),
            ("orphan_precertificates", int(kind["orphan_precertificate"]), "precertificate, final not logged"),
            ("unparsable", int(kind["unparsable"]), "rows with parse_error, kept as their own issuances"),
            ("merged_rows", self.certificate_rows - len(iss), "= certificate_rows - issuances"),
            ("revoked", int(iss["is_revoked"].sum()), "issuances with a revocation record"),
            ("no_organisation", int(iss["organisation_key"].isna().sum()), "no subject O="),
            ("distinct_names", len(dn), "distinct normalised DNS names"),
            ("invalid_names", int((~dn["is_valid_hostname"]).sum()), "names flagged: not a valid hostname"),
            ("issuances_with_invalid_name", int(iss["has_invalid_name"].sum()), "flagged, not dropped"),
        ]
        return pd.DataFrame(rows, columns=["metric", "value", "description"])


# ---------------------------------------------------------------------------------------------------------------
# Organisation
# ---------------------------------------------------------------------------------------------------------------

def organisation_key(raw: str | None) -> str | None:
    """Grouping key of a subject O=: case-folded, whitespace collapsed; None when absent or blank.

    Only transformations that cannot merge two different holders are applied (no punctuation or legal-form
    stripping: "Certinomis SA" and "Certinomis" stay apart).
    """
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return None
    key = " ".join(str(raw).split()).casefold()
    return key or None


def _organisations(subject_o: pd.Series) -> tuple[pd.Categorical, pd.Categorical]:
    """Per row: (organisation_key, organisation) as Categoricals. Work is done once per distinct raw value.

    ``organisation_key`` is NA without an O=. The display name ``organisation`` of a key is its most frequent raw
    spelling (ties: one without stray spaces, then the alphabetically first), so tables show a name as the holder
    writes it; rows without an O=
    get ``NO_ORGANISATION``.
    """
    codes, uniques = pd.factorize(subject_o, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    kcodes, kuniq, labels = organisation_table(uniques, counts)
    row_k = np.where(codes >= 0, kcodes[np.maximum(codes, 0)] if len(kcodes) else -1, -1)
    key = pd.Categorical.from_codes(row_k, categories=kuniq)
    org = pd.Categorical.from_codes(np.where(row_k >= 0, row_k, len(labels) - 1), categories=labels)
    return key, org


def organisation_table(uniques: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """The organisation rules on the *distinct* raw O= values (``uniques``, seen on ``counts`` issuances each).

    Returns the key code of each raw value (-1: blank, no key), the keys (``organisation_key``, in order of first
    appearance in ``uniques``) and the display labels: one per key (its most frequent raw spelling; ties: one
    without stray spaces, then the alphabetically first), then ``NO_ORGANISATION``. Shared by :func:`normalise` and
    the out-of-core engine (:mod:`analysis.outofcore`), which counts the spellings in DuckDB.
    """
    uniques = np.asarray(uniques, dtype=object)
    keys = np.array([organisation_key(u) for u in uniques], dtype=object)
    kcodes, kuniq = pd.factorize(keys, use_na_sentinel=True)  # blank O= has no key
    tidy = np.array([isinstance(u, str) and u == " ".join(u.split()) for u in uniques], dtype=bool)
    table = pd.DataFrame({"raw": uniques, "k": kcodes, "n": np.asarray(counts, dtype=np.int64), "tidy": tidy})
    table = table[table["k"] >= 0].sort_values(["k", "n", "tidy", "raw"], ascending=[True, False, False, True])
    display = table.drop_duplicates("k")["raw"].to_numpy(dtype=object)  # ordered by key code
    # Display names are unique per key, except that two keys could share a spelling only if equal: they cannot.
    labels = list(display) + [NO_ORGANISATION]
    labels = (pd.Index(labels, dtype=object).drop_duplicates() if len(set(labels)) == len(labels)
              else _dedupe(labels))
    return kcodes, pd.Index(list(kuniq), dtype=object), labels


def _dedupe(labels: list[str]) -> pd.Index:
    """Make display labels unique (a holder literally named "(no organisation)" keeps a marker)."""
    seen: dict[str, int] = {}
    out = []
    for x in labels:
        seen[x] = seen.get(x, 0) + 1
        out.append(x if seen[x] == 1 else f"{x} [{seen[x]}]")
    return pd.Index(out, dtype=object)


# ---------------------------------------------------------------------------------------------------------------
# Validation level
# ---------------------------------------------------------------------------------------------------------------

def validation_level(policy_oids) -> str:
    """DV/OV/IV/EV from CA/B Forum policy OIDs (BR 7.1.6.1; EV Guidelines 9.3.2), else "unknown".

    If several are asserted the most demanding wins (EV > OV > IV > DV).
    """
    found = {POLICY_OID_LEVEL[o] for o in _as_list(policy_oids) if o in POLICY_OID_LEVEL}
    for level in VALIDATION_LEVELS[:-1]:
        if level in found:
            return level
    return "unknown"


def _as_list(value) -> list:
    """A list-typed cell as a list: lists stay, numpy arrays (Parquet round trip) convert, None/NaN -> []."""
    if value is None or isinstance(value, float):
        return []
    return list(value)


def _flatten(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, flat object array) of a column of list cells; None/NaN cells count as empty lists."""
    try:
        lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    except TypeError:  # some None/NaN cells: take the slow path
        cells = np.array([_as_list(x) for x in cells] + [None], dtype=object)[:-1]
        lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    flat = np.fromiter(itertools.chain.from_iterable(cells), dtype=object, count=int(lengths.sum()))
    return lengths, flat


def validation_levels(policy_oids: np.ndarray) -> pd.Categorical:
    """:func:`validation_level` of every cell of a column of OID lists, vectorised over the flattened OIDs."""
    lengths, flat = _flatten(policy_oids)
    rank = {lvl: i for i, lvl in enumerate(VALIDATION_LEVELS)}
    unknown = rank["unknown"]
    codes, uniq = pd.factorize(flat)
    urank = np.array([rank[POLICY_OID_LEVEL[o]] if o in POLICY_OID_LEVEL else unknown for o in uniq]
                     + [unknown], dtype=np.int64)
    r = urank[codes] if len(codes) else np.empty(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    best = np.full(len(lengths), unknown, dtype=np.int64)
    np.minimum.at(best, owner, r) if len(r) < 1000 else _group_min(best, owner, r)
    return pd.Categorical.from_codes(best, categories=list(VALIDATION_LEVELS))


def _group_min(out: np.ndarray, owner: np.ndarray, values: np.ndarray) -> None:
    """out[g] = min(out[g], values of g) for sorted-or-not owners, via pandas' cython groupby."""
    m = pd.Series(values).groupby(owner).min()
    idx = m.index.to_numpy()
    out[idx] = np.minimum(out[idx], m.to_numpy())


# ---------------------------------------------------------------------------------------------------------------
# DNS names and registrable domains
# ---------------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _extractor():
    """tldextract with its *bundled* Public Suffix List snapshot: no URL to fetch, no cache dir, so no network
    access and no file writes at run time (``suffix_list_urls=()`` leaves only the snapshot). ICANN section only:
    private suffixes such as ``github.io`` would split one holder's names into many "registrable domains"."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def normalise_dns_name(name: str) -> str:
    """Case-fold (DNS is case-insensitive) and drop one trailing dot (the root label)."""
    name = str(name).lower()
    return name[:-1] if name.endswith(".") else name


_LABEL = r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)"
_HOSTNAME_RE = rf"^(?:\*\.)?{_LABEL}(?:\.{_LABEL})*$"
_IP_RE = r"^(?:\d{1,3}(?:\.\d{1,3}){3}|.*:.*)$"


def registrable_domains(names) -> pd.DataFrame:
    """Registrable domain (eTLD+1, Public Suffix List) and validity of each *distinct* name.

    Args:
        names: iterable of DNS names as written in certificates.

    Returns:
        One row per distinct normalised name (first-seen order, RangeIndex), columns ``dns_name`` (normalised:
        lower-case, no trailing dot), ``is_wildcard`` (leading ``*.``), ``registrable_domain`` (of the name
        with the wildcard label removed; None when not a valid hostname), ``is_valid_hostname`` and
        ``name_issue``: None, ``"empty"``, ``"space"``, ``"invalid_characters"``, ``"ip_address"``,
        ``"unknown_suffix"`` (no Public Suffix List entry, e.g. an internal TLD) or ``"public_suffix"`` (the
        name is itself a public suffix, e.g. ``*.gouv.fr``). Flagged names are reported, never dropped.
    """
    return _domains_of_normalised(pd.unique(np.array([normalise_dns_name(n) for n in names], dtype=object)))


def _domains_of_normalised(norm: np.ndarray) -> pd.DataFrame:
    """:func:`registrable_domains` of names already normalised and distinct, one row each in their order (not
    normalised again: ``a.fr..`` normalises to ``a.fr.``, which must stay a name of its own, flagged)."""
    s = pd.Series(norm, dtype=object)
    is_wild = s.str.startswith("*.").to_numpy(dtype=bool)
    base = np.where(is_wild, s.str.slice(2).to_numpy(dtype=object), norm)
    issue = np.full(len(s), None, dtype=object)
    empty = (s.str.len() == 0).to_numpy(dtype=bool)
    space = s.str.contains(r"\s", regex=True).to_numpy(dtype=bool)
    ip = pd.Series(base, dtype=object).str.match(_IP_RE).to_numpy(dtype=bool)
    syntax_ok = s.str.match(_HOSTNAME_RE).to_numpy(dtype=bool)
    issue[~syntax_ok] = "invalid_characters"
    issue[ip] = "ip_address"
    issue[space] = "space"
    issue[empty] = "empty"
    regdom = np.full(len(s), None, dtype=object)
    check = np.flatnonzero(pd.isna(issue))
    psl = _PublicSuffixes()
    for i in check:  # one PSL look-up per distinct name
        outcome = psl.registrable(base[i])
        if outcome in ("unknown_suffix", "public_suffix"):
            issue[i] = outcome
        else:
            regdom[i] = outcome
    return pd.DataFrame({
        "dns_name": norm,
        "is_wildcard": is_wild,
        "registrable_domain": regdom,
        "is_valid_hostname": pd.isna(issue),
        "name_issue": issue,
    })


def name_table(raw_names) -> pd.DataFrame:
    """The name rules on distinct raw DNS names (as written in certificates): one row per input value, ``raw`` and
    the columns of :func:`registrable_domains` for its normalised form. Shared with the out-of-core engine
    (:mod:`analysis.outofcore`), which feeds it the distinct names of a population batch by batch."""
    raw = np.asarray(raw_names, dtype=object)
    norm = np.array([normalise_dns_name(x) for x in raw] + [None], dtype=object)[:-1]
    codes, uniques = pd.factorize(norm)
    out = _domains_of_normalised(np.asarray(uniques, dtype=object)).iloc[codes].reset_index(drop=True)
    out.insert(0, "raw", raw)
    return out


class _PublicSuffixes:
    """Registrable domains from tldextract's bundled Public Suffix List, memoised through parent names.

    PSL algorithm: the public suffix of a name is given by the longest matching rule, and every rule that matches a
    proper suffix of ``label.parent`` also matches ``parent``. So when no rule covers the *whole* name (it is not an
    exact rule, and ``parent`` is not the base of a wildcard rule ``*.parent``, which is also where exception rules
    ``!x.parent`` live), the name has the same public suffix as its parent; if the parent then has a registrable
    domain, so does the name, the same one. ``www.site.fr`` is thus answered from ``site.fr`` without another
    tldextract call, which halves the calls on real populations. Names with punycode labels (matched decoded by
    tldextract) always go to tldextract. Equivalence with plain tldextract is tested on the list's own rules.
    """

    def __init__(self):
        self.ext = _extractor()
        rules = self.ext.tlds
        self.exact = {r for r in rules if not r.startswith(("*.", "!"))}
        self.wildcard_bases = {r[2:] for r in rules if r.startswith("*.")}
        self.memo: dict[str, str] = {}

    def registrable(self, name: str) -> str:
        """The registrable domain, or ``"unknown_suffix"`` / ``"public_suffix"``."""
        memo = self.memo
        if name in memo:
            return memo[name]
        _, dot, parent = name.partition(".")
        if (dot and "." in parent and "xn--" not in name and name not in self.exact
                and parent not in self.wildcard_bases):
            via_parent = self.registrable(parent)
            if via_parent not in ("unknown_suffix", "public_suffix"):
                memo[name] = via_parent
                return via_parent
        r = self.ext(name)
        out = "unknown_suffix" if not r.suffix else "public_suffix" if not r.domain else f"{r.domain}.{r.suffix}"
        memo[name] = out
        return out


def registrable_domain(name: str) -> str | None:
    """Registrable domain of one name (see :func:`registrable_domains`); None if the name is not a hostname."""
    return registrable_domains([name])["registrable_domain"].iloc[0]


# ---------------------------------------------------------------------------------------------------------------
# De-duplication and assembly
# ---------------------------------------------------------------------------------------------------------------

def _ns(series: pd.Series) -> np.ndarray:
    """A datetime column as int64 nanoseconds (NaT -> int64 min), whatever unit pandas picked."""
    return pd.to_datetime(series).astype("datetime64[ns]").to_numpy().view("i8")


def issuance_codes(certs: pd.DataFrame) -> np.ndarray:
    """Issuance number of each certificate row (crt.sh ``deduplicate=Y`` rule).

    Rows with the same ``issuer_ca_id``, ``serial_number`` and ``dedup_key`` (TBSCertificate once the CT poison and
    SCT-list extensions are stripped) are one issuance. Rows with a ``parse_error`` or without a ``dedup_key`` cannot
    be matched and are issuances of their own. Codes are 0..n-1 in order of first appearance.
    """
    n = len(certs)
    mergeable = (certs["parse_error"].isna() & certs["dedup_key"].notna()).to_numpy()
    # Factorise whole columns (Arrow-backed strings in Arrow's C++: no Python objects), then keep mergeable rows.
    k = _string_codes(certs["dedup_key"])[0][mergeable]
    s, n_serials = _string_codes(certs["serial_number"])
    s = s[mergeable]
    i, iu = pd.factorize(certs["issuer_ca_id"])
    i = i[mergeable]
    # Combine factor codes pairwise (re-factorising) so no product can overflow int64.
    c1, u1 = pd.factorize(k.astype(np.int64) * (n_serials + 1) + s)
    c2, _ = pd.factorize(c1.astype(np.int64) * (len(iu) + 1) + i)
    codes = np.empty(n, dtype=np.int64)
    codes[mergeable] = c2
    n_merged = int(c2.max()) + 1 if len(c2) else 0
    codes[~mergeable] = n_merged + np.arange(int((~mergeable).sum()))
    # Renumber in order of first appearance so results are stable.
    codes, _ = pd.factorize(codes)
    return codes.astype(np.int64)


def _string_codes(series: pd.Series) -> tuple[np.ndarray, int]:
    """(codes in order of first appearance, -1 for missing; number of distinct values) of a string column.

    An Arrow-backed column is dictionary-encoded by Arrow: ``pd.factorize`` would hold a ~200 MB hash table of
    Python-side state per million 64-character hex strings, which glibc then keeps.
    """

    data = getattr(series.array, "_pa_array", None)
    if not isinstance(data, (pa.Array, pa.ChunkedArray)) or not pa.types.is_string(data.type) and \
            not pa.types.is_large_string(data.type):
        codes, uniques = pd.factorize(series)
        return codes.astype(np.int64), len(uniques)
    enc = pc.dictionary_encode(data)
    enc = enc.combine_chunks() if isinstance(enc, pa.ChunkedArray) else enc
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, len(enc.dictionary)


def _first_per_group(sorted_groups: np.ndarray) -> np.ndarray:
    """Positions of the first element of each run in a sorted group array."""
    if len(sorted_groups) == 0:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])


def normalise(certs: pd.DataFrame, *, revocations: pd.DataFrame | None = None,
              ct: pd.DataFrame | None = None) -> Normalised:
    """Normalise a certificates frame (``docs/design.md``) into one row per issuance.

    Rules (``docs/rules.md``, "Counting rules"):

    * a precertificate and its final certificate count once (crt.sh's rule: same ``issuer_ca_id``,
      ``serial_number`` and ``dedup_key``); orphan precertificates are kept. ``certificate_id`` is the final
      certificate's crt.sh id (NA for an orphan precertificate), ``precertificate_id`` the precertificate's (NA when
      none was logged); ``crtsh_id`` is the final certificate's id if any, else the precertificate's — use it for
      links. Fields are taken from the final certificate when logged (the TBS is otherwise identical).
    * rows with ``parse_error`` are their own issuances, ``kind == "unparsable"``, ``is_unparsable``.
    * ``organisation_key`` = case-folded, whitespace-collapsed subject O=; ``organisation`` its display form, or
      ``"(no organisation)"``; raw ``subject_o`` kept.
    * DNS names are normalised and given a registrable domain once per distinct name (see
      :func:`registrable_domains`); a certificate without DNS SANs uses its subject CN as a name if the CN is a
      valid hostname (``names.from_subject_cn``). ``has_invalid_name``: some SAN is not a valid hostname.
    * ``validation_level`` from CA/B Forum policy OIDs (see :func:`validation_level`).
    * ``earliest_sct``: earliest CT log entry over *all* rows of the issuance (precertificate and certificate) —
      the crt.sh proxy for Chrome's SCT rule; NaT when never seen in CT.
    * ``is_revoked``/``revocation_date``/``reason_code`` from the revocations frame, over all rows of the issuance
      (earliest date); a revocation record without a date leaves ``revocation_date`` NaT but ``is_revoked`` True.

    Args:
        certs: the certificates frame.
        revocations: ``certificate_id, revocation_date, reason_code`` (optional).
        ct: ``certificate_id, earliest_entry`` (optional).
    """
    out = _normalise(certs, revocations, ct)
    release_arrow_memory()  # after the temporaries above are gone
    return out


def _normalise(certs: pd.DataFrame, revocations: pd.DataFrame | None, ct: pd.DataFrame | None) -> Normalised:
    missing = [c for c in CERTIFICATES_COLUMNS if c not in certs.columns]
    if missing:
        raise ValueError(f"certificates frame lacks columns {missing} (see docs/design.md)")
    certs = certs.reset_index(drop=True)
    n_rows = len(certs)
    group = issuance_codes(certs)
    release_arrow_memory()  # the hash tables of the hex columns: gone before the issuance columns are built
    n = int(group.max()) + 1 if n_rows else 0

    ids = certs["certificate_id"].to_numpy(dtype=np.int64)
    is_pre = certs["is_precertificate"].to_numpy(dtype=bool)
    # Sort rows: by issuance, final certificates before precertificates, lowest crt.sh id first.
    order = np.lexsort((ids, is_pre, group))
    g_s, p_s = group[order], is_pre[order]
    rep = order[_first_per_group(g_s)]  # representative row of each issuance, in issuance order

    def first_id(mask_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.flatnonzero(mask_sorted)
        firsts = pos[_first_per_group(g_s[pos])]
        return g_s[firsts], order[firsts]

    final_id = np.full(n, _NAT, dtype=np.int64)
    pre_id = np.full(n, _NAT, dtype=np.int64)
    final_row = np.full(n, -1, dtype=np.int64)
    pre_row = np.full(n, -1, dtype=np.int64)
    g, r = first_id(~p_s)
    final_id[g], final_row[g] = ids[r], r
    g, r = first_id(p_s)
    pre_id[g], pre_row[g] = ids[r], r

    has_final, has_pre = final_row >= 0, pre_row >= 0
    unparsable = certs["parse_error"].notna().to_numpy()[rep]
    kind = np.where(has_final & has_pre, 0, np.where(has_final, 1, 2))
    kind = np.where(unparsable, 3, kind)
    key, org = _organisations(_take(certs["subject_o"], rep))
    dns_lists = certs["dns_names"].to_numpy()[rep]
    subject_cn = _take(certs["subject_cn"], rep)
    # Names first: their temporaries are gone before the issuances' string columns are copied.
    names, distinct = _names(dns_lists, np.asarray(subject_cn, dtype=object), n)
    release_arrow_memory()
    cols = {
        "crtsh_id": np.where(has_final, final_id, pre_id),
        "certificate_id": pd.arrays.IntegerArray(np.where(has_final, final_id, 0), ~has_final),
        "precertificate_id": pd.arrays.IntegerArray(np.where(has_pre, pre_id, 0), ~has_pre),
        "certificate_rows": np.bincount(group, minlength=n).astype(np.int64),
        "kind": pd.Categorical.from_codes(kind, categories=list(KINDS)),
        "sha256": _take(certs["sha256"], np.where(has_final, final_row, -1)),
        "precertificate_sha256": _take(certs["sha256"], np.where(has_pre, pre_row, -1)),
        "issuer_ca_id": certs["issuer_ca_id"].to_numpy()[rep],
        "issuer_name": pd.Categorical(_take(certs["issuer_name"], rep)),  # a handful of intermediates
        "serial_number": _take(certs["serial_number"], rep),
        "dedup_key": _take(certs["dedup_key"], rep),
        "not_before": _ns(certs["not_before"])[rep].view("datetime64[ns]"),
        "not_after": _ns(certs["not_after"])[rep].view("datetime64[ns]"),
        "subject_o": _take(certs["subject_o"], rep),
        "organisation_key": key,
        "organisation": org,
        "subject_cn": subject_cn,
        "validation_level": validation_levels(certs["policy_oids"].to_numpy()[rep]),
        "dns_names": dns_lists,
        "parse_error": _take(certs["parse_error"], rep),
        "is_unparsable": unparsable,
    }

    owner, name_id = names["issuance"].to_numpy(), names["name_id"].to_numpy()
    from_san = ~names["from_subject_cn"].to_numpy()
    cols["dns_name_count"] = np.bincount(owner[from_san], minlength=n).astype(np.int64)
    dn_valid = distinct["is_valid_hostname"].to_numpy()
    cols["registrable_domain_count"] = _domain_counts(names, distinct, n)
    cols["has_invalid_name"] = np.bincount(owner[from_san & ~dn_valid[name_id]], minlength=n) > 0

    # Chrome's rule looks at the earliest SCT of the pair: take the earliest CT entry over every row.
    sct = np.full(n, _NAT, dtype=np.int64)
    if ct is not None and len(ct):
        # In numpy, sort-based: the earliest entry per crt.sh id, then per issuance (no copies of the CT frame).
        t = _ns(ct["earliest_entry"])
        seen = (t != _NAT) & ct["certificate_id"].notna().to_numpy()
        cid = ct["certificate_id"].to_numpy(dtype=np.int64, na_value=0)[seen]
        t = t[seen]
        order = np.lexsort((t, cid))
        cid, t = cid[order], t[order]
        first = _first_per_group(cid)
        cid, t = cid[first], t[first]
        j = np.minimum(np.searchsorted(cid, ids), max(len(cid) - 1, 0))
        hit = cid[j] == ids if len(cid) else np.zeros(len(ids), dtype=bool)
        g, v = group[hit], t[j[hit]]
        order = np.lexsort((v, g))
        g, v = g[order], v[order]
        first = _first_per_group(g)
        sct[g[first]] = v[first]
    cols["earliest_sct"] = sct.view("datetime64[ns]")

    revoked = np.zeros(n, dtype=bool)
    rdate = np.full(n, _NAT, dtype=np.int64)
    rcode = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    if revocations is not None and len(revocations):
        rv = revocations.assign(_t=_ns(revocations["revocation_date"]))
        rv = rv[rv["certificate_id"].isin(ids)]
        row_of = pd.Series(np.arange(n_rows), index=ids)
        row_of = row_of[~row_of.index.duplicated()]
        rv = rv.assign(issuance=group[row_of.loc[rv["certificate_id"]].to_numpy()])
        # NaT sorts first as int64 min; sort unknown dates last so the earliest known date wins.
        rv = rv.assign(_k=np.where(rv["_t"].to_numpy() == _NAT, np.iinfo(np.int64).max, rv["_t"].to_numpy()))
        rv = rv.sort_values(["issuance", "_k"]).drop_duplicates("issuance")
        gi = rv["issuance"].to_numpy()
        revoked[gi] = True
        rdate[gi] = rv["_t"].to_numpy()
        if "reason_code" in rv:
            rcode[gi] = pd.array(rv["reason_code"], dtype="Int64")
    cols["is_revoked"] = revoked
    cols["revocation_date"] = rdate.view("datetime64[ns]")
    cols["reason_code"] = rcode
    # copy=False: the columns are this function's own arrays, so no second copy of every column is made.
    iss = pd.DataFrame({c: cols.pop(c) for c in ISSUANCE_COLUMNS}, index=pd.RangeIndex(n, name="issuance"),
                       copy=False)
    return Normalised(issuances=iss, names=names, distinct_names=distinct, certificate_rows=n_rows)


def release_arrow_memory() -> None:
    """Hand Arrow's and glibc's freed temporaries back to the OS.

    Arrow's default allocator (mimalloc/jemalloc) keeps freed blocks for reuse; after the string-heavy steps on a
    million rows that is hundreds of MB of resident memory that nothing uses. Cheap (milliseconds).
    """
    try:
        pa.default_memory_pool().release_unused()
    except AttributeError:  # an allocator without it: nothing to release
        pass
    _malloc_trim()


@functools.lru_cache(maxsize=1)
def _libc_trim():
    """glibc's ``malloc_trim``, or None (another C library)."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _malloc_trim() -> None:
    """Hand glibc's freed heap back to the OS: numpy/pandas temporaries of a million-row step leave ~200 MB of
    free but resident heap behind, which would otherwise count towards every later step's peak."""
    trim = _libc_trim()
    if trim is not None:
        trim(0)


def _take(series: pd.Series, idx: np.ndarray):
    """``series`` values at positions ``idx`` (-1 gives a missing value), keeping the column's array type (an
    Arrow-backed string column stays Arrow-backed: no per-value Python objects)."""
    return series.array.take(np.asarray(idx, dtype=np.int64), allow_fill=True)


def _names(dns_lists: np.ndarray, subject_cn: np.ndarray, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long (issuance, name_id) frame and the distinct-name table (registrable domains computed once per name)."""
    lengths, flat = _flatten(dns_lists)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    # No DNS SAN: the subject CN stands in for the name, but only if it is a valid hostname (checked below).
    no_san = np.flatnonzero(lengths == 0)
    cn = subject_cn[no_san]
    has_cn = pd.notna(cn)
    flat = np.concatenate([flat, cn[has_cn].astype(object)])
    owner = np.concatenate([owner, no_san[has_cn]])
    from_cn = np.zeros(len(flat), dtype=bool)
    from_cn[len(flat) - int(has_cn.sum()):] = True

    raw_codes, raw_uniques = pd.factorize(flat)
    norm_of_raw = np.array([normalise_dns_name(x) for x in raw_uniques], dtype=object)
    name_codes, name_uniques = pd.factorize(norm_of_raw)
    distinct = _domains_of_normalised(np.asarray(name_uniques, dtype=object))  # one row per name_uniques
    name_id = name_codes[raw_codes].astype(np.int64) if len(raw_codes) else np.empty(0, dtype=np.int64)

    # Drop CNs that are not hostnames (they are no name at all) and de-duplicate (issuance, name) pairs; a SAN wins
    # over the CN for the same name (SANs sort first: from_cn is the lowest bit).
    keep = ~from_cn | distinct["is_valid_hostname"].to_numpy()[name_id]
    owner, name_id, from_cn = owner[keep], name_id[keep], from_cn[keep]
    # Keep only names some issuance carries (a CN that is no hostname is not a name), renumbered 0..k-1.
    used = np.zeros(len(distinct), dtype=bool)
    used[name_id] = True
    distinct = distinct[used].reset_index(drop=True)
    name_id = (np.cumsum(used) - 1)[name_id]
    m = max(len(distinct), 1)
    key = ((owner * m + name_id) << 1) | from_cn
    key = _unique_sorted(key)
    pair = key >> 1
    first = np.r_[True, pair[1:] != pair[:-1]] if len(pair) else np.empty(0, dtype=bool)
    pair, cn_flag = pair[first], (key & 1)[first].astype(bool)
    names = pd.DataFrame({"issuance": pair // m, "name_id": pair % m, "from_subject_cn": cn_flag})
    distinct.index.name = "name_id"
    return names, distinct


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: faster than hashing for large int64 arrays)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _domain_counts(names: pd.DataFrame, distinct: pd.DataFrame, n: int) -> np.ndarray:
    """Distinct registrable domains per issuance."""
    dom_codes, _ = pd.factorize(distinct["registrable_domain"].to_numpy(dtype=object))
    d = dom_codes[names["name_id"].to_numpy()]
    owner = names["issuance"].to_numpy()
    ok = d >= 0
    m = int(d.max()) + 1 if len(d) and d.max() >= 0 else 1
    uniq = _unique_sorted(owner[ok] * m + d[ok])
    return np.bincount(uniq // m, minlength=n).astype(np.int64)
