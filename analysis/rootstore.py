"""The Mozilla root store over time (2000-2026): additions, removals, re-issues, trust-bit changes and distrust-after
dates.

Source: the tables in ``data/nss/``, rebuilt by :mod:`analysis.nss_history` from all 262 first-parent versions of
NSS ``certdata.txt`` (provenance in data/nss/README.md):

* ``nss_certdata_versions.csv`` -- one row per version: date, NSS commit, certificate objects, server-auth
  ``CKT_NSS_TRUSTED_DELEGATOR`` count;
* ``nss_root_events.csv`` -- one row per certificate and version where it was added, removed, reissued or changed,
  with the state before and after as ``server;email;codesign;server_distrust_after;email_distrust_after`` and, for
  a re-issue, the successor (``reissued_as``);
* ``nss_root_timeline.csv`` -- one row per certificate ever in certdata.txt, with its CA identity (crt.sh's: subject
  name and public key).

A root's identity across re-issues: a certificate that left the file while another certificate of the same subject
name and key stayed, trusted for the same purposes, was ``reissued``, not removed (Entrust.net Premium 2048 in 2013,
GTS Root R1-R4 in 2021, ...; docs/nss-history.md lists them all). :func:`same_ca` gives the certificates of one
identity and :func:`ca_distrust_events` the actions on any of them: a distrust-after set on one certificate of a CA
applies to the CA.

Dates are NSS *commit* dates (UTC days): the day the change landed in NSS, not the day a Firefox release shipped it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pandas as pd

from analysis.config import DATA_DIR
from analysis.nss import TRUSTED_DELEGATOR

NSS_DATA_DIR = DATA_DIR / "nss"
EVENTS_CSV = NSS_DATA_DIR / "nss_root_events.csv"
TIMELINE_CSV = NSS_DATA_DIR / "nss_root_timeline.csv"
VERSIONS_CSV = NSS_DATA_DIR / "nss_certdata_versions.csv"

STATE_FIELDS = ["server", "email", "codesign", "server_distrust_after", "email_distrust_after"]

# Distrust actions worth labelling on the history figure, by Bugzilla bug number: (caption, regex on the root label
# selecting the roots the caption is about, or None for all the bug's distrust events). Dates and root counts come
# from the data (nss_root_events.csv); only the short captions are written here.
NOTABLE_BUGS: dict[int, tuple[str, str | None]] = {
    682927: ("DigiNotar removed", None),
    1380941: ("CNNIC removed", r"CNNIC|China Internet"),
    1408080: ("WoSign/StartCom removed", r"WoSign|StartCom|\u6c83\u901a"),
    1552374: ("Certinomis removed", None),
    1618404: ("Symantec distrust-after", None),
    1670769: ("Symantec roots removed", None),
    1803453: ("TrustCor distrust-after", None),
    1822936: ("E-Tugra removed", None),
    1922387: ("Entrust distrust-after", None),
    1974299: ("Chunghwa ePKI distrust-after", None),
}

DISTRUST_KINDS = (
    "removed",                     # the root left certdata.txt, and no certificate of the same CA stayed trusted
    "server_trust_removed",        # CKA_TRUST_SERVER_AUTH went from TRUSTED_DELEGATOR to anything else
    "server_distrust_after_set",   # CKA_NSS_SERVER_DISTRUST_AFTER set or changed to a date
    "email_distrust_after_set",    # CKA_NSS_EMAIL_DISTRUST_AFTER set or changed to a date
)
# Not a distrust: the certificate left certdata.txt while a re-issue of it (same subject name and public key, trusted
# for the same purposes) stayed. distrust_events() lists these too, so a report can say why it is not a removal.
REISSUED = "reissued"

# Trust values are known from the first version on: analysis.nss reads the CKT_NETSCAPE_* spelling used before NSS
# commit 10d545fc8481 (2011-04-13) too. (An earlier, copied version of the tables did not, and had this at
# 2011-04-13.) Kept for callers that treat states before this date as unknown.
TRUST_VALUES_KNOWN_FROM = pd.Timestamp("2000-03-31")

_EXPIRY_WORDS = re.compile(r"expir|replace", re.IGNORECASE)


def _bug_number(subject: str) -> int | None:
    m = re.search(r"Bug\s*(\d+)", subject or "", re.IGNORECASE)
    return int(m.group(1)) if m else None


def _split_state(value) -> list:
    parts = (value if isinstance(value, str) and value else ";;;;").split(";")
    parts += [""] * (5 - len(parts))
    return [p or None for p in parts[:5]]


def _utc(series: pd.Series) -> pd.Series:
    """ISO strings with ``Z`` -> naive datetime64[ns] holding UTC (docs/design.md)."""
    return pd.to_datetime(series, utc=True).dt.tz_localize(None).astype("datetime64[ns]")


def load_versions() -> pd.DataFrame:
    """One row per certdata.txt version: ``date``, ``nss_commit``, ``certificates``, ``server_trusted``.

    Read once per process; each call returns a copy.
    """
    return _load_versions().copy()


@functools.cache
def _load_versions() -> pd.DataFrame:
    v = pd.read_csv(VERSIONS_CSV, dtype={"nss_commit": str})
    v = v.rename(columns={"objects_with_certificates": "certificates",
                          "server_auth_trusted_delegator_count": "server_trusted"})
    v["date"] = pd.to_datetime(v["date"]).astype("datetime64[ns]")
    return v


def load_events() -> pd.DataFrame:
    """nss_root_events.csv with the before/after states split into columns and dates parsed.

    Columns: date, nss_commit, commit_subject, bug, event (added/removed/reissued/changed), sha256, label,
    reissued_as (the successor's SHA-256 for ``reissued``, ``;``-separated when several, else empty),
    same_ca_kept (for removed/reissued: every other certificate of the same CA still in the file, trusted or not), and
    ``before_<field>`` / ``after_<field>`` for server, email, codesign (trust values), server_distrust_after,
    email_distrust_after (datetime64, NaT when unset).

    Read once per process; each call returns a copy.
    """
    return _load_events().copy()


@functools.cache
def _load_events() -> pd.DataFrame:
    raw = pd.read_csv(EVENTS_CSV, dtype=str, keep_default_na=False)
    raw.columns = ["date", "nss_commit", "commit_subject", "event", "sha256", "label", "before", "after",
                   "reissued_as", "same_ca_kept"]
    out = raw[["date", "nss_commit", "commit_subject", "event", "sha256", "label", "reissued_as",
               "same_ca_kept"]].copy()
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["bug"] = out["commit_subject"].map(_bug_number).astype("Int64")
    for side in ("before", "after"):
        states = pd.DataFrame(raw[side].map(_split_state).tolist(), columns=STATE_FIELDS, index=raw.index)
        for f in STATE_FIELDS:
            col = f"{side}_{f}"
            out[col] = _utc(states[f]) if f.endswith("distrust_after") else states[f]
    return out


def load_timeline() -> pd.DataFrame:
    """nss_root_timeline.csv, one row per certificate ever in certdata.txt, dates parsed (naive UTC).

    Read once per process; each call returns a copy.
    """
    return _load_timeline().copy()


@functools.cache
def _load_timeline() -> pd.DataFrame:
    t = pd.read_csv(TIMELINE_CSV, dtype=str, keep_default_na=False).replace({"": None})
    for col in ("not_before", "not_after", "last_server_distrust_after", "last_email_distrust_after"):
        t[col] = _utc(t[col])
    for col in ("first_added_date", "removed_date"):
        t[col] = pd.to_datetime(t[col]).astype("datetime64[ns]")
    return t


def distrust_events(events: pd.DataFrame | None = None, timeline: pd.DataFrame | None = None) -> pd.DataFrame:
    """Past distrust events in Mozilla's root store, one row per root and action, and the re-issues.

    ``kind`` is one of :data:`DISTRUST_KINDS`, or :data:`REISSUED` (not a distrust: the certificate was replaced by
    a re-issue of the same CA, ``reissued_as``). Columns: date, kind, sha256, label, distrust_after (for the
    ``*_distrust_after_set`` kinds), was_server_trusted (server trust bit before the change), root_not_after,
    expired_at_change (root already past notAfter on that day), routine (commit subject says expired/replaced, or
    the root had expired: housekeeping rather than a distrust decision), bug, nss_commit, commit_subject,
    reissued_as, and the CA identity: subject_name (crt.sh's format) and spki_sha256.
    """
    e = load_events() if events is None else events
    t = load_timeline() if timeline is None else timeline
    common = ["date", "sha256", "label", "bug", "nss_commit", "commit_subject"]
    frames = []

    for event in ("removed", REISSUED):
        gone = e[e["event"] == event].copy()
        gone["kind"] = event
        gone["distrust_after"] = pd.NaT
        frames.append(gone)

    changed = e[e["event"] == "changed"]
    trust_off = changed[(changed["before_server"] == TRUSTED_DELEGATOR)
                        & (changed["after_server"] != TRUSTED_DELEGATOR)].copy()
    trust_off["kind"] = "server_trust_removed"
    trust_off["distrust_after"] = pd.NaT
    frames.append(trust_off)

    for purpose in ("server", "email"):
        b, a = changed[f"before_{purpose}_distrust_after"], changed[f"after_{purpose}_distrust_after"]
        # Set, or changed to a different date (NaT != NaT is True in pandas, so require a.notna()).
        da = changed[a.notna() & ((b != a) | b.isna())].copy()
        da["kind"] = f"{purpose}_distrust_after_set"
        da["distrust_after"] = da[f"after_{purpose}_distrust_after"]
        frames.append(da)

    out = pd.concat(frames, ignore_index=True)
    out["was_server_trusted"] = (out["before_server"] == TRUSTED_DELEGATOR).astype("boolean")
    out.loc[out["before_server"].isna() & (out["date"] < TRUST_VALUES_KNOWN_FROM), "was_server_trusted"] = pd.NA
    out = out.merge(t[["sha256", "not_after", "subject_name", "spki_sha256"]]
                    .rename(columns={"not_after": "root_not_after"}), on="sha256", how="left")
    out["expired_at_change"] = out["root_not_after"] <= out["date"]
    out["routine"] = out["expired_at_change"] | out["commit_subject"].str.contains(_EXPIRY_WORDS)
    cols = ["date", "kind", *common[1:3], "distrust_after", "was_server_trusted", "root_not_after",
            "expired_at_change", "routine", *common[3:], "reissued_as", "subject_name", "spki_sha256"]
    return out[cols].sort_values(["date", "kind", "label"], kind="stable").reset_index(drop=True)


def root_history(sha256: str, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every recorded event (added/changed/removed/reissued) for one root certificate, oldest first."""
    e = load_events() if events is None else events
    return e[e["sha256"] == sha256.upper()].sort_values("date", kind="stable").reset_index(drop=True)


def same_ca(sha256: str, timeline: pd.DataFrame | None = None) -> list[str]:
    """Every certificate ever in certdata.txt with the same CA identity as ``sha256`` (crt.sh's ``ca`` row: subject
    name and public key), itself included, in order of first appearance. ``[sha256]`` when it was never in NSS."""
    t = load_timeline() if timeline is None else timeline
    sha = sha256.upper()
    row = t[t["sha256"] == sha]
    if row.empty:
        return [sha]
    r = row.iloc[0]
    same = t[(t["subject_name"] == r["subject_name"]) & (t["spki_sha256"] == r["spki_sha256"])]
    return list(same.sort_values("first_added_date", kind="stable")["sha256"])


def ca_distrust_events(sha256: str, events: pd.DataFrame | None = None,
                       timeline: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`distrust_events` of every certificate of ``sha256``'s CA (see :func:`same_ca`), oldest first: what
    Mozilla did to the CA, whichever certificate of it carried the action. A distrust-after set on one certificate
    of a CA applies to the CA; a re-issue shows as ``reissued``, not as a removal."""
    t = load_timeline() if timeline is None else timeline
    ev = distrust_events(events, t)
    return ev[ev["sha256"].isin(same_ca(sha256, t))].reset_index(drop=True)


def ca_history(sha256: str, events: pd.DataFrame | None = None, timeline: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`root_history` of every certificate of ``sha256``'s CA, oldest first."""
    e = load_events() if events is None else events
    members = same_ca(sha256, timeline)
    return e[e["sha256"].isin(members)].sort_values("date", kind="stable").reset_index(drop=True)


def reissues(events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The re-issues in the NSS history, by date and label: date, label, sha256 (old), reissued_as (new), bug,
    nss_commit, commit_subject."""
    e = load_events() if events is None else events
    r = e[e["event"] == REISSUED].sort_values(["date", "label"], kind="stable")
    return r[["date", "label", "sha256", "reissued_as", "bug", "nss_commit", "commit_subject"]].reset_index(drop=True)


def store_size(versions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Size of the root store after each day with changes: date, nss_commit, certificates, server_trusted.

    Several commits on one day keep the last (the file lists versions in first-parent order, oldest first).
    ``server_trusted`` is <NA> before :data:`TRUST_VALUES_KNOWN_FROM` (trust values not recorded then).
    """
    v = load_versions() if versions is None else versions
    out = v.groupby("date", sort=True).tail(1).reset_index(drop=True)
    out["server_trusted"] = out["server_trusted"].astype("Int64")
    out.loc[out["date"] < TRUST_VALUES_KNOWN_FROM, "server_trusted"] = pd.NA
    return out


def size_on(date, versions: pd.DataFrame | None = None) -> pd.Series:
    """Store size as of the end of a given (UTC) day: the last version committed on or before it."""
    s = store_size(versions)
    s = s[s["date"] <= pd.Timestamp(date)]
    if s.empty:
        raise ValueError(f"no certdata.txt version on or before {date}")
    return s.iloc[-1]


@dataclass
class HistoryFigureData:
    """Everything :func:`analysis.figures.plot_root_store_history` draws."""

    size: pd.DataFrame          # date, certificates, server_trusted (step series)
    removals: pd.DataFrame      # per date: n removed roots that were server-trusted (non-routine)
    trust_off: pd.DataFrame     # per date: n server trust bits turned off
    distrust_after: pd.DataFrame  # per date: n roots given a server distrust-after date
    notable: pd.DataFrame       # date, bug, caption, n_roots for the labelled actions
    start: pd.Timestamp
    end: pd.Timestamp
    source: str
    n_versions: int             # certdata.txt versions behind ``size``


def history_figure_data(start="2000-01-01", end="2026-12-31") -> HistoryFigureData:
    """The data for the Mozilla root store history figure (2000-2026) with distrust events marked."""
    size = store_size()
    ev = distrust_events()
    nonroutine = ev[~ev["routine"]]

    def per_day(frame):
        return frame.groupby("date").agg(n=("sha256", "nunique"),
                                         bugs=("bug", lambda b: sorted({int(x) for x in b.dropna()})))\
            .reset_index()

    removals = per_day(nonroutine[(nonroutine["kind"] == "removed")
                                  & nonroutine["was_server_trusted"].fillna(False).astype(bool)])
    trust_off = per_day(nonroutine[nonroutine["kind"] == "server_trust_removed"])
    distrust_after = per_day(ev[ev["kind"] == "server_distrust_after_set"])

    rows = []
    for bug, (caption, label_regex) in NOTABLE_BUGS.items():
        hit = ev[ev["bug"] == bug]
        if label_regex:
            hit = hit[hit["label"].str.contains(label_regex, regex=True)]
        if hit.empty:
            continue
        rows.append({"date": hit["date"].min(), "bug": bug, "caption": caption,
                     "n_roots": hit["sha256"].nunique(), "kinds": ",".join(sorted(hit["kind"].unique()))})
    notable = pd.DataFrame(rows).sort_values("date").reset_index(drop=True)
    return HistoryFigureData(
        size=size, removals=removals, trust_off=trust_off, distrust_after=distrust_after, notable=notable,
        start=pd.Timestamp(start), end=pd.Timestamp(end),
        source="Mozilla NSS certdata.txt, all versions 2000\u20132026 (github.com/nss-dev/nss)",
        n_versions=len(load_versions()),
    )
