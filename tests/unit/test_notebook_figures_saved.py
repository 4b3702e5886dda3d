"""A saved figure is shown from the PNG its save wrote, with matplotlib's Software text put back: the PNG drawing it
again gives, byte for byte. Also when its height is not a whole number of pixels (a footer with a reproduce line:
11 x 6.2889 inches, 1650 x 943.33 pixels at 150 dpi; the Agg canvas takes 1650 x 943); not when it was drawn again
since, changed, at the same size."""

from __future__ import annotations

import io

import pandas as pd

from analysis import display, figures, notebook_figures

REPRODUCE = ("reproduce: distrust-impact report --demo --ca demo --date 2019-09-03 --as-of 2019-05-17 "
             "--expires-on-or-before 2019-08-31 --issued-after 2019-05-17 --option removal (code 0.1.0; input rows "
             "2,796, sha256 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef)")


def _sweep_figure(path_stem=None):
    table = pd.DataFrame({"distrust_date": pd.date_range("2019-09-01", periods=4, freq="MS"),
                          "issuances": [50] * 4, "affected": [40, 30, 12, 0], "organisations_affected": [9, 7, 3, 0]})
    return figures.plot_date_sweep(table, ca="Demo Root CA", marked_dates=[pd.Timestamp("2019-10-01").date()],
                                   source="demo", query_time="2019-05-17T00:00:00Z", policy="removal",
                                   path_stem=path_stem, reproduce=REPRODUCE)


def test_a_figure_of_a_fractional_pixel_height_is_shown_as_saved(tmp_path):
    saved = _sweep_figure(tmp_path / "sweep")
    width, height = saved.get_size_inches() * figures.DPI
    assert width == 1650 and int(height) != height  # the case: a fractional pixel height
    assert notebook_figures._saved_pixels(saved, 150.0) is not None  # not drawn again
    shown = notebook_figures.show_figure(saved, "alt")
    drawn = display.show_figure(_sweep_figure(), "alt")
    assert shown.png == drawn.png and shown.width == drawn.width == 1100


def test_the_shown_png_is_the_saved_file_with_the_software_text(tmp_path):
    saved = _sweep_figure(tmp_path / "sweep")
    file = (tmp_path / "sweep.png").read_bytes()
    assert saved.canvas._distrust_impact_saved_png[2] == file  # kept by the save
    shown = notebook_figures.show_figure(saved, "alt").png
    assert shown == display.show_figure(_sweep_figure(), "alt").png
    software = notebook_figures._software_chunk()
    assert shown == file[:33] + software + file[33:] and b"Software" not in file


def test_a_figure_drawn_again_after_a_change_is_not_shown_from_the_file(tmp_path):
    changed = _sweep_figure(tmp_path / "sweep")
    changed.axes[0].set_title("changed after the save")
    changed.savefig(io.BytesIO(), format="png", dpi=figures.DPI)  # drawn again at the saved size: nothing stale
    shown = notebook_figures.show_figure(changed, "alt").png
    again = _sweep_figure()
    again.axes[0].set_title("changed after the save")
    assert shown == display.show_figure(again, "alt").png
    assert shown != notebook_figures._with_software_text((tmp_path / "sweep.png").read_bytes())
