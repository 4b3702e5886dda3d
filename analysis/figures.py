"""The project's one plotting module: one house style, labelled figures, reproducible PNG + SVG files.

Every figure made for a report goes through three steps (docs/rules.md, "Figures and outputs"):

1. :func:`apply_style` -- one style for all figures (seaborn "whitegrid" + the Okabe-Ito colour-blind-safe palette);
2. :func:`label_figure` -- a title saying *what* is shown and *for which CA*, axis labels with units, ``n = ...``, and
   a footer line with the source, the query time (UTC) and the policy / parameters;
3. :func:`save` -- PNG (for pasting into a mailing list) and SVG (for the record), byte-identical when regenerated
   from the same inputs: no dates or software versions embedded, a fixed SVG hash salt.

Report figures are added to this module as ``plot_<what>(...)`` functions that return the Figure and take an
optional ``path_stem`` to save it; :func:`plot_root_store_history` is the pattern to follow.

Every value from a certificate or the command line (CA and organisation names, domains, option labels) is *data*:
it goes through :func:`figure_text` (control and bidi characters escaped, characters no installed font can draw
shown as ``\\uXXXX`` rather than as empty boxes) and mathtext is off (``text.parse_math``), so a ``$`` in a name is
a dollar sign. Fonts (:func:`font_chain`): DejaVu Sans (Latin, Greek, Cyrillic, Arabic, Hebrew; ships with
matplotlib), then Noto Sans CJK (Chinese, Japanese, Korean; Debian package ``fonts-noto-cjk``) and other Noto or
WenQuanYi fonts when installed; matplotlib takes each glyph from the first font of the chain that has it and shapes
Arabic right to left.

Over 500 lines: the one plotting module by design (one style, one labelling and one writer for every figure);
each ``plot_<what>`` is short, and a figure belongs here rather than in a module of its own.
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

if "MPLBACKEND" not in os.environ and not os.environ.get("DISPLAY"):
    # Scripts and tests write files only. In a notebook the kernel sets MPLBACKEND (inline) and keeps it, so the
    # figures show in the notebook and its HTML export; saved files are the same either way.
    matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from analysis import rootstore  # noqa: E402
from analysis.files import atomic_write
from analysis.textfmt import display_width, ellipsize, escape_text, fill  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design": distinguishable with all common colour-vision deficiencies.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Order used for categorical series (yellow last: weak on white).
PALETTE: list[str] = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple",
                                              "sky_blue", "black", "yellow")]
GREY = "#7F7F7F"

# Figure sizes in inches; at DPI = 150 the default is 1650 x 900 px, readable when pasted at half width.
FIGSIZE = (11.0, 6.0)
DPI = 150
SVG_HASH_SALT = "distrust-impact"  # fixed, so SVG element ids are the same on every run

# Metadata that would make two renders differ (matplotlib writes a creation date and its own version by default).
PNG_METADATA = {"Date": None, "Software": None}
SVG_METADATA = {"Date": None}

STYLE_RC: dict[str, object] = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "font.family": "DejaVu Sans",  # ships with matplotlib; apply_style() appends the fallbacks of font_chain()
    "text.parse_math": False,  # names are data: "$" is a dollar sign, never mathtext
    "font.size": 11,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": SVG_HASH_SALT,
    "svg.fonttype": "none",  # keep text as text in the SVG: searchable, diffable, small
    "path.simplify": True,
}


# Fallback fonts, in order, after DejaVu Sans: the first one installed that has a glyph draws it.
FALLBACK_FAMILIES = (
    "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR",  # fonts-noto-cjk
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",  # fonts-wqy-zenhei / fonts-wqy-microhei
    "Noto Sans", "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans Thai", "Noto Sans Devanagari",  # fonts-noto-core
    "Noto Sans Symbols", "Noto Sans Symbols2",
)
# Where Debian and users put fonts that matplotlib's cache may not know yet (it is built once, at first import).
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
FONT_FILE_PATTERNS = ("NotoSansCJK*.ttc", "NotoSansCJK*.otf", "wqy-*.ttc", "NotoSans-*.ttf", "NotoSansArabic-*.ttf",
                      "NotoSansHebrew-*.ttf", "NotoSansThai-*.ttf", "NotoSansDevanagari-*.ttf",
                      "NotoSansSymbols*-*.ttf")
CJK_FONT_HINT = ("no font with Chinese, Japanese and Korean glyphs is installed: such characters in figures are "
                 "shown as \\u escapes (install the Debian package fonts-noto-cjk)")


@lru_cache(maxsize=1)
def font_chain() -> tuple[str, ...]:
    """The font families figures use, in fallback order: DejaVu Sans, then those of :data:`FALLBACK_FAMILIES`
    that are installed (font files in :data:`FONT_DIRS` that matplotlib's font cache predates are added to it)."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    if not set(FALLBACK_FAMILIES) <= known:
        seen = {f.fname for f in font_manager.fontManager.ttflist}
        for folder in FONT_DIRS:
            root = Path(folder).expanduser()
            if not root.is_dir():
                continue
            for pattern in FONT_FILE_PATTERNS:
                for path in sorted(root.rglob(pattern)):
                    if str(path) not in seen:
                        try:
                            font_manager.fontManager.addfont(str(path))
                        except (OSError, RuntimeError, ValueError):  # unreadable font file: skip it
                            continue
        known = {f.name for f in font_manager.fontManager.ttflist}
    return ("DejaVu Sans",) + tuple(f for f in FALLBACK_FAMILIES if f in known)


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """Code points some font of :func:`font_chain` has a glyph for."""
    points: set[int] = set()
    for family in font_chain():
        for weight in ("normal", "bold"):
            path = font_manager.findfont(font_manager.FontProperties(family=family, weight=weight),
                                         fallback_to_default=False)
            points.update(font_manager.get_font(path).get_charmap())
    return frozenset(points)


_warned_cjk = False


def _drawable(ch: str) -> str:
    """``ch``, or its ``\\uXXXX`` escape when no font of the chain can draw it (an empty box otherwise)."""
    global _warned_cjk
    cp = ord(ch)
    if cp in _covered():
        return ch
    if not _warned_cjk and display_width(ch) == 2 and not any("CJK" in f or "WenQuanYi" in f for f in font_chain()):
        warnings.warn(CJK_FONT_HINT, stacklevel=3)
        _warned_cjk = True
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def figure_text(value, width: int | None = None) -> str:
    """A value from a certificate or the command line as figure text: :func:`analysis.textfmt.escape_text`
    (newlines, tabs, control and bidi characters shown as ``\\n``, ``\\t``, ``\\u202e``), characters no
    installed font has shown as ``\\uXXXX``, and cut to ``width`` display columns with "…" when given.
    (``text.parse_math`` is off in the house style, so ``$`` needs no escape.)"""
    text = escape_text(value)
    if not text.isascii():
        text = "".join(map(_drawable, text))
    return ellipsize(text, width) if width is not None else text


def apply_style() -> None:
    """Apply the house style (idempotent). Call before creating a figure; :func:`new_figure` does it for you."""
    rc = {**STYLE_RC, "font.family": list(font_chain())}
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE, rc=rc)
    matplotlib.rcParams.update(rc)  # seaborn's context scaling would otherwise override the sizes
    matplotlib.rcParams["axes.prop_cycle"] = matplotlib.cycler(color=PALETTE)


def new_figure(figsize: tuple[float, float] = FIGSIZE, fonts: tuple[str, ...] | None = None,
               **subplots_kw) -> tuple[Figure, Axes]:
    """A styled figure with one axes (or a grid: pass ``nrows``/``ncols`` etc. to ``plt.subplots``). ``fonts``
    replaces the font chain (:func:`font_chain`) for this figure and the ones after it, until the next
    :func:`apply_style`."""
    apply_style()
    if fonts:
        matplotlib.rcParams["font.family"] = list(fonts)
    fig, ax = plt.subplots(figsize=figsize, **subplots_kw)
    return fig, ax


def _format_time(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.strftime("%Y-%m-%d %H:%M UTC") if (ts.hour or ts.minute) else ts.strftime("%Y-%m-%d UTC")


def footer_text(source: str, query_time=None, policy: str | None = None) -> str:
    """``Source: ... | Query time: ... | Policy: ...`` -- what every figure's footer says (docs/rules.md, "Figures and
    outputs"); the values are shown as data (:func:`figure_text`)."""
    parts = [f"Source: {figure_text(source)}", f"Query time: {figure_text(_format_time(query_time))}"]
    if policy:
        parts.append(f"Policy: {figure_text(policy)}")
    return "   |   ".join(parts)


def figure_title(what: str, ca: str | None = None) -> str:
    """``"<what> — <CA>"``: what is shown, and for which CA (omitted when the figure is not about one CA); the CA
    name is shown as data (:func:`figure_text`)."""
    return f"{what} \u2014 {figure_text(ca)}" if ca else what


def _renderer(fig: "Figure"):
    """The renderer text is measured with (Agg's, as in the saved files and the notebook's inline figures)."""
    get = getattr(fig.canvas, "get_renderer", None)
    return get() if get is not None else fig._get_renderer()


def _fitted(fig: "Figure", make, text: str, max_px: float, **props) -> str:
    """``make(text)``, with ``text`` ellipsized (by display columns) as little as needed for the drawn string to
    be at most ``max_px`` pixels wide in the figure's fonts (``props``: font size, weight)."""
    probe = fig.text(0, 0, make(text), **props)
    renderer = _renderer(fig)
    try:
        if probe.get_window_extent(renderer).width <= max_px:
            return make(text)
        lo, hi = 0, display_width(text)  # columns kept: lo fits (or is 0), hi does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            probe.set_text(make(ellipsize(text, mid)))
            if probe.get_window_extent(renderer).width <= max_px:
                lo = mid
            else:
                hi = mid
        return make(ellipsize(text, max(lo, 1)))
    finally:
        probe.remove()


def label_figure(fig: Figure, ax: Axes, *, what: str, ca: str | None = None, xlabel: str, ylabel: str,
                 n: int | str | None = None, source: str, query_time=None, policy: str | None = None,
                 subtitle: str | None = None, reproduce: str | None = None) -> None:
    """Label a figure the house way.

    * title (bold, top left, aligned with the axes): what is shown and for which CA (:func:`figure_title`); a CA
      name too long for the line is cut with "…" before it reaches ``n = ...``;
    * optional subtitle under it (how to read the figure);
    * ``n = ...`` top right, on the title line;
    * axis labels -- give units, e.g. ``"certificates (count)"``, ``"notAfter (UTC)"``;
    * footer line: source, query time (UTC), policy / parameters (:func:`footer_text`), wrapped to the width;
    * with ``reproduce`` (:func:`analysis.repro.reproduce_line`), that line under it, wrapped (shown as data):
      the figure grows at the bottom by its height, so the plot keeps its size and place.

    Leave room with ``fig.subplots_adjust(top=0.86, bottom=0.14)`` (or so) before calling.
    """
    pos = ax.get_position()
    title_y = 0.975
    # Titles start at the axes' left edge, unless long tick labels (bar charts) pushed the axes far right.
    title_x = pos.x0 if pos.x0 < 0.15 else 0.02
    title_props = {"fontsize": STYLE_RC["axes.titlesize"], "fontweight": "bold"}
    title = fig.text(title_x, title_y, figure_title(what), ha="left", va="top", **title_props)
    if subtitle:
        fig.text(title_x, title_y - 0.055, subtitle, ha="left", va="top", fontsize=10.5, color="#333333")
    fig_px = fig.bbox.width
    right_px = pos.x1 * fig_px
    if n is not None:
        text = f"n = {n:,}" if isinstance(n, int) else f"n = {figure_text(n)}"
        n_text = fig.text(pos.x1, title_y, text, ha="right", va="top", fontsize=10.5, color="#333333")
        right_px = n_text.get_window_extent(_renderer(fig)).x0 - 0.25 * fig.dpi  # a quarter inch before n =
    if ca:  # the CA name, cut with "…" as little as needed to end before n =
        title.set_text(_fitted(fig, lambda c: f"{what} \u2014 {c}", figure_text(ca), right_px - title_x * fig_px,
                               **title_props))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    # The footer wraps rather than running off the page (8 pt DejaVu Sans: about 20 characters per inch).
    columns = int(fig.get_figwidth() * 16.5)
    footer = fill(footer_text(source, query_time, policy), columns, escape=False)
    height = fig.get_figheight()
    if reproduce:
        command = fill(figure_text(reproduce), columns, subsequent_indent="    ", escape=False)
        _grow_bottom(fig, (command.count("\n") + 1) * FOOTER_LINE_INCHES)
        footer += "\n" + command
    fig.text(0.01, 0.008 * height / fig.get_figheight(), footer, ha="left", va="bottom", fontsize=8,
             color="#555555", linespacing=1.3)


FOOTER_LINE_INCHES = 8 * 1.3 / 72  # one footer line: 8 pt type, line spacing 1.3


def _grow_bottom(fig: Figure, inches: float) -> None:
    """Add ``inches`` at the bottom of ``fig``: every axes and figure text keeps its size and its distance from
    the top (their figure-fraction positions are rescaled to the new height)."""
    old = fig.get_figheight()
    new = old + inches
    for a in fig.axes:
        pos = a.get_position()
        a.set_position([pos.x0, (pos.y0 * old + inches) / new, pos.width, pos.height * old / new])
    for t in fig.texts:
        x, y = t.get_position()
        t.set_position((x, (y * old + inches) / new))
    fig.set_figheight(new)


def save(fig: Figure, path_stem: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``<path_stem>.png`` and ``<path_stem>.svg``; same inputs give byte-identical files.

    PNG: ``metadata={'Date': None, 'Software': None}``; SVG: ``metadata={'Date': None}`` and a fixed
    ``svg.hashsalt``. Returns the two paths.
    """
    stem = Path(path_stem)
    if stem.suffix in (".png", ".svg"):
        stem = stem.with_suffix("")
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASH_SALT, "svg.fonttype": STYLE_RC["svg.fonttype"]}):
        atomic_write(png, lambda p: fig.savefig(p, format="png", dpi=DPI, metadata=PNG_METADATA))
        atomic_write(svg, lambda p: fig.savefig(p, format="svg", metadata=SVG_METADATA))
    return png, svg


# ----------------------------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------------------------

def plot_root_store_history(data=None, *, path_stem: str | os.PathLike | None = None) -> Figure:
    """Mozilla's root store 2000-2026: certificate objects and server-trusted roots after each certdata.txt change,
    with distrust actions marked (removals of server-trusted roots, server trust bits turned off, server
    distrust-after dates set) and the notable ones labelled. ``data`` is a
    :class:`analysis.rootstore.HistoryFigureData` (default: :func:`analysis.rootstore.history_figure_data`).

    Drawn in DejaVu Sans alone (its text is the project's own, in Latin script), so that the committed SVG, which
    names its fonts, is the same on every machine whatever fonts are installed."""
    with matplotlib.rc_context():
        return _plot_root_store_history(data, path_stem)


def _plot_root_store_history(data, path_stem) -> Figure:
    d = rootstore.history_figure_data() if data is None else data
    fig, ax = new_figure(figsize=(12.0, 6.6), fonts=("DejaVu Sans",))  # undone when the caller's rc_context ends
    fig.subplots_adjust(left=0.065, right=0.985, top=0.855, bottom=0.13)

    size = d.size[(d.size["date"] >= d.start) & (d.size["date"] <= d.end)]
    # Extend the last state to the end of the axis so the step does not stop mid-2026.
    size = pd.concat([size, size.tail(1).assign(date=d.end)], ignore_index=True)
    ax.step(size["date"], size["certificates"], where="post", color=OKABE_ITO["black"], lw=1.5,
            label="certificates in certdata.txt\n(all, incl. not TLS-trusted)")
    trusted = size.dropna(subset=["server_trusted"])
    ax.step(trusted["date"], trusted["server_trusted"].astype(float), where="post", color=OKABE_ITO["blue"],
            lw=2.4, label="roots trusted for TLS (server auth\nTRUSTED_DELEGATOR)")

    def level(dates):
        """y of the TLS-trusted line just before each date (where the marker sits)."""
        s = d.size.dropna(subset=["server_trusted"]).set_index("date")["server_trusted"]
        return [float(s[s.index < dt].iloc[-1]) if (s.index < dt).any() else float(s.iloc[0]) for dt in dates]

    def scaled(n):
        return [22 + 9 * min(int(k), 15) for k in n]

    if len(d.removals):
        ax.scatter(d.removals["date"], level(d.removals["date"]), s=scaled(d.removals["n"]), marker="v",
                   color=OKABE_ITO["vermillion"], edgecolor="white", linewidth=0.5, zorder=4,
                   label="TLS-trusted roots removed\n(size = count; expiry clean-ups excluded)")
    if len(d.trust_off):
        ax.scatter(d.trust_off["date"], level(d.trust_off["date"]), s=scaled(d.trust_off["n"]), marker="X",
                   color=OKABE_ITO["reddish_purple"], edgecolor="white", linewidth=0.5, zorder=4,
                   label="TLS trust bit turned off")
    if len(d.distrust_after):
        ax.scatter(d.distrust_after["date"], level(d.distrust_after["date"]), s=scaled(d.distrust_after["n"]),
                   marker="D", color=OKABE_ITO["orange"], edgecolor="black", linewidth=0.6, zorder=5,
                   label="server distrust-after date set\n(certificates issued after it untrusted)")

    # Notable actions: a numbered tag above the lines (two alternating rows, so neighbours do not collide) with a
    # dotted leader down to the TLS-trusted line, and a numbered key in the empty upper-left corner.
    top = float(size["certificates"].max())
    ax.set_ylim(0, top * 1.38)
    tag_rows = [top * 1.27, top * 1.16]
    key_lines = []
    for i, r in d.notable.reset_index(drop=True).iterrows():
        number = i + 1
        y_tag = tag_rows[i % 2]
        ax.plot([r["date"], r["date"]], [level([r["date"]])[0] + 3, y_tag - top * 0.03], color=GREY, lw=0.8,
                ls=":", zorder=1)
        ax.text(r["date"], y_tag, str(number), ha="center", va="center", fontsize=9, fontweight="bold",
                color="white", zorder=6,
                bbox={"boxstyle": "circle,pad=0.25", "fc": OKABE_ITO["black"], "ec": "none"})
        caption = r["caption"].replace("\n", " ")
        roots = f"{r['n_roots']} root" + ("s" if r["n_roots"] != 1 else "")
        key_lines.append(f"{number}  {r['date']:%Y-%m-%d}  {caption} (Bug {r['bug']}, {roots})")
    # The key sits in the empty lower-right corner, the legend in the empty upper-left one.
    ax.text(0.988, 0.025, "Labelled actions (NSS commit date)\n" + "\n".join(key_lines), transform=ax.transAxes,
            ha="right", va="bottom", multialignment="left", fontsize=8.5, linespacing=1.4, color="#222222", zorder=7,
            bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#BBBBBB", "lw": 0.6})

    ax.set_xlim(d.start, d.end)
    ax.xaxis.set_major_locator(mdates.YearLocator(2))
    ax.xaxis.set_minor_locator(mdates.YearLocator(1))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.legend(loc="upper left", fontsize=8.8, ncol=1, borderaxespad=0.6,
              facecolor="white", framealpha=0.9, frameon=True, edgecolor="#BBBBBB")

    last = d.size.iloc[-1]
    label_figure(
        fig, ax,
        what="Mozilla root store 2000\u20132026: size and distrust actions",
        xlabel="NSS commit date (UTC); Firefox ships a change weeks later",
        ylabel="certificates / roots (count)",
        n=f"{d.n_versions} certdata.txt versions",
        subtitle=f"Steps: certdata.txt changes (latest: {int(last['certificates'])} certificates, "
                 f"{int(last['server_trusted'])} TLS-trusted). Markers: distrust actions, on the TLS-trusted line.",
        source=d.source,
        query_time=f"{last['date']:%Y-%m-%d} (NSS {last['nss_commit']})",
        policy="distrust = removal, TLS trust bit off, or server distrust-after set",
    )
    if path_stem is not None:
        save(fig, path_stem)
    return fig


# ----------------------------------------------------------------------------------------------------------------
# Report figures (one CA, one distrust scenario)
# ----------------------------------------------------------------------------------------------------------------

STATUS_COLOURS = {
    "affected": OKABE_ITO["vermillion"],
    "survivors": OKABE_ITO["blue"],
    "revoked": GREY,
    "excluded": "#C8C8C8",
}
STATUS_LABELS = {
    "affected": "affected (breaks at the distrust)",
    "survivors": "survives the distrust",
    "revoked": "revoked (not counted as affected)",
    "excluded": "excluded by the analysis filters",
}


def _distrust_marker(ax: "Axes", when, label: str = "distrust date", y: float = 1.0):
    """A dashed vertical line at ``when`` with a one-line label at height ``y`` (axes fraction, top of the text),
    right of the line, or left of it when the line is in the right third of the axes. Returns the label."""
    ts = pd.Timestamp(when)
    ax.axvline(ts, color=OKABE_ITO["black"], lw=1.6, ls="--", zorder=5)
    x0, x1 = ax.get_xlim()
    right_side = (mdates.date2num(ts) - x0) / ((x1 - x0) or 1) > 0.66
    return ax.annotate(f"{label} {ts:%Y-%m-%d}", xy=(ts, y), xycoords=("data", "axes fraction"),
                       xytext=(-4 if right_side else 4, -2), textcoords="offset points",
                       ha="right" if right_side else "left", va="top", fontsize=9.5, fontweight="bold",
                       bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})


# Legends sit in a band above the data; a white box keeps the vertical date lines from running through their text.
LEGEND_BOX = {"frameon": True, "facecolor": "white", "edgecolor": "none", "framealpha": 0.9}


def _top_band(ax: "Axes", legend=None, labels=(), *, gap: float = 0.03) -> float:
    """Place ``labels`` (annotations at the top of the axes, in axes fraction) just under ``legend`` (upper part of
    the axes) and return the axes fraction left for the data below both: the y limits are then set so that no curve
    or bar reaches the legend or the labels."""
    fig = ax.figure
    renderer = _renderer(fig)
    box = ax.get_window_extent(renderer)
    top = 1.0
    if legend is not None:
        top = (legend.get_window_extent(renderer).y0 - box.y0) / box.height - 0.01
    lowest = top
    for label in labels:
        label.xy = (label.xy[0], top)
        lowest = min(lowest, (label.get_window_extent(renderer).y0 - box.y0) / box.height)
    return max(lowest - gap, 0.3)


def _count_axis(axis) -> None:
    """Integer ticks written in full with thousands separators (5,600,000, never "5.6" under a "1e6" offset: a
    figure pasted into a list discussion is read without its axis offset)."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=3))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def _headroom(ax: "Axes", data_max: float, room: float) -> None:
    """y from 0 to a top that puts ``data_max`` at ``room`` (axes fraction) and leaves the band above it free;
    integer ticks (counts)."""
    ax.set_ylim(0, max(float(data_max), 1.0) / room)
    _count_axis(ax.yaxis)


def plot_expiry_histogram(hist: pd.DataFrame, *, ca: str, distrust_date, source: str, query_time=None,
                          policy: str | None = None, path_stem=None, reproduce: str | None = None) -> "Figure":
    """Certificates by month of notAfter, stacked by status, with the distrust date marked: how many affected
    certificates would have expired soon anyway. ``hist`` is :meth:`analysis.tables.Evaluation.expiry_histogram`."""
    fig, ax = new_figure()
    fig.subplots_adjust(left=0.08, right=0.98, top=0.82, bottom=0.16)
    n = int(hist[list(STATUS_COLOURS)].to_numpy().sum()) if len(hist) else 0
    legend, top = None, 0
    if len(hist):
        months = pd.to_datetime(hist["month"] + "-01")
        bottom = pd.Series(0, index=hist.index, dtype="int64")
        for key, colour in STATUS_COLOURS.items():
            values = hist[key].astype("int64")
            if values.sum() == 0:
                continue
            ax.bar(months, values, width=25, bottom=bottom, align="edge", color=colour,
                   label=f"{STATUS_LABELS[key]} (n = {int(values.sum()):,})", edgecolor="white", linewidth=0.3)
            bottom = bottom + values
        top = int(bottom.max())
        legend = ax.legend(loc="upper right", ncol=2, **LEGEND_BOX)
        when = mdates.date2num(pd.Timestamp(distrust_date))
        ax.set_xlim(min(mdates.date2num(months.min()), when) - 20, max(mdates.date2num(months.max()) + 45, when + 20))
    else:
        ax.text(0.5, 0.5, "no certificates", transform=ax.transAxes, ha="center", va="center")
    _date_axis(ax)
    marker = _distrust_marker(ax, distrust_date)
    _headroom(ax, top, _top_band(ax, legend, [marker]))
    label_figure(fig, ax, what="When the certificates expire", ca=ca, xlabel="month of notAfter (UTC)",
                 ylabel="certificates (count)", n=n, source=source, query_time=query_time, policy=policy,
                 subtitle="Unexpired certificates by expiry month; those right of the line are still valid at "
                          "the distrust date", reproduce=reproduce)
    if path_stem is not None:
        save(fig, path_stem)
    return fig


def plot_survival(curves: dict, *, ca: str, distrust_date, source: str, query_time=None, policy: str | None = None,
                  path_stem=None, reproduce: str | None = None) -> "Figure":
    """Certificates broken on each day after the distrust date, one line per option compared: how long the
    breakage lasts. A certificate is broken on a day when the option has distrusted it by then and it has not
    expired (an allowlist's certificates count from its sunset). ``curves`` maps an option label to
    :meth:`analysis.tables.Evaluation.survival_curve`; the legend gives each option's n (certificates it
    breaks)."""
    fig, ax = new_figure()
    fig.subplots_adjust(left=0.08, right=0.98, top=0.82, bottom=0.16)
    styles = ["-", "--", "-.", ":"]
    top = 0
    most = 0
    for i, (label, curve) in enumerate(curves.items()):
        broken = curve["broken"] if len(curve) else pd.Series([0])
        n_option = int(curve.attrs.get("affected", broken.max()))
        top, most = max(top, int(broken.max())), max(most, n_option)
        ax.step(curve["date"], curve["broken"], where="post", lw=2.2, ls=styles[i % len(styles)],
                color=PALETTE[i % len(PALETTE)], label=f"{figure_text(label, 40)} (n = {n_option:,})")
    start = pd.Timestamp(distrust_date)
    ends = [c["date"].max() for c in curves.values() if len(c)]
    ax.set_xlim(start - pd.Timedelta(days=3), max(ends + [start + pd.Timedelta(days=30)]) + pd.Timedelta(days=10))
    _date_axis(ax)
    legend = ax.legend(loc="upper right", ncol=2 if len(curves) > 2 else 1,
                       title="option compared (n = certificates it breaks)", title_fontsize=10,
                       alignment="left", **LEGEND_BOX)
    marker = _distrust_marker(ax, distrust_date)
    _headroom(ax, top, _top_band(ax, legend, [marker]))
    label_figure(fig, ax, what="Broken certificates still in use after the distrust", ca=ca,
                 xlabel="date (UTC)", ylabel="certificates broken (count)",
                 n=f"{most:,} at most", source=source, query_time=query_time, policy=policy,
                 subtitle="Each line: certificates the option has distrusted by that day and that have not yet "
                          "expired", reproduce=reproduce)
    if path_stem is not None:
        save(fig, path_stem)
    return fig


def plot_top(table: pd.DataFrame, label_column: str, *, what: str, ca: str, top: int = 15, total: int | None = None,
             source: str, query_time=None, policy: str | None = None, path_stem=None,
             reproduce: str | None = None) -> "Figure":
    """Horizontal bars: the ``top`` rows of a grouping table (by_organisation, by_registrable_domain) by
    ``certificates``, the rest summed in one bar. Names are shown as data (:func:`figure_text`), cut with "…" to
    the room left of the axes."""
    fig, ax = new_figure(figsize=(11.0, 7.0))
    fig.subplots_adjust(left=0.34, right=0.97, top=0.84, bottom=0.12)
    head = table.head(top)
    label_px = ax.get_position().x0 * fig.bbox.width - 0.12 * fig.dpi  # left of the axes, less the tick padding
    labels = [_fitted(fig, lambda c: c, figure_text(x), label_px, fontsize=STYLE_RC["ytick.labelsize"])
              for x in head[label_column]]
    values = head["certificates"].astype("int64").tolist()
    rest = int(table["certificates"].iloc[top:].sum()) if len(table) > top else 0
    y = list(range(len(values)))[::-1]
    ax.barh(y, values, color=OKABE_ITO["vermillion"])
    ax.set_yticks(y, labels)
    value_texts = [ax.text(v, yi, f" {v:,}", va="center", ha="left", fontsize=9) for yi, v in zip(y, values)]
    if not values:
        ax.text(0.5, 0.5, "no affected certificates", transform=ax.transAxes, ha="center", va="center")
    # Room right of the longest bars for their numbers: x_max such that bar + text width fits, for every bar.
    renderer = _renderer(fig)
    axes_px = ax.get_window_extent(renderer).width
    x_max = max([v / max(1 - (t.get_window_extent(renderer).width + 4) / axes_px, 0.2)
                 for v, t in zip(values, value_texts)] + [1])
    ax.set_xlim(0, x_max)
    _count_axis(ax.xaxis)
    ax.grid(axis="y", visible=False)
    shown = f"The {len(head)} with most affected certificates"
    if rest:
        shown += f"; {len(table) - top:,} more hold {rest:,} (not shown)"
    label_figure(fig, ax, what=what, ca=ca, xlabel="affected certificates (count)", ylabel="",
                 n=total if total is not None else int(table["certificates"].sum()), source=source,
                 query_time=query_time, policy=policy, subtitle=shown, reproduce=reproduce)
    if path_stem is not None:
        save(fig, path_stem)
    return fig


def plot_date_sweep(sweep: pd.DataFrame, *, ca: str, marked_dates=(), source: str, query_time=None,
                    policy: str | None = None, path_stem=None, reproduce: str | None = None) -> "Figure":
    """Affected certificates (and organisations) as a function of the candidate distrust date.
    ``sweep`` is :func:`analysis.tables.date_sweep`; ``marked_dates`` are the dates proposed in the thread."""
    fig, ax = new_figure()
    fig.subplots_adjust(left=0.08, right=0.92, top=0.82, bottom=0.16)
    ax.plot(sweep["distrust_date"], sweep["affected"], color=OKABE_ITO["vermillion"], lw=2.4, marker="o", ms=3,
            label="affected certificates (left axis)")
    ax2 = ax.twinx()
    ax2.plot(sweep["distrust_date"], sweep["organisations_affected"], color=OKABE_ITO["blue"], lw=1.8, ls="--",
             label="organisations affected (right axis)")
    ax2.set_ylabel("organisations (count)")
    ax2.grid(False)
    if len(sweep):
        lo, hi = sweep["distrust_date"].min(), sweep["distrust_date"].max()
        pad = max((hi - lo) * 0.03, pd.Timedelta(days=5))
        ax.set_xlim(lo - pad, hi + pad)
    _date_axis(ax)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    legend = ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper right", ncol=2, **LEGEND_BOX)
    labels = []
    x0, x1 = ax.get_xlim()
    placed: list[tuple[float, int]] = []
    for d in marked_dates:
        ts = pd.Timestamp(d)
        row = sweep[sweep["distrust_date"] == ts]
        ax.axvline(ts, color=OKABE_ITO["black"], lw=1.2, ls=":")
        if not len(row):
            continue
        # One label per proposed date at the top, next to its line; close dates go on successive rows.
        frac = (mdates.date2num(ts) - x0) / ((x1 - x0) or 1)
        row_no = sum(1 for f, _ in placed if abs(f - frac) < 0.22)
        placed.append((frac, row_no))
        right_side = frac > 0.66
        labels.append(ax.annotate(
            f"{ts:%Y-%m-%d}: {int(row['affected'].iloc[0]):,}", xy=(ts, 1.0), xycoords=("data", "axes fraction"),
            xytext=(-4 if right_side else 4, -2 - 14 * row_no), textcoords="offset points",
            ha="right" if right_side else "left", va="top", fontsize=9.5, fontweight="bold",
            bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}))
    room = _top_band(ax, legend, labels)
    _headroom(ax, sweep["affected"].max() if len(sweep) else 0, room)
    _headroom(ax2, sweep["organisations_affected"].max() if len(sweep) else 0, room)
    n = int(sweep["issuances"].iloc[0]) if len(sweep) else 0
    label_figure(fig, ax, what="Impact by candidate distrust date", ca=ca, xlabel="distrust date (UTC)",
                 ylabel="affected certificates (count)", n=n, source=source, query_time=query_time, policy=policy,
                 subtitle="Certificates (and their organisations) still valid, hence broken, if the distrust "
                          "takes effect on that date", reproduce=reproduce)
    if path_stem is not None:
        save(fig, path_stem)
    return fig


def _date_axis(ax: "Axes") -> None:
    """At most ~10 date ticks, labelled concisely (year once, then months)."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
