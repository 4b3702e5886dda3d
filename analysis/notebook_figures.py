"""Showing a figure in a report notebook without drawing it a third time.

A report figure written to the output folder is drawn twice by :func:`analysis.figures.save` (the PNG, then the
SVG); :func:`analysis.display.show_figure` then drew it once more, as a PNG at the same resolution, for the notebook.
:func:`show_figure` here shows the pixels the PNG save drew instead (matplotlib keeps them in the figure's Agg
canvas), encoded as :func:`analysis.display.show_figure` encodes its own drawing: the same PNG, byte for byte, for
about a third of the cost. A figure that was not saved at that resolution (no output folder) is drawn as before.
"""

from __future__ import annotations

import io

import matplotlib.image as mimage
import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis import display
from analysis.figures import DPI


def show_figure(fig, alt: str):
    """:func:`analysis.display.show_figure` (a PNG with alt text, at 1.5 times the figure's dpi), from the pixels
    :func:`analysis.figures.save` drew when they are there, else drawn anew."""
    shown_dpi = 1.5 * fig.dpi
    png = _saved_pixels(fig, shown_dpi)
    if png is None:
        return display.show_figure(fig, alt)
    plt.close(fig)
    return display._Figure(png, alt, round(fig.get_figwidth() * fig.dpi))


def _saved_pixels(fig, dpi: float) -> bytes | None:
    """The PNG of the figure's last Agg drawing when that drawing was the PNG save (the Agg canvas keeps the pixels of
    its last drawing with the size and dpi it was drawn at: the save's, since the figure code saves last and the SVG
    save draws with another renderer); None otherwise. Encoded as matplotlib's ``savefig(format="png")`` encodes
    (its default metadata, the dpi recorded)."""
    canvas = fig.canvas
    drawn = getattr(canvas, "_lastKey", None)
    if not isinstance(canvas, FigureCanvasAgg) or dpi != DPI or not drawn or getattr(canvas, "renderer", None) is None:
        return None
    # the size in whole pixels as the Agg canvas takes it (FigureCanvasBase.get_width_height: truncated, after a
    # tolerance of 1e-8 pixel): 11 x 6.2889 inches at 150 dpi is 1650 x 943 pixels
    width, height = (int(size * dpi + 1e-8) for size in fig.get_size_inches())
    if (drawn[0], drawn[1], drawn[2]) != (width, height, dpi):
        return None
    if any(artist.stale for artist in fig.get_children() if artist is not fig.patch):
        return None  # changed since it was drawn (saving itself leaves only the background patch stale)
    buf = io.BytesIO()
    mimage.imsave(buf, canvas.buffer_rgba(), format="png", origin="upper", dpi=dpi)
    return buf.getvalue()
