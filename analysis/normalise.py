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
import re
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
    """A list-typed cell as a list: lists stay, numpy arrays (Parquet round trip) convert, None/NaN/NA -> []."""
    if value is None or value is pd.NA or isinstance(value, float):
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


def validation_levels(policy_oids: pa.Array | np.ndarray) -> pd.Categorical:
    """:func:`validation_level` of every cell of a column of OID lists (an Arrow list array, or an object array of
    lists), vectorised over the flattened OIDs (in Arrow when every OID is a string, else as Python objects)."""
    rank = {lvl: i for i, lvl in enumerate(VALIDATION_LEVELS)}
    unknown = rank["unknown"]
    try:
        lists = _arrow_lists(policy_oids)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
        lists = None
    if lists is not None and not lists.flatten().null_count:
        lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        enc = pc.dictionary_encode(lists.flatten())
        codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        uniq = enc.dictionary.to_pylist()
    else:
        lengths, flat = _flatten(_object_cells(policy_oids))
        codes, uniq = pd.factorize(flat)
    urank = np.array([rank[POLICY_OID_LEVEL[o]] if o in POLICY_OID_LEVEL else unknown for o in uniq]
                     + [unknown], dtype=np.int64)
    r = urank[codes] if len(codes) else np.empty(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    best = np.full(len(lengths), unknown, dtype=np.int64)
    np.minimum.at(best, owner, r)
    return pd.Categorical.from_codes(best, categories=list(VALIDATION_LEVELS))


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
_SPACE, _IP, _HOSTNAME = re.compile(r"\s"), re.compile(_IP_RE), re.compile(_HOSTNAME_RE)
_CLEAN = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")  # what the suffix trie matches without tldextract
# A whole name of hostname syntax (fullmatch: no trailing newline slips through as with "$"): no space, not empty, no
# ":", and its labels are all _CLEAN's; a dotted quad of digits among them is an IP address.
_PLAIN_HOSTNAME = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*")
_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_NAME_ISSUES = frozenset({"empty", "space", "ip_address", "invalid_characters", "unknown_suffix", "public_suffix"})


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
    normalised again: ``a.fr..`` normalises to ``a.fr.``, which must stay a name of its own, flagged).

    One pass per name; the checks in order of precedence: empty, a space, an IP address (of the name without its
    wildcard label), not hostname syntax, then the Public Suffix List's verdict."""
    m = len(norm)
    is_wild = np.zeros(m, dtype=bool)
    issue = np.full(m, None, dtype=object)
    regdom = np.full(m, None, dtype=object)
    space, ip, host = _SPACE.search, _IP.match, _HOSTNAME.match
    plain, quad = _PLAIN_HOSTNAME.fullmatch, _QUAD.fullmatch
    suffixes = _PublicSuffixes()
    registrable, registrable_plain = suffixes.registrable, suffixes.registrable_plain
    for i, name in enumerate(norm.tolist()):
        wild = name.startswith("*.")
        is_wild[i] = wild
        base = name[2:] if wild else name
        if plain(name):  # the common case, checks in the same order: not empty, no space, no ":"
            outcome = "ip_address" if quad(base) else registrable_plain(base)
        elif not name:
            outcome = "empty"
        elif space(name):
            outcome = "space"
        elif ip(base):
            outcome = "ip_address"
        elif not host(name):
            outcome = "invalid_characters"
        else:  # one PSL look-up per distinct name
            outcome = registrable(base)
        if outcome in _NAME_ISSUES:
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
    """Registrable domains from tldextract's bundled Public Suffix List.

    tldextract's own algorithm (``suffix_index``: walk the name's labels from the right down a trie of the rules;
    the public suffix ends at the last rule that ends there, or one label further at a wildcard ``*.parent`` unless
    an exception ``!label.parent`` exists), run directly on a trie of the same rules (``TLDExtract.tlds``: ICANN
    section only, wildcards and exceptions included) for names of lower-case ASCII labels; names with punycode
    labels (which tldextract matches decoded) or any other character go to tldextract itself. Equality with
    tldextract is tested on the list's own rules and on random names.
    """

    def __init__(self):
        self.ext = _extractor()
        rules = self.ext.tlds
        self.exact = {r for r in rules if not r.startswith(("*.", "!"))}
        self.wildcard_bases = {r[2:] for r in rules if r.startswith("*.")}
        self.trie = _suffix_trie(tuple(rules))

    def registrable(self, name: str) -> str:
        """The registrable domain, or ``"unknown_suffix"`` / ``"public_suffix"``."""
        if "xn--" in name or not _CLEAN.fullmatch(name):
            r = self.ext(name)
            return "unknown_suffix" if not r.suffix else "public_suffix" if not r.domain else f"{r.domain}.{r.suffix}"
        return self._walk(name)

    def registrable_plain(self, name: str) -> str:
        """:meth:`registrable` of a name known to be of lower-case ASCII labels (``_CLEAN``)."""
        if "xn--" in name:
            return self.registrable(name)
        return self._walk(name)

    def _walk(self, name: str) -> str:
        labels = name.split(".")
        node = self.trie
        suffix = idx = len(labels)
        for label in reversed(labels):
            child = node.get(label)
            if child is not None:
                idx -= 1
                node = child
                if None in node:  # a rule ends here
                    suffix = idx
                continue
            if "*" in node:  # a wildcard rule: one label more, unless an exception rule names this label
                suffix = idx if "!" + label in node else idx - 1
            break
        if suffix == len(labels):
            return "unknown_suffix"
        return "public_suffix" if suffix == 0 else ".".join(labels[suffix - 1:])


@functools.lru_cache(maxsize=2)
def _suffix_trie(rules: tuple[str, ...]) -> dict:
    """The rules as nested dicts keyed by label from the right (tldextract's ``Trie``); key None marks a rule's
    end. ``*`` and ``!label`` are labels of their own, as in tldextract."""
    root: dict = {}
    for rule in rules:
        node = root
        for label in reversed(rule.split(".")):
            node = node.setdefault(label, {})
        node[None] = True
    return root


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
    c2 = _hashed_codes(certs, mergeable)
    if c2 is None:  # not Arrow-backed strings, or two keys hashed alike: factorise the strings themselves
        c2 = _factorised_codes(certs, mergeable)
    codes = np.empty(n, dtype=np.int64)
    codes[mergeable] = c2
    n_merged = int(c2.max()) + 1 if len(c2) else 0
    codes[~mergeable] = n_merged + np.arange(int((~mergeable).sum()))
    # Renumber in order of first appearance over all rows so results are stable. The mergeable rows' codes are
    # numbered in order of first appearance already (both producers factorise in row order), the others appear once
    # each: a row is its code's first exactly when it is not mergeable or its code exceeds every earlier one's.
    first = ~mergeable
    if len(c2):
        first[mergeable] = np.r_[True, c2[1:] > np.maximum.accumulate(c2)[:-1]]
    new = np.full(n_merged + int((~mergeable).sum()), -1, dtype=np.int64)
    new[codes[first]] = np.arange(int(first.sum()))
    if len(new) and int(new.min()) < 0:  # a code never first: the producer broke the numbering
        raise AssertionError("issuance codes are not numbered in order of first appearance")
    return new[codes]


_KEY_COLUMNS = ("issuer_ca_id", "serial_number", "dedup_key")


def _factorised_codes(certs: pd.DataFrame, mergeable: np.ndarray) -> np.ndarray:
    """Codes (first appearance among mergeable rows) of the issuance key of the mergeable rows, by factorising."""
    # Factorise whole columns (Arrow-backed strings in Arrow's C++: no Python objects), then keep mergeable rows.
    k = _string_codes(certs["dedup_key"])[0][mergeable]
    s, n_serials = _string_codes(certs["serial_number"])
    s = s[mergeable]
    i, iu = pd.factorize(certs["issuer_ca_id"])
    i = i[mergeable]
    # Combine factor codes pairwise (re-factorising) so no product can overflow int64.
    c1, u1 = pd.factorize(k.astype(np.int64) * (n_serials + 1) + s)
    c2, _ = pd.factorize(c1.astype(np.int64) * (len(iu) + 1) + i)
    return c2.astype(np.int64)


def _hashed_codes(certs: pd.DataFrame, mergeable: np.ndarray) -> np.ndarray | None:
    """:func:`_factorised_codes` through a 64-bit hash of the key (DuckDB's ``hash``, in C++, one thread; string
    columns of Python objects converted to Arrow first), then checked exactly: every row must carry the same key as
    the first row of its code, else None (a collision: the caller factorises the strings). Equal keys hash alike, so
    the codes are those of the key itself.

    Hashing three columns is ~5× cheaper than dictionary-encoding two columns of 64 hex digits.
    """
    cols = {}
    for c in _KEY_COLUMNS:
        data = getattr(certs[c].array, "_pa_array", None)
        if c == "issuer_ca_id":
            if not isinstance(certs[c].dtype, np.dtype) or certs[c].dtype.kind not in "iu":
                return None
            cols[c] = pa.array(certs[c].to_numpy(), type=pa.int64())
        elif isinstance(data, (pa.Array, pa.ChunkedArray)) and (pa.types.is_string(data.type)
                                                              or pa.types.is_large_string(data.type)):
            cols[c] = data
        elif certs[c].dtype == object:  # str or None, as the loader gives them; anything else: factorised
            try:
                cols[c] = pa.array(certs[c].to_numpy(), type=pa.large_string(), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
                return None
        else:
            return None
    import duckdb

    con = duckdb.connect(config={"threads": 1})
    try:
        con.register("k", pa.table(cols))
        h = con.sql("SELECT hash(issuer_ca_id, serial_number, dedup_key) AS h FROM k").to_arrow_table()["h"]
    finally:
        con.close()
    h = h.to_numpy()[mergeable]
    codes, _ = pd.factorize(h)
    codes = codes.astype(np.int64)
    # The first row of each code (codes appear in increasing order), then every later row compared with it.
    rows = np.flatnonzero(mergeable)
    first = np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]] if len(codes) else np.zeros(0, bool)
    later = np.flatnonzero(~first)
    firsts = rows[first][codes[later]]
    later = rows[later]
    if not (certs["issuer_ca_id"].to_numpy()[later] == certs["issuer_ca_id"].to_numpy()[firsts]).all():
        return None
    for c in _KEY_COLUMNS[1:]:
        if not _same_strings(cols[c], later, firsts):
            return None
    return codes


def _same_strings(data: pa.Array | pa.ChunkedArray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the strings at rows ``a`` equal those at rows ``b`` (None equal to None), exactly."""
    data = data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data
    if not data.null_count and len(data) and data.offset == 0:  # all of one width (hex digits): compare the bytes
        offsets = np.frombuffer(data.buffers()[1], dtype=np.int64 if pa.types.is_large_string(data.type)
                                else np.int32)[:len(data) + 1]
        w = int(offsets[1] - offsets[0])
        if w > 0 and offsets[0] == 0 and offsets[-1] == w * len(data) and (np.diff(offsets) == w).all():
            fixed = np.frombuffer(data.buffers()[2], dtype=np.dtype((np.void, w)), count=len(data))
            return all((fixed[a[i:i + (1 << 18)]] == fixed[b[i:i + (1 << 18)]]).all()
                       for i in range(0, len(a), 1 << 18))
    for i in range(0, len(a), 1 << 18):  # in blocks: the taken strings stay small
        x = pc.take(data, pa.array(a[i:i + (1 << 18)]))
        y = pc.take(data, pa.array(b[i:i + (1 << 18)]))
        same = pc.or_kleene(pc.equal(x, y), pc.and_(pc.is_null(x), pc.is_null(y)))
        if not pc.all(pc.fill_null(same, False)).as_py():
            return False
    return True


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
    # Per issuance: its final certificate with the lowest crt.sh id (ties: the first row), the same for its
    # precertificates; the representative row is the final certificate if any (scatter-min, no sort).
    final_id, final_row = _lowest_id(group, ids, ~is_pre, n)
    pre_id, pre_row = _lowest_id(group, ids, is_pre, n)
    rep = np.where(final_row >= 0, final_row, pre_row)
    # The CT and revocation joins before the string columns are taken: their temporaries are gone by then.
    side = _side_frames(group, ids, n, ct, revocations)

    has_final, has_pre = final_row >= 0, pre_row >= 0
    unparsable = certs["parse_error"].notna().to_numpy()[rep]
    kind = np.where(has_final & has_pre, 0, np.where(has_final, 1, 2))
    kind = np.where(unparsable, 3, kind)
    subject_o = _take(certs["subject_o"], rep)
    key, org = _organisations(subject_o)
    dns_lists = _list_cells(certs["dns_names"], rep)
    subject_cn = _take(certs["subject_cn"], rep)
    # Names first: their temporaries are gone before the issuances' string columns are copied.
    names, distinct = _names(dns_lists, np.asarray(subject_cn, dtype=object), n)
    shared = issuance_domains(names, distinct)
    levels = validation_levels(_list_cells(certs["policy_oids"], rep))
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
        "issuer_name": _categorical_at(certs["issuer_name"], rep),  # a handful of intermediates
        "serial_number": _take(certs["serial_number"], rep),
        "dedup_key": _take(certs["dedup_key"], rep),
        "not_before": _ns(certs["not_before"])[rep].view("datetime64[ns]"),
        "not_after": _ns(certs["not_after"])[rep].view("datetime64[ns]"),
        "subject_o": subject_o,
        "organisation_key": key,
        "organisation": org,
        "subject_cn": subject_cn,
        "validation_level": levels,
        "dns_names": pd.arrays.ArrowExtensionArray(dns_lists) if isinstance(dns_lists, pa.Array) else dns_lists,
        "parse_error": _take(certs["parse_error"], rep),
        "is_unparsable": unparsable,
    }

    owner, name_id = names["issuance"].to_numpy(), names["name_id"].to_numpy()
    from_san = ~names["from_subject_cn"].to_numpy()
    cols["dns_name_count"] = np.bincount(owner[from_san], minlength=n).astype(np.int64)
    dn_valid = distinct["is_valid_hostname"].to_numpy()
    cols["registrable_domain_count"] = np.bincount(shared["issuance_domains"][0], minlength=n).astype(np.int64)
    cols["has_invalid_name"] = np.bincount(owner[from_san & ~dn_valid[name_id]], minlength=n) > 0

    cols.update(side)
    # copy=False: the columns are this function's own arrays, so no second copy of every column is made.
    iss = pd.DataFrame({c: cols.pop(c) for c in ISSUANCE_COLUMNS}, index=pd.RangeIndex(n, name="issuance"),
                       copy=False)
    return Normalised(issuances=iss, names=names, distinct_names=distinct, certificate_rows=n_rows, _cache=shared)


def _side_frames(group: np.ndarray, ids: np.ndarray, n: int, ct: pd.DataFrame | None,
                 revocations: pd.DataFrame | None) -> dict:
    """Per issuance (``group`` codes 0..n-1 of the rows, crt.sh ``ids``): ``earliest_sct`` from the CT frame and
    ``is_revoked, revocation_date, reason_code`` from the revocations frame, each over every row of the issuance."""
    n_rows = len(ids)
    # Chrome's rule looks at the earliest SCT of the pair: take the earliest CT entry over every row.
    id_index = _id_index(ids)  # crt.sh ids are unique: the side frames are joined by a hash look-up
    sct = np.full(n, _NAT, dtype=np.int64)
    if ct is not None and len(ct):
        t = _ns(ct["earliest_entry"])
        seen = (t != _NAT) & ct["certificate_id"].notna().to_numpy()
        cid = ct["certificate_id"].to_numpy(dtype=np.int64, na_value=0)[seen]
        t = t[seen]
        if id_index is not None:  # the earliest entry per issuance, scatter-min over the rows found
            rows = _lookup(id_index, cid)
            found = rows >= 0
            low = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(low, group[rows[found]], t[found])
            sct = np.where(low == np.iinfo(np.int64).max, _NAT, low)
        else:  # repeated ids: every row of an id gets its entries (sort-based)
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

    revoked = np.zeros(n, dtype=bool)
    rdate = np.full(n, _NAT, dtype=np.int64)
    rcode = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    if revocations is not None and len(revocations):
        rv = revocations.assign(_t=_ns(revocations["revocation_date"]))
        if id_index is not None:
            rid = rv["certificate_id"]
            rows = np.full(len(rv), -1, dtype=np.int64)
            known = rid.notna().to_numpy()
            rows[known] = _lookup(id_index, rid.to_numpy(dtype=np.int64, na_value=0)[known])
            rv = rv[rows >= 0].assign(issuance=group[rows[rows >= 0]])
        else:  # repeated ids: the first row of an id
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
    return {"earliest_sct": sct.view("datetime64[ns]"), "is_revoked": revoked,
            "revocation_date": rdate.view("datetime64[ns]"), "reason_code": rcode}


def _id_index(ids: np.ndarray) -> pd.Index | None:
    """A hash index of the rows' crt.sh ids for :func:`_lookup`; None when some id is repeated."""
    index = pd.Index(ids, dtype=np.int64, copy=False)
    return index if index.is_unique else None


def _lookup(index: pd.Index, keys: np.ndarray) -> np.ndarray:
    """Row of each key in an :func:`_id_index` (-1: absent)."""
    return index.get_indexer(keys).astype(np.int64, copy=False)


def _lowest_id(group: np.ndarray, ids: np.ndarray, mask: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per issuance (``group`` codes 0..n-1), the lowest ``ids`` among the rows where ``mask`` holds and its row
    (the first such row on ties); NaT's int64 and -1 where the issuance has no such row."""
    big = np.iinfo(np.int64).max
    rows = np.flatnonzero(mask)
    g, v = group[rows], ids[rows]
    low = np.full(n, big, dtype=np.int64)
    np.minimum.at(low, g, v)
    hit = v == low[g]
    row = np.full(n, big, dtype=np.int64)
    np.minimum.at(row, g[hit], rows[hit])
    none = row == big
    row[none], low[none] = -1, _NAT
    return low, row


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


def _categorical_at(series: pd.Series, idx: np.ndarray) -> pd.Categorical:
    """``pd.Categorical`` of ``series`` at positions ``idx`` (categories sorted). For Arrow strings the column is
    dictionary-encoded in C++ and only the codes are taken: no string is copied for a column of a few values."""
    arr = series.array
    if not (isinstance(series.dtype, pd.StringDtype) and hasattr(arr, "_pa_array")):
        return pd.Categorical(_take(series, idx))
    enc = pc.dictionary_encode(arr._pa_array).combine_chunks()
    taken = pc.fill_null(enc.indices, len(enc.dictionary)).to_numpy(zero_copy_only=False)[idx]
    used = np.zeros(len(enc.dictionary) + 1, dtype=bool)  # the last slot: a missing value
    used[taken] = True
    present = np.flatnonzero(used[:-1])  # the values found at idx
    uniques = enc.dictionary.take(pa.array(present))
    order = pc.sort_indices(uniques).to_numpy()  # UTF-8 byte order: code point order, as Python sorts
    rank = np.full(len(used), -1, dtype=np.int64)
    rank[present[order]] = np.arange(len(present))
    codes = rank[taken]
    categories = pd.Index(pd.array(uniques.take(pa.array(order)), dtype=series.dtype))
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))


def _list_cells(series: pd.Series, idx: np.ndarray) -> pa.Array | np.ndarray:
    """The list cells of ``series`` at positions ``idx``: an Arrow list array when the column is one of strings (the
    frames of :mod:`analysis.frames`: no Python object per cell or name), else the object array of its cells."""
    typ = series.dtype.pyarrow_dtype if isinstance(series.dtype, pd.ArrowDtype) else None
    if typ is not None and pa.types.is_list(typ) and (pa.types.is_string(typ.value_type)
                                                      or pa.types.is_large_string(typ.value_type)):
        taken = series.array._pa_array.take(np.asarray(idx, dtype=np.int64))
        try:
            return taken.combine_chunks()
        except pa.ArrowCapacityError:  # over 2 GB of names in one array: 64-bit offsets
            return pa.chunked_array([c.cast(pa.list_(pa.large_string())) for c in taken.chunks],
                                    type=pa.list_(pa.large_string())).combine_chunks()
    return series.to_numpy()[idx]


def _object_cells(lists: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    """An object array of Python lists (None for a missing cell) from an Arrow list array; other input as is."""
    if isinstance(lists, (pa.Array, pa.ChunkedArray)):
        return np.array(lists.to_pylist() + [None], dtype=object)[:-1]
    return lists


def _arrow_lists(cells: pa.Array | np.ndarray) -> pa.Array:
    """Cells of string lists as an Arrow list array (converted when they are Python objects; may raise Arrow's
    errors for cells that are not lists of strings)."""
    if isinstance(cells, pa.Array):
        return cells
    return pa.array(cells, type=pa.list_(pa.large_string()), from_pandas=True)


def _raw_name_codes(dns_lists: np.ndarray, subject_cn: np.ndarray, n: int) -> tuple:
    """(owner issuance, from_cn, raw name code, raw names) of every name as written: the DNS SANs of each
    issuance, then the subject CN of each issuance without a DNS SAN (checked as a hostname later)."""
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
    return owner, from_cn, raw_codes, raw_uniques


def _raw_name_codes_arrow(dns_lists: np.ndarray, subject_cn: np.ndarray, n: int) -> tuple | None:
    """:func:`_raw_name_codes` with the lists converted to Arrow once and the names dictionary-encoded in C++ (no
    Python object per name; codes in the same first-appearance order); None when a cell or name is not a string
    Arrow takes (a None inside a list, a number): the caller then takes the Python path, whose rules those are."""
    try:
        lists = _arrow_lists(dns_lists)
        lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        no_san = np.flatnonzero(lengths == 0)
        cn = subject_cn[no_san]
        has_cn = pd.notna(cn)
        cn = pa.array(cn[has_cn], type=lists.type.value_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
        return None
    flat = lists.flatten()
    if flat.null_count or cn.null_count:
        return None
    enc = pc.dictionary_encode(flat)
    raw_codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    known = pc.index_in(cn, value_set=enc.dictionary)
    new = pc.dictionary_encode(cn.filter(pc.is_null(known)))
    cn_codes = pc.fill_null(known, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    cn_codes[cn_codes < 0] = len(enc.dictionary) + new.indices.to_numpy(zero_copy_only=False)
    raw_uniques = pa.concat_arrays([enc.dictionary, new.dictionary]).to_numpy(zero_copy_only=False)
    owner = np.concatenate([np.repeat(np.arange(n, dtype=np.int64), lengths), no_san[has_cn]])
    from_cn = np.zeros(len(owner), dtype=bool)
    from_cn[len(raw_codes):] = True
    return owner, from_cn, np.concatenate([raw_codes, cn_codes]), raw_uniques


def _names(dns_lists: np.ndarray, subject_cn: np.ndarray, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long (issuance, name_id) frame and the distinct-name table (registrable domains computed once per name)."""
    coded = _raw_name_codes_arrow(dns_lists, subject_cn, n)
    if coded is None:
        coded = _raw_name_codes(_object_cells(dns_lists), subject_cn, n)
    owner, from_cn, raw_codes, raw_uniques = coded
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
    """Sorted distinct values (sort-based: faster than hashing for large int64 arrays; a stable sort, which is
    ~10× faster on the keys here: they are sorted by issuance already, only each issuance's few names are not)."""
    a = np.sort(a, kind="stable")
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def issuance_domains(names: pd.DataFrame, distinct: pd.DataFrame) -> dict:
    """The distinct (issuance, registrable domain) pairs, sorted, with the domain codes (first appearance in
    ``distinct``, -1: none) of each distinct name and the domains themselves: what ``registrable_domain_count`` and
    every domain count of :mod:`analysis.tables` are made of, computed once (kept in ``Normalised._cache``)."""
    dcodes, duniq = pd.factorize(distinct["registrable_domain"].to_numpy(dtype=object))
    dcodes = dcodes.astype(np.int64)
    d = dcodes[names["name_id"].to_numpy()]
    owner = names["issuance"].to_numpy()
    ok = d >= 0
    m = max(len(duniq), 1)
    u = _unique_sorted(owner[ok] * m + d[ok])
    return {"name_domain_codes": dcodes, "issuance_domains": (u // m, u % m, np.asarray(duniq, dtype=object))}
