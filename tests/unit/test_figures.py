"""analysis.figures: every name drawn as data, in every script, and nothing drawn over anything else.

Each report figure is drawn for a population whose organisations, CA name and option labels are the hostile-name
corpus (tests/hostile_names.py), and for one with three certificates (small counts). The checks read the drawn
figure back: every text object's string, its place on the page, the legend's box against the data, the ticks.
Set FIGTEXT_KEEP=folder to keep the PNGs for a look.
"""

from __future__ import annotations

import os
import unicodedata
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from analysis import figures
from analysis.policies import Allowlist, NameConstrained, Removal
from analysis.tables import date_sweep, evaluate
from analysis.textfmt import BIDI_CONTROLS
from tests.hostile_names import NAMES, SCRIPT_NAMES
from tests.unit.test_tables import row

T = pd.Timestamp
LONG_CA = ("Certification Authority of the Very Long Organisation Name Holding Company International Limited "
           "株式会社 $\\undefinedmacro$\nSecond line \u202eevil")
SOURCE = "local mirror\tof crt.sh $x$"
DISTRUST = "2019-09-03"


def population(names: list[str], per_name=lambda i: 40 - i if i < 8 else 1 + (i * 7) % 23) -> pd.DataFrame:
    """One organisation per name, ``per_name(i)`` certificates each (the script names first: the top bars), expiring
    over 2019-10 .. 2021-09."""
    rows, cid = [], 1
    for i, name in enumerate(names):
        for k in range(per_name(i)):
            na = (T("2019-10-15") + pd.DateOffset(months=(i + k) % 24)).strftime("%Y-%m-%d")
            rows.append(row(cid, f"{cid:04x}", o=name, names=[f"host{cid}.example{i}.fr"], na=na))
            cid += 1
    return pd.DataFrame(rows).astype({"not_before": "datetime64[ns]", "not_after": "datetime64[ns]"})


def options(norm) -> dict:
    return {
        "$\\undefinedmacro$ removal": Removal(DISTRUST),
        "allowlist\n\u202e2020-06-30 株式会社": Allowlist.existing(norm, "2019-05-17", DISTRUST, "2020-06-30"),
        "only example0.fr \U0001f512 \u0e01": NameConstrained(["example0.fr"], DISTRUST),  # no font: escaped
    }


def draw_all(certs: pd.DataFrame, keep: str) -> dict:
    """Every report figure for ``certs`` (and the root-store history), drawn; warnings raised as errors."""
    primary = evaluate(certs, Removal(DISTRUST))
    evs = {label: evaluate(primary.normalised, p) for label, p in options(primary.normalised).items()}
    common = dict(ca=LONG_CA, source=SOURCE, query_time="2019-05-17 00:00", policy="removal \n$x$ \u202e")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figs = {
            "expiry": figures.plot_expiry_histogram(primary.expiry_histogram(), distrust_date=DISTRUST, **common),
            "survival": figures.plot_survival({k: e.survival_curve() for k, e in evs.items()},
                                              distrust_date=DISTRUST, **common),
            "top_organisations": figures.plot_top(primary.by_organisation(), "organisation",
                                                  what="Top organisations by affected certificates", **common),
            "top_domains": figures.plot_top(primary.by_registrable_domain(), "registrable_domain",
                                            what="Top registrable domains by affected certificates", **common),
            "date_sweep": figures.plot_date_sweep(
                date_sweep(primary.normalised, pd.date_range("2019-06-01", "2021-10-01", freq="MS")),
                marked_dates=[DISTRUST, "2019-10-01", "2020-06-01"], **common),
        }
        for fig in figs.values():
            fig.canvas.draw()
    folder = os.environ.get("FIGTEXT_KEEP")
    if folder:
        for name, fig in figs.items():
            figures.save(fig, os.path.join(folder, f"{keep}_{name}"))
    return figs


@pytest.fixture(scope="module")
def hostile():
    figs = draw_all(population(NAMES), "hostile")
    yield figs
    for fig in figs.values():
        plt.close(fig)


@pytest.fixture(scope="module")
def small():
    figs = draw_all(population(["ACME", "Beta"], per_name=lambda i: 2 - i), "small")
    yield figs
    for fig in figs.values():
        plt.close(fig)


def texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def test_the_font_chain_draws_every_script():
    chain = figures.font_chain()
    assert chain[0] == "DejaVu Sans"
    if not any("CJK" in f or "WenQuanYi" in f for f in chain):
        pytest.skip("no CJK font installed (Debian package fonts-noto-cjk): CJK is drawn as \\u escapes")
    covered = figures._covered()
    for name, what in SCRIPT_NAMES:
        assert figures.figure_text(name) == name, what  # nothing escaped: a font has every glyph
        missing = [c for c in name if ord(c) not in covered and not c.isspace()]
        assert not missing, (what, missing)
    fig, ax = figures.new_figure()
    for i, (name, _) in enumerate(SCRIPT_NAMES):
        ax.text(0.02, 0.95 - i * 0.1, name, transform=ax.transAxes, fontweight="bold" if i % 2 else "normal")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
        fig.canvas.draw()
    plt.close(fig)


def test_characters_no_font_has_are_escaped_not_boxes():
    assert figures.figure_text("ACME\nCorp\t\u202e") == "ACME\\nCorp\\t\\u202e"
    assert figures.figure_text("\U0001f512 Lock") in ("\U0001f512 Lock", "\\U0001f512 Lock")
    assert figures.figure_text("株式会社日本レジストリサービス", 9) == "株式会社…"  # 8 + 1 columns
    assert figures.figure_text("$\\frac{1}{2}$") == "$\\frac{1}{2}$"


@pytest.mark.parametrize("which", ["hostile", "small"])
def test_every_text_is_data_and_on_the_page(which, request):
    for name, fig in request.getfixturevalue(which).items():
        for t in texts(fig):
            s = t.get_text()
            assert not t.get_parse_math() or "$" not in s, (name, s)
            bad = [c for c in s if c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Zl", "Zp", "Co", "Cn")
                   and c != "\n"]
            assert not bad, (name, s)
        page = fig.bbox
        renderer = fig.canvas.get_renderer()
        # What is drawn (titles, footer, axes with their tick labels, legends, annotations) stays on the page.
        boxes = [t.get_window_extent() for t in fig.texts if t.get_text()] + [
            ax.get_tightbbox(renderer) for ax in fig.axes]
        for box in boxes:
            assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, (name, box)
            assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, (name, box)


def test_hostile_names_are_drawn_escaped(hostile):
    drawn = "\n".join(t.get_text() for fig in hostile.values() for t in texts(fig))
    assert "\\n" in drawn and "\\u202e" in drawn  # the control characters of the CA name and options, shown
    if ord("\u0e01") not in figures._covered():  # Thai: no font of the chain has it, so no box either
        assert "only example0.fr \\U0001f512 \\u0e01 (n = " in drawn
    assert "$\\undefinedmacro$" in drawn  # drew as text (as mathtext it would have raised)
    for name, _ in SCRIPT_NAMES[:6]:
        assert name in drawn or name[:4] in drawn  # organisations in every script reach the bars' labels


def _title_and_n(fig):
    ts = [t for t in fig.texts if t.get_text()]
    n = next(t for t in ts if t.get_text().startswith("n = "))
    title = next(t for t in ts if t.get_fontweight() == "bold" and "\u2014" in t.get_text())
    return title, n


@pytest.mark.parametrize("which", ["hostile", "small"])
def test_a_long_ca_name_stops_before_n(which, request):
    for name, fig in request.getfixturevalue(which).items():
        title, n = _title_and_n(fig)
        assert title.get_text().endswith("…"), name  # cut, with the mark that says so
        assert title.get_window_extent().x1 < n.get_window_extent().x0 - 10, name


def _inside(a, b) -> bool:
    return b.x0 - 1 <= a.x0 and a.x1 <= b.x1 + 1 and b.y0 - 1 <= a.y0 and a.y1 <= b.y1 + 1


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("which", ["hostile", "small"])
def test_legends_and_labels_stay_clear_of_the_data(which, request):
    for name, fig in request.getfixturevalue(which).items():
        for ax in fig.axes:
            legend = ax.get_legend()
            labels = [t for t in ax.texts if t.get_text() and t.get_text()[:2] in ("di", "20")]
            boxes = ([legend.get_window_extent()] if legend else []) + [t.get_window_extent() for t in labels]
            for a in range(len(boxes)):
                for b in range(a + 1, len(boxes)):
                    assert not _overlaps(boxes[a], boxes[b]), name
            for other in fig.axes:  # twin axes share the band
                for line in other.get_lines():
                    xy = line.get_xydata()
                    if line.get_linestyle() in ("--", ":") and len(xy) == 2 and xy[0][0] == xy[1][0]:
                        continue  # the vertical date markers run through the band by design
                    pts = other.transData.transform(xy)
                    for box in boxes:
                        inside = ((pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0)
                                  & (pts[:, 1] < box.y1))
                        assert not inside.any(), (name, line.get_label())
                for patch in other.patches:
                    for box in boxes:
                        assert not _overlaps(patch.get_window_extent(), box), name
            for t in labels:  # date labels inside the axes, next to their line
                assert _inside(t.get_window_extent(), ax.get_window_extent()), (name, t.get_text())
            for t in ax.texts:  # the bars' value labels end inside the axes
                if t.get_text().strip().replace(",", "").isdigit():
                    assert t.get_window_extent().x1 <= ax.get_window_extent().x1 + 1, name


def test_small_counts_get_integer_ticks(small):
    for name, fig in small.items():
        for ax in fig.axes:
            axis = ax.xaxis if name.startswith("top") else ax.yaxis
            ticks = [v for v in axis.get_majorticklocs() if axis.get_view_interval()[0] <= v
                     <= axis.get_view_interval()[1]]
            assert len(ticks) >= 2 and all(float(v).is_integer() for v in ticks), (name, ticks)


def test_survival_lines_count_what_is_broken_and_legend_gives_n(hostile):
    ax = hostile["survival"].axes[0]
    steps = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    labels = list(steps)
    assert labels[0].startswith("$\\undefinedmacro$ removal (n = ")
    assert labels[1].startswith("allowlist\\n\\u202e2020-06-30 株式会社 (n = ")
    allow = steps[labels[1]]
    dates = pd.to_datetime(np.asarray(allow.get_xdata()))
    y = np.asarray(allow.get_ydata())
    assert (y[dates < T("2020-06-30")] == 0).all() and y[dates == T("2020-06-30")][0] > 0  # breaks at the sunset
    removal_y = np.asarray(steps[labels[0]].get_ydata())
    assert removal_y[0] == int(labels[0].split("n = ")[1].rstrip(")").replace(",", ""))


def test_svg_files_carry_names_as_text_only(tmp_path):
    import xml.etree.ElementTree as ET

    markup = ["CN=X <img src=x onerror=alert(1)> Root", "<script>alert(1)</script>", "Tom &amp; Jerry &lt;b&gt;"]
    table = pd.DataFrame({"organisation": markup, "certificates": [3, 2, 1]})
    fig = figures.plot_top(table, "organisation", what="Top organisations", ca=markup[1], source=markup[2])
    png, svg = figures.save(fig, tmp_path / "markup")
    root = ET.parse(svg).getroot()  # well-formed: every name was XML-escaped
    for el in root.iter():
        assert not el.tag.endswith("script") and not el.tag.endswith("foreignObject")
        assert not any(k.lower().startswith("on") for k in el.attrib)
    shown = "".join(root.itertext())
    assert markup[0] in shown and markup[1] in shown and markup[2] in shown  # as text, character for character
    raw = svg.read_text(encoding="utf-8")
    assert "<img" not in raw and "<script" not in raw and "&amp;amp;" in raw
    assert png.stat().st_size > 10_000
    plt.close(fig)
