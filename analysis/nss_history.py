"""Rebuild the Mozilla root-store history in ``data/nss`` from every version of NSS ``certdata.txt``.

Usage (needs a git clone or mirror of https://github.com/nss-dev/nss; nothing is downloaded)::

    python -m analysis.nss_history --git-dir /path/to/nss/.git [--out data/nss]

Every first-parent commit that changed ``lib/ckfw/builtins/certdata.txt`` (``security/nss/lib/ckfw/builtins/
certdata.txt`` before the 2013 reorganisation) is read with ``git show`` and parsed with :mod:`analysis.nss` (trust
bits in both the pre-2011 ``CKT_NETSCAPE_*`` and the ``CKT_NSS_*`` spelling, distrust-after dates from the certificate
*and* the trust object). Consecutive versions are compared certificate by certificate (SHA-256 of the DER):

* ``nss_certdata_versions.csv`` -- one row per version: date, nss_commit, objects_with_certificates,
  server_auth_trusted_delegator_count, plus email_trusted_delegator_count and placeholder_certificate_objects (the
  2000 "Test certificate" stubs without DER);
* ``nss_root_events.csv`` -- one row per certificate and version where it was ``added``, ``removed``, ``reissued``
  or ``changed`` (trust state ``server;email;codesign;server_distrust_after;email_distrust_after`` before and after;
  a label-only change is not an event; the label is the one of that version), and for a departure the certificates
  of the same CA that stayed (``same_ca_kept``) and those that carry on its trust (``reissued_as``);
* ``nss_root_timeline.csv`` -- one row per certificate ever in the file.

**A root's identity across re-issues.** A root program trusts or removes certificates; crt.sh groups certificates
into one CA (``ca`` row) by subject name and public key. A certificate that leaves the file while another
certificate of the same identity (:func:`analysis.nss.ca_identity`) stays in it, trusted as an anchor for every
purpose the old one was trusted for, is ``reissued`` (``reissued_as`` names the successor), not ``removed``: the CA
was not removed. A departure whose same-identity successor is trusted for fewer purposes, or not at all (e.g. an
explicit-distrust entry for the same key), stays a removal.

Dates are the UTC day of the NSS commit (author and committer dates are equal in the mirror).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import nss

CERTDATA_PATHS = ("lib/ckfw/builtins/certdata.txt", "security/nss/lib/ckfw/builtins/certdata.txt")
SUBJECT_CHARS = 120  # commit subjects are cut to this length in the tables
STATE_FIELDS = ("server_trust", "email_trust", "codesign_trust", "server_distrust_after", "email_distrust_after")
PURPOSES = ("server_trust", "email_trust", "codesign_trust")
STATE_HEADER = "(server;email;codesign;server_distrust_after;email_distrust_after)"

VERSION_COLUMNS = ["date", "nss_commit", "objects_with_certificates", "server_auth_trusted_delegator_count",
                   "email_trusted_delegator_count", "placeholder_certificate_objects"]
EVENT_COLUMNS = ["date", "nss_commit", "commit_subject", "event", "sha256", "label", f"before{STATE_HEADER}",
                 f"after{STATE_HEADER}", "reissued_as", "same_ca_kept"]
TIMELINE_COLUMNS = ["sha256", "sha1", "label", "subject_o", "subject_cn", "subject_c", "not_before", "not_after",
                    "first_added_date", "first_added_nss_commit", "removed_date", "removed_nss_commit",
                    "removed_commit_subject", "last_server_trust", "last_email_trust", "last_server_distrust_after",
                    "last_email_distrust_after", "subject_name", "spki_sha256", "reissued_as"]


class HistoryError(RuntimeError):
    """The git directory cannot be read as an NSS repository."""


@dataclass
class Version:
    """One certdata.txt version: the NSS commit (12 hex digits), its UTC day, its subject, the parsed file."""

    date: pd.Timestamp
    nss_commit: str
    commit_subject: str
    certdata: nss.CertData


@dataclass
class HistoryTables:
    versions: pd.DataFrame
    events: pd.DataFrame
    timeline: pd.DataFrame

    def write(self, out_dir: Path) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, frame in (("nss_certdata_versions.csv", self.versions), ("nss_root_events.csv", self.events),
                            ("nss_root_timeline.csv", self.timeline)):
            path = out_dir / name
            frame.to_csv(path, index=False, lineterminator="\n")
            paths.append(path)
        return paths


# ----------------------------------------------------------------------------------------------------------------
# Reading the versions from git
# ----------------------------------------------------------------------------------------------------------------

def _git(git_dir: Path, *args: str) -> bytes:
    try:
        return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True).stdout
    except FileNotFoundError:
        raise HistoryError("git is not installed") from None
    except subprocess.CalledProcessError as exc:
        msg = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HistoryError(f"git {' '.join(args[:2])} in {git_dir}: {msg[-1] if msg else 'failed'}") from None


def list_commits(git_dir: Path, rev: str = "HEAD") -> list[dict]:
    """The first-parent commits that changed certdata.txt, oldest first: commit (full hash), date (UTC day),
    subject."""
    fmt = "%H%x00%at%x00%s"
    out = _git(git_dir, "log", "--first-parent", f"--format={fmt}", rev, "--", *CERTDATA_PATHS)
    rows = []
    for line in out.decode("utf-8", "replace").splitlines():
        commit, epoch, subject = line.split("\x00", 2)
        day = pd.Timestamp(int(epoch), unit="s").normalize()
        rows.append({"commit": commit, "date": day, "subject": subject})
    if not rows:
        raise HistoryError(f"{git_dir}: no commit of {rev} changes {' or '.join(CERTDATA_PATHS)}; not an NSS clone?")
    return rows[::-1]


def read_certdata(git_dir: Path, commit: str) -> bytes | None:
    """certdata.txt as of ``commit`` (whichever of the two paths exists), or None when the commit deleted it."""
    listing = _git(git_dir, "ls-tree", commit, "--", *CERTDATA_PATHS).decode().split("\n")
    blobs = [line.split()[2] for line in listing if line.strip()]
    if not blobs:
        return None
    return _git(git_dir, "cat-file", "blob", blobs[0])


def git_versions(git_dir: Path, rev: str = "HEAD", progress=None) -> Iterator[Version]:
    """Every certdata.txt version of ``rev``'s first-parent history, parsed, oldest first. A commit that only
    deleted the file (the old path, in the 2013 move) is skipped when the file is not there after it."""
    for c in list_commits(git_dir, rev):
        text = read_certdata(git_dir, c["commit"])
        if text is None:
            continue
        if progress:
            progress(c)
        yield Version(c["date"], c["commit"][:12], c["subject"], nss.parse_certdata(text))


# ----------------------------------------------------------------------------------------------------------------
# Comparing versions
# ----------------------------------------------------------------------------------------------------------------

def _iso(ts) -> str:
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _state(row: pd.Series) -> str:
    """``server;email;codesign;server_distrust_after;email_distrust_after`` (empty field: not set)."""
    return ";".join(_iso(row[f]) if f.endswith("distrust_after") else _text(row[f]) for f in STATE_FIELDS)


def _trusted_purposes(row: pd.Series) -> set[str]:
    return {p for p in PURPOSES if row[p] == nss.TRUSTED_DELEGATOR}


def same_ca_kept(old: pd.Series, current: pd.DataFrame) -> tuple[list[str], list[str]]:
    """For a certificate ``old`` that left the file: (the other certificates of its CA -- same subject name and
    public key -- still in ``current``, those of them that carry on its trust). A successor carries it on when it is
    trusted as an anchor for every purpose ``old`` was trusted for; none does when ``old`` was trusted for nothing (a
    departure of an untrusted entry is a removal)."""
    wanted = _trusted_purposes(old)
    same = current[(current["subject_name"] == old["subject_name"]) & (current["spki_sha256"] == old["spki_sha256"])
                   & (current["sha256"] != old["sha256"])]
    kept = sorted(same["sha256"])
    return kept, sorted(r.sha256 for _, r in same.iterrows() if wanted and wanted <= _trusted_purposes(r))


def _index(cd: nss.CertData) -> pd.DataFrame:
    """One row per distinct certificate (a duplicate object of the same DER keeps the first, as NSS would)."""
    return cd.certificates.drop_duplicates("sha256").set_index("sha256", drop=False)


def build_tables(versions: Iterable[Version], previous: nss.CertData | None = None) -> HistoryTables:
    """Compare consecutive versions. ``previous``: the state before the first version (None: empty store), e.g.
    the parent of the first commit when only a stretch of the history is rebuilt."""
    version_rows, event_rows = [], []
    timeline: dict[str, dict] = {}
    before = _index(previous) if previous is not None else None
    for sha, row in (before.iterrows() if before is not None else ()):
        timeline[sha] = _timeline_row(row, None)  # added before the stretch rebuilt: first_added_* unknown
        _update_last(timeline[sha], row)
    for v in versions:
        cur = _index(v.certdata)
        s = v.certdata.summary()
        version_rows.append({
            "date": v.date.strftime("%Y-%m-%d"), "nss_commit": v.nss_commit,
            "objects_with_certificates": s["certificates"],
            "server_auth_trusted_delegator_count": s["server_trusted"],
            "email_trusted_delegator_count": s["email_trusted"],
            "placeholder_certificate_objects": len(v.certdata.placeholders)})
        prev = before if before is not None else cur.iloc[0:0]
        common = {"date": v.date.strftime("%Y-%m-%d"), "nss_commit": v.nss_commit,
                  "commit_subject": v.commit_subject[:SUBJECT_CHARS]}

        def event(kind, row, b, a, reissued_as="", kept="", common=common):
            event_rows.append({**common, "event": kind, "sha256": row["sha256"], "label": row["label"],
                               EVENT_COLUMNS[6]: b, EVENT_COLUMNS[7]: a, "reissued_as": reissued_as,
                               "same_ca_kept": kept})

        # File order of the new version: added and changed; then the departures in the old version's order.
        for sha, row in cur.iterrows():
            if sha not in prev.index:
                event("added", row, "", _state(row))
                t = timeline.setdefault(sha, _timeline_row(row, v))
                t.update(removed_date="", removed_nss_commit="", removed_commit_subject="", reissued_as="")
            elif _state(prev.loc[sha]) != _state(row):
                event("changed", row, _state(prev.loc[sha]), _state(row))
            _update_last(timeline[sha], row)
        for sha, row in prev.iterrows():
            if sha in cur.index:
                continue
            kept, successors = (";".join(x) for x in same_ca_kept(row, cur))
            event("reissued" if successors else "removed", row, _state(row), "", successors, kept)
            timeline[sha].update(removed_date=common["date"], removed_nss_commit=v.nss_commit,
                                 removed_commit_subject=common["commit_subject"], reissued_as=successors)
        before = cur
    return HistoryTables(
        versions=pd.DataFrame(version_rows, columns=VERSION_COLUMNS),
        events=pd.DataFrame(event_rows, columns=EVENT_COLUMNS),
        timeline=pd.DataFrame(list(timeline.values()), columns=TIMELINE_COLUMNS),
    )


def _timeline_row(row: pd.Series, v: Version | None) -> dict:
    return {"sha256": row["sha256"], "sha1": row["sha1"], "label": row["label"], "subject_o": _text(row["subject_o"]),
            "subject_cn": _text(row["subject_cn"]), "subject_c": _text(row["subject_c"]),
            "not_before": _iso(row["not_before"]), "not_after": _iso(row["not_after"]),
            "first_added_date": v.date.strftime("%Y-%m-%d") if v else "",
            "first_added_nss_commit": v.nss_commit if v else "",
            "subject_name": row["subject_name"], "spki_sha256": row["spki_sha256"]}


def _update_last(t: dict, row: pd.Series) -> None:
    t.update(label=row["label"], last_server_trust=_text(row["server_trust"]),
             last_email_trust=_text(row["email_trust"]),
             last_server_distrust_after=_iso(row["server_distrust_after"]),
             last_email_distrust_after=_iso(row["email_distrust_after"]))


# ----------------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis.nss_history", description=__doc__.split("\n\n")[0])
    ap.add_argument("--git-dir", required=True, type=Path, help="git directory of an nss-dev/nss clone or mirror")
    ap.add_argument("--rev", default="HEAD", help="the history to walk (default HEAD)")
    ap.add_argument("--out", type=Path, default=nss.NSS_DATA_DIR, help="where to write the CSVs (default data/nss)")
    args = ap.parse_args(argv)
    try:
        head = _git(args.git_dir, "rev-parse", args.rev).decode().strip()
        tables = build_tables(git_versions(args.git_dir, head))
    except (HistoryError, nss.CertdataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in tables.write(args.out):
        print(f"wrote {path}")
    v, e = tables.versions, tables.events
    print(f"{len(v)} certdata.txt versions, {v['nss_commit'].iloc[0]} ({v['date'].iloc[0]}) .. "
          f"{v['nss_commit'].iloc[-1]} ({v['date'].iloc[-1]}), {args.rev} = {head}")
    print("events: " + ", ".join(f"{k} {n}" for k, n in e["event"].value_counts().sort_index().items()))
    print(f"certificates: {len(tables.timeline)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
