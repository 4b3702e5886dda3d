"""Every table CSV and figure footer ends with the reproduce line (analysis.textfmt.write_csv, analysis.figures)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from analysis import figures, repro, textfmt

LINE = repro.reproduce_line(["distrust-impact", "report", "--ca", "Certinomis - Root CA", "--as-of", "2019-05-17"],
                            checksum="sha256:" + "0" * 64, version="0.1.0")


def test_a_csv_ends_with_its_reproduce_line_and_reads_back(tmp_path):
    df = pd.DataFrame({"organisation": ["=HYPERLINK(\"x\")", "Ministère de l'Exemple", "a#b"],
                       "certificates": [3, -2, 1]})
    plain = textfmt.write_csv(df, tmp_path / "plain.csv")
    marked = textfmt.write_csv(df, tmp_path / "marked.csv", reproduce=LINE)
    text = marked.read_text(encoding="utf-8")
    assert text == plain.read_text(encoding="utf-8") + "# " + LINE + "\n"
    assert textfmt.split_reproduce(text)[1] == LINE
    back = textfmt.read_csv(marked, keep_default_na=False)
    assert back.equals(pd.read_csv(plain, keep_default_na=False))
    assert back["organisation"].tolist() == ["'=HYPERLINK(\"x\")", "Ministère de l'Exemple", "a#b"]  # still neutral
    assert textfmt.split_reproduce(plain.read_text(encoding="utf-8"))[1] is None


def test_a_hostile_name_cannot_forge_the_reproduce_line(tmp_path):
    """A name holding a line break and a fake reproduce line stays a quoted cell before the real last line; a CA
    name with a line break in the command is escaped, so the reproduce line stays one line."""
    fake = "evil\n# reproduce: distrust-impact report --ca x (distrust-impact 9; input rows sha256:" + "f" * 64 + ")"
    path = textfmt.write_csv(pd.DataFrame({"organisation": [fake]}), tmp_path / "t.csv",
                             reproduce=LINE.replace("Certinomis - Root CA", "Root\nCA"))
    text = path.read_text(encoding="utf-8")
    rows, line = textfmt.split_reproduce(text)
    assert line.startswith("reproduce: distrust-impact report --ca 'Root\\nCA'") and "\n" not in line
    assert text.endswith("# " + line + "\n")
    with path.open(newline="", encoding="utf-8") as fh:
        parsed = list(csv.reader(fh))
    assert parsed[1] == [fake] and parsed[-1][0].startswith("# reproduce: ")  # the fake is inside its cell
    assert textfmt.read_csv(path)["organisation"].tolist() == [fake]
    with pytest.raises(ValueError, match="not a reproduce line"):
        textfmt.reproduce_comment("rm -rf /")


def test_the_figure_footer_ends_with_the_reproduce_line_and_the_plot_keeps_its_size():
    import matplotlib.pyplot as plt

    def draw(reproduce):
        fig, ax = figures.new_figure()
        fig.subplots_adjust(left=0.08, right=0.98, top=0.82, bottom=0.16)
        ax.plot([0, 1], [0, 1])
        figures.label_figure(fig, ax, what="Test", ca="Demo Root CA", xlabel="x", ylabel="y", n=2, source="demo",
                             policy="removal", reproduce=reproduce)
        return fig, ax

    fig0, ax0 = draw(None)
    fig1, ax1 = draw(LINE)
    lines = fig1.texts[-1].get_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("reproduce: "))
    assert lines[:start] == fig0.texts[-1].get_text().splitlines()  # source, query time and policy first
    assert " ".join(line.strip() for line in lines[start:]) == LINE  # then the line, wrapped at spaces
    assert len(lines) - start >= 2
    grew = fig1.get_figheight() - fig0.get_figheight()
    assert grew == pytest.approx((len(lines) - start) * figures.FOOTER_LINE_INCHES)
    size = lambda f, a: (a.get_position().height * f.get_figheight(), (1 - a.get_position().y1) * f.get_figheight())  # noqa: E731
    assert size(fig1, ax1) == pytest.approx(size(fig0, ax0))  # same plot height, same distance from the top
    plt.close(fig0), plt.close(fig1)
