"""The report for a CA too large to pull row by row: crt.sh's server-side counts only.

When a CA's hierarchy holds more unexpired certificate rows than the client's ``max_rows`` (see
:func:`analysis.crtsh.fetch_ca`), only ``certificate_aggregates`` is fetched: certificates by subject O=, by notAfter
month and by issuing CA, each counted once per precertificate/certificate pair (distinct de-duplication keys).
From those, a removal's impact is exact per organisation and bounded per date to the month:

* months wholly after the distrust date (and after the expiry filter) are affected;
* the distrust date's own month is partly affected: it is the gap between the lower and the upper bound;
* what aggregates cannot say is said: the issued-after filter needs notBefore and revocations need serials, so both
  are left out (the bounds count revoked certificates and certificates issued after the cut-off), and options other
  than removal need the names of every certificate.

The hierarchy's own CA certificates are taken out of the counts, as in the row-by-row report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import figures
from analysis.crtsh import DEFAULT_MAX_ROWS
from analysis.normalise import NO_ORGANISATION
from analysis.report import TEXT_WIDTH, _wrap, check_max_rows, checked_scenario, code_version
from analysis.scenario import Scenario
from analysis.sources import fetch_population, notebook_cache_dir, source_label
from analysis.textfmt import format_table, write_csv

_O = re.compile(r'(?:^|, )O=("(?:[^"\\]|\\.)*"|[^,]*)')


def _organisation_of(name: str) -> str | None:
    """The first O= of a crt.sh-format name (quotes and escapes undone)."""
    m = _O.search(name or "")
    if not m:
        return None
    value = m.group(1)
    if value.startswith('"'):
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


def _month(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m")


@dataclass
class AggregateReport:
    scenario: Scenario
    source: str
    fetched: object  # analysis.crtsh.FetchResult with mode "aggregates"
    output_dir: Path | None = None

    @classmethod
    def build(cls, *, ca: str, distrust_date: str, as_of: str = "", expires_on_or_before: str = "",
              issued_after: str = "", options: str = "removal", source: str = "crtsh", cache_dir: str = "",
              output_dir: str = "", max_rows: int | None = None, fetched=None) -> "AggregateReport":
        scenario = checked_scenario(ca=ca, distrust_date=distrust_date, as_of=as_of,
                                    expires_on_or_before=expires_on_or_before, issued_after=issued_after,
                                    options=options)
        check_max_rows(max_rows)
        if fetched is None:
            fetched = fetch_population(scenario.ca, scenario.as_of, source, notebook_cache_dir(cache_dir),
                                       max_rows=DEFAULT_MAX_ROWS if max_rows is None else max_rows)
        return cls(scenario, source, fetched, Path(output_dir) if output_dir else None)

    # -- the counts, without the hierarchy's own CA certificates -------------------------------------------------
    def _ca_certificates(self) -> pd.DataFrame:
        h = self.fetched.hierarchy
        as_of = pd.Timestamp(self.scenario.as_of)
        cas = set(self.fetched.issuing_ca_ids)
        keep = h[h["parent_ca_id"].isin(cas) & (h["not_after"] >= as_of)].drop_duplicates("certificate_id")
        return keep

    def _dimension(self, name: str) -> pd.DataFrame:
        a = self.fetched.aggregates
        d = a[a["dimension"] == name][["key", "certificates", "precertificates", "deduplicated"]].copy()
        return d.reset_index(drop=True)

    def by_organisation(self) -> pd.DataFrame:
        """``organisation, certificates`` (a pair counted once), ``crtsh_rows``, sorted by certificates."""
        d = self._dimension("organization")
        ca = self._ca_certificates()
        minus = ca["ca_name"].map(_organisation_of).value_counts(dropna=False)
        ca_rows = d["key"].map(lambda k: int(minus.get(k, 0))).astype("int64")
        d["crtsh_rows"] = d["certificates"] - ca_rows
        d["certificates"] = d["deduplicated"] - ca_rows
        d["organisation"] = d["key"].fillna(NO_ORGANISATION)
        d = d[d["certificates"] > 0]
        return (d[["organisation", "certificates", "crtsh_rows"]]
                .sort_values(["certificates", "organisation"], ascending=[False, True]).reset_index(drop=True))

    def by_issuing_ca(self) -> pd.DataFrame:
        d = self._dimension("issuer_ca_id")
        ca = self._ca_certificates()
        minus = ca["parent_ca_id"].astype("int64").astype(str).value_counts()
        d["certificates"] = d["deduplicated"] - d["key"].map(lambda k: int(minus.get(k, 0))).astype("int64")
        names = dict(zip(self.fetched.hierarchy["ca_id"].astype(str), self.fetched.hierarchy["ca_name"]))
        d["issuer_name"] = d["key"].map(names)
        d = d.rename(columns={"key": "issuer_ca_id"})
        return d[["issuer_name", "issuer_ca_id", "certificates"]].sort_values("certificates", ascending=False) \
            .reset_index(drop=True)

    def by_month(self) -> pd.DataFrame:
        """Per notAfter month: ``certificates`` and what a removal on the distrust date does to them (``status``:
        ``excluded`` by the expiry filter, ``expires before the distrust``, ``partly affected`` (the distrust
        month, or the filter's month when it is not a month end), ``affected``)."""
        d = self._dimension("not_after_month")
        ca = self._ca_certificates()
        minus = ca["not_after"].map(_month).value_counts()
        d["certificates"] = d["deduplicated"] - d["key"].map(lambda k: int(minus.get(k, 0))).astype("int64")
        s = self.scenario
        distrust = _month(s.distrust_date)
        cut = s.expires_on_or_before
        statuses = []
        for month in d["key"]:
            if month == "unparsable":
                statuses.append("unparsable")
                continue
            first = dt.date.fromisoformat(month + "-01")
            last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
            if cut and last <= cut:
                statuses.append("excluded")
            elif month < distrust:
                statuses.append("expires before the distrust")
            elif month == distrust or (cut and first <= cut < last):
                statuses.append("partly affected")
            else:
                statuses.append("affected")
        d["status"] = statuses
        return d.rename(columns={"key": "month"})[["month", "certificates", "status"]]

    def estimate(self) -> pd.DataFrame:
        """Headline numbers of a removal on the distrust date, with their bounds and what they leave out."""
        m = self.by_month()
        total = int(m["certificates"].sum())
        count = lambda *st: int(m.loc[m["status"].isin(st), "certificates"].sum())  # noqa: E731
        lower = count("affected")
        upper = lower + count("partly affected")
        orgs = self.by_organisation()
        rows = [
            ("certificates (pairs once)", total, "unexpired on the snapshot date, the hierarchy's CA certificates "
                                                 "left out"),
            ("excluded: expire on or before the filter date", count("excluded"), "whole months only"),
            ("expire before the distrust", count("expires before the distrust"), ""),
            ("affected, at least", lower, "notAfter in a month wholly after the distrust date; revoked certificates "
                                          "and those issued after the cut-off included (counts cannot tell)"),
            ("affected, at most", upper, "plus the distrust month (and a partly filtered month); same caveat"),
            ("unparsable", count("unparsable"), "notAfter unknown"),
            ("organisations (O=) with unexpired certificates", int((orgs["organisation"] != NO_ORGANISATION).sum()),
             "any expiry: per-organisation counts are not split by month on the server"),
        ]
        return pd.DataFrame(rows, columns=["metric", "value", "note"])

    # -- what the report shows -------------------------------------------------------------------------------------
    @property
    def ca_name(self) -> str:
        root = self.fetched.root
        return str(root["ca_name"].iloc[0]) if len(root) else self.scenario.ca

    @property
    def ca_short_name(self) -> str:
        parts = [p[3:] for p in self.ca_name.split(", ") if p.startswith("CN=")]
        return parts[-1] if parts else self.ca_name

    @property
    def query_time(self) -> str:
        return str(self.fetched.provenance.get("fetched_at", "unknown"))

    def provenance(self) -> pd.DataFrame:
        s = self.scenario
        rows = [("CA", self.ca_name), ("root crt.sh CA id", str(self.fetched.root_ca_id)),
                ("source", source_label(self.source)), ("query time (UTC)", self.query_time),
                ("mode", f"server-side aggregates: {self.fetched.rows_planned:,} unexpired rows is more than the "
                         f"row-by-row limit ({self.fetched.provenance['parameters'].get('max_rows'):,})"),
                ("snapshot: certificates unexpired on", s.as_of.isoformat()),
                ("distrust date", s.distrust_date.isoformat()),
                ("filter: expires on or before", s.expires_on_or_before.isoformat() if s.expires_on_or_before
                 else "off"),
                ("filter: issued after", "not applied (needs notBefore per certificate)" if s.issued_after else "off"),
                ("options", "removal only (other options need every certificate's names)"),
                ("code version", code_version())]
        return pd.DataFrame(rows, columns=["item", "value"])

    def _hist(self) -> pd.DataFrame:
        m = self.by_month()
        m = m[m["month"] != "unparsable"]
        hist = pd.DataFrame({"month": m["month"]})
        hist["affected"] = m["certificates"].where(m["status"].isin(["affected", "partly affected"]), 0)
        hist["survivors"] = m["certificates"].where(m["status"] == "expires before the distrust", 0)
        hist["revoked"] = 0
        hist["excluded"] = m["certificates"].where(m["status"] == "excluded", 0)
        return hist.reset_index(drop=True)

    def _stem(self, name: str):
        return None if self.output_dir is None else self.output_dir / "figures" / name

    def _policy(self) -> str:
        return f"removal on {self.scenario.distrust_date} (upper bound; server-side counts)"

    def figure_expiry(self):
        return figures.plot_expiry_histogram(self._hist(), ca=self.ca_short_name,
                                             distrust_date=self.scenario.distrust_date,
                                             source=source_label(self.source), query_time=self.query_time,
                                             policy=self._policy(), path_stem=self._stem("expiry_by_month"))

    def figure_top_organisations(self, top: int = 15):
        orgs = self.by_organisation()
        return figures.plot_top(orgs, "organisation", what="Top organisations by unexpired certificates",
                                ca=self.ca_short_name, top=top, total=int(orgs["certificates"].sum()),
                                source=source_label(self.source), query_time=self.query_time,
                                policy="server-side counts, any expiry", path_stem=self._stem("top_organisations"))

    def figure_alt(self, which: str) -> str:
        """Alt text of a figure: what it shows, in a sentence (plain text; the HTML escapes it)."""
        e = self.estimate().set_index("metric")["value"]
        if which == "expiry":
            return (f"Bar chart: unexpired certificates of {self.ca_short_name} by month of expiry (crt.sh's counts); "
                    f"a removal on {self.scenario.distrust_date} breaks between {e['affected, at least']:,} and "
                    f"{e['affected, at most']:,}.")
        top = self.by_organisation().head(1)
        lead = (f"; the most is {top['organisation'].iloc[0]} with {int(top['certificates'].iloc[0]):,}"
                if len(top) else "")
        return f"Bar chart: the organisations holding the most unexpired certificates of {self.ca_short_name}{lead}."

    def summary_text(self, width: int = TEXT_WIDTH) -> str:
        e = self.estimate().set_index("metric")["value"]
        s = self.scenario
        head = [f"Distrust impact (server-side counts): {self.ca_name}",
                f"Source: {source_label(self.source)}, queried {self.query_time}.",
                f"{self.fetched.rows_planned:,} unexpired crt.sh rows on {s.as_of}: too many to pull one by one, "
                f"so these are crt.sh's own counts.",
                "",
                f"A removal on {s.distrust_date} breaks between {e['affected, at least']:,} and "
                f"{e['affected, at most']:,} certificates (revoked ones and any issued after the cut-off "
                f"included: aggregates cannot tell them apart)."]
        blocks = ["\n".join(_wrap(line, width) for line in head),
                  format_table(self.estimate()[["metric", "value"]], width=width, title="Estimate"),
                  format_table(self.by_organisation().head(20), width=width,
                               title="Top organisations, unexpired certificates (any expiry)")]
        return "\n\n".join(blocks) + "\n"

    def write_outputs(self) -> list[Path]:
        out = self.output_dir / "tables"
        out.mkdir(parents=True, exist_ok=True)
        paths = [write_csv(self.estimate(), out / "estimate.csv"),
                 write_csv(self.by_organisation(), out / "by_organisation.csv"),
                 write_csv(self.by_month(), out / "by_month.csv"),
                 write_csv(self.by_issuing_ca(), out / "by_issuing_ca.csv"),
                 write_csv(self.provenance(), out / "provenance.csv")]
        summary = self.output_dir / "summary.txt"
        summary.write_text(self.summary_text(), encoding="utf-8")
        return paths + [summary]
