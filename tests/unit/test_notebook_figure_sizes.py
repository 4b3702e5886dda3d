"""A saved figure whose height is not a whole number of pixels (a footer with a reproduce line: 11 x 6.2889 inches,
1650 x 943.33 pixels at 150 dpi) is shown from the pixels its PNG save drew too: the Agg canvas takes the size in
whole pixels (1650 x 943), and the shown PNG is the one drawing it again gives, byte for byte."""

from __future__ import annotations

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
