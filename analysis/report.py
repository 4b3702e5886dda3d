"""Report runs: one CA, one distrust date per run, through the papermill notebook templates in ``notebooks/``.

Two layers:

* :class:`Report` — what a notebook calls: the validated scenario, the population (from the cache, crt.sh, a DSN
  or the demo database), one evaluation per option compared, and every table, figure and text a report shows.
* :func:`run_reports` — what the command line calls: validate every parameter, fetch once (into the cache), then
  execute the template once per distrust date (papermill) into ``<out>/<ca-slug>/<date>/`` with an HTML export,
  figures, CSV tables and ``summary.txt``, and a date-sweep notebook over all the dates.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import __version__, tables, textfmt
from analysis.config import CACHE_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR
from analysis.scenario import (CERTINOMIS_ACTUAL, SEED_AS_OF, SEED_DISTRUST_DATE, SEED_EXPIRES_ON_OR_BEFORE,
                               SEED_ISSUED_AFTER, SEED_OPTIONS, Scenario, ScenarioError, slug)

REPORT_TEMPLATE = NOTEBOOKS_DIR / "ca_impact_report.ipynb"
AGGREGATE_TEMPLATE = NOTEBOOKS_DIR / "ca_aggregate_report.ipynb"
SWEEP_TEMPLATE = NOTEBOOKS_DIR / "date_sweep.ipynb"
DEMO = "demo"
TEXT_WIDTH = 72  # a plain-text mailing-list post


class ReportError(RuntimeError):
    """A report run failed; the message is one line."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; the message says what was kept and where the partial run is."""


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


def check_max_rows(max_rows) -> None:
    if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 0):
        raise ScenarioError(f"max rows: {max_rows!r} is not a whole number of rows (0 or more)")


def code_version() -> str:
    """The package version and, in a git checkout, the commit (with ``-dirty`` when there are local changes)."""
    try:
        rev = subprocess.run(["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
                             capture_output=True, text=True, timeout=5)
        if rev.returncode == 0 and rev.stdout.strip():
            return f"{__version__} ({rev.stdout.strip()})"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


# --------------------------------------------------------------------------------------------------------------------
# Where the rows come from


def source_label(source: str) -> str:
    """How a source is named in provenance: never a password."""
    from analysis.crtsh import public_dsn

    if source in (DEMO, "crtsh"):
        return {"crtsh": "crt.sh (guest@crt.sh:5432/certwatch)", DEMO: "demo population (synthetic), local database"}[
            source]
    return public_dsn(source)


def demo_root_sha256() -> str:
    """The demo hierarchy's root (deterministic: the generator writes the same certificates for the same seed)."""
    import csv

    from analysis.demo_db import demo_files

    with (demo_files() / "truth.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] == "root" and row["label"] == "root":
                return row["sha256"]
    raise ReportError("the demo population has no root")  # pragma: no cover - the generator always writes one


def resolve_ca_argument(ca: str, source: str) -> str:
    """The root argument the client takes: ``demo`` stands for the demo root's SHA-256 when the source is the demo."""
    if ca.strip().lower() == DEMO:
        if source != DEMO:
            raise ScenarioError("ca 'demo' names the demo root: use it with source 'demo'")
        return demo_root_sha256()
    return ca


def fetch_population(ca: str, as_of: dt.date, source: str, cache_dir: Path | None = None, refresh: bool = False,
                     progress=None, max_rows: int | None = None):
    """Fetch (or read from the cache) everything a report needs. ``source``: ``demo`` (the demo population in a
    throwaway local database), ``crtsh``, or a libpq DSN of a crt.sh-compatible database."""
    from analysis import crtsh

    root = resolve_ca_argument(ca, source)
    kwargs = dict(root=root, as_of=as_of, cache_dir=cache_dir or CACHE_DIR, refresh=refresh, progress=progress,
                  max_rows=crtsh.DEFAULT_MAX_ROWS if max_rows is None else max_rows)
    if source != DEMO:
        return crtsh.fetch_ca(dsn=None if source == "crtsh" else source, **kwargs)
    try:  # the demo's cache entry is keyed by a stable source name, so a rerun needs no database
        return crtsh.fetch_ca(dsn=None, source_name=DEMO, offline=True, **kwargs)
    except crtsh.CacheMiss:
        pass
    from analysis.demo_db import load_demo
    from analysis.localdb import LocalCluster, create_schema

    with LocalCluster() as cluster:
        create_schema(cluster.dsn)
        loaded = load_demo(cluster.dsn)
        if loaded.bad_files or loaded.bad_rows:
            raise ReportError(f"the demo population did not load cleanly: {loaded.summary()}")
        return crtsh.fetch_ca(dsn=cluster.guest_dsn(), source_name=DEMO, **kwargs)


def ca_folder_name(ca: str, source: str) -> str:
    """The ``<ca-slug>`` of an output folder, from the parameters alone (no query): the demo root, a CCADB name for
    a known SHA-256, ``ca-<id>`` for a crt.sh id, the slug of a name pattern."""
    text = ca.strip()
    if text.lower() == DEMO:
        return "demo-root-ca"
    if text.isdigit():
        return f"ca-{text}"
    hexed = text.replace(":", "")
    if len(hexed) == 64 and all(c in "0123456789abcdefABCDEF" for c in hexed):
        try:
            from analysis import ccadb

            meta = ccadb.load_metadata()
            row = meta[meta["sha256"] == hexed.upper()]
            if len(row):
                return slug(str(row["subject_cn"].iloc[0] or row["subject_o"].iloc[0])) + "-" + hexed[:8].lower()
        except Exception:  # the CCADB table is a convenience here; the fingerprint alone is a fine name
            pass
        return "sha256-" + hexed[:16].lower()
    return slug(text)


def cached_results(ca: str, cache_dir: Path) -> list[str]:
    """What the cache holds for a root given by SHA-256 (any snapshot date or source): one line each."""
    hexed = ca.strip().replace(":", "").upper()
    if len(hexed) != 64 or not Path(cache_dir).is_dir():
        return []
    out = []
    for manifest in sorted(Path(cache_dir).glob(f"ca_{hexed[:16]}_*/manifest.json")):
        try:
            meta = json.loads(manifest.read_text())
        except (OSError, ValueError):
            continue
        out.append(f"as of {str(meta['parameters']['as_of'])[:10]} from {meta.get('source', '?')} "
                   f"(fetched {meta.get('fetched_at', '?')})")
    return out


def suggest_cas(ca: str, limit: int = 5) -> str:
    """A hint for a CA the source does not know, from the CCADB certificates bundled in data/ (offline): the name
    CCADB gives a fingerprint, or the root names closest to a name."""
    import difflib

    from analysis import ccadb

    text = ca.strip()
    hexed = text.replace(":", "").upper()
    try:
        meta = ccadb.load_metadata()
    except Exception:  # the hint is a courtesy; the error stands without it
        return ""
    if len(hexed) == 40 and all(c in "0123456789ABCDEF" for c in hexed):
        return " (that is a SHA-1 fingerprint: give the SHA-256)"
    if len(hexed) == 64 and all(c in "0123456789ABCDEF" for c in hexed):
        row = meta[meta["sha256"] == hexed]
        if len(row):
            r = row.iloc[0]
            return (f" (the CCADB knows it as {r['subject_cn'] or r['subject_o']!s}: try --ca with that name, or "
                    f"check that the database holds it)")
        return " (not in the CCADB either: check the fingerprint)"
    roots = meta.loc[meta["self_signed"].astype(str).str.upper() == "TRUE", "subject_cn"].dropna().astype(str)
    names = sorted(set(roots))
    close = difflib.get_close_matches(text.strip("%"), names, n=limit, cutoff=0.5)
    if not close:
        lowered = text.strip("%").lower()
        close = [n for n in names if lowered and lowered in n.lower()][:limit]
    return f" (close matches among CCADB roots: {'; '.join(close)})" if close else ""


# --------------------------------------------------------------------------------------------------------------------
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

    # -- building -----------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, *, ca: str, distrust_date: str, as_of: str = "", expires_on_or_before: str = "",
              issued_after: str = "", options: str = "removal", source: str = "crtsh", cache_dir: str = "",
              output_dir: str = "", max_rows: int | None = None, fetched=None) -> "Report":
        """Validate the parameters (a one-line :class:`ScenarioError` if wrong), load the population (cache first),
        normalise it once and evaluate every option on it."""
        from analysis.normalise import normalise

        scenario = checked_scenario(ca=ca, distrust_date=distrust_date, as_of=as_of,
                                    expires_on_or_before=expires_on_or_before, issued_after=issued_after,
                                    options=options)
        check_max_rows(max_rows)
        if fetched is None:
            fetched = fetch_population(scenario.ca, scenario.as_of, source, notebook_cache_dir(cache_dir),
                                       max_rows=max_rows)
        if fetched.mode != "rows":
            raise ReportError(f"{fetched.rows_planned:,} rows is over the row-by-row limit: only server-side "
                              f"aggregates were fetched; use notebooks/ca_aggregate_report.ipynb "
                              f"(distrust-impact report does so by itself)")
        norm = normalise(subscriber_certificates(fetched), revocations=fetched.revocations, ct=fetched.ct)
        presets = _mozilla_presets(fetched)
        evaluations = {}
        for option in scenario.options:
            policy = scenario.policy_for(option, norm, mozilla_presets=presets)
            evaluations[option.label] = tables.evaluate(
                norm, policy, expires_on_or_before=scenario.expires_on_or_before,
                issued_after=scenario.issued_after)
        return cls(scenario, source, fetched, norm, evaluations, presets,
                   Path(output_dir) if output_dir else None)

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
            ("CA certificates (in the hierarchy table, not counted below)",
             str(len(ca_certificate_ids(self.fetched) & set(self.fetched.certificates["certificate_id"])))),
            ("crt.sh rows not for TLS servers (EKU without serverAuth; not counted)",
             f"{not_for_tls_servers(self.fetched):,}"),
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
        ]
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
        (distrust-mechanisms: "Alternate trust paths"). Columns ``ca_id, ca_name, depth,
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
        affected = self.primary.verdicts["status"].to_numpy() == "affected"
        issuers = self.normalised.issuances["issuer_ca_id"].to_numpy()
        rows = []
        for ca_id, (name, depth, others) in sorted(crossed.items(), key=lambda kv: (kv[1][1], kv[0])):
            below = {c for c, anc in paths.items() if ca_id in anc}
            n = int((affected & pd.Series(issuers).isin(below).to_numpy()).sum())
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
        from analysis.presets import ACTUAL_LINES_HEADER, ActualRecord, program_presets
        from analysis.scenario import ACTUAL_PROGRAMS

        record = self.presets if isinstance(self.presets, ActualRecord) else ActualRecord(self.presets)
        lines = [ACTUAL_LINES_HEADER] + record.lines()
        for option in self.scenario.options:
            if option.kind in ACTUAL_PROGRAMS and option.arg:
                found, source = program_presets(ACTUAL_PROGRAMS[option.kind], option.arg)
                lines += [f"{p.description} (root {option.arg[:16]}…, applied here as '{option.label}')"
                          for p in found]
        return lines

    # -- figures ------------------------------------------------------------------------------------------------
    def _figure_path(self, name: str) -> Path | None:
        return None if self.output_dir is None else self.output_dir / "figures" / name

    def _policy_text(self) -> str:
        return f"{self.primary_label} ({self.scenario.describe()})"

    def figure_expiry(self):
        from analysis import figures

        return figures.plot_expiry_histogram(
            self.primary.expiry_histogram(reference=self.scenario.distrust_date), ca=self.ca_short_name,
            distrust_date=self.scenario.distrust_date, source=self.source_name, query_time=self.query_time,
            policy=self._policy_text(), path_stem=self._figure_path("expiry_by_month"))

    def survival_curves(self) -> dict[str, pd.DataFrame]:
        return {label: ev.survival_curve(reference=self.scenario.distrust_date)
                for label, ev in self.evaluations.items()}

    def figure_survival(self):
        from analysis import figures

        return figures.plot_survival(
            self.survival_curves(), ca=self.ca_short_name, distrust_date=self.scenario.distrust_date,
            source=self.source_name, query_time=self.query_time, policy=self.scenario.describe(),
            path_stem=self._figure_path("survival"))

    def figure_top_organisations(self, top: int = 15):
        from analysis import figures

        return figures.plot_top(
            self.primary.by_organisation(), "organisation", what="Top organisations by affected certificates",
            ca=self.ca_short_name, top=top, total=self.primary.summary_values()["affected"],
            source=self.source_name, query_time=self.query_time, policy=self._policy_text(),
            path_stem=self._figure_path("top_organisations"))

    def figure_top_domains(self, top: int = 15):
        from analysis import figures

        return figures.plot_top(
            self.primary.by_registrable_domain(), "registrable_domain",
            what="Top registrable domains by affected certificates", ca=self.ca_short_name, top=top,
            total=self.primary.summary_values()["affected"], source=self.source_name, query_time=self.query_time,
            policy=self._policy_text(), path_stem=self._figure_path("top_registrable_domains"))

    def figure_alt(self, which: str) -> str:
        """Alt text of a figure: what it shows and its main numbers, in a sentence (the names are plain text here; the
        HTML escapes them)."""
        v = self.primary.summary_values()
        ca, day, main = self.ca_short_name, self.scenario.distrust_date, self.primary_label
        if which == "expiry":
            return (f"Bar chart: the unexpired certificates of {ca} by month of expiry, coloured by status under "
                    f"'{main}' ({v['affected']:,} affected, {v['survivors']:,} survive, {v['revoked']:,} revoked); "
                    f"a dashed line marks the distrust date {day}.")
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
        from analysis.textfmt import format_table

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
        non_tls = not_for_tls_servers(self.fetched)
        if non_tls:
            head.append(f"Left out: {non_tls:,} crt.sh rows whose extended key usage excludes TLS servers "
                        f"(S/MIME, client or code-signing certificates).")
        paths = self.alternate_paths()
        if len(paths):
            top = paths.iloc[0]
            many = len(paths) > 1
            head.append(f"Caution: {len(paths)} {'CAs' if many else 'CA'} of this hierarchy {'are' if many else 'is'} "
                        f"also certified by a CA outside it (e.g. {top['ca_name'].split('CN=')[-1]} by crt.sh CA id "
                        f"{', '.join(map(str, top['other_issuer_ca_ids']))}); up to {paths['affected_below'].max():,} "
                        f"affected certificates may still validate through such a path if it stays trusted.")
        blocks = ["\n".join(_wrap(line, width) for line in head)]
        # One row per option (the metrics the options change); what they share is in the lines above.
        by_option = pd.DataFrame([
            (label, values["affected"], values["survivors"], values["organisations_affected"],
             values["registrable_domains_affected"])
            for label, values in ((label, ev.summary_values()) for label, ev in self.evaluations.items())],
            columns=["option", "affected", "survive", "orgs", "domains"])
        blocks.append(format_table(by_option, width=width, title="Options compared (certificates)"))
        orgs = _dated(self.primary.by_organisation(examples=0).head(20))
        blocks.append(format_table(_short(orgs, ["organisation", "certificates", "registrable_domains",
                                                 "latest_not_after"]),
                                   width=width, title=f"Top organisations, affected ({self.primary_label})"))
        doms = _dated(self.primary.by_registrable_domain(examples=0).head(20))
        blocks.append(format_table(_short(doms, ["registrable_domain", "certificates", "organisations",
                                                 "latest_not_after"]),
                                   width=width, title=f"Top registrable domains, affected ({self.primary_label})"))
        levels = _dated(self.primary.by_validation_level())
        blocks.append(format_table(_short(levels, ["validation_level", "certificates", "organisations",
                                                   "latest_not_after"]),
                                   width=width, title="By validation level, affected"))
        rules = self.actual_rules()
        if rules:
            blocks.append("\n".join(_wrap("- " + r, width) for r in rules))
        text = "\n\n".join(blocks) + "\n"
        too_long = [line for line in text.splitlines() if textfmt.display_width(line) > width]
        assert not too_long, too_long  # the post must fit; format_table/_wrap guarantee it
        return text

    def write_outputs(self) -> list[Path]:
        """CSV tables (with crt.sh links) and ``summary.txt`` into the output folder; returns the paths."""
        from analysis.textfmt import write_csv

        if self.output_dir is None:
            raise ReportError("no output_dir: nothing to write to")
        out = self.output_dir / "tables"
        out.mkdir(parents=True, exist_ok=True)
        ev = self.primary
        written = [
            write_csv(self.comparison(), out / "options_compared.csv"),
            write_csv(ev.by_organisation(), out / "by_organisation.csv"),
            write_csv(ev.by_registrable_domain(), out / "by_registrable_domain.csv"),
            write_csv(ev.by_intermediate(), out / "by_intermediate.csv"),
            write_csv(ev.by_validation_level(), out / "by_validation_level.csv"),
            write_csv(ev.by_status(), out / "by_status.csv"),
            write_csv(ev.expiry_histogram(reference=self.scenario.distrust_date), out / "expiry_by_month.csv"),
            write_csv(ev.certificates(status=None), out / "certificates.csv", crtsh_ids=self.source == "crtsh"),
            write_csv(self.provenance(), out / "provenance.csv"),
        ]
        summary = self.output_dir / "summary.txt"
        summary.write_text(self.summary_text(), encoding="utf-8")
        (self.output_dir / "summary.json").write_text(json.dumps(
            {"parameters": self.scenario.parameters(), "source": self.source_name, "query_time": self.query_time,
             "options": {label: ev.summary_values() for label, ev in self.evaluations.items()}},
            indent=1, sort_keys=True), encoding="utf-8")
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


def _mozilla_presets(fetched) -> list:
    """Every root program's actions on the fetched root (all programs, not only Mozilla): an
    :class:`analysis.presets.ActualRecord` carrying the source used per program and the hierarchy the exempt
    intermediates resolve against."""
    from analysis import presets

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
# Showing results in a notebook: every value is data (escaped), never markup


CACHE_DIR_ENV = "DISTRUST_IMPACT_CACHE_DIR"  # how a run hands its cache folder to the kernel, not as a path in the notebook


def notebook_cache_dir(cache_dir: str | Path | None) -> Path | None:
    """The cache folder a notebook reads: its ``cache_dir`` parameter, else the one the command set for the kernel
    (the executed notebook then records no local path), else the default."""
    if cache_dir:
        return Path(cache_dir)
    return Path(os.environ[CACHE_DIR_ENV]) if os.environ.get(CACHE_DIR_ENV) else None


def notebook_setup() -> None:
    """What a report notebook sets first: warnings shown as one line without the file they come from (an executed
    notebook and its HTML carry no local path)."""
    import warnings

    warnings.formatwarning = lambda message, category, *_args, **_kw: f"{category.__name__}: {message}\n"


def _inert(markup: str) -> str:
    """Wrap HTML so MathJax in the notebook or its export typesets nothing in it (a ``$`` in a name stays a $)."""
    return f'<div class="tex2jax_ignore mathjax_ignore">{markup}</div>'


def show_heading(text: str, level: int = 2):
    """A heading whose text is data: escaped HTML, not Markdown (a CA name can hold ``<img onerror>``, ``[x](y)``
    or ``$x$``)."""
    from IPython.display import HTML

    return HTML(_inert(f"<h{level}>{html.escape(str(text))}</h{level}>"))


def show_list(lines: list[str], empty: str = "No recorded action."):
    from IPython.display import HTML

    if not lines:
        return HTML(_inert(f"<p><em>{html.escape(empty)}</em></p>"))
    return HTML(_inert("<ul>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in lines) + "</ul>"))


def _cell_text(value) -> str:
    import numpy as np

    if isinstance(value, (list, tuple, set, np.ndarray)):
        return ", ".join(_cell_text(v) for v in value)
    if value is None or value is pd.NaT or (not hasattr(value, "__len__") and pd.isna(value)):
        return ""  # a missing value is an empty cell, never "NaT" or "nan"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def show_table(df: pd.DataFrame, caption: str | None = None):
    """A table as escaped HTML: no index column, missing values empty, no cell or row cut, numbers with thousands
    separators. Every cell is data: ``<script>`` in an organisation name shows as text."""
    from IPython.display import HTML

    body = df.map(_cell_text) if len(df) else df.astype(str)
    table = body.to_html(index=False, escape=True, border=0, max_rows=None, max_cols=None, na_rep="",
                         classes="distrust-impact")
    head = f"<p><strong>{html.escape(caption)}</strong></p>" if caption else ""
    return HTML(_inert(head + table))


class _Figure:
    """A PNG with alt text, shown as ``<img alt=…>`` (nbconvert's own image output has no alt attribute)."""

    def __init__(self, png: bytes, alt: str, width: int):
        self.png, self.alt, self.width = png, alt, width

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64

        src = "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")
        return {"text/html": f'<img src="{src}" width="{self.width}" alt="{html.escape(self.alt, quote=True)}">',
                "text/plain": self.alt}


def show_figure(fig, alt: str) -> _Figure:
    """A matplotlib figure as a PNG with alt text (read out by a screen reader, shown when the image is not)."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=1.5 * fig.dpi)  # sharp on a high-density screen, shown at its own size
    plt.close(fig)
    return _Figure(buf.getvalue(), alt, round(fig.get_figwidth() * fig.dpi))


# --------------------------------------------------------------------------------------------------------------------
# Runs



@dataclass
class RunResult:
    date: str
    folder: Path
    ok: bool
    error: str = ""


def check_output_root(out_root: Path, folder: Path | None = None) -> None:
    """Refuse, before any query, an output root that cannot take a report: a file, a folder without write
    permission, or a place where folders cannot be made (``/proc``). Probes by making (and removing) ``folder`` (the
    CA's folder below ``out_root``) and a file in it."""
    out_root = Path(out_root)
    folder = Path(folder) if folder is not None else out_root
    made = []
    probe = folder
    while not probe.exists():
        made.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise ScenarioError(f"output folder {out_root}: {probe} is a file, not a folder")
    try:
        for part in reversed(made):
            part.mkdir()
        tempfile.TemporaryDirectory(prefix=".write-check-", dir=folder).cleanup()
    except OSError as exc:
        raise ScenarioError(f"output folder {out_root} is not writable ({exc.strerror or exc})") from None
    finally:
        for part in made:
            try:
                part.rmdir()
            except OSError:
                pass


def _name_search_role(rows: pd.DataFrame) -> dict[int, bool]:
    """ca_id -> whether that CA is a root (one of its certificates is self-signed)."""
    return {int(ca_id): bool(g["is_self_signed"].fillna(False).any()) for ca_id, g in rows.groupby("ca_id")}


def resolve_ca_name(ca: str, source: str) -> str:
    """A CA given by name (``--ca Certinomis``) becomes the crt.sh CA id of the one root it names, searched the way
    crt.sh's CA search does (case-insensitive, anywhere in the name). Several matches are an error listing them (roots
    and intermediates marked); one intermediate is an error naming the root(s) above it, to analyse from there.
    Fingerprints and ids are returned unchanged."""
    from analysis import crtsh

    spec = crtsh.parse_root(ca)
    if spec["name_pattern"] is None or source == DEMO:
        return ca
    client = crtsh.Client(None if source == "crtsh" else source)
    try:
        rows = client.frame("resolve_ca", spec)
        if not len(rows):
            raise crtsh.CrtshError(f"no CA matches name {ca!r}")
        roots = _name_search_role(rows)
        names = rows.drop_duplicates("ca_id").set_index("ca_id")["ca_name"]
        if len(roots) > 1:
            listing = "; ".join(f"{ca_id} {names[ca_id]} ({'root' if is_root else 'intermediate'})"
                                for ca_id, is_root in sorted(roots.items(), key=lambda kv: (not kv[1], kv[0])))
            raise ReportError(f"name {ca!r} matches {len(roots)} CAs — give one of these crt.sh CA ids with --ca: "
                              f"{listing}")
        (ca_id, is_root), = roots.items()
        if is_root:
            return str(ca_id)
        above = _roots_above(client, rows)
        under = "; ".join(f"{r} {n}" for r, n in above.items()) or "no root known to this source"
        hint = f" — to analyse from its root, use --ca {next(iter(above))}" if above else ""
        raise ReportError(f"{names[ca_id]} (crt.sh CA id {ca_id}) is an intermediate, under {under}{hint}")
    finally:
        client.close()


def _roots_above(client, rows: pd.DataFrame, max_depth: int = 8) -> dict[int, str]:
    """The roots above an intermediate's certificates (ca_id -> name), walking issuers up through resolve_ca; the
    nearest first (a root that cross-signed that root comes after it)."""
    found: dict[int, str] = {}
    seen = set(int(x) for x in rows["ca_id"])
    todo = {int(x) for x in rows["issuer_ca_id"].dropna()} - seen
    for _ in range(max_depth):
        nxt: set[int] = set()
        for ca_id in sorted(todo):
            seen.add(ca_id)
            up = client.frame("resolve_ca", {"root_sha256": None, "ca_id": ca_id, "name_pattern": None})
            if not len(up):
                continue
            if up["is_self_signed"].fillna(False).any():
                found[ca_id] = str(up["ca_name"].iloc[0])
            nxt |= {int(x) for x in up["issuer_ca_id"].dropna()}
        todo = nxt - seen
        if not todo:
            break
    return found


@contextmanager
def _kernel_env(**values: str):
    """Environment variables the notebook kernel inherits (papermill starts it from this process)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cell_hook(template: Path, what: str, log):
    """papermill's per-cell hook. It gives Ctrl-C back to Python (nbclient's own SIGINT handler only schedules the
    kernel's shutdown and lets the run go on), so an interrupted run stops and is kept aside. On a terminal it also
    shows one line per notebook, rewritten as its cells run (which step of how many, in which section); a log file
    gets nothing per cell (no carriage-return runs in files)."""
    import signal
    import threading

    where, code = {}, 0
    show = log is not None and sys.stderr.isatty()
    if show:
        import nbformat

        section = ""
        for cell in nbformat.read(template, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
                section = cell.source.lstrip().splitlines()[0].lstrip("# ").strip()
            elif cell.cell_type == "code":
                code += 1
                where[cell.get("id")] = (code, section)

    def on_cell_start(cell, cell_index, **_):
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if show and cell.cell_type == "code":
            step, name = where.get(cell.get("id"), (0, "parameters"))
            line = f"  {what}: step {step}/{code} — {name}" if step else f"  {what}: {name}"
            print("\r" + line[:110].ljust(110), end="", file=sys.stderr, flush=True)

    on_cell_start.shows_progress = show
    return on_cell_start


def stderr_log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _execute(template: Path, out_nb: Path, parameters: dict, *, on_cell_start=None) -> None:
    import logging

    import papermill as pm

    # papermill's own INFO/WARNING lines (one per notebook, "Kernel is running over TCP"…) are not for the user
    logging.getLogger("papermill").setLevel(logging.ERROR)
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    extra = {"on_cell_start": on_cell_start} if on_cell_start else {}
    # The kernel's own log is not for the reader: its start-up warning ("Kernel is running over TCP without
    # encryption": it listens on 127.0.0.1 for this process only) would print once per notebook, and a Ctrl-C
    # adds a traceback of its closed sockets. A failing cell is reported from the notebook itself.
    extra["extra_arguments"] = ["--IPKernelApp.log_level=CRITICAL"]
    pm.execute_notebook(str(template), str(out_nb), parameters=parameters, kernel_name=_kernel_name(),
                        progress_bar=False, cwd=str(out_nb.parent), log_output=False, **extra)
    _relative_provenance(out_nb, template)


KERNEL = "distrust-impact"  # the kernel the notebooks name and `make venv` installs


def _kernel_name() -> str:
    """The project's kernel when it is installed for this interpreter (as the notebooks say), else this interpreter's
    own ``python3`` (never a ``distrust-impact`` kernel of another checkout's environment)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv = KernelSpecManager().get_kernel_spec(KERNEL).argv
    except (NoSuchKernel, OSError, ValueError):
        return "python3"
    return KERNEL if argv and Path(argv[0]).parent == Path(sys.executable).parent else "python3"


def _relative_provenance(nb_path: Path, template: Path) -> None:
    """papermill records the template and output as absolute paths: keep them relative (no local path in a report)."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    meta = nb.metadata.get("papermill", {})
    try:
        meta["input_path"] = str(template.relative_to(PROJECT_ROOT))
    except ValueError:
        meta["input_path"] = template.name
    meta["output_path"] = nb_path.name
    nbformat.write(nb, nb_path)


def _export_html(nb_path: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(nb_path, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb)
    html_path = nb_path.with_suffix(".html")
    html_path.write_text(body, encoding="utf-8")
    return html_path


DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _stage(ca_dir: Path, name: str) -> Path:
    """A new, empty folder next to the final one, where a run writes until it has succeeded."""
    ca_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.running-", dir=ca_dir))
    umask = os.umask(0)
    os.umask(umask)
    stage.chmod(0o777 & ~umask)  # mkdtemp makes it private; the report folder gets the usual permissions
    return stage


def _swap_in(stage: Path, final: Path) -> None:
    """Put a finished run in place of the previous one: the previous folder is moved aside, the new one renamed in
    (both renames in the same folder), then the previous one is removed."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.previous-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    stage.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_failed(stage: Path, final: Path) -> Path:
    """A failed or interrupted run is kept, under ``<date>.failed`` (the newest failure replaces an older one)."""
    failed = final.with_name(f"{final.name}.failed")
    if failed.exists():
        shutil.rmtree(failed)
    stage.rename(failed)
    return failed


def _kept(final: Path) -> str:
    return f"the previous report in {final} is unchanged" if final.exists() else f"{final} was not created"


def run_reports(*, ca: str, dates: list[str], as_of: str = "", expires_on_or_before: str = "",
                issued_after: str = "", options: str = "removal", source: str = "crtsh",
                out_root: Path | str = REPORTS_DIR, cache_dir: Path | str | None = None, force: bool = False,
                refresh: bool = False, max_rows: int | None = None, log=print) -> list[RunResult]:
    """Validate (parameters and output folder, before any query), fetch once, then run the report template once per
    date and the sweep over every date reported for this CA with the same snapshot and filters.

    Each run is written into a new folder next to its target and swapped in only when it succeeded: a failed or
    interrupted run (Ctrl-C) leaves the previous report as it was and is kept as ``<date>.failed``."""
    if not dates:
        raise ScenarioError("give at least one distrust date (--date YYYY-MM-DD)")
    check_max_rows(max_rows)
    scenarios = [checked_scenario(ca=ca, distrust_date=d, as_of=as_of, expires_on_or_before=expires_on_or_before,
                                  issued_after=issued_after, options=options) for d in dates]
    if len({s.distrust_date for s in scenarios}) != len(scenarios):
        raise ScenarioError("the same distrust date is given twice")
    if source not in (DEMO, "crtsh") and "=" not in source and "://" not in source:
        raise ScenarioError(f"source {source!r}: use 'crtsh', 'demo', or a libpq DSN such as "
                            f"'host=… dbname=certwatch user=…'")
    out_root = Path(out_root)
    ca_dir = out_root / ca_folder_name(ca, source)
    folders = {s.distrust_date.isoformat(): ca_dir / s.distrust_date.isoformat() for s in scenarios}
    existing = [p for p in folders.values() if p.exists()]
    if existing and not force:
        raise ScenarioError(f"output folder {existing[0]} exists; pass --force to replace it "
                            f"(a previous run is never overwritten silently)")
    check_output_root(out_root, ca_dir)

    cache_dir = Path(cache_dir) if cache_dir else CACHE_DIR
    log(f"fetching {ca} as of {scenarios[0].as_of} from {source_label(source)} …")
    try:
        resolved = resolve_ca_name(scenarios[0].ca, source)
        fetched = fetch_population(resolved, scenarios[0].as_of, source, cache_dir, refresh=refresh,
                                   progress=True if sys.stderr.isatty() else _phase_logger(log),
                                   max_rows=max_rows)
    except Exception as exc:
        from analysis.crtsh import CrtshError, CrtshUnavailable

        if isinstance(exc, CrtshUnavailable):
            cached = cached_results(ca, cache_dir)
            hint = (f"; cached for this CA: {'; '.join(cached)} — rerun with that --as-of (and source) to use it"
                    if cached else "; nothing is cached for this CA yet")
            raise ReportError(f"{exc} — rerun when it is reachable{hint}") from None
        if isinstance(exc, CrtshError) and str(exc).startswith("no CA matches"):
            raise ReportError(f"{exc}{suggest_cas(ca)}") from None
        raise
    if resolved != scenarios[0].ca:  # a name: the notebooks get the crt.sh CA id it resolved to
        scenarios = [checked_scenario(**{**s.parameters(), "ca": resolved}) for s in scenarios]
    log(fetched.summary())
    from analysis.crtsh import DEFAULT_MAX_ROWS, public_dsn

    # The notebooks read the result just cached (its key ignores passwords): they get the DSN without its password,
    # so no secret lands in an executed notebook or its HTML.
    source = source if source in (DEMO, "crtsh") else public_dsn(source)

    row_limit = DEFAULT_MAX_ROWS if max_rows is None else max_rows
    with _kernel_env(**{CACHE_DIR_ENV: str(Path(cache_dir).resolve())}):
        if fetched.mode == "aggregates":
            log(f"{fetched.rows_planned:,} unexpired rows is over the row-by-row limit ({row_limit:,}): reporting "
                f"from crt.sh's server-side counts")
            # one aggregate notebook per date, no sweep: removal only, the other options need every certificate
            return _run_dates(AGGREGATE_TEMPLATE, "aggregate report", scenarios, folders, source, row_limit, log)
        # Every option is built once here, so an option this root cannot take (mozilla-actual for a root that was
        # never in NSS) and filters that leave nothing to judge are reported before any notebook runs.
        probe = Report.build(**scenarios[0].parameters(), source=source, fetched=fetched)
        values = probe.primary.summary_values()
        judged = values["affected"] + values["survivors"] + values["revoked"]
        if values["issuances"] and judged == 0:
            raise ScenarioError(
                f"the filters exclude every certificate ({values['excluded_expired']:,} expire on or before "
                f"{expires_on_or_before}, {values['excluded_issued_after']:,} issued after {issued_after}, of "
                f"{values['issuances']:,}); loosen them")

        results = _run_dates(REPORT_TEMPLATE, "report", scenarios, folders, source, row_limit, log)
        sweep_dates = sweep_dates_for(ca_dir, scenarios[0], source)
        sweep_dir = ca_dir / "sweep"
        base = scenarios[0].parameters()
        results.append(_run_staged(SWEEP_TEMPLATE, "date_sweep.ipynb", sweep_dir, dict(
            ca=base["ca"], distrust_dates=";".join(sweep_dates), as_of=base["as_of"],
            expires_on_or_before=base["expires_on_or_before"], issued_after=base["issued_after"], source=source,
            cache_dir="", output_dir=".", max_rows=row_limit), "sweep",
            f"date sweep over the {len(sweep_dates)} {'dates' if len(sweep_dates) > 1 else 'date'} reported for this "
            f"CA ({', '.join(sweep_dates)})", log))
    return results


def _phase_logger(log):
    """Fetch progress for a log file: one line when the phase changes (a terminal gets crtsh's rewritten line)."""
    last = {"phase": None}

    def progress(p) -> None:
        phase = p.phase.split(" ")[0] if p.phase.startswith("CA ") else p.phase
        if phase != last["phase"]:
            last["phase"] = phase
            log(f"  {p.phase}")

    return progress


def sweep_dates_for(ca_dir: Path, scenario: Scenario, source: str) -> list[str]:
    """The distrust dates the sweep covers: every date folder of this CA whose report has the same source, snapshot
    date and filters as this run (runs accumulate; a report with other parameters is left out of the sweep)."""
    mine = {k: scenario.parameters()[k] for k in ("as_of", "expires_on_or_before", "issued_after")}
    dates = {scenario.distrust_date.isoformat()}
    for folder in sorted(ca_dir.iterdir()) if ca_dir.is_dir() else []:
        summary = folder / "summary.json"
        if not (DATE_FOLDER.match(folder.name) and summary.is_file()):
            continue
        try:
            written = json.loads(summary.read_text(encoding="utf-8"))
            params = written["parameters"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        same = written.get("source") == source_label(source)
        if same and all(str(params.get(k, "")) == str(v) for k, v in mine.items()):
            dates.add(folder.name)
    return sorted(dates)


def _run_dates(template: Path, what: str, scenarios, folders, source, row_limit, log) -> list[RunResult]:
    """Run ``template`` once per distrust date, each into a new folder swapped in when it succeeded."""
    results = []
    for i, s in enumerate(scenarios, start=1):
        day = s.distrust_date.isoformat()
        params = dict(s.parameters(), source=source, cache_dir="", output_dir=".", max_rows=row_limit)
        results.append(_run_staged(template, "report.ipynb", folders[day], params, day,
                                   f"[{i}/{len(scenarios)}] {what} for distrust date {day}", log))
    return results


def _run_staged(template: Path, nb_name: str, final: Path, parameters: dict, label, what: str,
                log) -> RunResult:
    stage = _stage(final.parent, final.name)
    log(f"{what} → {final}")
    started = dt.datetime.now()
    try:
        result = _run_one(template, stage / nb_name, parameters, label, log=log)
    except KeyboardInterrupt:
        failed = _keep_failed(stage, final)
        raise RunInterrupted(f"during the {what.split('] ')[-1]}: {_kept(final)}; the partial run is in "
                             f"{failed}") from None
    if result.ok:
        _swap_in(stage, final)
        log(f"  done in {(dt.datetime.now() - started).total_seconds():.0f} s")
        return RunResult(result.date, final, True)
    failed = _keep_failed(stage, final)
    return RunResult(result.date, failed, False, f"{result.error} — {_kept(final)}; the failed run is in {failed}")


def _run_one(template: Path, out_nb: Path, parameters: dict, label, log=None) -> RunResult:
    import papermill as pm

    hook = _cell_hook(template, "date sweep" if label == "sweep" else f"distrust date {label}", log)
    try:
        _execute(template, out_nb, parameters, on_cell_start=hook)
    except pm.PapermillExecutionError as exc:
        return RunResult(str(label), out_nb.parent, False,
                         f"{out_nb.name} failed in cell {exc.exec_count}: {exc.ename}: {' '.join(exc.evalue.split())}")
    finally:
        if hook.shows_progress:
            print(file=sys.stderr)
    _export_html(out_nb)
    return RunResult(str(label), out_nb.parent, True)


def default_demo_dates() -> list[str]:
    """The seed thread's date: Firefox 69, which shipped the Certinomis removal."""
    return [SEED_DISTRUST_DATE]


DEMO_DEFAULTS = dict(ca=DEMO, as_of=SEED_AS_OF, expires_on_or_before=SEED_EXPIRES_ON_OR_BEFORE,
                     issued_after=SEED_ISSUED_AFTER, options=";".join(SEED_OPTIONS + (CERTINOMIS_ACTUAL,)),
                     source=DEMO)
