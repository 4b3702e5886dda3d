"""A saved figure is shown in the notebook from the pixels its PNG save drew: the same PNG, byte for byte, as drawing it
again (analysis.display.show_figure); a figure not saved, or changed since, is drawn again."""

from __future__ import annotations

import pandas as pd

from analysis import display, figures, notebook_figures


def _sweep_figure(path_stem=None):
    table = pd.DataFrame({"distrust_date": pd.date_range("2019-09-01", periods=4, freq="MS"),
                          "issuances": [50] * 4, "affected": [40, 30, 12, 0], "organisations_affected": [9, 7, 3, 0]})
    return figures.plot_date_sweep(table, ca="Demo Root CA", marked_dates=[pd.Timestamp("2019-10-01").date()],
                                   source="demo", query_time="2019-05-17T00:00:00Z", policy="removal",
                                   path_stem=path_stem)


def test_a_saved_figure_is_shown_as_saved(tmp_path):
    shown = notebook_figures.show_figure(_sweep_figure(tmp_path / "sweep"), "alt")
    drawn = display.show_figure(_sweep_figure(), "alt")
    assert notebook_figures._saved_pixels(_sweep_figure(tmp_path / "again"), 150.0) is not None  # not drawn again
    assert shown.png == drawn.png and shown.width == drawn.width == 1100
    assert shown._repr_mimebundle_() == drawn._repr_mimebundle_()


def test_a_figure_not_saved_or_changed_since_is_drawn_again(tmp_path):
    assert notebook_figures._saved_pixels(_sweep_figure(), 150.0) is None
    changed = _sweep_figure(tmp_path / "sweep")
    changed.axes[0].set_title("changed after the save")
    assert notebook_figures._saved_pixels(changed, 150.0) is None
    shown = notebook_figures.show_figure(changed, "alt")
    again = _sweep_figure()
    again.axes[0].set_title("changed after the save")
    assert shown.png == display.show_figure(again, "alt").png
    assert shown.png != (tmp_path / "sweep.png").read_bytes()
