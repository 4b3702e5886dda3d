"""The Mozilla root store over time (2000-2026): additions, removals, trust-bit changes and distrust-after dates.

Source: the derived tables in ``data/nss/`` (provenance in data/nss/README.md), made from all 262 first-parent
versions of NSS ``certdata.txt``:

* ``nss_certdata_versions.csv`` -- one row per version: date, NSS commit, certificate objects, server-auth
  ``CKT_NSS_TRUSTED_DELEGATOR`` count;
* ``nss_root_events.csv`` -- one row per root and version where it was added, removed or changed, with the state
  before and after as ``server;email;codesign;server_distrust_after;email_distrust_after``;
* ``nss_root_timeline.csv`` -- one row per certificate ever in certdata.txt.

Dates are NSS *commit* dates (UTC days): the day the change landed in NSS, not the day a Firefox release shipped it.
Known gap: the derived tables read distrust-after dates from the certificate object only; the 2026-04-09 snapshot
also has one on a trust object (Izenpe.com, 2026-04-15), which :mod:`analysis.nss` finds and these tables do not.
"""

from __future__ import annotations

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
    "removed",                     # the root left certdata.txt
    "server_trust_removed",        # CKA_TRUST_SERVER_AUTH went from TRUSTED_DELEGATOR to anything else
    "server_distrust_after_set",   # CKA_NSS_SERVER_DISTRUST_AFTER set or changed to a date
    "email_distrust_after_set",    # CKA_NSS_EMAIL_DISTRUST_AFTER set or changed to a date
)

# Before NSS commit 10d545fc8481 (2011-04-13, Bug 642503) certdata.txt spelled the trust values CKT_NETSCAPE_*;
# the derived tables only recognise CKT_NSS_*, so they record no trust bits before that day (the server-trusted count
# is 0 and event states are empty). Treat trust as unknown (NA) before this date rather than as "not trusted".
TRUST_VALUES_KNOWN_FROM = pd.Timestamp("2011-04-13")

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
    """One row per certdata.txt version: ``date``, ``nss_commit``, ``certificates``, ``server_trusted``."""
    v = pd.read_csv(VERSIONS_CSV, dtype={"nss_commit": str})
    v = v.rename(columns={"objects_with_certificates": "certificates",
                          "server_auth_trusted_delegator_count": "server_trusted"})
    v["date"] = pd.to_datetime(v["date"]).astype("datetime64[ns]")
    return v


def load_events() -> pd.DataFrame:
    """nss_root_events.csv with the before/after states split into columns and dates parsed.

    Columns: date, nss_commit, commit_subject, bug, event (added/removed/changed), sha256, label, and
    ``before_<field>`` / ``after_<field>`` for server, email, codesign (trust values), server_distrust_after,
    email_distrust_after (datetime64, NaT when unset).
    """
    raw = pd.read_csv(EVENTS_CSV, dtype=str, keep_default_na=False)
    raw.columns = ["date", "nss_commit", "commit_subject", "event", "sha256", "label", "before", "after"]
    out = raw[["date", "nss_commit", "commit_subject", "event", "sha256", "label"]].copy()
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["bug"] = out["commit_subject"].map(_bug_number).astype("Int64")
    for side in ("before", "after"):
        states = pd.DataFrame(raw[side].map(_split_state).tolist(), columns=STATE_FIELDS, index=raw.index)
        for f in STATE_FIELDS:
            col = f"{side}_{f}"
            out[col] = _utc(states[f]) if f.endswith("distrust_after") else states[f]
    return out


def load_timeline() -> pd.DataFrame:
    """nss_root_timeline.csv, one row per certificate ever in certdata.txt, dates parsed (naive UTC)."""
    t = pd.read_csv(TIMELINE_CSV, dtype=str, keep_default_na=False).replace({"": None})
    for col in ("not_before", "not_after", "last_server_distrust_after", "last_email_distrust_after"):
        t[col] = _utc(t[col])
    for col in ("first_added_date", "removed_date"):
        t[col] = pd.to_datetime(t[col]).astype("datetime64[ns]")
    return t


def distrust_events(events: pd.DataFrame | None = None, timeline: pd.DataFrame | None = None) -> pd.DataFrame:
    """Past distrust events in Mozilla's root store, one row per root and action.

    ``kind`` is one of :data:`DISTRUST_KINDS`. Columns: date, kind, sha256, label, distrust_after (for the
    ``*_distrust_after_set`` kinds), was_server_trusted (server trust bit before the change), root_not_after,
    expired_at_change (root already past notAfter on that day), routine (commit subject says expired/replaced, or
    the root had expired: housekeeping rather than a distrust decision), bug, nss_commit, commit_subject.
    """
    e = load_events() if events is None else events
    t = load_timeline() if timeline is None else timeline
    common = ["date", "sha256", "label", "bug", "nss_commit", "commit_subject"]
    frames = []

    removed = e[e["event"] == "removed"].copy()
    removed["kind"] = "removed"
    removed["distrust_after"] = pd.NaT
    frames.append(removed)

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
    out = out.merge(t[["sha256", "not_after"]].rename(columns={"not_after": "root_not_after"}),
                    on="sha256", how="left")
    out["expired_at_change"] = out["root_not_after"] <= out["date"]
    out["routine"] = out["expired_at_change"] | out["commit_subject"].str.contains(_EXPIRY_WORDS)
    cols = ["date", "kind", *common[1:3], "distrust_after", "was_server_trusted", "root_not_after",
            "expired_at_change", "routine", *common[3:]]
    return out[cols].sort_values(["date", "kind", "label"], kind="stable").reset_index(drop=True)


def root_history(sha256: str, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every recorded event (added/changed/removed) for one root, oldest first."""
    e = load_events() if events is None else events
    return e[e["sha256"] == sha256.upper()].sort_values("date", kind="stable").reset_index(drop=True)


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
