"""Plain-text tables for mailing-list posts (72 columns) and CSV export with crt.sh links.

Mailing lists (dev-security-policy, bugzilla comments) are read in fixed-width fonts and wrapped at 72 columns, so
:func:`format_table` guarantees that no line is longer than ``width``: long text is ellipsized, numbers are
right-aligned with thousands separators and never truncated (a truncated number is a wrong number); if the numbers
alone cannot fit, trailing columns are left out and a footer names them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.normalise import release_arrow_memory

CRTSH_URL = "https://crt.sh/?id={}"
LINK_COLUMNS = ("crtsh_id", "certificate_id", "precertificate_id")
_SEP = "  "


def crtsh_url(certificate_id) -> str:
    """``https://crt.sh/?id=N`` for a crt.sh certificate id ('' when missing)."""
    if certificate_id is None or pd.isna(certificate_id):
        return ""
    return CRTSH_URL.format(int(certificate_id))


def ellipsize(text: str, width: int, ellipsis: str = "…") -> str:
    """``text`` cut to ``width`` characters, ending in ``ellipsis`` when cut."""
    if len(text) <= width:
        return text
    if width <= len(ellipsis):
        return text[:width]
    return text[: width - len(ellipsis)] + ellipsis


def _wrap_header(header: str, width: int, ellipsis: str) -> list[str]:
    """Split a snake_case header into lines of at most ``width`` characters, breaking after "_"."""
    words = header.split("_")
    lines: list[str] = []
    for w in words:
        if lines and len(lines[-1]) + 1 + len(w) <= width:
            lines[-1] += "_" + w
        else:
            if lines:
                lines[-1] += "_" if len(lines[-1]) < width else ""
            lines.append(w)
    return [ellipsize(x, width, ellipsis) for x in lines] or [""]


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _cell(v, float_digits: int, thousands: bool) -> str:
    if v is None or (not isinstance(v, (list, tuple, np.ndarray)) and pd.isna(v)):
        return "-"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{v:,}" if thousands else str(v)
    if isinstance(v, (float, np.floating)):
        return f"{v:,.{float_digits}f}" if thousands else f"{v:.{float_digits}f}"
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, (list, tuple, np.ndarray)):
        return " ".join(map(str, v))
    return " ".join(str(v).split())  # no newlines or tabs inside a cell


def format_table(df: pd.DataFrame, *, width: int = 72, max_rows: int | None = 40, title: str | None = None,
                 float_digits: int = 3, thousands: bool = True, ellipsis: str = "…",
                 min_width: int = 8) -> str:
    """Render ``df`` as a plain-text table no wider than ``width`` columns.

    Numbers (int/float columns) are right-aligned, with thousands separators unless ``thousands=False``; dates print
    as ``YYYY-MM-DD`` (``YYYY-MM-DD HH:MM`` if not midnight); missing values as ``-``. To fit, in this order:
    headers wrap at "_" onto several lines; text columns are ellipsized, widest first, down to ``min_width`` (the
    first column, the row label, last); header words of number and date columns are ellipsized to 6 characters or
    the width of their values (values never are);
    finally trailing columns are left out and listed in a footer. At most
    ``max_rows`` rows are shown (None: all), followed by a count of the rest. The index is not printed
    (``reset_index()`` first if it matters). Character counts assume one column per character (no East Asian wide
    characters).
    """
    if width < 10:
        raise ValueError("width must be at least 10")
    shown = df if max_rows is None else df.head(max_rows)
    headers = [str(c) for c in df.columns]
    numeric = [_is_number(df[c]) for c in df.columns]
    cells = [[_cell(v, float_digits, thousands) for v in shown[c].tolist()] for c in df.columns]
    text_col = [not numeric[i] and not pd.api.types.is_datetime64_any_dtype(df[c])
                for i, c in enumerate(df.columns)]
    natural = [max([len(h)] + [len(x) for x in col]) for h, col in zip(headers, cells)]
    values_w = [max([1] + [len(x) for x in col]) for col in cells]
    # Headers wrap at "_" onto several lines, so a number column need only be as wide as its longest header word.
    word_w = [max(len(w) for w in h.split("_")) if h else 1 for h in headers]
    k = len(headers)
    widths = list(natural)

    def total(ws: list[int]) -> int:
        return sum(ws) + len(_SEP) * max(len(ws) - 1, 0)

    def shrink(floors: list[int], which: list[bool]) -> None:
        # The widest shrinkable column loses one character at a time: spreads the cuts fairly.
        while total(widths) > width:
            cand = [i for i in range(k) if which[i] and widths[i] > floors[i]]
            if not cand:
                return
            i = max(cand, key=lambda j: (widths[j], -j))
            widths[i] -= 1

    other = [not t for t in text_col]
    shrink([max(values_w[i], word_w[i]) for i in range(k)], other)  # lossless: wrap headers
    # Ellipsize text, the first column (the row label) last.
    shrink([min(natural[i], min_width) for i in range(k)], [t and i > 0 for i, t in enumerate(text_col)])
    shrink([min(natural[i], min_width) for i in range(k)], text_col)
    # Ellipsize long header words of number/date columns (never their values), then leave columns out.
    shrink([max(values_w[i], min(word_w[i], 6)) for i in range(k)], other)
    keep = k
    while keep > 1 and total(widths[:keep]) > width:
        keep -= 1
    omitted = headers[keep:]
    widths = widths[:keep]
    if keep == 1 and widths[0] > width:
        widths[0] = width

    def line(values: list[str]) -> str:
        parts = []
        for i, v in enumerate(values[:keep]):
            v = ellipsize(v, widths[i], ellipsis)
            parts.append(v.rjust(widths[i]) if numeric[i] else v.ljust(widths[i]))
        return _SEP.join(parts).rstrip()

    wrapped = [_wrap_header(headers[i], widths[i], ellipsis) for i in range(keep)]
    depth = max((len(w) for w in wrapped), default=1)
    header_lines = [line([(w[j - (depth - len(w))] if j >= depth - len(w) else "") for w in wrapped])
                    for j in range(depth)]  # bottom-aligned, like a spreadsheet header

    out = []
    if title:
        out.append(ellipsize(" ".join(title.split()), width, ellipsis))
        out.append("")
    out.extend(header_lines)
    out.append(_SEP.join("-" * w for w in widths))
    for r in range(len(shown)):
        out.append(line([col[r] for col in cells]))
    if len(df) > len(shown):
        out.append(ellipsize(f"… and {len(df) - len(shown):,} more rows", width, ellipsis))
    if omitted:
        out.append(ellipsize("(columns left out to fit: " + ", ".join(omitted) + ")", width, ellipsis))
    return "\n".join(out)


def with_crtsh_links(df: pd.DataFrame, id_columns=LINK_COLUMNS) -> pd.DataFrame:
    """A copy of ``df`` with ``<id column>_url`` (``https://crt.sh/?id=N``, '' when the id is missing) after each
    crt.sh id column present."""
    out = df.copy()
    for c in id_columns:
        if c in out.columns:
            ids = pd.array(out[c], dtype="Int64")
            text = pd.Series(ids.astype("string"), index=out.index)
            out.insert(out.columns.get_loc(c) + 1, f"{c}_url", ("https://crt.sh/?id=" + text).fillna(""))
    return out


def write_csv(df: pd.DataFrame, path, *, id_columns=LINK_COLUMNS) -> Path:
    """Write ``df`` as UTF-8 CSV with crt.sh links (see :func:`with_crtsh_links`).

    List cells (``dns_names``) are space-separated; timestamps are UTC without offset, to the second
    (``2019-09-03 00:00:00``, as crt.sh shows them); missing values are empty. Written with pyarrow's CSV writer
    (an order of magnitude faster than ``DataFrame.to_csv`` on a few hundred thousand rows) to a temporary name
    that is then renamed into place, so a reader never sees half a file (house style, rule 1).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    out = with_crtsh_links(df, id_columns)
    arrays, names = [], []
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            # Whole seconds, written by Arrow's C++ writer as "YYYY-MM-DD HH:MM:SS" (strftime is 10x slower).
            a = pa.array(s.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s"))
        elif isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s) and s.dtype != object:
            a = pa.array(s.astype("str"))  # Arrow-backed already: no per-value Python work
        elif s.dtype == object:
            vals = s.to_numpy(dtype=object)
            if any(isinstance(v, (list, tuple, np.ndarray)) for v in vals):
                vals = np.array([" ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v
                                 for v in vals] + [None], dtype=object)[:-1]
            try:
                a = pa.array(vals, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: write their text
                a = pa.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                              for v in vals], type=pa.string())
        else:
            a = pa.array(s.array) if not isinstance(s.array, np.ndarray) else pa.array(s.to_numpy())
        arrays.append(a)
        names.append(str(c))
    table = pa.Table.from_arrays(arrays, names=names)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
        os.replace(tmp, path)
        del table, arrays
        release_arrow_memory()
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
