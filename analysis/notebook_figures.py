"""Showing a figure in a report notebook without drawing it a third time, nor encoding it again.

A report figure written to the output folder is drawn twice by :func:`analysis.figures.save` (the PNG, then the
SVG); :func:`analysis.display.show_figure` then drew it once more, as a PNG at the same resolution, for the notebook.
:func:`show_figure` here shows the PNG the save wrote instead: the same pixels (matplotlib keeps them in the
figure's Agg canvas), the same compressed image, only matplotlib's default ``Software`` text added, which the save
leaves out: the PNG :func:`analysis.display.show_figure` gives, byte for byte, in a few milliseconds. A figure that was
not saved at that resolution (no output folder), or was changed or drawn again since, is drawn as before.

Importing this module makes the Agg canvas keep what a figure save writes (:func:`_keep_saved_png`): the file's
bytes and the pixels they encode, on the figure's canvas, until the figure is gone.
"""

from __future__ import annotations

import functools
import io
import os
import struct
import zlib
from pathlib import Path

import matplotlib
import matplotlib.image as mimage
import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis import display
from analysis.figures import DPI, PNG_METADATA

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def show_figure(fig, alt: str):
    """:func:`analysis.display.show_figure` (a PNG with alt text, at 1.5 times the figure's dpi), from the PNG
    :func:`analysis.figures.save` wrote, or the pixels it drew, when they are there; else drawn anew."""
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
    (its default metadata, the dpi recorded): the saved file with the ``Software`` text put back when the canvas
    kept it (:func:`_keep_saved_png`), else encoded anew."""
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
    kept = getattr(canvas, "_distrust_impact_saved_png", None)
    if kept is not None and kept[0] == drawn and kept[1] == bytes(canvas.buffer_rgba()):
        shown = _with_software_text(kept[2])
        if shown is not None:
            return shown
    buf = io.BytesIO()
    mimage.imsave(buf, canvas.buffer_rgba(), format="png", origin="upper", dpi=dpi)
    return buf.getvalue()


def _software_chunk() -> bytes:
    """The ``tEXt`` chunk matplotlib writes into a PNG by default (:func:`matplotlib.image.imsave`)."""
    data = b"Software\0" + f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/".encode("latin-1")
    return struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))


def _with_software_text(saved: bytes) -> bytes | None:
    """A PNG :func:`analysis.figures.save` wrote (no text chunk), as ``savefig(format="png")`` writes the same
    pixels: Pillow writes the text chunks right after the header (``IHDR``), then the rest as it is. None for a file
    of another layout."""
    if not saved.startswith(PNG_SIGNATURE) or saved[12:16] != b"IHDR" or b"tEXt" in saved[33:41]:
        return None
    header_end = len(PNG_SIGNATURE) + 8 + struct.unpack(">I", saved[8:12])[0] + 4
    return saved[:header_end] + _software_chunk() + saved[header_end:]


def _keep_saved_png(print_png):
    """Wrap :meth:`FigureCanvasAgg.print_png`: after a save as :func:`analysis.figures.save` makes it (to a file, its
    metadata), keep the file's bytes with the pixels they encode and the size they were drawn at."""

    @functools.wraps(print_png)
    def print_and_keep(self, filename_or_obj, *, metadata=None, pil_kwargs=None):
        print_png(self, filename_or_obj, metadata=metadata, pil_kwargs=pil_kwargs)
        if metadata == PNG_METADATA and pil_kwargs is None and isinstance(filename_or_obj, (str, os.PathLike)):
            self._distrust_impact_saved_png = (self._lastKey, bytes(self.buffer_rgba()),
                                               Path(filename_or_obj).read_bytes())

    print_and_keep.keeps_saved_png = True
    return print_and_keep


if not getattr(FigureCanvasAgg.print_png, "keeps_saved_png", False):
    FigureCanvasAgg.print_png = _keep_saved_png(FigureCanvasAgg.print_png)
