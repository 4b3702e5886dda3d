"""Presets: what a root program *actually did* to a root, as a policy object with its provenance.

A report puts "Mozilla's actual rule" next to the proposals it compares. A :class:`Preset` holds the mechanism,
its dates, and where that comes from (source + date + reference); :meth:`Preset.policy` builds the matching
:mod:`analysis.policies` object (``Removal(date)`` or ``DistrustAfter(date, basis=..., dates_only=...)``,
docs/design.md), imported lazily so this module works without it.

Two sources:

* **Mozilla** -- the NSS certdata.txt history (data/nss, :mod:`analysis.rootstore`): a removal, a server trust bit
  turned off, or a ``CKA_NSS_SERVER_DISTRUST_AFTER`` date. Dates are NSS *commit* dates; Firefox ships them in a
  later release. Where the bundled sources name that release it is attached (``client_release``), otherwise the
  preset says the date is the NSS date. Actions Firefox implemented in code rather than in certdata.txt (e.g. the
  2018 Symantec distrust in PSM) are not visible in this history.
* **crt.sh ``root_trust_purpose``** (when connected) -- per root, trust context and purpose:
  ``NOTBEFORE_UNTIL`` (certificates with a later notBefore -- for Chrome, a later earliest SCT -- are not trusted) and
  ``DISABLED_FROM`` (the root is disabled from that date). :func:`presets_from_root_trust_purpose` turns rows into
  presets: Chrome -> ``DistrustAfter(basis="earliest_sct")`` (Chrome Root Store ``sct_not_after``); Apple, Microsoft
  "NotBefore", Mozilla -> ``DistrustAfter(basis="not_before")``; Java -> ``DistrustAfter(dates_only=True)``
  (``CADistrustPolicy`` compares UTC dates); ``DISABLED_FROM`` (Microsoft "Disable") -> ``Removal``.

Somewhat over 500 lines: one job (what each root program did, as presets), read from three sources -- the NSS
history, crt.sh's trust rows and the actions file -- whose reconciliation belongs together.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

# crt.sh trust_context.ID -> root program (crt.sh's trust_context table).
TRUST_CONTEXTS: dict[int, str] = {1: "Microsoft", 5: "Mozilla", 6: "Chrome", 12: "Apple", 23: "Java"}
SERVER_AUTHENTICATION = 1  # crt.sh trust_purpose.ID for Server Authentication (EKU 1.3.6.1.5.5.7.3.1)
EMAIL_PROTECTION = 3       # crt.sh trust_purpose.ID for Secure Email (EKU 1.3.6.1.5.5.7.3.4)

# The one NSS change -> Firefox release mapping the bundled sources document. Key: NSS commit (12 hex).
# Source: Mozilla Bug 1552374 (data/root_programs/actions.csv row mozilla-certinomis-ff69): Certinomis removed
# 2019-06-04 (NSS 3.45, Firefox 69, released 2019-09-03). Other NSS changes: the NSS commit date is returned and the
# preset says so (a commit subject naming the release, e.g. "... in FF 141", is picked up without a date).
FIREFOX_RELEASES: dict[str, dict[str, str]] = {
    "311ccf25bcf9": {"nss": "NSS 3.45", "release": "Firefox 69", "date": "2019-09-03",
                     "source": "Firefox 69 release, 2019-09-03"},
}

MOZILLA_SOURCE = "Mozilla NSS certdata.txt history (github.com/nss-dev/nss, lib/ckfw/builtins/certdata.txt)"
CRTSH_SOURCE = "crt.sh root_trust_purpose"

MECHANISMS = ("removal", "server_trust_removed", "distrust_after", "disabled", "distrust_before", "allowlist_existing")


@dataclass(frozen=True)
class Provenance:
    """Where a preset comes from: ``source`` (data set), ``date`` (when the program made the change, or the
    snapshot date), ``reference`` (commit + bug, or table row), ``note`` (caveats)."""

    source: str
    date: pd.Timestamp | None
    reference: str
    note: str = ""

    def __str__(self) -> str:
        d = f", {self.date:%Y-%m-%d}" if self.date is not None and not pd.isna(self.date) else ""
        n = f" ({self.note})" if self.note else ""
        return f"{self.source}{d}: {self.reference}{n}"


@dataclass(frozen=True)
class Preset:
    """What root program ``program`` did to root ``root_sha256`` for ``purpose``.

    ``mechanism``: ``removal`` (root removed), ``server_trust_removed`` (trust bit off -- same effect for TLS),
    ``distrust_after`` (certificates after ``date`` untrusted, by ``basis``), ``disabled`` (Microsoft DISABLED_FROM).
    ``date``: the removal date, or the distrust-after cutoff. ``effective``: when clients enforce it (for Mozilla,
    the NSS commit that set it -- a distrust-after can be set after its own cutoff, e.g. Symantec 2018 dates set in
    2020). ``client_release``/``client_release_date``: the browser release that shipped it, when documented.
    """

    program: str
    root_sha256: str
    mechanism: str
    date: pd.Timestamp
    provenance: Provenance
    root_label: str | None = None
    purpose: str = "server"
    basis: str | None = None
    dates_only: bool = False
    effective: pd.Timestamp | None = None
    client_release: str | None = None
    client_release_date: pd.Timestamp | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    exceptions: tuple[str, ...] = ()  # exempt intermediates ("spki:HEX" / "sha256:HEX"), see analysis.root_programs
    action_id: str | None = None  # the data/root_programs/actions.csv row, when it comes from there
    announced: pd.Timestamp | None = None  # when the program made it public, when a dated announcement is known

    @property
    def known_from(self) -> pd.Timestamp:
        """The first day an analysis could know of this action (a replayed past day, docs/trust-paths.md): its
        announcement, else the day the change itself was made public (``effective``: the program's notice; the
        NSS commit, ``provenance.date``), else the client release, else its own date. A crt.sh
        ``root_trust_purpose`` row has no such date (its ``provenance.date`` is when it was read): its own date
        (``disabled_from``, ``notbefore_until``) stands in."""
        made_public = self.provenance.date if self.provenance.source != CRTSH_SOURCE else None
        for when in (self.announced, self.effective, made_public, self.client_release_date, self.date):
            if when is not None and not pd.isna(when):
                return pd.Timestamp(when).normalize()
        raise ValueError(f"{self.program} action on {self.root_sha256[:16]}… has no date")

    def policy(self, *, at_client_release: bool = False, hierarchy: pd.DataFrame | None = None):
        """The :mod:`analysis.policies` object for this preset (imported lazily).

        ``at_client_release=True`` uses the documented browser release date instead of the NSS date for removals
        (and as the enforcement date of a distrust-after), when there is one. ``hierarchy`` (crt.sh
        ``ca_hierarchy`` rows) resolves the exempt intermediates to CA ids: certificates issued at or below them
        are not affected (:class:`analysis.policies.Exempt`). Every reason names this action, its date and source.
        """
        from analysis import policies  # lazy: written alongside this module

        when = self.client_release_date if (at_client_release and self.client_release_date is not None) else None
        if self.mechanism == "disabled" and when is None and self.effective is not None:
            # the root store's own date (DISABLED_FROM) may come before the store reached clients
            when = max(pd.Timestamp(self.effective), self.date)
        if self.mechanism in ("removal", "server_trust_removed", "disabled"):
            base = policies.Removal(when if when is not None else self.date)
        elif self.mechanism in ("distrust_after", "allowlist_existing"):
            kwargs = {"basis": self.basis or "not_before", "dates_only": self.dates_only}
            effective = when if when is not None else self.effective
            if effective is not None and "effective" in inspect.signature(policies.DistrustAfter).parameters:
                kwargs["effective"] = max(pd.Timestamp(effective), self.date)
            base = policies.DistrustAfter(self.date, **kwargs)
        elif self.mechanism == "distrust_before":
            effective = when if when is not None else self.effective
            base = policies.DistrustBefore(self.date, effective=max(pd.Timestamp(effective), self.date)
                                           if effective is not None else None)
        else:
            raise ValueError(f"unknown mechanism {self.mechanism!r}")
        if self.exceptions:
            from analysis import root_programs

            action = next(a for a in root_programs.load_actions() if a.action_id == self.action_id)
            exempt = root_programs.exempt_ca_ids(action, hierarchy)
            base = policies.Exempt(base, exempt, f"one of the {len(self.exceptions)} intermediate keys the "
                                                 f"action exempts")
        return policies.Cited(base, self.citation)

    @property
    def citation(self) -> str:
        """The action, its date and its source, in a few words (what every verdict's reason ends with)."""
        shipped = f"{self.client_release}, " if self.client_release else ""
        when = self.client_release_date if self.client_release_date is not None else (
            self.effective if self.mechanism in ("distrust_after", "distrust_before", "allowlist_existing", "disabled")
            and self.effective is not None else self.date)
        return f"{self.program} {self.mechanism.replace('_', '-')}, {shipped}{when:%Y-%m-%d} [{self.provenance}]"

    @property
    def description(self) -> str:
        """One line for a report: "Mozilla's actual rule: ..."."""
        d = f"{self.date:%Y-%m-%d}"
        if self.mechanism == "removal":
            what = f"removed the root on {d}"
        elif self.mechanism == "server_trust_removed":
            what = f"turned off the root's {self.purpose} trust bit on {d}"
        elif self.mechanism == "disabled":
            what = (f"disabled the root from {d}" if self.date != pd.Timestamp.min.ceil("D")
                    else "disabled the root for all time (DISABLED_FROM '-infinity')")
            if self.effective is not None and not pd.isna(self.effective) and self.effective > self.date:
                what += f" (deployed {self.effective:%Y-%m-%d})"
        elif self.mechanism == "distrust_before":
            what = f"distrusts {self.purpose} certificates whose notBefore is before {self.date:%Y-%m-%d %H:%M:%S}"
        elif self.mechanism == "allowlist_existing":
            what = (f"kept only the {self.purpose} certificates that existed on {self.date:%Y-%m-%d %H:%M:%S} "
                    f"(allowlist of existing certificates, modelled on notBefore)")
        else:
            field_name = {"not_before": "notBefore", "earliest_sct": "earliest SCT"}[self.basis or "not_before"]
            only = " (UTC dates only)" if self.dates_only else ""
            what = (f"distrusts {self.purpose} certificates whose {field_name} is after "
                    f"{self.date:%Y-%m-%d %H:%M:%S}{only}")
            if self.effective is not None and not pd.isna(self.effective):
                what += f" (set {self.effective:%Y-%m-%d})"
        shipped = ""
        if self.client_release:
            rd = f", released {self.client_release_date:%Y-%m-%d}" if self.client_release_date is not None else ""
            shipped = f"; shipped in {self.client_release}{rd}"
        elif self.program == "Mozilla" and self.provenance.source == MOZILLA_SOURCE:
            shipped = "; date is the NSS commit, Firefox shipped it later"
        if self.exceptions:
            what += f", except chains through {len(self.exceptions)} exempt intermediate key(s)"
        if self.action_id and self.mechanism in ("removal", "disabled") and self.client_release_date is None:
            what = what.replace(f"on {d}", f"from {d}")
        return f"{self.program}'s actual rule: {what}{shipped} [{self.provenance}]"


# ----------------------------------------------------------------------------------------------------------------
# Mozilla, from the NSS history
# ----------------------------------------------------------------------------------------------------------------

def _firefox_release(nss_commit: str, subject: str) -> tuple[str | None, pd.Timestamp | None, str]:
    known = FIREFOX_RELEASES.get(nss_commit)
    if known:
        return (known["release"], pd.Timestamp(known["date"]),
                f"{known['nss']} -> {known['release']} ({known['source']})")
    m = re.search(r"\b(?:FF|Firefox)\s*(\d{2,3})\b", subject or "")
    if m:
        return f"Firefox {m.group(1)}", None, "release named in the commit subject; release date not in bundled data"
    return None, None, "date is the NSS commit date; Firefox release not in bundled data"


def mozilla_presets(root_sha256: str, purpose: str = "server", events: pd.DataFrame | None = None) -> list[Preset]:
    """Every distrust action Mozilla took on a root for ``purpose`` ("server" or "email"), oldest first.

    From the NSS history (:func:`analysis.rootstore.distrust_events`): a distrust-after date being set, the trust
    bit being turned off, the root being removed while still trusted for that purpose (the derived history knows the
    trust bits of every version, both spellings). Empty when Mozilla never acted (or the root was never in NSS).
    ``extra['superseded']`` marks an action later undone -- e.g. Chunghwa ePKI: server trust bit off on 2025-06-12,
    turned back on with a distrust-after on 2025-06-26 (Bug 1974299 "convert ... removal to a distrust after").
    ``extra['routine']`` marks expiry clean-ups.
    """
    from analysis import rootstore

    if purpose not in ("server", "email"):
        raise ValueError("purpose must be 'server' or 'email'")
    # The CA, not the certificate: crt.sh groups a root's re-issues (same subject and key) into one CA, and an action
    # on any certificate of that CA applies to it (a re-issue is not a removal).
    rows = rootstore.ca_distrust_events(root_sha256, events)
    history = rootstore.ca_history(root_sha256, events)
    # Days on which the purpose's trust bit went back to TRUSTED_DELEGATOR (an earlier action was undone).
    restored = history[(history["event"] == "changed")
                       & (history[f"before_{purpose}"] != "CKT_NSS_TRUSTED_DELEGATOR")
                       & (history[f"after_{purpose}"] == "CKT_NSS_TRUSTED_DELEGATOR")
                       & history[f"before_{purpose}"].notna()]["date"]
    out: list[Preset] = []
    for _, r in rows.iterrows():
        kind = r["kind"]
        if kind == f"{purpose}_distrust_after_set":
            mechanism, date, basis = "distrust_after", r["distrust_after"], "not_before"
        elif kind == f"{purpose}_trust_removed" or (kind == "server_trust_removed" and purpose == "server"):
            mechanism, date, basis = "server_trust_removed", r["date"], None
        elif kind == "removed":
            before = history[(history["date"] == r["date"]) & (history["event"] == "removed")
                             & (history["sha256"] == r["sha256"])]
            state = before[f"before_{purpose}"].iloc[0] if len(before) else None
            if state != "CKT_NSS_TRUSTED_DELEGATOR":
                continue  # not trusted for this purpose any more: the removal changed nothing for it
            mechanism, date, basis = "removal", r["date"], None
        else:
            continue
        release, release_date, note = _firefox_release(r["nss_commit"], r["commit_subject"])
        prov = Provenance(MOZILLA_SOURCE, r["date"], f"NSS {r['nss_commit']}: {r['commit_subject']}",
                          note)
        superseded = mechanism == "server_trust_removed" and bool((restored > r["date"]).any())
        out.append(Preset(
            program="Mozilla", root_sha256=r["sha256"], root_label=r["label"], mechanism=mechanism,
            date=pd.Timestamp(date), provenance=prov, purpose=purpose, basis=basis,
            effective=r["date"] if mechanism == "distrust_after" else None,
            client_release=release, client_release_date=release_date,
            extra={"routine": bool(r["routine"]), "superseded": superseded,
                   "bug": None if pd.isna(r["bug"]) else int(r["bug"]), "nss_commit": r["nss_commit"]},
        ))
    return out


def mozilla_preset(root_sha256: str, purpose: str = "server", events: pd.DataFrame | None = None) -> Preset | None:
    """The decisive Mozilla action on a root: the first distrust-after, trust-bit removal or removal that was not
    later undone (see :func:`mozilla_presets`). ``None`` when Mozilla never acted on it."""
    presets = [p for p in mozilla_presets(root_sha256, purpose, events) if not p.extra.get("superseded")]
    return presets[0] if presets else None


def combined_policy(presets: Iterable[Preset], **policy_kw):
    """All of a root's presets as one policy (``Compose``): e.g. Symantec's distrust-after then removal."""
    from analysis import policies

    objs = [p.policy(**policy_kw) for p in presets]
    if not objs:
        raise ValueError("no presets")
    return objs[0] if len(objs) == 1 else policies.Compose(*objs)


# ----------------------------------------------------------------------------------------------------------------
# crt.sh root_trust_purpose
# ----------------------------------------------------------------------------------------------------------------

def _rows(rows) -> list[dict]:
    if isinstance(rows, pd.DataFrame):
        records = rows.to_dict("records")
    else:
        records = [dict(r) for r in rows]
    return [{str(k).lower(): v for k, v in r.items()} for r in records]


def _ts(value) -> pd.Timestamp | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str) and value.strip().lower() in ("-infinity", "-inf"):
        return pd.Timestamp.min.ceil("D")  # crt.sh's "disabled since always" (Microsoft DISABLED_FROM '-infinity')
    ts = pd.Timestamp(value)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def presets_from_root_trust_purpose(rows, *, sha256_by_certificate_id: Mapping[int, str] | None = None,
                                    purpose_id: int = SERVER_AUTHENTICATION,
                                    contexts: Mapping[int, str] = TRUST_CONTEXTS,
                                    queried_at=None) -> list[Preset]:
    """Turn crt.sh ``root_trust_purpose`` rows into presets.

    ``rows``: a DataFrame or dicts with ``certificate_id``, ``trust_context_id``, ``trust_purpose_id``,
    ``disabled_from``, ``notbefore_until`` (any case). Only ``purpose_id`` (default 1, Server Authentication) and the
    trust contexts in ``contexts`` (Microsoft 1, Mozilla 5, Chrome 6, Apple 12, Java 23) are used. A row with
    ``notbefore_until`` gives a ``distrust_after`` preset, one with ``disabled_from`` a ``disabled`` preset (both
    when both are set); a row with neither (plain trust) gives none. ``sha256_by_certificate_id`` maps crt.sh
    ids to root SHA-256 (else the preset carries ``crtsh:<id>``). ``queried_at``: when the rows were read.
    """
    out: list[Preset] = []
    when = _ts(queried_at)
    for r in _rows(rows):
        if int(r["trust_purpose_id"]) != purpose_id:
            continue
        ctx = int(r["trust_context_id"])
        program = contexts.get(ctx)
        if program is None:
            continue
        cid = int(r["certificate_id"])
        sha = (sha256_by_certificate_id or {}).get(cid) or f"crtsh:{cid}"
        purpose = "server" if purpose_id == SERVER_AUTHENTICATION else f"purpose {purpose_id}"
        ref = (f"root_trust_purpose certificate_id={cid}, trust_context_id={ctx} ({program}), "
               f"trust_purpose_id={purpose_id}")
        nbu, dis = _ts(r.get("notbefore_until")), _ts(r.get("disabled_from"))
        if nbu is not None:
            if program == "Chrome":
                basis, dates_only = "earliest_sct", False
                note = "Chrome Root Store sct_not_after (crt.sh proxy: earliest CT entry)"
            elif program == "Java":
                basis, dates_only, note = "not_before", True, "Java CADistrustPolicy compares UTC dates"
            elif program == "Microsoft":
                basis, dates_only, note = "not_before", False, "Microsoft NotBefore"
            else:
                basis, dates_only, note = "not_before", False, f"{program} distrust-after on notBefore"
            out.append(Preset(program=program, root_sha256=sha, mechanism="distrust_after", date=nbu,
                              provenance=Provenance(CRTSH_SOURCE, when, ref + ", notbefore_until", note),
                              purpose=purpose, basis=basis, dates_only=dates_only,
                              extra={"certificate_id": cid, "trust_context_id": ctx}))
        if dis is not None:
            out.append(Preset(program=program, root_sha256=sha, mechanism="disabled", date=dis,
                              provenance=Provenance(CRTSH_SOURCE, when, ref + ", disabled_from",
                                                    "Microsoft 'Disable'" if program == "Microsoft" else ""),
                              purpose=purpose, extra={"certificate_id": cid, "trust_context_id": ctx}))
    return out


# ----------------------------------------------------------------------------------------------------------------
# Every program: the bundled actions file, crt.sh root_trust_purpose, and the NSS history for Mozilla
# ----------------------------------------------------------------------------------------------------------------

PROGRAMS = ("Mozilla", "Chrome", "Apple", "Microsoft")
BUNDLED_SOURCE = "bundled data/root_programs/actions.csv"


def preset_from_action(action, root_sha256: str) -> Preset:
    """A :class:`Preset` for one row of ``data/root_programs/actions.csv`` on one of its roots."""
    mechanism = action.mechanism
    if mechanism not in ("removal", "distrust_after", "distrust_before", "allowlist_existing"):
        raise ValueError(f"action {action.action_id}: mechanism {mechanism} is not applied to certificates yet")
    date = action.when if mechanism == "removal" else action.cutoff
    # The row's notes and source detail stay in the file (the row id leads there); the line cites the source.
    prov = Provenance(f"{BUNDLED_SOURCE} row {action.action_id}", action.when, action.source_url)
    return Preset(program=action.program, root_sha256=root_sha256.upper(), mechanism=mechanism, date=date,
                  provenance=prov, basis=action.basis, effective=action.effective,
                  client_release=action.client_release, client_release_date=action.client_release_date,
                  exceptions=action.exceptions, action_id=action.action_id, announced=action.announced,
                  extra={"channel": action.channel, "ca": action.ca, "source_detail": action.source_detail})


def _same_action(p: Preset, q: Preset) -> bool:
    """Whether two presets are the same decision seen in two sources (NSS history and the actions file)."""
    removal = ("removal", "server_trust_removed", "disabled")
    if p.mechanism in removal and q.mechanism in removal:
        return True
    return p.mechanism == q.mechanism and p.date.normalize() == q.date.normalize()


def _deployed(p: Preset, actions) -> Preset:
    """A crt.sh ``root_trust_purpose`` row carries the date written in the root store (Microsoft's authroot.stl:
    ``DISABLED_FROM``, ``NotBefore``), not the day that store reached clients. When the actions file holds the same
    decision (same mechanism, same cut-off day) with its deployment date, the preset gets it as ``effective``, so a
    root disabled "from 2019-02-01" by a store deployed on 2019-03-05 breaks certificates from 2019-03-05, as the same
    action read from the file does (docs/root-programs.md, "Dates")."""
    kind = {"disabled": "removal", "distrust_after": "distrust_after"}.get(p.mechanism)
    for a in actions:
        if (a.mechanism == kind and a.channel != "client_code" and a.effective is not None and a.cutoff is not None
                and pd.Timestamp(a.cutoff).normalize() == p.date.normalize()):
            return replace(p, effective=pd.Timestamp(a.effective))
    return p


def program_presets(program: str, root_sha256: str, *, trust: pd.DataFrame | None = None,
                    sha256_by_certificate_id: Mapping[int, str] | None = None,
                    events: pd.DataFrame | None = None) -> tuple[list[Preset], str]:
    """Everything ``program`` did to the root (server authentication), oldest first, and which source gave it.

    Source order: crt.sh ``root_trust_purpose`` rows (``trust``, when connected) that record a distrust for this
    program; otherwise the bundled files (the NSS history for Mozilla, ``data/root_programs/actions.csv`` for the
    announcements and root-store changes of the others). Actions that live in client code (Firefox's Symantec and
    WoSign/StartCom code, Chrome's Symantec code) are in no root store, so they are always added from the actions
    file. A root-store row of the actions file that repeats an NSS history action is not counted twice.
    """
    from analysis import root_programs

    if program not in PROGRAMS:
        raise ValueError(f"program must be one of {', '.join(PROGRAMS)}")
    sha = root_sha256.upper()
    file_actions = root_programs.actions_for(program, sha)
    actions = [preset_from_action(a, sha) for a in file_actions]
    code = [p for p in actions if p.extra["channel"] == "client_code"]
    listed = [p for p in actions if p.extra["channel"] != "client_code"]
    crtsh: list[Preset] = []
    unreadable = ""
    if trust is not None and len(trust):
        # Rows of the report's root: matched to this certificate by crt.sh id when the mapping is given, else all
        # of them (the query read them for this root's CA).
        try:
            from_crtsh = presets_from_root_trust_purpose(trust, sha256_by_certificate_id=sha256_by_certificate_id)
            crtsh = [p for p in from_crtsh
                     if p.program == program and (sha256_by_certificate_id is None or p.root_sha256 == sha)]
        except (KeyError, ValueError) as exc:  # said in the source line, never silently
            unreadable = f" (crt.sh root_trust_purpose rows unreadable: {type(exc).__name__}: {exc})"
    if crtsh:
        found, source = [_deployed(p, file_actions) for p in crtsh], CRTSH_SOURCE
    elif program == "Mozilla":
        nss = [p for p in mozilla_presets(sha, events=events) if not p.extra.get("superseded")]
        found = nss + [p for p in listed if not any(_same_action(p, q) for q in nss)]
        source = "bundled NSS certdata.txt history and " + BUNDLED_SOURCE
    else:
        found, source = listed, BUNDLED_SOURCE
    source += unreadable
    found = found + code
    return sorted(found, key=lambda p: p.client_release_date if p.client_release_date is not None
                  else (p.effective if p.effective is not None else p.date)), source


class ActualRecord(list):
    """What every program did to a report's root: a list of :class:`Preset` (all programs, each oldest first),
    plus ``sources`` (program -> the source used), ``root_sha256s``, the crt.sh ``hierarchy`` the exempt
    intermediates are resolved against, and crt.sh's ``root_trust_purpose`` rows (``trust``, with
    ``sha256_by_certificate_id``) the root stores of :mod:`analysis.trustpaths` read. ``cache`` holds what is
    built once per report from them (the CA graph, each program's store)."""

    def __init__(self, presets=(), *, sources=None, root_sha256s=(), hierarchy=None, trust=None,
                 sha256_by_certificate_id=None):
        super().__init__(presets)
        self.sources = dict(sources or {})
        self.root_sha256s = tuple(root_sha256s)
        self.hierarchy = hierarchy
        self.trust = trust
        self.sha256_by_certificate_id = dict(sha256_by_certificate_id or {})
        self.cache: dict = {}

    def of(self, program: str) -> list[Preset]:
        return [p for p in self if p.program == program]

    def lines(self) -> list[str]:
        """One line per action, and a clear line for a program that took none."""
        out = []
        for program in PROGRAMS:
            mine = self.of(program)
            src = self.sources.get(program, BUNDLED_SOURCE)
            if mine:
                out += [p.description for p in mine]
            else:
                out.append(f"{program}: no action on this root ({src}).")
        return out


def _action_key(p: Preset) -> tuple:
    """One action, whichever certificate of the root's CA it was found on (a CA's certificates share its actions:
    an actions-file row lists several of them, NSS acts on each re-issue)."""
    return (p.program, p.mechanism, p.date, p.basis, p.purpose,
            p.action_id or (p.extra or {}).get("nss_commit") or p.provenance)


def actual_record(root_sha256s: Iterable[str], *, trust: pd.DataFrame | None = None,
                  hierarchy: pd.DataFrame | None = None,
                  sha256_by_certificate_id: Mapping[int, str] | None = None) -> ActualRecord:
    """Every program's actions on a root (all of its certificates' SHA-256s), with their sources."""
    shas = [s.upper() for s in dict.fromkeys(root_sha256s)]
    presets: list[Preset] = []
    sources: dict[str, str] = {}
    for program in PROGRAMS:
        for sha in shas:
            found, source = program_presets(program, sha, trust=trust,
                                            sha256_by_certificate_id=sha256_by_certificate_id)
            presets += [p for p in found if _action_key(p) not in {_action_key(q) for q in presets}]
            sources[program] = source if program not in sources or found else sources[program]
    return ActualRecord(presets, sources=sources, root_sha256s=shas, hierarchy=hierarchy, trust=trust,
                        sha256_by_certificate_id=sha256_by_certificate_id)


def known_by(presets: Iterable[Preset], as_of) -> list[Preset]:
    """The presets an analysis run on ``as_of`` could know (:attr:`Preset.known_from` <= that day); all of them
    when ``as_of`` is None. A preset moved onto another timeline (``extra["shifted_days"]``, the demo's Entrust
    scenario) or applied to another root on purpose (``extra["transplant"]``) is a decision taken as a whole: it is
    always kept."""
    if as_of is None:
        return list(presets)
    day = pd.Timestamp(as_of).normalize()
    return [p for p in presets if "shifted_days" in p.extra or p.extra.get("transplant") or p.known_from <= day]


def actual_policy(program: str, presets: list[Preset], *, hierarchy: pd.DataFrame | None = None):
    """A program's actions on a root as one policy, in order, each with its own semantics (Compose)."""
    from analysis import policies

    objs = [p.policy(at_client_release=True, hierarchy=hierarchy) for p in presets if p.program == program]
    if not objs:
        raise ValueError(f"{program} took no action")
    return objs[0] if len(objs) == 1 else policies.Compose(*objs)


ACTUAL_LINES_HEADER = "What the root programs actually did to this root:"
