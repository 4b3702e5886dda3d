"""Distrust policies and the analysis filters.

Each policy is a small object that encodes one root-program mechanism (docs/root-programs.md) and cites it in
``.rule``. ``policy.evaluate(normalised)`` returns one *verdict* per issuance:

* ``breaks_on`` — when the certificate stops being trusted (NaT: it never breaks under this policy);
* ``category`` — a machine code (e.g. ``"removed"``, ``"trusted_not_before"``);
* ``reason`` — the same in words, with the policy's parameters.

Common convention: a certificate "breaks on" a date only if it is still unexpired then (validity is inclusive of
notAfter, RFC 5280 4.1.2.5). A certificate issued *after* the break date breaks from its notBefore (it is never
trusted), so ``breaks_on = max(break date, not_before)``. A certificate that would break but expires before that is
``expires_before_break`` (it dies before the distrust anyway) and does not break.

Policies compose with ``Compose(a, b)`` or ``a & b``: a certificate breaks if any component says so, at the earliest
date, and takes that component's category and reason.

:func:`classify` applies a policy plus the analysis filters (``expires_on_or_before``, ``issued_after`` — analysis
choices, not root-program rules: README "Counting rules") and revocations, giving every issuance exactly one
``status`` of :data:`STATUSES`.

Not modelled here: alternate trust paths (a leaf under an intermediate cross-signed by a still-trusted root may
survive; that needs crt.sh's ``ca_trust_purpose`` per CA). Non-browser stores (certifi, p11-kit, webpki-roots)
cannot express distrust-after: model them with :class:`Removal`.

Over 500 lines: every policy with the shared verdict helpers and :func:`classify`, which must agree on the break and
status rules (docs/rules.md, "Distrust mechanisms"); one mechanism per class keeps each short.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.normalise import Normalised, normalise_dns_name, release_arrow_memory

STATUSES = ("affected", "survives", "revoked", "excluded_expired", "excluded_issued_after", "unparsable")
VERDICT_COLUMNS = ("breaks_on", "category", "reason")
EXPIRES_BEFORE_BREAK = "expires_before_break"

_NAT = np.iinfo(np.int64).min
_DAY = 86_400 * 10**9


def as_utc_timestamp(value) -> pd.Timestamp:
    """A date/datetime/string as a naive UTC ``Timestamp`` in ns (crt.sh timestamps are naive UTC)."""
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError("a policy date cannot be NaT")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.as_unit("ns")


def _ns(ts: pd.Timestamp) -> int:
    return int(as_utc_timestamp(ts).value)


def _col_ns(frame: pd.DataFrame, col: str) -> np.ndarray:
    return frame[col].to_numpy(dtype="datetime64[ns]").view("i8")


def _day(values: np.ndarray) -> np.ndarray:
    """Start of the UTC day of int64-ns timestamps (NaT kept)."""
    out = values - np.mod(values, _DAY)
    return np.where(values == _NAT, _NAT, out)


def _fmt(ts: pd.Timestamp) -> str:
    ts = as_utc_timestamp(ts)
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M:%S UTC")


def _verdicts(index: pd.Index, breaks_on: np.ndarray, code: np.ndarray, table: list[tuple[str, str]]) -> pd.DataFrame:
    """Build a verdict frame from int64-ns ``breaks_on`` and codes into ``table`` = [(category, reason), …]."""
    return pd.DataFrame({
        "breaks_on": breaks_on.astype(np.int64).view("datetime64[ns]"),
        "category": _labelled(code, [c for c, _ in table]),
        "reason": _labelled(code, [r for _, r in table]),
    }, index=index)


def _labelled(code: np.ndarray, labels: list[str]) -> pd.Categorical:
    """Categorical of ``labels[code]``; labels may repeat (e.g. two components' "removed" with different dates)."""
    lcodes, uniq = pd.factorize(np.array(labels, dtype=object))
    return pd.Categorical.from_codes(lcodes[np.asarray(code, dtype=np.int64)], categories=list(uniq))


def _break_unless_expired(nb: np.ndarray, na: np.ndarray, when: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(breaks_on, alive): a certificate failing a rule enforced from ``when`` breaks at max(when, notBefore) if it
    is still unexpired then (notAfter inclusive)."""
    at = np.maximum(when, nb)
    return at, na >= at


class Policy:
    """Base class. Subclasses set ``name``, ``rule`` and ``date`` (the principal distrust date) and implement
    :meth:`evaluate`."""

    name: str = "policy"
    rule: str = ""
    date: pd.Timestamp

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:  # pragma: no cover - abstract
        """One verdict row per issuance: ``breaks_on``, ``category``, ``reason`` (index: issuance)."""
        raise NotImplementedError

    def __and__(self, other: "Policy") -> "Compose":
        return Compose(self, other)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class Removal(Policy):
    """Root removal / trust-bit removal.

    Rule (Mozilla: Certinomis 2019, e-Tugra 2023; Chrome blocklist: Camerfirma, TrustCor): every chain to the root
    fails once the client ships the change; a leaf breaks on ``date`` iff it is still unexpired then. Also models
    Microsoft "Disable" (``DISABLED_FROM``) and non-browser stores that cannot express distrust-after.
    """

    def __init__(self, date):
        self.date = as_utc_timestamp(date)
        self.name = f"removal {_fmt(self.date)}"
        self.rule = ("Root removal (Mozilla/NSS, Chrome blocklist): every certificate still unexpired on "
                     f"{_fmt(self.date)} breaks on that date")

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:
        iss = normalised.issuances
        nb, na = _col_ns(iss, "not_before"), _col_ns(iss, "not_after")
        when = _ns(self.date)
        at, alive = _break_unless_expired(nb, na, when)
        d = _fmt(self.date)
        table = [("removed", f"unexpired when the root is removed on {d}"),
                 ("issued_after_removal", f"issued after the root removal on {d}: never trusted"),
                 (EXPIRES_BEFORE_BREAK, f"expires before the root removal on {d}")]
        code = np.where(~alive, 2, np.where(nb > when, 1, 0))
        return _verdicts(iss.index, np.where(alive, at, _NAT), code, table)


class DistrustAfter(Policy):
    """Distrust-after: existing certificates live on, later ones are distrusted.

    ``basis="not_before"`` — Mozilla ``CKA_NSS_SERVER_DISTRUST_AFTER`` (trusted iff ``notBefore <= date``), Apple
    date constraints, Microsoft "NotBefore". ``dates_only=True`` is Java's ``CADistrustPolicy``, which compares UTC
    *dates* only (trusted iff the UTC date of notBefore <= the UTC date of ``date``).

    ``basis="earliest_sct"`` — Chrome Root Store ``sct_not_after``: trusted iff some SCT is at or before ``date``.
    crt.sh proxy: the earliest CT log entry of the precertificate/certificate pair (``earliest_sct``); a certificate
    never seen in CT is not trusted. This misses SCTs delivered by TLS extension or OCSP (an inference).

    A certificate failing the rule breaks when clients enforce it: ``effective`` (default: ``date``) — e.g. the
    release date of the browser version that ships the constraint — or its notBefore if later; if it has expired
    by then it is ``expires_before_break``.
    """

    def __init__(self, date, basis: str = "not_before", dates_only: bool = False, *, effective=None):
        if basis not in ("not_before", "earliest_sct"):
            raise ValueError("basis must be 'not_before' or 'earliest_sct'")
        self.date = as_utc_timestamp(date)
        self.basis = basis
        self.dates_only = bool(dates_only)
        self.effective = as_utc_timestamp(effective if effective is not None else date)
        d, e = _fmt(self.date), _fmt(self.effective)
        variant = " (UTC dates only, Java)" if self.dates_only else ""
        if basis == "not_before":
            self.name = f"distrust notBefore after {d}{variant}"
            who = "Mozilla DISTRUST_AFTER, Apple, Microsoft NotBefore" + (", Java" if dates_only else "")
            self.rule = (f"Distrust-after on notBefore ({who}): trusted iff notBefore <= {d}{variant}; "
                         f"others break from {e}")
        else:
            self.name = f"distrust SCT after {d}{variant}"
            self.rule = (f"Distrust-after on earliest SCT (Chrome sct_not_after): trusted iff the earliest CT log "
                         f"entry of the precertificate/certificate pair <= {d}{variant}; others break from {e}")

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:
        iss = normalised.issuances
        nb, na = _col_ns(iss, "not_before"), _col_ns(iss, "not_after")
        key = nb if self.basis == "not_before" else _col_ns(iss, "earliest_sct")
        cutoff = _ns(self.date)
        if self.dates_only:
            key, cutoff = _day(key), int(_day(np.array([cutoff]))[0])
        missing = key == _NAT
        trusted = ~missing & (key <= cutoff)
        at, alive = _break_unless_expired(nb, na, _ns(self.effective))
        d, e = _fmt(self.date), _fmt(self.effective)
        field = "notBefore" if self.basis == "not_before" else "earliest CT entry"
        table = [(f"trusted_{self.basis}", f"{field} on or before {d}: trusted until it expires"),
                 (f"distrusted_{self.basis}", f"{field} after {d}: distrusted from {e}"),
                 ("no_ct_entry", f"no CT log entry on crt.sh (no SCT on or before {d}): distrusted from {e}"),
                 (EXPIRES_BEFORE_BREAK, f"{field} after {d} but expires before enforcement on {e}")]
        code = np.where(trusted, 0, np.where(~alive, 3, np.where(missing, 2, 1)))
        breaks = ~trusted & alive
        return _verdicts(iss.index, np.where(breaks, at, _NAT), code, table)


class DistrustBefore(Policy):
    """Distrust-before on notBefore: older certificates are distrusted, newer ones live on.

    Rule (Symantec 2018: Firefox 60 and Chrome 66, "notBefore before 2016-06-01"; Apple from 2018-08-01): trusted
    iff ``notBefore >= date``; a certificate failing it breaks on ``effective`` (the release that shipped the rule)
    if it is still unexpired then.
    """

    def __init__(self, date, *, effective=None):
        self.date = as_utc_timestamp(date)
        self.effective = as_utc_timestamp(effective if effective is not None else date)
        d, e = _fmt(self.date), _fmt(self.effective)
        self.name = f"distrust notBefore before {d}"
        self.rule = (f"Distrust-before on notBefore (Symantec 2018: Firefox 60, Chrome 66, Apple): trusted iff "
                     f"notBefore >= {d}; older certificates break from {e}")

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:
        iss = normalised.issuances
        nb, na = _col_ns(iss, "not_before"), _col_ns(iss, "not_after")
        trusted = (nb != _NAT) & (nb >= _ns(self.date))
        at, alive = _break_unless_expired(nb, na, _ns(self.effective))
        d, e = _fmt(self.date), _fmt(self.effective)
        table = [("trusted_not_before", f"notBefore on or after {d}: trusted until it expires"),
                 ("distrusted_not_before", f"notBefore before {d}: distrusted from {e}"),
                 (EXPIRES_BEFORE_BREAK, f"notBefore before {d} but expires before enforcement on {e}")]
        code = np.where(trusted, 0, np.where(alive, 1, 2))
        return _verdicts(iss.index, np.where(~trusted & alive, at, _NAT), code, table)


class Exempt(Policy):
    """A policy with exempt intermediates (Symantec 2018: Apple's and Google's managed sub-CAs and DigiCert's
    transition roots stayed trusted in Firefox and Chrome).

    Rule: an issuance whose issuer is one of ``issuer_ca_ids`` (a crt.sh CA at or below an exempt intermediate) is
    not affected by ``policy``: it survives with the reason ``why``; every other issuance gets ``policy``'s verdict.
    """

    def __init__(self, policy: Policy, issuer_ca_ids: Iterable[int], why: str):
        self.policy = policy
        self.issuer_ca_ids = frozenset(int(c) for c in issuer_ca_ids)
        self.date = policy.date
        self.why = why
        self.name = f"{policy.name}, {len(self.issuer_ca_ids)} exempt CA(s)"
        self.rule = f"{policy.rule}; except certificates issued at or below an exempt intermediate ({why})"

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:
        v = self.policy.evaluate(normalised)
        issuer = normalised.issuances["issuer_ca_id"].to_numpy(dtype=np.int64)
        exempt = np.isin(issuer, np.fromiter(self.issuer_ca_ids, dtype=np.int64, count=len(self.issuer_ca_ids)))
        cats = list(v["category"].cat.categories) + ["exempt_issuer"]
        reasons = list(v["reason"].cat.categories) + [f"issued under an exempt intermediate: {self.why}"]
        code = np.where(exempt, len(cats) - 1, v["category"].cat.codes.to_numpy().astype(np.int64))
        breaks = np.where(exempt, _NAT, _col_ns(v, "breaks_on"))
        return _verdicts(v.index, breaks, code, list(zip(cats, reasons)))


class Cited(Policy):
    """A policy whose every reason names the action it encodes: ``citation`` (the action, its date and its
    source, e.g. "Chrome 70, 2018-10-16 [data/root_programs/actions.csv row chrome-symantec-70: https://…]") is
    appended to each reason; verdicts and categories are ``policy``'s."""

    def __init__(self, policy: Policy, citation: str):
        self.policy = policy
        self.citation = citation
        self.date = policy.date
        self.name = policy.name
        self.rule = f"{policy.rule} — {citation}"

    def __getattr__(self, name):  # the wrapped policy's parameters (basis, effective, …) read through
        if name == "policy":
            raise AttributeError(name)
        return getattr(self.policy, name)

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:
        v = self.policy.evaluate(normalised)
        v["reason"] = v["reason"].cat.rename_categories(
            _unique_labels([f"{r} — {self.citation}" for r in v["reason"].cat.categories]))
        return v


def _unique_labels(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        n = seen.get(label, 0)
        seen[label] = n + 1
        out.append(label if n == 0 else f"{label} ({n + 1})")
    return out


def _normalise_subtree(p: str) -> str:
    return normalise_dns_name(p.strip())


def within_subtrees(names: pd.Series, permitted: Iterable[str]) -> np.ndarray:
    """RFC 5280 4.2.1.10 dNSName subtree matching, case-insensitive, trailing dot ignored.

    ``gouv.fr`` permits ``gouv.fr``, ``x.gouv.fr`` and ``*.gouv.fr`` but not ``xgouv.fr``; a subtree written with a
    leading dot (``.gouv.fr``) permits subdomains only. ``names`` must already be normalised (lower-case, no
    trailing dot). Matching is on the string, so a malformed name under a permitted subtree still matches.
    """
    s = pd.Series(names.to_numpy(dtype=object), dtype="str")  # Arrow-backed: vectorised string matching
    ok = np.zeros(len(s), dtype=bool)
    for p in (_normalise_subtree(p) for p in permitted):
        if p.startswith("."):
            ok |= s.str.endswith(p).to_numpy(dtype=bool)
        else:
            ok |= (s == p).to_numpy(dtype=bool) | s.str.endswith("." + p).to_numpy(dtype=bool)
    return ok


class NameConstrained(Policy):
    """Name constraints (proposed for Certinomis: ``gouv.fr``; Firefox's ANSSI IGC/A TLD list; Chrome
    ``permitted_dns_names``; CCADB "Mozilla Applied Constraints").

    Rule: a leaf breaks on ``date`` if **any** of its DNS SANs falls outside the permitted subtrees (RFC 5280 subtree
    matching, see :func:`within_subtrees`). A certificate without DNS SANs is judged on its subject CN when the CN is a
    valid hostname (as clients that still read the CN would); with neither it breaks (``no_dns_name``) — a
    name-constrained root vouches for no unnamed certificate.
    """

    def __init__(self, permitted: Iterable[str], date):
        if isinstance(permitted, str):
            permitted = [permitted]
        self.permitted = tuple(_normalise_subtree(p) for p in permitted)
        if not self.permitted:
            raise ValueError("NameConstrained needs at least one permitted subtree")
        self.date = as_utc_timestamp(date)
        subtrees = ", ".join(self.permitted)
        self.name = f"constrain to {subtrees} from {_fmt(self.date)}"
        self.rule = (f"Name constraints (RFC 5280 4.2.1.10; CCADB Mozilla Applied Constraints): from "
                     f"{_fmt(self.date)}, a certificate with any DNS name outside {subtrees} breaks")

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:
        iss = normalised.issuances
        n = len(iss)
        inside = within_subtrees(normalised.distinct_names["dns_name"], self.permitted)
        owner = normalised.names["issuance"].to_numpy()
        ids = normalised.names["name_id"].to_numpy()
        outside = np.bincount(owner[~inside[ids]], minlength=n) > 0
        named = np.bincount(owner, minlength=n) > 0
        nb, na = _col_ns(iss, "not_before"), _col_ns(iss, "not_after")
        at, alive = _break_unless_expired(nb, na, _ns(self.date))
        subtrees, d = ", ".join(self.permitted), _fmt(self.date)
        table = [("within_constraints", f"every DNS name within {subtrees}"),
                 ("outside_constraints", f"a DNS name outside {subtrees}: breaks from {d}"),
                 ("no_dns_name", f"no DNS name (nor hostname CN) to check against {subtrees}: breaks from {d}"),
                 (EXPIRES_BEFORE_BREAK, f"outside {subtrees} but expires before {d}")]
        fails = outside | ~named
        code = np.where(~fails, 0, np.where(~alive, 3, np.where(named, 1, 2)))
        return _verdicts(iss.index, np.where(fails & alive, at, _NAT), code, table)


class Allowlist(Policy):
    """Allowlist with sunset (CNNIC 2015: Chrome public list / Firefox hash list; WoSign 2016: hostname list;
    Symantec: exempt sub-CAs; suggested for Certinomis).

    Rule: a listed certificate survives until ``sunset`` (then breaks if still unexpired); every other certificate
    breaks on ``date``. Listed means: the crt.sh SHA-256 of its final certificate *or* of its precertificate is in
    ``sha256s`` (hex, case-insensitive; kept as an upper-case ``pd.Index``), or one of its DNS names (normalised:
    case, trailing dot) equals an entry of ``hostnames`` (exact match: ``*.example.fr`` must be listed as such).
    See :meth:`existing` for "everything that exists as of a cutoff".
    """

    def __init__(self, date, sunset, sha256s: Iterable[str] = (), hostnames: Iterable[str] = ()):
        self.date = as_utc_timestamp(date)
        self.sunset = as_utc_timestamp(sunset)
        # Arrow, vectorised: an "allow everything that exists" list holds hundreds of thousands of hashes.
        if not isinstance(sha256s, (pa.Array, pa.ChunkedArray)):
            sha256s = pa.array(pd.Series(
                sha256s if isinstance(sha256s, (pd.Series, pd.Index, np.ndarray)) else list(sha256s), dtype="str"))
        hashes = pc.drop_null(sha256s) if sha256s.null_count else sha256s
        if pc.any(pc.match_substring_regex(hashes, "[a-z]")).as_py():  # crt.sh hashes are upper-case already
            hashes = pc.utf8_upper(hashes)
        self._sha_set = pc.unique(hashes)
        self.sha256s = pd.Index(pd.array(self._sha_set, dtype="str"), name="sha256")
        release_arrow_memory()
        self.hostnames = frozenset(normalise_dns_name(h.strip()) for h in hostnames)
        self.name = f"allowlist until {_fmt(self.sunset)}, others from {_fmt(self.date)}"
        self.rule = (f"Allowlist with sunset (CNNIC 2015, WoSign 2016): {len(self.sha256s)} certificate hashes and "
                     f"{len(self.hostnames)} hostnames trusted until {_fmt(self.sunset)}; every other certificate "
                     f"breaks on {_fmt(self.date)}")

    @classmethod
    def existing(cls, source: Normalised | pd.DataFrame, cutoff, date, sunset) -> "Allowlist":
        """Allowlist every certificate issued on or before ``cutoff`` (UTC dates: notBefore's date <= cutoff's).

        ``source`` is a :class:`~analysis.normalise.Normalised` or a raw certificates frame; both the final
        certificate and precertificate hashes are listed.
        """
        day = int(_day(np.array([_ns(cutoff)]))[0])
        if isinstance(source, Normalised):
            iss = source.issuances
            keep = (_day(_col_ns(iss, "not_before")) <= day) & ~iss["is_unparsable"].to_numpy()
            # Straight from the Arrow columns: no pandas concat of a million 64-character strings.
            keep = pa.array(keep)
            parts = [pa.array(iss[col].astype("str")).filter(keep) for col in ("sha256", "precertificate_sha256")]
            chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
            return cls(date, sunset, sha256s=pa.chunked_array(chunks, type=parts[0].type))
        nb = _day(_col_ns(source, "not_before"))
        hashes = source.loc[(nb <= day) & (nb != _NAT), "sha256"]
        return cls(date, sunset, sha256s=hashes.dropna().astype("str"))

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:
        iss = normalised.issuances
        n = len(iss)
        listed = np.zeros(n, dtype=bool)
        if len(self.sha256s):
            for col in ("sha256", "precertificate_sha256"):
                # The certificates frame holds upper-case hex (docs/design.md), as does the set.
                hit = pc.is_in(pa.array(iss[col].astype("str")), value_set=self._sha_set)
                listed |= pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
        if self.hostnames:
            hit = normalised.distinct_names["dns_name"].isin(self.hostnames).to_numpy()
            names = normalised.names
            owner = names["issuance"].to_numpy()[hit[names["name_id"].to_numpy()]]
            listed |= np.bincount(owner, minlength=n) > 0
        nb, na = _col_ns(iss, "not_before"), _col_ns(iss, "not_after")
        at_d, alive_d = _break_unless_expired(nb, na, _ns(self.date))
        at_s, alive_s = _break_unless_expired(nb, na, _ns(self.sunset))
        at = np.where(listed, at_s, at_d)
        alive = np.where(listed, alive_s, alive_d)
        d, s = _fmt(self.date), _fmt(self.sunset)
        table = [("allowlisted_until_sunset", f"allowlisted: trusted until the sunset on {s}"),
                 ("not_allowlisted", f"not on the allowlist: breaks on {d}"),
                 ("allowlisted_expires_before_sunset", f"allowlisted and expires before the sunset on {s}"),
                 (EXPIRES_BEFORE_BREAK, f"not on the allowlist but expires before {d}")]
        code = np.where(listed, np.where(alive, 0, 2), np.where(alive, 1, 3))
        return _verdicts(iss.index, np.where(alive, at, _NAT), code, table)


class Compose(Policy):
    """Several policies at once (e.g. a name constraint plus a distrust-after date).

    Rule: a certificate breaks if any component says so, at the earliest of their dates; it takes the category and
    reason of the component that breaks it first (ties: the first listed). A survivor's category and reason join
    those of every component (``"a+b"``, ``"…; …"``).
    """

    def __init__(self, *policies: Policy):
        flat: list[Policy] = []
        for p in policies:
            flat.extend(p.policies if isinstance(p, Compose) else [p])
        if not flat:
            raise ValueError("Compose needs at least one policy")
        self.policies = tuple(flat)
        self.date = min(p.date for p in self.policies)
        self.name = " & ".join(p.name for p in self.policies)
        self.rule = ("Composition: breaks if any component breaks it, at the earliest date. "
                     + " | ".join(p.rule for p in self.policies))

    def evaluate(self, normalised: Normalised) -> pd.DataFrame:
        parts = [p.evaluate(normalised) for p in self.policies]
        index = parts[0].index
        big = np.iinfo(np.int64).max
        when = np.vstack([np.where((b := _col_ns(v, "breaks_on")) == _NAT, big, b) for v in parts])
        first = np.argmin(when, axis=0)  # argmin takes the first on ties
        earliest = when[first, np.arange(when.shape[1])]
        breaks = earliest != big
        # Breakers: the deciding component's category. Survivors: every component's, joined.
        codes = np.vstack([v["category"].cat.codes.to_numpy() for v in parts]).astype(np.int64)
        sizes = [len(v["category"].cat.categories) for v in parts]
        surv_key = np.ravel_multi_index(tuple(codes), sizes) if len(sizes) > 1 else codes[0]
        offsets = np.cumsum([0] + sizes)
        # Integer labels: breakers get offset+code of the decider, survivors big-offset + joint code.
        label = np.where(breaks, offsets[first] + codes[first, np.arange(codes.shape[1])],
                         offsets[-1] + surv_key)
        uniq, inverse = np.unique(label, return_inverse=True)
        cats, reasons = [], []
        for u in uniq:
            if u < offsets[-1]:
                k = int(np.searchsorted(offsets, u, side="right") - 1)
                c = int(u - offsets[k])
                cats.append(parts[k]["category"].cat.categories[c])
                reasons.append(parts[k]["reason"].cat.categories[c])
            else:
                joint = np.unravel_index(int(u - offsets[-1]), sizes) if len(sizes) > 1 else (int(u - offsets[-1]),)
                cats.append("+".join(parts[k]["category"].cat.categories[c] for k, c in enumerate(joint)))
                reasons.append("; ".join(parts[k]["reason"].cat.categories[c] for k, c in enumerate(joint)))
        # Distinct labels may share a text (two components breaking with the same reason): merge them.
        position: dict[tuple[str, str], int] = {}
        tcode = np.array([position.setdefault(pair, len(position)) for pair in zip(cats, reasons)] + [0],
                         dtype=np.int64)[:-1]
        return _verdicts(index, np.where(breaks, earliest, _NAT), tcode[inverse.ravel()], list(position))


def _filter_masks(iss: pd.DataFrame, expires_on_or_before, issued_after) -> tuple[np.ndarray, np.ndarray]:
    """The two analysis filters, on UTC *dates* (as the seed thread phrased them: "expire on or before 2019-08-31",
    "issued after 2019-05-17")."""
    n = len(iss)
    exp = np.zeros(n, dtype=bool)
    late = np.zeros(n, dtype=bool)
    if expires_on_or_before is not None:
        na = _day(_col_ns(iss, "not_after"))
        exp = (na != _NAT) & (na <= _day(np.array([_ns(expires_on_or_before)]))[0])
    if issued_after is not None:
        nb = _day(_col_ns(iss, "not_before"))
        late = (nb != _NAT) & (nb > _day(np.array([_ns(issued_after)]))[0])
    return exp, late


def classify(normalised: Normalised, policy: Policy, *, expires_on_or_before=None,
             issued_after=None) -> pd.DataFrame:
    """Verdict and ``status`` for every issuance (index: issuance; columns ``VERDICT_COLUMNS`` and ``status``).

    Precedence (each issuance gets exactly one status, so the statuses add up to the issuances):

    1. ``unparsable`` — the row has a ``parse_error`` (no dates to judge);
    2. ``excluded_expired`` — analysis filter: notAfter's UTC date <= ``expires_on_or_before`` (it dies before the
       distrust anyway);
    3. ``excluded_issued_after`` — analysis filter: notBefore's UTC date > ``issued_after`` (the CA already knew);
    4. ``revoked`` — revoked on or before the date it would break (or at all, if it never breaks; or at an unknown
       date): the distrust changes nothing for it;
    5. ``affected`` — the policy breaks it (``breaks_on`` set);
    6. ``survives`` — otherwise.

    ``category``/``reason`` are the policy's, except for statuses 1–4 where they name the filter or revocation.
    """
    iss = normalised.issuances
    v = policy.evaluate(normalised)
    exp, late = _filter_masks(iss, expires_on_or_before, issued_after)
    unparsable = iss["is_unparsable"].to_numpy(dtype=bool)
    b = _col_ns(v, "breaks_on")
    r = _col_ns(iss, "revocation_date")
    revoked = iss["is_revoked"].to_numpy(dtype=bool) & ((r == _NAT) | (b == _NAT) | (r <= b))
    status = np.select([unparsable, exp, late, revoked, b != _NAT],
                       [5, 3, 4, 2, 0], default=1)
    extra = [("unparsable", "crt.sh could not parse the certificate (parse_error): counted, not judged")]
    if expires_on_or_before is not None:
        extra.append(("excluded_expired", f"expires on or before {_fmt(expires_on_or_before)} (analysis filter)"))
    if issued_after is not None:
        extra.append(("excluded_issued_after", f"issued after {_fmt(issued_after)} (analysis filter)"))
    extra.append(("revoked", "revoked on or before the date it would break: the distrust changes nothing"))
    cats = list(v["category"].cat.categories) + [c for c, _ in extra]
    reasons = list(v["reason"].cat.categories) + [r_ for _, r_ in extra]
    code = v["category"].cat.codes.to_numpy().astype(np.int64)
    base = len(v["category"].cat.categories)
    pos = {c: base + i for i, (c, _) in enumerate(extra)}
    for s_code, name in ((2, "revoked"), (4, "excluded_issued_after"), (3, "excluded_expired"), (5, "unparsable")):
        if name in pos:
            code = np.where(status == s_code, pos[name], code)
    out = pd.DataFrame({
        "breaks_on": v["breaks_on"].to_numpy(),
        "category": _labelled(code, cats),
        "reason": _labelled(code, reasons),
        "status": pd.Categorical.from_codes(status, categories=STATUSES),
    }, index=iss.index)
    release_arrow_memory()  # policies match strings in Arrow; give the temporaries back
    return out
