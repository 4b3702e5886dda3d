"""The date sweep a notebook shows: the impact of a removal as a function of the candidate distrust date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from analysis import figures, repro, tables
from analysis.report import TEXT_WIDTH, Report, checked_scenario, command_for
from analysis.scenario import Scenario, ScenarioError, parse_option
from analysis.textfmt import format_table, write_csv

# The text table's column headers, for a reader (the CSV keeps the column names).
SUMMARY_HEADERS = {"distrust_date": "distrust date", "affected": "affected", "survivors": "survive",
                   "revoked": "revoked", "excluded": "excluded", "organisations_affected": "orgs affected"}


def removal_by_date(scenario: Scenario, normalised, presets, cross_signed: bool) -> str | Callable:
    """What the sweep evaluates on each candidate date: a removal on that date, with alternate trust paths decided
    as the report decides them (:meth:`analysis.scenario.Scenario.policy_for`) when a CA outside the hierarchy
    certified one of its CAs (``cross_signed``) -- one full evaluation per date -- else the vectorised removal of
    :func:`analysis.tables.date_sweep` (no path can save a certificate then; the two give the same numbers)."""
    if scenario.ignore_alternate_paths or not cross_signed:
        return "removal"
    removal = parse_option("removal")
    return lambda day: replace(scenario, distrust_date=pd.Timestamp(day).date()).policy_for(
        removal, normalised, mozilla_presets=presets)


@dataclass
class Sweep:
    report: Report  # the population and scenario of the first proposed date (removal)
    proposed: list  # the proposed dates (datetime.date)
    table: pd.DataFrame  # tables.date_sweep over the monthly grid and the proposed dates
    output_dir: Path | None = None

    @classmethod
    def build(cls, *, ca: str, distrust_dates: list[str] | str, as_of: str = "", expires_on_or_before: str = "",
              issued_after: str = "", months: int = 24, source: str = "crtsh", cache_dir: str = "",
              output_dir: str = "", max_rows: int | None = None,
              ignore_alternate_paths: bool | str = False) -> "Sweep":
        days = distrust_dates.split(";") if isinstance(distrust_dates, str) else list(distrust_dates)
        proposed = sorted({checked_scenario(ca=ca, distrust_date=d, as_of=as_of).distrust_date
                           for d in days if str(d).strip()})
        if not proposed:
            raise ScenarioError("distrust_dates: give at least one date (YYYY-MM-DD)")
        if not isinstance(months, int) or not 0 <= months <= 240:
            raise ScenarioError(f"months: {months!r} is not a whole number of months from 0 to 240")
        report = Report.build(ca=ca, distrust_date=proposed[0].isoformat(), as_of=as_of,
                              expires_on_or_before=expires_on_or_before, issued_after=issued_after,
                              options="removal", source=source, cache_dir=cache_dir, max_rows=max_rows,
                              ignore_alternate_paths=ignore_alternate_paths)
        grid = pd.date_range(pd.Timestamp(proposed[0]), periods=months + 1, freq="MS") if months else []
        dates = sorted(set(pd.Timestamp(d) for d in proposed) | set(grid))
        s = report.scenario
        policy = removal_by_date(s, report.normalised, report.presets, bool(len(report.alternate_paths())))
        table = tables.date_sweep(report.normalised, dates, policy,
                                  expires_on_or_before=s.expires_on_or_before, issued_after=s.issued_after)
        return cls(report, proposed, table, Path(output_dir) if output_dir else None)

    def at_proposed_dates(self) -> pd.DataFrame:
        wanted = [pd.Timestamp(d) for d in self.proposed]
        return self.table[self.table["distrust_date"].isin(wanted)].reset_index(drop=True)

    def reproduce_command(self) -> list[str]:
        """A ``distrust-impact report`` command that gives this sweep: removal on each proposed date, with the
        report's population and filters (the sweep of a run covers every date reported for the CA)."""
        params = {k: v for k, v in self.report.parameters().items() if k != "programs"}
        cmd = command_for({**params, "options": "removal"})
        at = cmd.index("--date")
        cmd[at:at + 2] = [word for day in self.proposed for word in ("--date", day.isoformat())]
        return cmd

    def reproduce_line(self) -> str:
        """The reproduce line every output of the sweep ends with (as the per-date report's)."""
        return repro.reproduce_line(self.reproduce_command(), checksum=self.report.input_checksum())

    def figure(self):
        r = self.report
        stem = None if self.output_dir is None else self.output_dir / "figures" / "date_sweep"
        return figures.plot_date_sweep(self.table, ca=r.ca_short_name, marked_dates=self.proposed,
                                       source=r.source_name, query_time=r.query_time,
                                       policy=f"removal on each date; {r.scenario.describe(with_distrust=False)}",
                                       path_stem=stem, reproduce=self.reproduce_line())

    def figure_alt(self) -> str:
        """Alt text of the sweep figure (plain text; the HTML escapes it)."""
        at = self.at_proposed_dates()
        points = "; ".join(f"{d:%Y-%m-%d}: {int(n):,}" for d, n in zip(at["distrust_date"], at["affected"]))
        return (f"Line chart: certificates of {self.report.ca_short_name} a removal would break, and organisations "
                f"holding them, for each candidate distrust date month by month; the proposed dates are marked "
                f"({points}).")

    def summary_text(self, width: int = TEXT_WIDTH) -> str:
        t = self.at_proposed_dates()[list(SUMMARY_HEADERS)].rename(columns=SUMMARY_HEADERS)
        t["distrust date"] = t["distrust date"].dt.strftime("%Y-%m-%d")
        return format_table(t, width=width, title=f"Removal of {self.report.ca_short_name}, by distrust date") + "\n"

    def write_outputs(self) -> list[Path]:
        if self.output_dir is None:
            raise ScenarioError("no output_dir: nothing to write to")
        self.output_dir.mkdir(parents=True, exist_ok=True)
        path = self.output_dir / "summary.txt"
        line = self.reproduce_line()
        path.write_text(self.summary_text() + "\n" + line + "\n", encoding="utf-8")
        return [write_csv(self.table, self.output_dir / "date_sweep.csv", reproduce=line), path]
