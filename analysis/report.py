"""The report a notebook shows, for one CA and one distrust date: :class:`Report` holds the validated scenario, the
population (from :mod:`analysis.sources`), one evaluation per option compared, and every table, figure and text the
report shows (``summary.txt``, the CSV tables).

The papermill runs that execute the notebooks are in :mod:`analysis.runs`; this module never imports them.

Over 500 lines on purpose: one job (the report of one date, as the notebook shows it), whose every table, figure
and text is a short method over the same evaluated options; the computations live in the modules it calls.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import json
import re
import subprocess
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import analysis
from analysis import __version__, presets, repro, tables, textfmt, trustpaths, verify
from analysis import programs as programs_mod
from analysis.config import PROJECT_ROOT
from analysis.normalise import issuance_codes, normalise
from analysis.policies import _filter_masks
from analysis.scenario import ACTUAL_PROGRAMS, Scenario, ScenarioError, parse_flag
from analysis.sources import (
    DEMO,
    ReportError,
    ca_folder_name,  # noqa: F401  (tests/unit/test_scenario.py imports it from here)
    fetch_population,
    notebook_cache_dir,
    source_label,
)


def _imported_when_used(name: str):
    """The module ``name``, executed when one of its names is first used: the figure modules import matplotlib
    (about a second), and the report command imports this module to check its parameters but draws nothing."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    setattr(analysis, name.rpartition(".")[2], module)
    return module


figures = _imported_when_used("analysis.figures")
figures_programs = _imported_when_used("analysis.figures_programs")

TEXT_WIDTH = 72  # a plain-text mailing-list post


LAST_DATE = pd.Timestamp.max.date()  # 2262-04-11: pandas' nanosecond timestamps end there


def checked_scenario(**params) -> Scenario:
    """:meth:`Scenario.from_strings` plus the range the tables can hold: a date after 2262-04-11 (pandas' last
    timestamp) is a one-line error, not an overflow deep in a table."""
    scenario = Scenario.from_strings(**params)
    dates = [("distrust date", scenario.distrust_date), ("as-of date", scenario.as_of),
             ("expires-on-or-before filter", scenario.expires_on_or_before),
             ("issued-after filter", scenario.issued_after)]
    dates += [(f"option {o.spec!r}", o.arg) for o in scenario.options if isinstance(o.arg, dt.date)]
    for what, day in dates:
        if day is not None and day > LAST_DATE:
            raise ScenarioError(f"{what}: {day} is too far in the future (the last date handled is {LAST_DATE})")
    return scenario


def checked_programs(value: str | None) -> list[str] | None:
    """The ``programs`` parameter: empty (or None) is off (None); ``all`` or ``mozilla,chrome`` the programs
    compared side by side (:func:`analysis.programs.parse_programs`). An unknown name is a one-line
    :class:`ScenarioError`."""
    if value is None or not str(value).strip():
        return None
    try:
        return programs_mod.parse_programs(str(value))
    except ValueError as exc:
        raise ScenarioError(f"programs: {exc}") from None


def check_max_rows(max_rows) -> None:
    if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 0):
        raise ScenarioError(f"max rows: {max_rows!r} is not a whole number of rows (0 or more)")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The package version and, in a git checkout, the commit (with ``-dirty`` when there are local changes): asked
    of git once per process (the code a process runs is what it imported), not once per report."""
    try:
        rev = subprocess.run(["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
                             capture_output=True, text=True, timeout=5)
        if rev.returncode == 0 and rev.stdout.strip():
            return f"{__version__} ({rev.stdout.strip()})"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


# -------------------------------------------------------------------------------------------------------------------
# The report a notebook shows


@dataclass
class Report:
    scenario: Scenario
    source: str
    fetched: object  # analysis.crtsh.FetchResult
    normalised: object  # analysis.normalise.Normalised
    evaluations: dict  # option label -> analysis.tables.Evaluation
    presets: list = field(default_factory=list)  # analysis.presets.Preset (Mozilla's actual record)
    output_dir: Path | None = None
    programs: list | None = None  # root programs compared side by side (None: that section is off)
    command: list | None = None  # the command that reproduces this report (default: from the parameters)
    engine: str = "pandas"  # what computed the counts: pandas (in memory) or duckdb (out of core, docs/performance.md)
    engine_rule: str = ""  # why that engine (the rule of engine 'auto', or the engine asked for)
    max_rows: int | None = None  # the fetch's row-by-row limit (part of its cache entry's key); None: the default
    _program_cmp: object = field(default=None, init=False, repr=False)
    _checksum: str | None = field(default=None, init=False, repr=False)

    # -- building -----------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, *, ca: str, distrust_date: str, as_of: str = "", expires_on_or_before: str = "",
              issued_after: str = "", options: list[str] | str = "removal", source: str = "crtsh",
              cache_dir: str = "", output_dir: str = "", max_rows: int | None = None, programs: str = "", fetched=None,
              ignore_alternate_paths: bool | str = False, engine: str = "auto") -> "Report":
        """Validate the parameters (a one-line :class:`ScenarioError` if wrong; ``options`` a list of option specs, or
        one string of them separated by ``;``), load the population (cache first),
        normalise it once and evaluate every option on it (alternate trust paths decided unless
        ``ignore_alternate_paths``: :meth:`analysis.scenario.Scenario.policy_for`).

        ``engine``: ``pandas`` (in memory), ``duckdb`` (out of core, from the cached Parquet bundle: a CA too large
        for memory) or ``auto`` (the default): DuckDB when the cached bundle's rows would need more than half the
        available memory in pandas (:func:`analysis.outofcore.choose_engine`)."""
        from analysis import outofcore

        scenario = checked_scenario(ca=ca, distrust_date=distrust_date, as_of=as_of,
                                    expires_on_or_before=expires_on_or_before, issued_after=issued_after,
                                    options=options, ignore_alternate_paths=ignore_alternate_paths)
        check_max_rows(max_rows)
        progs = checked_programs(programs)
        try:
            engine = outofcore.checked_engine(engine)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
        if fetched is not None and engine == "duckdb":
            raise ScenarioError("engine duckdb reads the cached bundle: do not pass the population in (fetched=)")
        if fetched is None and engine != "pandas":
            cache = notebook_cache_dir(cache_dir)
            bundle = outofcore.locate_bundle(scenario.ca, scenario.as_of, source, cache, max_rows)
            if bundle is None and engine == "duckdb":  # fetch it into the cache first, its rows left on disk
                bundle = outofcore.fetch_into_cache(scenario.ca, scenario.as_of, source, cache, max_rows)
            if bundle is not None:
                cached = outofcore.CachedCA.open(bundle)
                chosen, rule = outofcore.choose_engine(engine, cached.rows)
                if chosen == "duckdb" and cached.mode == "rows":
                    return cls._build_out_of_core(scenario, source, cached, rule, output_dir, progs, max_rows)
        if fetched is None:
            fetched = fetch_population(scenario.ca, scenario.as_of, source, notebook_cache_dir(cache_dir),
                                       max_rows=max_rows)
        if fetched.mode != "rows":
            raise ReportError(f"{fetched.rows_planned:,} rows is over the row-by-row limit: only server-side "
                              f"aggregates were fetched; use notebooks/ca_aggregate_report.ipynb "
                              f"(distrust-impact report does so by itself)")
        norm, record = population(fetched)
        evaluations = {}
        for option in scenario.options:
            policy = scenario.policy_for(option, norm, mozilla_presets=record)
            evaluations[option.label] = tables.evaluate(
                norm, policy, expires_on_or_before=scenario.expires_on_or_before,
                issued_after=scenario.issued_after)
        return cls(scenario, source, fetched, norm, evaluations, record,
                   Path(output_dir) if output_dir else None, progs, engine_rule="engine pandas", max_rows=max_rows)

    @classmethod
    def _build_out_of_core(cls, scenario: Scenario, source: str, cached, rule: str, output_dir: str,
                           progs, max_rows: int | None) -> "Report":
        """The report of a cached CA counted out of core by DuckDB (:mod:`analysis.outofcore`), from its Parquet
        files. What that engine cannot do is a one-line :class:`ScenarioError` naming the way around it, never a
        different number."""
        from analysis import outofcore

        why = f"computed out of core by DuckDB ({rule})"
        around = "drop it, or use engine 'pandas' on a machine with the memory for this CA"
        if cached.mode != "rows":
            planned = int(cached.provenance.get("rows_planned", cached.rows))
            raise ReportError(f"{planned:,} rows is over the row-by-row limit: only server-side aggregates were "
                              f"fetched; use notebooks/ca_aggregate_report.ipynb")
        if progs:
            raise ScenarioError(f"programs: the root programs side by side are not {why}; {around}")
        record = _mozilla_presets(cached)

        def existing_allowlist(inner):
            # Scenario.policy_for's allowlist, its certificates listed out of core (the rule counts them there)
            return trustpaths.decide(inner, record, program="Mozilla", as_of=scenario.as_of,
                                     ignore_alternate_paths=scenario.ignore_alternate_paths)

        inners = {o.label: outofcore.ExistingAllowlist(scenario.distrust_date, o.arg, cutoff=scenario.as_of)
                  for o in scenario.options if o.kind == "allowlist"}
        policies = [existing_allowlist(inners[o.label]) if o.label in inners
                    else scenario.policy_for(o, mozilla_presets=record) for o in scenario.options]
        last = cached.max_not_after()
        for option, policy in zip(scenario.options, policies):
            first = getattr(policy, "effective", None) or policy.date
            if last is not None and not outofcore.paths_save_nothing(policy, cached.issuing_ca_ids, first, last):
                raise ScenarioError(f"option {option.spec!r}: a cross-sign gives certificates of this CA another "
                                    f"trust path, decided per certificate only in memory ({why}); use "
                                    f"ignore-alternate-paths, or engine 'pandas' on a machine with the memory")
            try:
                outofcore.check_policy(policy, cached.cache_path / "ct.parquet")
            except ValueError:
                raise ScenarioError(f"option {option.spec!r}: its rule ({policy.name}) is not {why}; "
                                    f"{around}") from None
        results = outofcore.impact_many_from_bundle(
            cached.cache_path, policies, expires_on_or_before=scenario.expires_on_or_before,
            issued_after=scenario.issued_after, reference=scenario.distrust_date)
        for option, result in zip(scenario.options, results):
            if option.label in inners and result.policy is not inners[option.label]:  # its texts, now counted
                result.policy = existing_allowlist(inners[option.label])
                result.policy.outofcore_cleared = True
        evaluations = {o.label: outofcore.OutOfCoreEvaluation(r, scenario.distrust_date)
                       for o, r in zip(scenario.options, results)}
        return cls(scenario, source, cached, None, evaluations, record, Path(output_dir) if output_dir else None,
                   progs, engine="duckdb", engine_rule=rule, max_rows=max_rows)

    @property
    def out_of_core(self) -> bool:
        return self.engine == "duckdb"

    def engine_line(self) -> str:
        """How the counts were computed, as one sentence (out of core: engine, rows and the rule that chose it)."""
        if not self.out_of_core:
            return ""
        rows = self.primary.summary_values()["certificate_rows"]
        return (f"Computed out of core by DuckDB from the cached Parquet files: {rows:,} crt.sh rows "
                f"({self.engine_rule}); the per-certificate table is not written.")

    def _ca_certificate_rows(self) -> int:
        if self.out_of_core:
            return int(self.primary.impact.stats["ca_certificate_rows"])
        return len(ca_certificate_ids(self.fetched) & set(self.fetched.certificates["certificate_id"]))

    def _not_for_tls_servers(self) -> int:
        if self.out_of_core:
            return int(self.primary.impact.stats["not_for_tls_servers"])
        return not_for_tls_servers(self.fetched)

    # -- facts ------------------------------------------------------------------------------------------------
    @property
    def ca_name(self) -> str:
        root = self.fetched.root
        for col in ("ca_name", "name"):
            if col in root and len(root):
                return str(root[col].iloc[0])
        return self.scenario.ca

    @property
    def ca_short_name(self) -> str:
        """The CN of the root's name (what a title needs)."""
        name = self.ca_name
        for part in reversed(name.split(", ")):
            if part.startswith("CN="):
                return part[3:]
        return name

    @property
    def primary_label(self) -> str:
        return self.scenario.options[0].label

    @property
    def primary(self):
        """The evaluation of the first option (the one the tables and most figures show)."""
        return self.evaluations[self.primary_label]

    @property
    def query_time(self) -> str:
        return str(self.fetched.provenance.get("fetched_at", "unknown"))

    @property
    def source_name(self) -> str:
        return source_label(self.source)

    def provenance(self) -> pd.DataFrame:
        """Where every number comes from: source, query time (UTC), parameters, code version, cache entry."""
        p = self.fetched.provenance
        s = self.scenario
        rows = [
            ("CA", self.ca_name),
            ("root crt.sh CA id", str(self.fetched.root_ca_id)),
            ("CAs in the hierarchy (incl. the root)", str(len(self.fetched.issuing_ca_ids))),
            ("CA certificates (in the hierarchy table, not counted below)", str(self._ca_certificate_rows())),
            ("crt.sh rows not for TLS servers (EKU without serverAuth; not counted)",
             f"{self._not_for_tls_servers():,}"),
            ("source", self.source_name),
            ("query time (UTC)", self.query_time),
            ("snapshot: certificates unexpired on", s.as_of.isoformat()),
            ("distrust date", s.distrust_date.isoformat()),
            ("filter: expires on or before", s.expires_on_or_before.isoformat() if s.expires_on_or_before else "off"),
            ("filter: issued after", s.issued_after.isoformat() if s.issued_after else "off"),
            ("options compared", "; ".join(o.spec for o in s.options)),
            ("field extraction", str(p.get("parameters", {}).get("method", ""))),
            ("code version", code_version()),
            ("cached result", Path(self.fetched.cache_path).name if self.fetched.cache_path else "not cached"),
        ] + ([("computed by", self.engine_line())] if self.out_of_core else [])
        return pd.DataFrame(rows, columns=["item", "value"])

    def hierarchy(self) -> pd.DataFrame:
        """The CAs below the root: depth, name, the CA certificate's validity and crt.sh id, the issuers of any
        other certificate for the same CA (cross-signs) and the root programs trusting it through any path."""
        h = self.fetched.hierarchy
        cols = [c for c in ("depth", "ca_id", "ca_name", "certificate_id", "not_before", "not_after",
                            "other_issuer_ca_ids", "trusted_in") if c in h]
        return h[cols].reset_index(drop=True)

    def alternate_paths(self) -> pd.DataFrame:
        """CAs of this hierarchy that a CA *outside* it also certified (a cross-sign), or that are roots of their own
        (self-signed, reached through this root's cross-sign), with the affected certificates below them: if that
        other issuer stays trusted, those certificates may still validate through it, whatever happens to this root
        (docs/rules.md, "Alternate trust paths"). Columns ``ca_id, ca_name, depth,
        other_issuer_ca_ids, other_issuer_urls, trusted_in, affected_below``; the counts are not changed by it."""
        h = self.fetched.hierarchy
        cols = ["ca_id", "ca_name", "depth", "other_issuer_ca_ids", "other_issuer_urls", "trusted_in",
                "affected_below"]
        if h is None or not len(h):
            return pd.DataFrame(columns=cols)
        crossed = {}
        root = self.fetched.root_ca_id
        for row in h.itertuples():
            others = set(row.other_issuer_ca_ids or ()) - set(self.fetched.issuing_ca_ids)
            if int(row.ca_id) != root and row.parent_ca_id is not pd.NA and int(row.parent_ca_id) == int(row.ca_id):
                # a self-signed certificate below the root: a root of its own, reached through this root's
                # cross-sign; it may be trusted in its own right
                others.add(int(row.ca_id))
            if others:
                crossed.setdefault(int(row.ca_id), (row.ca_name, int(row.depth), set()))[2].update(others)
        if not crossed:
            return pd.DataFrame(columns=cols)
        # every issuing CA's ancestors (its path from the root), to find the crossed CAs above it
        paths: dict[int, set[int]] = {}
        for row in h.itertuples():
            paths.setdefault(int(row.ca_id), set()).update(int(x) for x in (row.path or [row.ca_id]))
        if self.out_of_core:  # affected certificates per issuing CA: the by-intermediate table
            per_ca = self.primary.by_intermediate(examples=0)
            issuers, affected = per_ca["issuer_ca_id"].to_numpy(), per_ca["certificates"].to_numpy()
        else:
            issuers = self.normalised.issuances["issuer_ca_id"].to_numpy()
            affected = (self.primary.verdicts["status"].to_numpy() == "affected").astype(int)
        rows = []
        for ca_id, (name, depth, others) in sorted(crossed.items(), key=lambda kv: (kv[1][1], kv[0])):
            below = {c for c, anc in paths.items() if ca_id in anc}
            n = int(affected[pd.Series(issuers).isin(below).to_numpy()].sum())
            trusted = h.loc[h["ca_id"] == ca_id, "trusted_in"].dropna()
            rows.append((ca_id, name, depth, sorted(others),
                         " ".join(f"https://crt.sh/?caid={o}" for o in sorted(others)),
                         ", ".join(sorted({t for ts in trusted for t in (ts or [])})) or "-", n))
        return pd.DataFrame(rows, columns=cols)

    def comparison(self) -> pd.DataFrame:
        """The options side by side: one row per summary metric, one column per option."""
        out = pd.DataFrame({"metric": list(tables.SUMMARY_METRICS)})
        for label, ev in self.evaluations.items():
            values = ev.summary_values()
            out[label] = [values[m] for m in tables.SUMMARY_METRICS]
        return out

    def option_rules(self) -> pd.DataFrame:
        return pd.DataFrame([(label, ev.policy.name, ev.policy.rule) for label, ev in self.evaluations.items()],
                            columns=["option", "policy", "rule"])

    def actual_rules(self) -> list[str]:
        """What each root program actually did to this root, one line per action (or one line saying it took
        none), each naming its source: crt.sh's root_trust_purpose when the source has it, the bundled NSS
        history and data/root_programs/actions.csv otherwise (docs/root-programs.md). Then the real decisions
        applied to this population as ``<program>-actual:SHA256`` options."""
        record = self.presets if isinstance(self.presets, presets.ActualRecord) else presets.ActualRecord(self.presets)
        lines = [presets.ACTUAL_LINES_HEADER] + record.lines()
        for option in self.scenario.options:
            if option.kind in ACTUAL_PROGRAMS and option.arg:
                found, source = presets.program_presets(ACTUAL_PROGRAMS[option.kind], option.arg)
                lines += [f"{p.description} (root {option.arg[:16]}…, applied here as '{option.label}')"
                          for p in found]
        return lines

    def _sha256_by_certificate_id(self) -> dict[int, str]:
        root = self.fetched.root
        if root is None or "sha256" not in root or "certificate_id" not in root:
            return {}
        return {int(c): str(h).upper() for c, h in zip(root["certificate_id"], root["sha256"]) if pd.notna(h)}

    def program_comparison(self) -> programs_mod.ProgramComparison:
        """Every root program asked for (``programs``; all when the section is off) side by side: each program's
        actual rule on this root, alternate trust paths decided per program (:func:`analysis.programs.compare_programs`,
        with this report's filters). The demo root is in no real store: the demo shows its second scenario instead,
        the demo root treated the way each program treated Entrust (:func:`analysis.programs.entrust_demo_record`)."""
        if self._program_cmp is None:
            s = self.scenario
            in_store = None
            if self.source == DEMO:
                roots = [str(h).upper() for h in self.fetched.root["sha256"].dropna().unique()]
                record = programs_mod.entrust_demo_record(roots)
                in_store = {p: True for p in presets.PROGRAMS}  # as Entrust's roots were, by construction
            else:
                record = programs_mod.record_for(self.fetched)
            self._program_cmp = programs_mod.compare_programs(
                self.normalised, record, self.programs or list(presets.PROGRAMS),
                hierarchy=self.fetched.hierarchy, trust=getattr(self.fetched, "trust", None),
                sha256_by_certificate_id=self._sha256_by_certificate_id(),
                expires_on_or_before=s.expires_on_or_before, issued_after=s.issued_after, in_store=in_store,
                as_of=s.as_of, ignore_alternate_paths=s.ignore_alternate_paths,
                graph=None if s.ignore_alternate_paths else trustpaths.graph_of(self.presets, self.fetched.hierarchy))
        return self._program_cmp

    def saved_by_path(self) -> pd.DataFrame:
        """Certificates another trust path saved (or kept working for a while), per option: ``option``,
        ``category`` (``saved_by_path``: valid until they expire; ``path_ends``: until the path ends, then broken),
        ``reason`` (naming the path and the store) and ``certificates``; empty when no path saved any, or when
        alternate paths are ignored (:func:`analysis.trustpaths.saved_by_path`)."""
        return trustpaths.saved_by_option(self.evaluations)

    def program_paths(self) -> pd.DataFrame:
        """Certificates each alternate trust path saved, per program (empty when none did)."""
        return self.program_comparison().paths()

    # -- reproducing ---------------------------------------------------------------------------------------------
    def inputs(self) -> dict[str, pd.DataFrame | None]:
        """The fetched frames every number is derived from (what :func:`analysis.repro.input_checksum` covers); out
        of core, the row frames by their Parquet files' checksums (:meth:`analysis.outofcore.CachedCA.inputs`)."""
        return self.fetched.inputs() if self.out_of_core else input_frames(self.fetched)

    def parameters(self) -> dict[str, str]:
        """Every parameter of this report as plain strings (the scenario, source, programs; the fetch's row limit
        when not the default, and the engine when out of core: what finds the same cache entry and counts it the
        same way)."""
        from analysis.crtsh.fetch import DEFAULT_MAX_ROWS

        extra = {}
        if self.max_rows is not None and self.max_rows != DEFAULT_MAX_ROWS:
            extra["max_rows"] = str(self.max_rows)
        if self.out_of_core:
            extra["engine"] = "duckdb"
        return {**self.scenario.parameters(), "source": self.source, "programs": ",".join(self.programs or []),
                **extra}

    def reproduce_command(self) -> list[str]:
        """The ``distrust-impact report`` command giving this report (:func:`command_for`)."""
        return list(self.command) if self.command else command_for(self.parameters())

    def input_checksum(self) -> str:
        """The checksum of the input rows (:func:`analysis.repro.input_checksum`), computed once."""
        if self._checksum is None:
            self._checksum = repro.input_checksum(self.inputs())
        return self._checksum

    def reproduce_line(self) -> str:
        """``reproduce: <command> (distrust-impact <version>; input rows sha256:…)``."""
        return repro.reproduce_line(self.reproduce_command(), checksum=self.input_checksum())

    # -- figures ------------------------------------------------------------------------------------------------
    def _figure_path(self, name: str) -> Path | None:
        return None if self.output_dir is None else self.output_dir / "figures" / name

    def _policy_text(self) -> str:
        return f"{self.primary_label} ({self.scenario.describe()})"

    def figure_expiry(self):
        return figures.plot_expiry_histogram(
            self.primary.expiry_histogram(reference=self.scenario.distrust_date), ca=self.ca_short_name,
            distrust_date=self.scenario.distrust_date, source=self.source_name, query_time=self.query_time,
            policy=self._policy_text(), path_stem=self._figure_path("expiry_by_month"),
            reproduce=self.reproduce_line())

    def survival_curves(self) -> dict[str, pd.DataFrame]:
        return {label: ev.survival_curve(reference=self.scenario.distrust_date)
                for label, ev in self.evaluations.items()}

    def figure_survival(self):
        return figures.plot_survival(
            self.survival_curves(), ca=self.ca_short_name, distrust_date=self.scenario.distrust_date,
            source=self.source_name, query_time=self.query_time, policy=self.scenario.describe(),
            path_stem=self._figure_path("survival"),
            reproduce=self.reproduce_line())

    def figure_top_organisations(self, top: int = 15):
        return figures.plot_top(
            self.primary.by_organisation(), "organisation", what="Top organisations by affected certificates",
            ca=self.ca_short_name, top=top, total=self.primary.summary_values()["affected"],
            source=self.source_name, query_time=self.query_time, policy=self._policy_text(),
            path_stem=self._figure_path("top_organisations"),
            reproduce=self.reproduce_line())

    def figure_top_domains(self, top: int = 15):
        return figures.plot_top(
            self.primary.by_registrable_domain(), "registrable_domain",
            what="Top registrable domains by affected certificates", ca=self.ca_short_name, top=top,
            total=self.primary.summary_values()["affected"], source=self.source_name, query_time=self.query_time,
            policy=self._policy_text(), path_stem=self._figure_path("top_registrable_domains"),
            reproduce=self.reproduce_line())

    def figure_programs(self):
        """One line per root program: certificates that program no longer accepts, day by day."""
        return figures_programs.plot_programs(
            self.program_comparison(), ca=self.ca_short_name, source=self.source_name, query_time=self.query_time,
            path_stem=self._figure_path("programs"),
            reproduce=self.reproduce_line())

    def write_figures(self) -> None:
        """Every figure the notebook shows, saved under ``figures/`` (what :func:`analysis.verify` re-derives)."""
        import matplotlib.pyplot as plt

        makers = [self.figure_expiry, self.figure_survival, self.figure_top_organisations, self.figure_top_domains]
        for make in makers + ([self.figure_programs] if self.programs else []):
            plt.close(make())

    def figure_alt(self, which: str) -> str:
        """Alt text of a figure: what it shows and its main numbers, in a sentence (the names are plain text here; the
        HTML escapes them)."""
        v = self.primary.summary_values()
        ca, day, main = self.ca_short_name, self.scenario.distrust_date, self.primary_label
        if which == "expiry":
            return (f"Bar chart: the unexpired certificates of {ca} by month of expiry, coloured by status under "
                    f"'{main}' ({v['affected']:,} affected, {v['survivors']:,} survive, {v['revoked']:,} revoked); "
                    f"a dashed line marks the distrust date {day}.")
        if which == "programs":
            t = self.program_comparison().table.set_index("metric")
            counts = "; ".join(f"{p}: {t.loc['affected', p]}" + ("" if isinstance(t.loc["affected", p], str)
                                                                    else " affected") for p in t.columns)
            return (f"Line chart: for each root program, how many certificates of {ca} it no longer accepts on "
                    f"each day under its actual rule ({counts}).")
        if which == "survival":
            counts = "; ".join(f"{label}: {ev.summary_values()['affected']:,} broken"
                               for label, ev in self.evaluations.items())
            return (f"Line chart: for each option, how many of the certificates of {ca} it breaks are still valid on "
                    f"each day after the distrust date {day} ({counts}).")
        column, table = {"organisations": ("organisation", self.primary.by_organisation),
                         "domains": ("registrable_domain", self.primary.by_registrable_domain)}[which]
        top = table(examples=0).head(1)
        lead = (f"; the most is {top[column].iloc[0]} with {int(top['certificates'].iloc[0]):,}" if len(top)
                else "; none is affected")
        return (f"Bar chart: the {which.replace('domains', 'registrable domains')} holding the most affected "
                f"certificates of {ca} under '{main}' ({v['affected']:,} affected in all{lead}).")

    # -- text and files -----------------------------------------------------------------------------------------
    def summary_text(self, width: int = TEXT_WIDTH) -> str:
        """The whole result as a plain-text post: every line at most ``width`` columns."""
        s = self.scenario
        v = self.primary.summary_values()
        head = [
            f"Distrust impact: {self.ca_name}",
            f"Source: {self.source_name}, queried {self.query_time}.",
            f"Certificates chaining to the root and unexpired on {s.as_of}; "
            f"{s.describe(with_distrust=True).replace(f'; snapshot {s.as_of}', '')}.",
            "",
            f"Under '{self.primary_label}': {v['affected']:,} certificates affected "
            f"({v['organisations_affected']:,} organisations, {v['registrable_domains_affected']:,} registrable "
            f"domains); {v['survivors']:,} survive; {v['revoked']:,} revoked.",
            "Excluded by the filters: " + "; ".join(
                [f"{v['excluded_expired']:,} expire on or before {s.expires_on_or_before}"
                 if s.expires_on_or_before else "expiry filter off"]
                + [f"{v['excluded_issued_after']:,} issued after {s.issued_after}"
                   if s.issued_after else "issued-after filter off"]) + ".",
            f"{v['certificate_rows']:,} crt.sh rows = {v['issuances']:,} certificates once precertificate/"
            f"certificate pairs count once; {v['unparsable']} unparsable.",
        ]
        if v["affected"] == 0:
            head.append("No certificate is affected under this option.")
        if self.out_of_core:
            head.append(self.engine_line())
        non_tls = self._not_for_tls_servers()
        if non_tls:
            head.append(f"Left out: {non_tls:,} crt.sh rows whose extended key usage excludes TLS servers "
                        f"(S/MIME, client or code-signing certificates).")
        paths = self.alternate_paths()
        if len(paths):
            top = paths.iloc[0]
            many = len(paths) > 1
            crossed = (f"{len(paths)} {'CAs' if many else 'CA'} of this hierarchy {'are' if many else 'is'} also "
                       f"certified by a CA outside it (e.g. {top['ca_name'].split('CN=')[-1]} by crt.sh CA id "
                       f"{', '.join(map(str, top['other_issuer_ca_ids']))})")
            if s.ignore_alternate_paths:
                head.append(f"Caution: {crossed}; up to {paths['affected_below'].max():,} affected certificates "
                            f"may still validate through such a path if it stays trusted (alternate paths "
                            f"ignored here).")
            else:
                head.append(f"Other trust paths: {crossed}. " + trustpaths.saved_sentence(self.evaluations))
        elif not s.ignore_alternate_paths and len(self.saved_by_path()):
            head.append("Other trust paths: " + trustpaths.saved_sentence(self.evaluations))
        blocks = ["\n".join(_wrap(line, width) for line in head)]
        # One row per option (the metrics the options change); what they share is in the lines above.
        by_option = pd.DataFrame([
            (label, values["affected"], values["survivors"], values["organisations_affected"],
             values["registrable_domains_affected"])
            for label, values in ((label, ev.summary_values()) for label, ev in self.evaluations.items())],
            columns=["option", "affected", "survive", "orgs", "domains"])
        blocks.append(textfmt.format_table(by_option, width=width, title="Options compared (certificates)"))
        orgs = _dated(self.primary.by_organisation(examples=0).head(20))
        blocks.append(textfmt.format_table(_short(orgs, ["organisation", "certificates", "registrable_domains",
                                                 "latest_not_after"]),
                                   width=width, title=f"Top organisations, affected ({self.primary_label})"))
        doms = _dated(self.primary.by_registrable_domain(examples=0).head(20))
        blocks.append(textfmt.format_table(_short(doms, ["registrable_domain", "certificates", "organisations",
                                                 "latest_not_after"]),
                                   width=width, title=f"Top registrable domains, affected ({self.primary_label})"))
        levels = _dated(self.primary.by_validation_level())
        blocks.append(textfmt.format_table(_short(levels, ["validation_level", "certificates", "organisations",
                                                   "latest_not_after"]),
                                   width=width, title="By validation level, affected"))
        rules = self.actual_rules()
        if rules:
            blocks.append("\n".join(_wrap("- " + r, width) for r in rules))
        if self.programs:
            title = ("Every root program side by side (demo: the demo root treated as each program treated "
                     "Entrust, dates moved onto the demo's timeline)" if self.source == DEMO else None)
            blocks.append(self.program_comparison().to_text(width, title=title))
        text = "\n\n".join(blocks) + "\n"
        too_long = [line for line in text.splitlines() if textfmt.display_width(line) > width]
        assert not too_long, too_long  # the post must fit; format_table/_wrap guarantee it
        return text

    def write_outputs(self) -> list[Path]:
        """CSV tables (with crt.sh links) and ``summary.txt`` into the output folder; returns the paths."""
        if self.output_dir is None:
            raise ReportError("no output_dir: nothing to write to")
        out = self.output_dir / "tables"
        out.mkdir(parents=True, exist_ok=True)
        ev = self.primary
        line = self.reproduce_line()

        def write(table, name: str, **kw) -> Path:  # every table ends with the reproduce line ("# reproduce: …")
            return textfmt.write_csv(table, out / name, reproduce=line, **kw)

        written = [
            write(self.comparison(), "options_compared.csv"),
            write(ev.by_organisation(), "by_organisation.csv"),
            write(ev.by_registrable_domain(), "by_registrable_domain.csv"),
            write(ev.by_intermediate(), "by_intermediate.csv"),
            write(ev.by_validation_level(), "by_validation_level.csv"),
            write(ev.by_status(), "by_status.csv"),
            write(ev.expiry_histogram(reference=self.scenario.distrust_date), "expiry_by_month.csv"),
            write(self.provenance(), "provenance.csv"),
        ]
        if not self.out_of_core:  # out of core: no per-certificate table (engine_line says so)
            written.insert(-1, write(ev.certificates(status=None), "certificates.csv",
                                     crtsh_ids=self.source == "crtsh"))
        if not self.scenario.ignore_alternate_paths:
            written.append(write(self.saved_by_path(), "saved_by_path.csv"))
        if self.programs:
            cmp = self.program_comparison()
            written += [write(cmp.table, "programs_compared.csv"),
                        write(cmp.series, "programs_broken_per_day.csv"),
                        write(cmp.paths(), "programs_saved_by_path.csv")]
        summary = self.output_dir / "summary.txt"
        # the post, then the reproduce line: the one line that may pass 72 columns (it must paste into a shell whole)
        summary.write_text(self.summary_text() + "\n" + line + "\n", encoding="utf-8")
        (self.output_dir / "summary.json").write_text(json.dumps(
            {"parameters": self.scenario.parameters(), "source": self.source_name, "query_time": self.query_time,
             "options": {label: ev.summary_values() for label, ev in self.evaluations.items()}},
            indent=1, sort_keys=True), encoding="utf-8")
        verify.write_manifest(self.output_dir, command=self.reproduce_command(), inputs=self.inputs(),
                              parameters=self.parameters())
        return written + [summary]


# Short column labels for the 72-column text (the CSV files keep the full names).
COLUMN_LABELS = {"organisation": "organisation (O=)", "certificates": "certs", "registrable_domains": "domains",
                 "organisations": "orgs", "latest_not_after": "last expiry", "registrable_domain": "domain",
                 "validation_level": "level"}


def _short(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return table[columns].rename(columns=COLUMN_LABELS)


def _dated(table: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as dates: a mailing-list table needs the day, not the second."""
    out = table.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.normalize()  # format_table prints midnight as YYYY-MM-DD
    return out


def input_frames(fetched) -> dict[str, pd.DataFrame | None]:
    """The frames of a fetched population that every number is derived from, by name."""
    return {name: getattr(fetched, name, None)
            for name in ("root", "hierarchy", "certificates", "revocations", "ct", "trust")}


REPORT_FLAGS = (("ca", "--ca"), ("distrust_date", "--date"), ("as_of", "--as-of"),
                ("expires_on_or_before", "--expires-on-or-before"), ("issued_after", "--issued-after"))


def command_for(parameters: dict[str, str]) -> list[str]:
    """The ``distrust-impact report`` command for a report's parameters (:meth:`Report.parameters`): every
    parameter spelled out, so the command gives the same report whatever the defaults become."""
    cmd = ["distrust-impact", "report"]
    source = parameters.get("source", "crtsh")
    if source == DEMO:
        cmd.append("--demo")
    elif source != "crtsh":
        cmd += ["--dsn", source]
    for key, flag in REPORT_FLAGS:
        cmd += [flag, parameters.get(key, "")]
    for option in (o for o in parameters.get("options", "").split(";") if o):
        cmd += ["--option", option]
    if parameters.get("programs"):
        cmd += ["--programs", parameters["programs"].lower()]
    if parse_flag(parameters.get("ignore_alternate_paths", ""), "ignore-alternate-paths"):
        cmd.append("--ignore-alternate-paths")
    if parameters.get("max_rows"):
        cmd += ["--max-rows", str(parameters["max_rows"])]
    if parameters.get("engine") == "duckdb":
        cmd += ["--engine", "duckdb"]
    return cmd


def ca_certificate_ids(fetched) -> set[int]:
    """crt.sh ids of the CA certificates in the hierarchy (the root's own certificates included)."""
    ids: set[int] = set()
    for frame in (fetched.root, fetched.hierarchy):
        if frame is not None and "certificate_id" in frame:
            ids.update(int(x) for x in frame["certificate_id"].dropna())
    return ids


def subscriber_certificates(fetched) -> pd.DataFrame:
    """The TLS server certificates a distrust breaks for subscribers: every fetched row except the hierarchy's own CA
    certificates (intermediates and cross-certificates; the hierarchy table shows them) and certificates whose
    extended key usage rules out TLS servers (S/MIME, client, code signing: server-trust rules do not apply to them).
    Unparsable rows are kept, to be counted as such."""
    certs = fetched.certificates
    keep = ~certs["certificate_id"].isin(ca_certificate_ids(fetched))
    if "is_server_auth" in certs:
        keep &= certs["is_server_auth"] | certs["parse_error"].notna()
    return certs[keep].reset_index(drop=True)


def not_for_tls_servers(fetched) -> int:
    """How many fetched leaf rows are left out because their EKU excludes TLS server authentication."""
    certs = fetched.certificates
    if "is_server_auth" not in certs:
        return 0
    leaf = ~certs["certificate_id"].isin(ca_certificate_ids(fetched))
    return int((leaf & ~certs["is_server_auth"] & certs["parse_error"].isna()).sum())


_KEEP = "\ue000"  # stands for a space that must not break a line (inside one part of a distinguished name)


def _wrap(line: str, width: int, indent: str = "  ") -> str:
    """One paragraph of the text post: values escaped as data, wrapped at ``width`` display columns with a hanging
    indent, never breaking inside a part of a distinguished name ("CN=Demo Root CA" stays on one line unless it alone
    is too long: then :func:`analysis.textfmt.wrap` breaks it)."""
    if not line:
        return ""
    line = textfmt.escape_text(line)  # before the marker goes in: escape_text would show it as \ue000
    # spaces inside "X=…" parts of a name are kept together; ", " between parts may break
    line = re.sub(r"(?:(?<=[\s,])|^)([A-Za-z][\w.]*=)([^,]*)",
                  lambda m: m.group(1) + m.group(2).replace(" ", _KEEP), line)
    return "\n".join(text.replace(_KEEP, " ")
                     for text in textfmt.wrap(line, width, subsequent_indent=indent, escape=False,
                                               balance=False))


_POPULATIONS: dict[int, object] = {}  # id of a fetched population -> its normalised population, while it lives
_RECORDS: dict[int, object] = {}  # id of a fetched population -> its actual record, while it lives


def population(fetched) -> tuple:
    """The normalised population and every root program's record of ``fetched``, computed once for that object:
    :func:`analysis.sources.fetch_population` gives the same object back while its cache entry is unchanged, so the
    reports of every date of a run and the sweep share them (nothing downstream changes them). Forgotten with the
    object. A run's kernel computes them before its first notebook."""
    key = id(fetched)
    if key not in _POPULATIONS:
        _POPULATIONS[key] = normalise(subscriber_certificates(fetched), revocations=fetched.revocations, ct=fetched.ct)
        weakref.finalize(fetched, _POPULATIONS.pop, key, None)
    return _POPULATIONS[key], _actual_record(fetched)


def _actual_record(fetched):
    """:func:`_mozilla_presets` of ``fetched``, computed once for that object (the options' check and the
    population share it), forgotten with it."""
    key = id(fetched)
    if key in _RECORDS:
        return _RECORDS[key]
    record = _mozilla_presets(fetched)
    try:
        weakref.finalize(fetched, _RECORDS.pop, key, None)
    except TypeError:  # an object without weak references (kept by nobody): not kept here either
        return record
    _RECORDS[key] = record
    return record


def _mozilla_presets(fetched) -> list:
    """Every root program's actions on the fetched root (all programs, not only Mozilla): an
    :class:`analysis.presets.ActualRecord` carrying the source used per program and the hierarchy the exempt
    intermediates resolve against."""
    root = fetched.root
    if "sha256" not in root or not len(root):
        return presets.ActualRecord()
    shas = [str(h).upper() for h in root["sha256"].dropna().unique()]
    ids = {}
    if "certificate_id" in root:
        ids = {int(c): str(h).upper() for c, h in zip(root["certificate_id"], root["sha256"]) if pd.notna(h)}
    return presets.actual_record(shas, trust=getattr(fetched, "trust", None),
                                 hierarchy=getattr(fetched, "hierarchy", None), sha256_by_certificate_id=ids)


# --------------------------------------------------------------------------------------------------------------------
# Checks a run makes before any notebook, without normalising the population (each notebook normalises it once)


def check_options(scenario: Scenario, fetched) -> None:
    """Build every option's policy, so an option this root cannot take (``mozilla-actual`` for a root that was never
    in NSS) is a one-line :class:`ScenarioError` before any notebook runs. An allowlist lists the existing
    certificates of the normalised population and cannot fail: it is left to the notebook. The record of the root
    programs' actions made for it is kept for the reports of ``fetched`` (:func:`population`)."""
    record = _actual_record(fetched)
    for option in scenario.options:
        if option.kind != "allowlist":
            scenario.policy_for(option, mozilla_presets=record)


def check_filters(scenario: Scenario, fetched) -> None:
    """Refuse filters that leave nothing to judge: every parsable issuance expires on or before
    ``expires_on_or_before`` or was issued after ``issued_after``. Counted on the fetched rows, one per issuance
    (:func:`analysis.normalise.issuance_codes`; a precertificate and its certificate have the same validity), with
    the filters' own precedence (:func:`analysis.policies.classify`: unparsable, then expired, then issued after)."""
    rows = subscriber_certificates(fetched)
    codes = issuance_codes(rows)
    first = rows.iloc[pd.Series(range(len(codes))).groupby(codes).first().to_numpy()].reset_index(drop=True)
    unparsable = first["parse_error"].notna().to_numpy()
    expired, late = _filter_masks(first, scenario.expires_on_or_before, scenario.issued_after)
    expired &= ~unparsable
    late &= ~unparsable & ~expired
    if len(first) and not (~unparsable & ~expired & ~late).any():
        raise ScenarioError(
            f"the filters exclude every certificate ({int(expired.sum()):,} expire on or before "
            f"{scenario.expires_on_or_before or '-'}, {int(late.sum()):,} issued after {scenario.issued_after or '-'}, "
            f"of {len(first):,}); loosen them")
