"""One CA, every root program, one call: each program's actual rule (or a proposal per program) applied to the same
population, with alternate trust paths decided for that program (:mod:`analysis.trustpaths`), side by side.

:func:`compare_programs` returns a :class:`ProgramComparison`: a table with one column per program (the rule, affected
certificates, organisations, registrable domains, certificates saved by another path, first and last day of
breakage, or "not in this program's store"), and per program the number of certificates broken on each day (for
:func:`analysis.figures_programs.plot_programs`). ``as_of`` replays a past day: only the actions announced by then
(the client release, or the action's own date when none is documented), the root stores as of then, and only
certificates issued by then.

:func:`entrust_demo_record` is the demo's second scenario: each program's Entrust action, moved onto the demo's
timeline and applied to the demo root.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import policies, tables, trustpaths
from analysis import presets as presets_mod
from analysis.normalise import Normalised
from analysis.textfmt import fill, format_table

NOT_IN_STORE = "not in this program's store"
NO_ACTION = "no action"
METRICS = ("rule", "affected", "organisations", "registrable_domains", "saved_by_other_path", "breakage_starts",
           "breakage_ends")
_DAY = np.timedelta64(1, "D")


@dataclass
class ProgramComparison:
    """What :func:`compare_programs` returns.

    ``table``: rows :data:`METRICS` (column ``metric``), one column per program; a program whose store never held
    the root says :data:`NOT_IN_STORE` in every row, one that took no action (by ``as_of``) :data:`NO_ACTION` in
    ``rule`` and 0 affected. ``evaluations``: program -> :class:`analysis.tables.Evaluation` (None when not in
    the store or no action). ``series``: ``date`` and one column per program: affected certificates broken on that
    day (breaks_on <= day <= notAfter). ``notes``: program -> the rule in words with its sources.
    """

    table: pd.DataFrame
    evaluations: dict[str, tables.Evaluation | None]
    series: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)
    as_of: pd.Timestamp | None = None
    short_notes: dict[str, str] = field(default_factory=dict)

    def paths(self) -> pd.DataFrame:
        """Certificates each alternate path saved, per program: ``program``, ``category`` (``saved_by_path`` or
        ``path_ends``), ``reason`` (naming the path), ``certificates`` (:func:`analysis.trustpaths.saved_by_path`)."""
        frames = [trustpaths.saved_by_path(ev.verdicts).assign(program=p) for p, ev in self.evaluations.items()
                  if ev is not None]
        cols = ["program", "category", "reason", "certificates"]
        return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)

    def to_text(self, width: int = 72, title: str | None = None) -> str:
        """The table as plain text no wider than ``width`` (:func:`analysis.textfmt.format_table`), the rules
        below it: one paragraph per program naming its actions and their sources (:attr:`short_notes`)."""
        t = self.table[self.table["metric"] != "rule"].copy()
        t["metric"] = t["metric"].str.replace("_", " ")
        head = title or ("Every root program side by side" + (f", as known on {self.as_of:%Y-%m-%d}"
                                                                if self.as_of is not None else ""))
        body = format_table(t.astype(str), width=width, max_rows=None, title=head)
        notes = [fill(f"{p}: {self.short_notes.get(p, n)}", width, subsequent_indent="  ")
                 for p, n in self.notes.items()]
        return body + "\n" + "\n".join(notes)


def parse_programs(value: str | Iterable[str] | None) -> list[str]:
    """``"all"`` (or None/empty) -> every program; ``"mozilla,chrome"`` -> ``["Mozilla", "Chrome"]`` (any case,
    spaces ignored, duplicates dropped, order kept). An unknown name is a one-line ``ValueError`` listing the
    choices."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "all")):
        return list(presets_mod.PROGRAMS)
    items = value.split(",") if isinstance(value, str) else list(value)
    by_lower = {p.lower(): p for p in presets_mod.PROGRAMS}
    out: list[str] = []
    for item in (str(i).strip() for i in items):
        if item.lower() not in by_lower:
            raise ValueError(f"unknown root program {item!r}; choose from all, "
                             f"{', '.join(p.lower() for p in presets_mod.PROGRAMS)}")
        if by_lower[item.lower()] not in out:
            out.append(by_lower[item.lower()])
    return out


def record_for(fetched) -> presets_mod.ActualRecord:
    """Every program's actions on a fetched root (:class:`analysis.crtsh.FetchResult`: ``root``, ``hierarchy``,
    ``trust``), with the crt.sh certificate ids of the root's certificates mapped to their SHA-256 -- what
    :func:`compare_programs` takes as ``record``."""
    root = fetched.root
    if root is None or "sha256" not in root or not len(root):
        return presets_mod.ActualRecord()
    shas = [str(h).upper() for h in root["sha256"].dropna().unique()]
    ids = {int(c): str(h).upper() for c, h in zip(root.get("certificate_id", []), root["sha256"]) if pd.notna(h)}
    return presets_mod.actual_record(shas, trust=getattr(fetched, "trust", None),
                                     hierarchy=getattr(fetched, "hierarchy", None), sha256_by_certificate_id=ids)


def _in_store(program: str, roots: Iterable[str], presets: list, trust, sha_by_id, as_of) -> bool:
    """Mozilla: a certificate of the root's CA was in certdata.txt (by ``as_of``). Others: crt.sh trust rows for
    that program, or a bundled action naming the root (the bundled data has no other store's full list)."""
    roots = [r.upper() for r in roots]
    if any(p.program == program for p in presets):
        return True
    if program == "Mozilla":
        from analysis import rootstore

        t = rootstore.load_timeline()
        members = {m for r in roots for m in rootstore.same_ca(r, t)}
        added = t.loc[t["sha256"].isin(members), "first_added_date"]
        return bool(len(added)) and (as_of is None or bool((added <= as_of).any()))
    if trust is not None and len(trust):
        ctx = {v: k for k, v in presets_mod.TRUST_CONTEXTS.items()}[program]
        rows = trust[[int(c) == ctx for c in trust["trust_context_id"]]]
        ids = [int(c) for c in rows["certificate_id"]]
        return any((sha_by_id or {}).get(i, "").upper() in roots for i in ids) if sha_by_id else bool(ids)
    return False


def compare_programs(normalised: Normalised, record: presets_mod.ActualRecord | list,
                     programs: Iterable[str] | None = None,
                     *, proposals: Mapping[str, policies.Policy] | None = None, hierarchy: pd.DataFrame | None = None,
                     as_of=None, ignore_alternate_paths: bool = False, trust: pd.DataFrame | None = None,
                     sha256_by_certificate_id: Mapping[int, str] | None = None, expires_on_or_before=None,
                     issued_after=None, stores: Mapping[str, trustpaths.RootTrust] | None = None,
                     graph: trustpaths.CAGraph | None = None,
                     in_store: Mapping[str, bool] | None = None) -> ProgramComparison:
    """Apply each program's actual rule (``record``: :func:`analysis.presets.actual_record`, or a list of presets)
    or its proposal (``proposals``: program -> policy) to ``normalised``, alternate paths decided per program.

    Args:
        programs: default every program of :data:`analysis.presets.PROGRAMS`.
        hierarchy: crt.sh ``ca_hierarchy`` rows (default ``record.hierarchy``) for the CA graph and the exempt
            intermediates; the bundled CCADB table joins it (:meth:`analysis.trustpaths.CAGraph.build`).
        as_of: replay that day: actions announced by then, root stores as of then, certificates issued by then
            (the others are ``excluded_issued_after``).
        ignore_alternate_paths: today's behaviour (no path saves anything), for comparison.
        trust, sha256_by_certificate_id: crt.sh ``root_trust_purpose`` rows and their certificate ids -> SHA-256.
        expires_on_or_before, issued_after: the analysis filters (:func:`analysis.policies.classify`).
        stores: program -> :class:`analysis.trustpaths.RootTrust` (default :meth:`RootTrust.for_program`).
        graph: a prebuilt CA graph. in_store: program -> bool, overriding :func:`_in_store` (the demo's scenario).
    """
    programs = list(programs or presets_mod.PROGRAMS)
    unknown = [p for p in programs if p not in presets_mod.PROGRAMS]
    if unknown:
        raise ValueError(f"unknown program(s) {', '.join(unknown)}; choose from {', '.join(presets_mod.PROGRAMS)}")
    asof = pd.Timestamp(as_of).normalize() if as_of is not None else None
    roots = list(getattr(record, "root_sha256s", ()) or {p.root_sha256 for p in record})
    hierarchy = hierarchy if hierarchy is not None else getattr(record, "hierarchy", None)
    after = issued_after
    if asof is not None:
        after = asof if issued_after is None else min(pd.Timestamp(issued_after), asof)
    g = graph
    evaluations: dict[str, tables.Evaluation | None] = {}
    notes: dict[str, str] = {}
    short_notes: dict[str, str] = {}
    columns: dict[str, list] = {}
    for program in programs:
        mine = presets_mod.known_by([p for p in record if p.program == program], asof)
        proposal = (proposals or {}).get(program)
        stored = (in_store or {}).get(program)
        if stored is None:
            stored = _in_store(program, roots, [p for p in record if p.program == program], trust,
                               sha256_by_certificate_id, asof)
        if not stored and proposal is None:
            evaluations[program] = None
            notes[program] = f"{NOT_IN_STORE} (crt.sh trust records / bundled data)"
            columns[program] = [NOT_IN_STORE] * len(METRICS)
            continue
        if proposal is None and not mine:
            evaluations[program] = None
            when = f" announced by {asof:%Y-%m-%d}" if asof is not None else ""
            notes[program] = f"{NO_ACTION}{when} on this root"
            columns[program] = [NO_ACTION, 0, 0, 0, 0, "-", "-"]
            continue
        base = proposal if proposal is not None else presets_mod.actual_policy(program, mine, hierarchy=hierarchy)
        if g is None and not ignore_alternate_paths:
            g = trustpaths.graph_of(record, hierarchy)
        store = (stores or {}).get(program) or trustpaths.RootTrust.for_program(
            program, as_of=asof, trust=trust, sha256_by_certificate_id=sha256_by_certificate_id)
        distrusted = set(roots) | {p.root_sha256 for p in mine}
        through = not any(p.extra.get("channel") == "client_code" for p in mine)
        policy = (base if ignore_alternate_paths else
                  trustpaths.PathAware(base, g, store, sorted(distrusted), through_distrusted=through))
        ev = tables.evaluate(normalised, policy, expires_on_or_before=expires_on_or_before, issued_after=after)
        evaluations[program] = ev
        rule = "proposal: " + base.name if proposal is not None else "; ".join(p.description for p in mine)
        notes[program] = rule + ("" if ignore_alternate_paths else
                                 f" Alternate paths decided against {store.source}.")
        columns[program] = _metrics(ev, "proposal" if proposal is not None else short_rule(mine))
        short_notes[program] = (f"proposal: {base.name}" if proposal is not None else
                                f"{short_rule(mine)} [{_cited(mine)}]") + ("; alternate paths ignored"
                                                                            if ignore_alternate_paths else
                                                                            f"; paths: {store.source}")
    table = pd.DataFrame({"metric": list(METRICS), **columns})
    return ProgramComparison(table, evaluations, broken_series(evaluations), notes, asof, short_notes)


def _cited(found: list[presets_mod.Preset]) -> str:
    """The sources of a program's actions in a few words: actions.csv rows and NSS commits."""
    rows = [p.action_id for p in found if p.action_id]
    nss = [str(p.extra["nss_commit"]) for p in found if p.extra.get("nss_commit")]
    crt = [str(p.extra["certificate_id"]) for p in found if "certificate_id" in p.extra and not p.action_id]
    parts = ([f"data/root_programs/actions.csv {', '.join(rows)}"] if rows else []) + \
        ([f"NSS {', '.join(nss)}"] if nss else []) + ([f"crt.sh root_trust_purpose {', '.join(crt)}"] if crt else [])
    shifted = {p.extra["shifted_days"] for p in found if "shifted_days" in p.extra}
    parts += [f"dates moved {n:,} days earlier" for n in sorted(shifted)]
    return "; ".join(parts)


def _metrics(ev: tables.Evaluation, rule: str) -> list:
    vals = ev.summary_values()
    aff = ev.status_mask("affected")
    b = ev.verdicts["breaks_on"].to_numpy(dtype="datetime64[ns]")[aff]
    na = ev.normalised.issuances["not_after"].to_numpy(dtype="datetime64[ns]")[aff]
    saved = int(ev.verdicts["category"].astype(str).eq(trustpaths.SAVED).sum())
    start = f"{pd.Timestamp(b.min()):%Y-%m-%d}" if aff.any() else "-"
    end = f"{pd.Timestamp(na.max()):%Y-%m-%d}" if aff.any() else "-"
    return [rule, vals["affected"], vals["organisations_affected"],
            vals["registrable_domains_affected"], saved, start, end]


def short_rule(found: list[presets_mod.Preset]) -> str:
    """A program's actions in a few words for a table cell: "SCT after 2024-11-11", "after 2024-11-30 + removed
    2026-04-09" (notBefore unless SCT is said), "before 2016-06-01"."""
    parts = []
    for p in found:
        if p.mechanism in ("distrust_after", "allowlist_existing"):
            parts.append(("SCT " if p.basis == "earliest_sct" else "") + f"after {p.date:%Y-%m-%d}")
        elif p.mechanism == "distrust_before":
            parts.append(f"before {p.date:%Y-%m-%d}")
        else:
            when = p.client_release_date if p.client_release_date is not None else p.date
            parts.append(f"removed {when:%Y-%m-%d}")
    return " + ".join(parts)


def broken_series(evaluations: Mapping[str, tables.Evaluation | None]) -> pd.DataFrame:
    """``date`` and one column per program: affected certificates broken on that day, i.e. breaks_on's day <=
    date <= notAfter's day (the certificate has stopped validating and would otherwise still be valid), from the
    first day any breaks to the last day any would have been valid. A program without an evaluation is all 0."""
    spans = {}
    for program, ev in evaluations.items():
        if ev is None:
            spans[program] = (np.array([], "datetime64[D]"), np.array([], "datetime64[D]"))
            continue
        aff = ev.status_mask("affected")
        b = ev.verdicts["breaks_on"].to_numpy(dtype="datetime64[ns]")[aff].astype("datetime64[D]")
        na = ev.normalised.issuances["not_after"].to_numpy(dtype="datetime64[ns]")[aff].astype("datetime64[D]")
        spans[program] = (np.sort(b), np.sort(na))
    starts = [s[0][0] for s in spans.values() if len(s[0])]
    ends = [s[1][-1] for s in spans.values() if len(s[1])]
    if not starts:
        return pd.DataFrame({"date": pd.to_datetime([]), **{p: [] for p in evaluations}})
    days = np.arange(min(starts), max(ends) + _DAY, _DAY)
    out = {"date": days.astype("datetime64[ns]")}
    for program, (b, na) in spans.items():
        broken = np.searchsorted(b, days, side="right") - np.searchsorted(na, days, side="left")
        out[program] = broken.astype(np.int64)
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------------------------------------------
# The demo's second scenario: the demo root treated the way each program treated Entrust
# ----------------------------------------------------------------------------------------------------------------

ENTRUST_PREMIUM_2048 = "6DC47172E01CBCB0BF62580D895FE2B8AC9AD4F873801E0C10B9C837D21EB177"
ENTRUST_ROOT_G2 = "43DF5774B03E7FEF5FE40D931A7BEDF1BB2E6B42738C4E6D3841103D3AA7F339"
# Chrome's Entrust cut-off day (earliest SCT after 2024-11-11) lands on the demo's snapshot day.
ENTRUST_ANCHOR = pd.Timestamp("2024-11-11")
DEMO_ANCHOR = pd.Timestamp("2018-11-11")  # six months before the demo snapshot: cut-offs that break certificates


def _shifted(p: presets_mod.Preset, delta: pd.Timedelta, root: str) -> presets_mod.Preset:
    def mv(ts):
        return None if ts is None or pd.isna(ts) else pd.Timestamp(ts) - delta

    note = (f"{p.provenance.note}; " if p.provenance.note else "") + \
        f"moved {delta.days} days earlier onto the demo's timeline"
    return dataclasses.replace(
        p, root_sha256=root.upper(), date=mv(p.date), effective=mv(p.effective),
        client_release_date=mv(p.client_release_date),
        provenance=dataclasses.replace(p.provenance, date=mv(p.provenance.date), note=note),
        exceptions=(), extra={**p.extra, "shifted_days": delta.days})


def entrust_demo_record(demo_root_sha256s: Iterable[str], *, entrust_root: str = ENTRUST_ROOT_G2,
                        anchor: pd.Timestamp = DEMO_ANCHOR) -> presets_mod.ActualRecord:
    """Each program's actions on Entrust (``<program>-actual:<entrust_root>``: Entrust Root Certification
    Authority - G2 by default, or Entrust.net Premium 2048), moved by the same number of days so that Chrome's
    cut-off day (2024-11-11) falls on ``anchor`` (2018-11-11, six months before the demo's snapshot day 2019-05-17,
    so that certificates issued after each cut-off exist by the snapshot), applied to the demo root:
    Chrome (earliest SCT after the cut-off), Mozilla (notBefore after 2024-11-30), Apple (notBefore after
    2024-11-15), Microsoft (notBefore after 2025-04-16) keep their own mechanisms and relative dates."""
    roots = [r.upper() for r in demo_root_sha256s]
    delta = ENTRUST_ANCHOR - pd.Timestamp(anchor)
    out: list[presets_mod.Preset] = []
    sources = {}
    for program in presets_mod.PROGRAMS:
        found, source = presets_mod.program_presets(program, entrust_root)
        out += [_shifted(p, delta, roots[0]) for p in found]
        sources[program] = f"{source} (Entrust's actions on {entrust_root[:16]}…, moved {delta.days} days earlier)"
    return presets_mod.ActualRecord(out, sources=sources, root_sha256s=roots)


def entrust_demo_comparison(normalised: Normalised, demo_root_sha256s: Iterable[str], *,
                            hierarchy: pd.DataFrame | None = None, ignore_alternate_paths: bool = False,
                            entrust_root: str = ENTRUST_ROOT_G2) -> ProgramComparison:
    """The demo's second scenario: :func:`compare_programs` with :func:`entrust_demo_record`. The demo root is in
    every program's store by construction (as Entrust's roots were); no real store holds the fictional Demo Partner
    Root CA, so its cross-sign saves nothing."""
    record = entrust_demo_record(demo_root_sha256s, entrust_root=entrust_root)
    return compare_programs(normalised, record, hierarchy=hierarchy, ignore_alternate_paths=ignore_alternate_paths,
                            in_store={p: True for p in presets_mod.PROGRAMS})
