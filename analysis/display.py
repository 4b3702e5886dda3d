"""Showing results in a notebook: every value is data (escaped HTML, inert to MathJax), never markup; figures as PNGs
with alt text. What the notebook templates import next to :class:`analysis.report.Report`."""

from __future__ import annotations

import base64
import html
import io
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML


def notebook_setup() -> None:
    """What a report notebook sets first: warnings shown as one line without the file they come from (an executed
    notebook and its HTML carry no local path)."""
    warnings.formatwarning = lambda message, category, *_args, **_kw: f"{category.__name__}: {message}\n"


def _inert(markup: str) -> str:
    """Wrap HTML so MathJax in the notebook or its export typesets nothing in it (a ``$`` in a name stays a $)."""
    return f'<div class="tex2jax_ignore mathjax_ignore">{markup}</div>'


def show_heading(text: str, level: int = 2):
    """A heading whose text is data: escaped HTML, not Markdown (a CA name can hold ``<img onerror>``, ``[x](y)``
    or ``$x$``)."""
    return HTML(_inert(f"<h{level}>{html.escape(str(text))}</h{level}>"))


def show_list(lines: list[str], empty: str = "No recorded action."):
    if not lines:
        return HTML(_inert(f"<p><em>{html.escape(empty)}</em></p>"))
    return HTML(_inert("<ul>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in lines) + "</ul>"))


def _cell_text(value) -> str:
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return ", ".join(_cell_text(v) for v in value)
    if value is None or value is pd.NaT or (not hasattr(value, "__len__") and pd.isna(value)):
        return ""  # a missing value is an empty cell, never "NaT" or "nan"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def show_table(df: pd.DataFrame, caption: str | None = None):
    """A table as escaped HTML: no index column, missing values empty, no cell or row cut, numbers with thousands
    separators. Every cell is data: ``<script>`` in an organisation name shows as text."""
    body = df.map(_cell_text) if len(df) else df.astype(str)
    table = body.to_html(index=False, escape=True, border=0, max_rows=None, max_cols=None, na_rep="",
                         classes="distrust-impact")
    head = f"<p><strong>{html.escape(caption)}</strong></p>" if caption else ""
    return HTML(_inert(head + table))


class _Figure:
    """A PNG with alt text, shown as ``<img alt=…>`` (nbconvert's own image output has no alt attribute)."""

    def __init__(self, png: bytes, alt: str, width: int):
        self.png, self.alt, self.width = png, alt, width

    def _repr_mimebundle_(self, include=None, exclude=None):
        src = "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")
        return {"text/html": f'<img src="{src}" width="{self.width}" alt="{html.escape(self.alt, quote=True)}">',
                "text/plain": self.alt}


def show_figure(fig, alt: str) -> _Figure:
    """A matplotlib figure as a PNG with alt text (read out by a screen reader, shown when the image is not)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=1.5 * fig.dpi)  # sharp on a high-density screen, shown at its own size
    plt.close(fig)
    return _Figure(buf.getvalue(), alt, round(fig.get_figwidth() * fig.dpi))
