"""The cross-program figure: one survival line per root program (analysis.programs), in the house style of
:mod:`analysis.figures` (whose helpers it uses as they are)."""

from __future__ import annotations

import os

import matplotlib.dates as mdates

from analysis.figures import LEGEND_BOX, PALETTE, _headroom, _top_band, label_figure, new_figure, save


def plot_programs(comparison, *, ca: str, source: str, query_time=None, path_stem: str | os.PathLike | None = None,
                  reproduce: str | None = None):
    """Certificates broken on each day, one line per program (:attr:`analysis.programs.ProgramComparison.series`):
    when each program's breakage starts, how large it gets and when it ends. Every label names the program's rule;
    a program with nothing broken (no action, or not in its store) is listed with its reason. Returns the Figure;
    ``path_stem`` saves PNG + SVG (byte-identical on re-runs); ``reproduce``: the reproduce line, in the footer."""
    fig, ax = new_figure()
    fig.subplots_adjust(left=0.08, right=0.98, top=0.82, bottom=0.16)
    series = comparison.series
    table = comparison.table.set_index("metric")
    styles = ["-", "--", "-.", ":"]
    peak = 0
    for i, program in enumerate(c for c in series.columns if c != "date"):
        values = series[program]
        affected, rule = table.loc["affected", program], table.loc["rule", program]
        if isinstance(affected, str):  # not in the store
            label = f"{program}: {affected}"
        else:
            label = (f"{program} ({rule}): {int(affected):,} affected, "
                     f"peak {int(values.max()) if len(values) else 0:,}")
        peak = max(peak, int(values.max()) if len(values) else 0)
        ax.step(series["date"], values, where="post", lw=2.2, ls=styles[i % len(styles)],
                color=PALETTE[i % len(PALETTE)], label=label)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    legend = ax.legend(loc="upper right", title="root program (its actual rule)", **LEGEND_BOX)
    _headroom(ax, peak, _top_band(ax, legend))  # the legend in a band above the lines, never over them
    when = f"; as known on {comparison.as_of:%Y-%m-%d}" if comparison.as_of is not None else ""
    label_figure(fig, ax, what="Certificates broken per root program", ca=ca, xlabel="date (UTC)",
                 ylabel="certificates broken that day (count)", n=f"{peak:,} at the peak", source=source,
                 query_time=query_time,
                 policy="each program's actual rule, alternate trust paths decided per program" + when,
                 subtitle="Each line: certificates that program no longer accepts and that have not yet expired",
                 reproduce=reproduce)
    if path_stem is not None:
        save(fig, path_stem)
    return fig
