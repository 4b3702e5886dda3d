"""Root-program actions that live outside certdata.txt: client code and program announcements.

``data/root_programs/actions.csv`` holds one row per action (see its README and docs/root-programs.md): the program,
the roots it covers, the mechanism, its cut-off as the program writes it, when clients enforced it, the exempt
intermediates, and the primary source. :func:`load_actions` reads and validates it (a bad row is a one-line
:class:`ActionsError` naming the row and column; nothing is dropped); :func:`actions_for` gives a program's actions
on one root, oldest first; :func:`exempt_ca_ids` turns an action's exceptions into the crt.sh CA ids of a
hierarchy that they cover.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

ACTIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "root_programs" / "actions.csv"
CCADB_METADATA = Path(__file__).resolve().parent.parent / "data" / "ccadb" / "ccadb_ca_certificates_metadata.csv.gz"

COLUMNS = ("action_id", "program", "ca", "roots_sha256", "mechanism", "basis", "cutoff", "effective",
           "client_release", "client_release_date", "channel", "exceptions", "source_url", "source_detail", "notes",
           "announced", "announced_source")
# Columns a file may leave out (older copies of the file): empty when absent.
OPTIONAL_COLUMNS = ("announced", "announced_source")
PROGRAMS = ("Mozilla", "Chrome", "Apple", "Microsoft")
# removal: every certificate under the root breaks when clients enforce it.
# distrust_after: trusted iff the basis (notBefore, or the earliest SCT for Chrome) <= cutoff.
# distrust_before: trusted iff notBefore >= cutoff (Symantec 2018: Firefox 60, Chrome 66, Apple).
# allowlist_existing: the certificates that existed on the cut-off stay trusted, others break (CNNIC 2015).
# name_constraint, ev_removed: vocabulary for actions that restrict names or EV status (no row uses them yet).
MECHANISMS = ("removal", "distrust_after", "distrust_before", "allowlist_existing", "name_constraint", "ev_removed")
BASES = ("not_before", "earliest_sct")
CHANNELS = ("client_code", "root_store", "announcement")
_SHA = re.compile(r"^[0-9A-F]{64}$")
_URL = re.compile(r"^https://[^\s]+$")


class ActionsError(ValueError):
    """The actions file is wrong; the message names the file, the row and the column."""


@dataclass(frozen=True)
class Action:
    action_id: str
    program: str
    ca: str
    roots: tuple[str, ...]
    mechanism: str
    basis: str | None
    cutoff: pd.Timestamp | None  # naive UTC, exactly as the program writes it
    effective: pd.Timestamp | None  # when clients enforced it (release date), None when not documented
    client_release: str | None
    client_release_date: pd.Timestamp | None
    channel: str
    exceptions: tuple[str, ...]  # "spki:HEX" (SHA-256 of the intermediate's SubjectPublicKeyInfo) or "sha256:HEX"
    source_url: str
    source_detail: str
    notes: str
    announced: pd.Timestamp | None = None  # when the program made the decision public (its date and rule)
    announced_source: str = ""  # the dated announcement (https://)

    @property
    def when(self) -> pd.Timestamp:
        """The date the action took effect: the enforcement date, else the cut-off's day."""
        if self.effective is not None:
            return self.effective
        return self.cutoff.normalize()

    @property
    def known_from(self) -> pd.Timestamp:
        """The first day an analysis could know of this action (a past day replayed, docs/trust-paths.md): its
        announcement when the file gives one, else the day it took effect (:attr:`when`)."""
        return self.announced if self.announced is not None else self.when

    @property
    def source(self) -> str:
        return f"data/root_programs/actions.csv row {self.action_id}: {self.source_url}"


def _ts(value: str, where: str, *, optional: bool) -> pd.Timestamp | None:
    if value == "":
        if optional:
            return None
        raise ActionsError(f"{where}: a date is required")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?", value):
        raise ActionsError(f"{where}: {value!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
    try:
        ts = pd.Timestamp(value)
    except ValueError as exc:
        raise ActionsError(f"{where}: {value!r} is not a real date ({exc})") from None
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def parse_rows(rows: list[dict], name: str = "actions.csv") -> list[Action]:
    """Validate rows (dicts keyed by :data:`COLUMNS`) into actions; the first fault is an :class:`ActionsError`."""
    out: list[Action] = []
    seen: set[str] = set()
    for i, raw in enumerate(rows, start=2):  # line 1 is the header
        missing = [c for c in COLUMNS if c not in raw and c not in OPTIONAL_COLUMNS]
        if missing:
            raise ActionsError(f"{name} line {i}: missing column(s) {', '.join(missing)}")
        r = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        where = f"{name} line {i} ({r['action_id'] or 'no action_id'})"
        if not r["action_id"] or r["action_id"] in seen:
            raise ActionsError(f"{where}: action_id must be present and unique")
        seen.add(r["action_id"])
        if r["program"] not in PROGRAMS:
            raise ActionsError(f"{where}: program {r['program']!r} is not one of {', '.join(PROGRAMS)}")
        if r["mechanism"] not in MECHANISMS:
            raise ActionsError(f"{where}: mechanism {r['mechanism']!r} is not one of {', '.join(MECHANISMS)}")
        if r["channel"] not in CHANNELS:
            raise ActionsError(f"{where}: channel {r['channel']!r} is not one of {', '.join(CHANNELS)}")
        if not _URL.match(r["source_url"]):
            raise ActionsError(f"{where}: source_url must be the primary source's https:// address "
                               f"(an action whose source is unknown cannot enter the file)")
        roots = tuple(s for s in r["roots_sha256"].upper().split(";") if s)
        bad = [s for s in roots if not _SHA.match(s)]
        if not roots or bad:
            raise ActionsError(f"{where}: roots_sha256 must be ';'-separated SHA-256 fingerprints (64 hex digits)"
                               + (f"; {bad[0]!r} is not one" if bad else ""))
        exceptions = tuple(s for s in r["exceptions"].split(";") if s)
        for e in exceptions:
            kind, _, value = e.partition(":")
            if kind not in ("spki", "sha256") or not _SHA.match(value.upper()):
                raise ActionsError(f"{where}: exception {e!r} must be spki:SHA256 or sha256:SHA256")
        needs_cutoff = r["mechanism"] in ("distrust_after", "distrust_before", "allowlist_existing")
        cutoff = _ts(r["cutoff"], f"{where} cutoff", optional=not needs_cutoff)
        basis = r["basis"] or None
        if needs_cutoff and basis not in BASES:
            raise ActionsError(f"{where}: basis must be one of {', '.join(BASES)} for {r['mechanism']}")
        if basis == "earliest_sct" and r["program"] != "Chrome":
            raise ActionsError(f"{where}: only Chrome judges certificates on their earliest SCT")
        effective = _ts(r["effective"], f"{where} effective", optional=needs_cutoff)
        announced = _ts(r["announced"], f"{where} announced", optional=True)
        if announced is not None and not _URL.match(r["announced_source"]):
            raise ActionsError(f"{where}: announced_source must be the dated announcement's https:// address "
                               f"(an announcement date without its source cannot enter the file)")
        out.append(Action(
            action_id=r["action_id"], program=r["program"], ca=r["ca"], roots=roots, mechanism=r["mechanism"],
            basis=basis, cutoff=cutoff, effective=effective, client_release=r["client_release"] or None,
            client_release_date=_ts(r["client_release_date"], f"{where} client_release_date", optional=True),
            channel=r["channel"], exceptions=tuple(e.lower().split(":")[0] + ":" + e.split(":")[1].upper()
                                                  for e in exceptions),
            source_url=r["source_url"], source_detail=r["source_detail"], notes=r["notes"], announced=announced,
            announced_source=r["announced_source"] if announced is not None else ""))
    return out


def load_actions(path: Path | str | None = None) -> list[Action]:
    """Every action of the file (default: the bundled ``data/root_programs/actions.csv``), validated."""
    p = Path(path) if path is not None else ACTIONS_CSV
    if path is None:
        return list(_bundled())
    return _read(p)


def _read(p: Path) -> list[Action]:
    with open(p, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or []) and c not in OPTIONAL_COLUMNS]
        if missing:
            raise ActionsError(f"{p.name}: missing column(s) {', '.join(missing)}")
        return parse_rows(list(reader), p.name)


@lru_cache(maxsize=1)
def _bundled() -> tuple[Action, ...]:
    return tuple(_read(ACTIONS_CSV))


def actions_for(program: str, root_sha256: str, actions: list[Action] | None = None) -> list[Action]:
    """``program``'s actions on the root, in the order they took effect."""
    sha = root_sha256.upper()
    found = [a for a in (actions if actions is not None else _bundled()) if a.program == program and sha in a.roots]
    return sorted(found, key=lambda a: a.when)


@lru_cache(maxsize=1)
def _certificates_by_spki() -> dict[str, frozenset[str]]:
    """CCADB: SPKI SHA-256 -> SHA-256 of every CA certificate with that key."""
    out: dict[str, set[str]] = {}
    with gzip.open(CCADB_METADATA, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["spki_sha256"].upper(), set()).add(row["sha256"].upper())
    return {k: frozenset(v) for k, v in out.items()}


def exempt_certificates(action: Action) -> frozenset[str]:
    """The CA certificate SHA-256s an action's exceptions name (an SPKI covers every CCADB certificate of that
    key: the clients compare keys)."""
    spki = _certificates_by_spki()
    out: set[str] = set()
    for e in action.exceptions:
        kind, value = e.split(":")
        out |= set(spki.get(value, ())) if kind == "spki" else {value}
    return frozenset(out)


def exempt_ca_ids(action: Action, hierarchy: pd.DataFrame | None) -> frozenset[int]:
    """crt.sh CA ids of ``hierarchy`` (query ``ca_hierarchy``: ``ca_id``, ``sha256``, ``path``) whose chain goes
    through an exempt intermediate: a CA with an exempt certificate, and every CA below it (the clients exempt a
    chain when any of its intermediates is exempt)."""
    if not action.exceptions or hierarchy is None or not len(hierarchy):
        return frozenset()
    certs = exempt_certificates(action)
    sha = hierarchy["sha256"].astype(str).str.upper()
    direct = set(int(c) for c in hierarchy.loc[sha.isin(certs), "ca_id"])
    if not direct:
        return frozenset()
    out = set(direct)
    if "path" in hierarchy:
        for ca_id, path in zip(hierarchy["ca_id"], hierarchy["path"]):
            if path is not None and any(int(p) in direct for p in list(path)):
                out.add(int(ca_id))
    return frozenset(out)
