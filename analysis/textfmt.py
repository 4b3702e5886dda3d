"""Plain text for mailing-list posts (72 columns), CSV export with crt.sh links, and the rules that keep every value
from a certificate or the command line *data* in both.

Mailing lists (dev-security-policy, bugzilla comments) are read in fixed-width fonts and wrapped at 72 columns, so
:func:`format_table` guarantees that no line is wider than ``width`` display columns: long text is ellipsized,
numbers are right-aligned with thousands separators and never truncated (a truncated number is a wrong number); if
the numbers alone cannot fit, trailing columns are left out and a footer names them.

Widths are *display columns*, not characters (:func:`display_width`): East Asian wide and fullwidth characters
(Chinese, Japanese, Korean) take two columns, combining marks and other zero-width format characters none.

Values are shown, never interpreted (:func:`escape_text`): a newline, tab or other control character in a subject
O= is printed as ``\\n``, ``\\t``, ``\\x00``; Unicode line/paragraph separators, bidirectional controls (the
right-to-left override U+202E and its kin, which would reorder the rest of the line), unassigned and private-use
code points are printed as ``\\u202e`` etc. Text cells of a CSV file keep the exact value (quoted as needed), but a
cell that a spreadsheet would run as a formula is neutralised the way OWASP recommends (:func:`csv_safe`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.files import atomic_write
from analysis.normalise import release_arrow_memory

CRTSH_URL = "https://crt.sh/?id={}"
CRTSH_SHA256_URL = "https://crt.sh/?sha256={}"
LINK_COLUMNS = ("crtsh_id", "certificate_id", "precertificate_id")
# The certificate each id column names, by SHA-256 (crtsh_id: the final certificate, else the precertificate).
LINK_SHA256 = {"crtsh_id": ("sha256", "precertificate_sha256"), "certificate_id": ("sha256",),
               "precertificate_id": ("precertificate_sha256",)}
_SEP = "  "
_HEX64 = re.compile(r"[0-9A-Fa-f]{64}")

# --------------------------------------------------------------------------------------------------------------------
# Values as data: escaping and display width
# --------------------------------------------------------------------------------------------------------------------

# Bidirectional controls (embeddings, overrides, isolates, marks): U+202E turns the rest of a line around.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible characters that hide inside a name: zero-width space, word joiner, byte-order mark.
INVISIBLE = frozenset("\u200b\u2060\ufeff")
# Control, surrogate, private-use, unassigned, line and paragraph separator characters.
ESCAPED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


@lru_cache(maxsize=65536)
def _shown(ch: str) -> str:
    """How one character is shown: itself, or an escape like ``\\n``, ``\\x00``, ``\\u202e``."""
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    if ch in BIDI_CONTROLS or ch in INVISIBLE or unicodedata.category(ch) in ESCAPED_CATEGORIES:
        cp = ord(ch)
        return f"\\x{cp:02x}" if cp <= 0xFF else f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"
    return ch


def escape_text(value) -> str:
    """``value`` as text to show, every character that would not show as itself escaped.

    Newline, tab and carriage return become ``\\n``, ``\\t``, ``\\r``; other control characters ``\\x00``…;
    bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin), zero-width space, word joiner, byte-order
    mark, line/paragraph separators, surrogates, private-use and unassigned code points ``\\u202e``/``\\U000e0001``.
    Every other character, of any script, is kept (a value is shown, never interpreted). ``None`` gives ``""``.
    """
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    if s.isprintable():  # str.isprintable() is False for every character escaped above (and for no-break spaces)
        return s
    return "".join(map(_shown, s))


@lru_cache(maxsize=65536)
def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf", "Cc"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width font: East Asian wide/fullwidth characters count 2, combining marks
    and zero-width format characters 0, everything else 1 (ambiguous-width characters as in Western locales)."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


def _cut(text: str, width: int) -> str:
    """The longest prefix of ``text`` at most ``width`` columns wide (zero-width marks stay with their base)."""
    used = 0
    for i, ch in enumerate(text):
        w = _char_width(ch)
        if used + w > width:
            return text[:i]
        used += w
    return text


def ellipsize(text: str, width: int, ellipsis: str = "…") -> str:
    """``text`` cut to ``width`` display columns, ending in ``ellipsis`` when cut."""
    if display_width(text) <= width:
        return text
    if width <= display_width(ellipsis):
        return _cut(text, width)
    return _cut(text, width - display_width(ellipsis)) + ellipsis


def pad(text: str, width: int, align: str = "left") -> str:
    """``text`` padded with spaces to ``width`` display columns (``align``: "left" or "right")."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if align == "right" else text + fill


def wrap(text, width: int = 72, *, initial_indent: str = "", subsequent_indent: str = "",
         escape: bool = True, balance: bool = True) -> list[str]:
    """One paragraph as lines of at most ``width`` display columns, broken at spaces (runs of spaces inside a line
    are kept; the spaces at a break are dropped).

    ``subsequent_indent`` gives a hanging indent (see :func:`bullet`). The last line never holds a lone word when
    the line above can spare one ("… Root" / "CA" becomes "…" / "Root CA"; ``balance=False`` for a caller that
    already keeps such words together). A word wider than a line is broken
    across lines. With ``escape`` (the default) the text is first passed through :func:`escape_text`, so a newline
    inside a value is shown as ``\\n``, not as a line break: wrap each paragraph separately.
    """
    text = escape_text(text) if escape else str(text)
    parts = re.split(r"( +)", text)  # word, spaces, word, …
    tokens = [(parts[i - 1] if i else "", parts[i]) for i in range(0, len(parts), 2) if parts[i]]
    lines: list[list[tuple[str, str, bool]]] = []  # per line: (spaces before, word, broken here)
    widths: list[int] = []

    def start_line() -> None:
        lines.append([])
        widths.append(display_width(subsequent_indent if lines[:-1] else initial_indent))

    start_line()
    for spaces, word in tokens:
        sep = len(spaces) if lines[-1] else 0
        if widths[-1] + sep + display_width(word) <= width:
            lines[-1].append((spaces, word, False))
            widths[-1] += sep + display_width(word)
            continue
        if lines[-1]:
            start_line()
        while widths[-1] + display_width(word) > width:  # wider than a whole line: break it by columns
            piece = _cut(word, width - widths[-1]) or word[:1]
            lines[-1].append((spaces, piece, True))
            word = word[len(piece):]
            start_line()
        if word:
            lines[-1].append((spaces, word, False))
            widths[-1] += display_width(word)
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
        widths.pop()
    # No lone word on the last line: move the previous line's last word down when it fits and leaves one behind.
    if balance and len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 1 and not lines[-2][-1][2]:
        moved, last = lines[-2][-1], lines[-1][0]
        if widths[-1] + len(last[0]) + display_width(moved[1]) <= width:
            lines[-2].pop()
            lines[-1].insert(0, moved)
    out = []
    for i, line in enumerate(lines):
        body = "".join((spaces if j else "") + word for j, (spaces, word, _) in enumerate(line))
        out.append(((subsequent_indent if i else initial_indent) + body).rstrip())
    return out


def fill(text, width: int = 72, **kwargs) -> str:
    """:func:`wrap` joined with newlines."""
    return "\n".join(wrap(text, width, **kwargs))


def bullet(text, width: int = 72, marker: str = "- ", **kwargs) -> str:
    """A list item: ``marker`` on the first line, the following lines indented under the text (hanging indent).
    Any lead-in works as the marker: ``bullet(text, 72, "Caution: ")`` indents the following lines by 9."""
    return fill(text, width, initial_indent=marker, subsequent_indent=" " * display_width(marker), **kwargs)


def crtsh_url(certificate_id) -> str:
    """``https://crt.sh/?id=N`` for a crt.sh certificate id ('' when missing). Only for ids that come from crt.sh
    itself: a local database's ids name unrelated certificates on crt.sh (use :func:`crtsh_sha256_url`)."""
    if certificate_id is None or pd.isna(certificate_id):
        return ""
    return CRTSH_URL.format(int(certificate_id))


def crtsh_sha256_url(sha256) -> str:
    """``https://crt.sh/?sha256=HEX`` for a certificate's SHA-256 ('' when missing or not 64 hex digits)."""
    if sha256 is None or not isinstance(sha256, str) or not _HEX64.fullmatch(sha256):
        return ""
    return CRTSH_SHA256_URL.format(sha256.upper())


def _wrap_header(header: str, width: int, ellipsis: str) -> list[str]:
    """Split a snake_case header into lines of at most ``width`` columns, breaking after "_"."""
    words = header.split("_")
    lines: list[str] = []
    for w in words:
        if lines and display_width(lines[-1]) + 1 + display_width(w) <= width:
            lines[-1] += "_" + w
        else:
            if lines:
                lines[-1] += "_" if display_width(lines[-1]) < width else ""
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
        return escape_text(" ".join(map(str, v)))
    return escape_text(v)  # a newline or tab inside a value shows as \\n, \\t: one row stays one line


def format_table(df: pd.DataFrame, *, width: int = 72, max_rows: int | None = 40, title: str | None = None,
                 float_digits: int = 3, thousands: bool = True, ellipsis: str = "…",
                 min_width: int = 8) -> str:
    """Render ``df`` as a plain-text table no wider than ``width`` columns.

    Numbers (int/float columns) are right-aligned, with thousands separators unless ``thousands=False``; dates print
    as ``YYYY-MM-DD`` (``YYYY-MM-DD HH:MM`` if not midnight); missing values as ``-``. To fit, in this order:
    headers wrap at "_" onto several lines; text columns are ellipsized, widest first, down to ``min_width`` (the
    first column, the row label, last); header words of number and date columns are ellipsized to 6 characters or
    the width of their values (values never are);
    finally trailing columns are left out and listed in a footer. The title wraps (:func:`wrap`). At most
    ``max_rows`` rows are shown (None: all), followed by a count of the rest. The index is not printed
    (``reset_index()`` first if it matters). Widths are display columns (:func:`display_width`: a Chinese,
    Japanese or Korean character takes two); values, headers and the title are shown through :func:`escape_text`.
    """
    if width < 10:
        raise ValueError("width must be at least 10")
    shown = df if max_rows is None else df.head(max_rows)
    headers = [escape_text(c) for c in df.columns]
    numeric = [_is_number(df[c]) for c in df.columns]
    cells = [[_cell(v, float_digits, thousands) for v in shown[c].tolist()] for c in df.columns]
    text_col = [not numeric[i] and not pd.api.types.is_datetime64_any_dtype(df[c])
                for i, c in enumerate(df.columns)]
    natural = [max([display_width(h)] + [display_width(x) for x in col]) for h, col in zip(headers, cells)]
    values_w = [max([1] + [display_width(x) for x in col]) for col in cells]
    # Headers wrap at "_" onto several lines, so a number column need only be as wide as its longest header word.
    word_w = [max(display_width(w) for w in h.split("_")) if h else 1 for h in headers]
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
            parts.append(pad(v, widths[i], "right" if numeric[i] else "left"))
        return _SEP.join(parts).rstrip()

    wrapped = [_wrap_header(headers[i], widths[i], ellipsis) for i in range(keep)]
    depth = max((len(w) for w in wrapped), default=1)
    header_lines = [line([(w[j - (depth - len(w))] if j >= depth - len(w) else "") for w in wrapped])
                    for j in range(depth)]  # bottom-aligned, like a spreadsheet header

    out = []
    if title:
        out.extend(wrap(title, width))  # wrapped, never cut: it says what the table is about
        out.append("")
    out.extend(header_lines)
    out.append(_SEP.join("-" * w for w in widths))
    for r in range(len(shown)):
        out.append(line([col[r] for col in cells]))
    if len(df) > len(shown):
        out.append(ellipsize(f"… and {len(df) - len(shown):,} more rows", width, ellipsis))
    if omitted:
        out.append(fill("(columns left out to fit: " + ", ".join(omitted) + ")", width, escape=False))
    return "\n".join(out)


def with_crtsh_links(df: pd.DataFrame, id_columns=LINK_COLUMNS, *, crtsh_ids: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with a ``<id column>_url`` column after each certificate id column present.

    ``crtsh_ids=False`` (the default, and the only right choice for the demo or a local mirror, whose ids name
    unrelated certificates on crt.sh): links by SHA-256, ``https://crt.sh/?sha256=HEX``, from the ``sha256`` /
    ``precertificate_sha256`` columns (:data:`LINK_SHA256`; '' when the hash is missing); an id column without its
    hash column gets no link. ``crtsh_ids=True``, only when the rows come from crt.sh itself:
    ``https://crt.sh/?id=N`` ('' when the id is missing).
    """
    import pyarrow.compute as pc

    out = df.copy()
    by_hash: dict = {}  # hash column -> its links (computed once, shared by the id columns)
    for c in id_columns:
        if c not in out.columns:
            continue
        if crtsh_ids:
            ids = pd.array(out[c], dtype="Int64")
            text = pd.Series(ids.astype("string"), index=out.index)
            url = ("https://crt.sh/?id=" + text).fillna("")
        else:
            hashes = [h for h in LINK_SHA256.get(c, ()) if h in out.columns]
            if not hashes:
                continue
            for h in hashes:
                if h not in by_hash:
                    by_hash[h] = _sha256_urls(out[h])
            urls = pc.coalesce(*[by_hash[h] for h in hashes]) if len(hashes) > 1 else by_hash[hashes[0]]
            url = pd.Series(pd.arrays.ArrowStringArray(pc.fill_null(urls, "")), index=out.index)
        out.insert(out.columns.get_loc(c) + 1, f"{c}_url", url)
    return out


def _sha256_urls(column: pd.Series):
    """``https://crt.sh/?sha256=HEX`` per value of ``column``, null when it is not 64 hex digits (in Arrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    sha = pa.array(column, from_pandas=True)
    sha = pa.nulls(len(sha), pa.string()) if pa.types.is_null(sha.type) else sha.cast(pa.string())
    valid = pc.fill_null(pc.match_substring_regex(sha, "^" + _HEX64.pattern + "$"), False)
    url = pc.binary_join_element_wise("https://crt.sh/?sha256=", pc.utf8_upper(sha), "")
    return pc.if_else(valid, url, pa.scalar(None, pa.string()))


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV Injection"): = + - @, tab and
# carriage return, and the fullwidth = + - @ that some spreadsheets read as their ASCII forms.
FORMULA_START = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
_FORMULA_RE = "^[" + re.escape(FORMULA_START) + "]"
# A plain number ("-1", "+2.5", "-3e4") starts with a sign but is no formula: it stays a number.
_PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def csv_safe(value):
    """A text cell as written to CSV: prefixed with ``'`` if it starts with a formula character
    (:data:`FORMULA_START`), as OWASP recommends; anything else unchanged. Numbers never change, nor does text that
    is a plain number (``"-1"``)."""
    if (isinstance(value, str) and value[:1] and value[0] in FORMULA_START
            and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def _csv_safe_array(a):
    """:func:`csv_safe` over a pyarrow string array, in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(a.type) or pa.types.is_large_string(a.type)):
        return a
    hit = pc.match_substring_regex(a, _FORMULA_RE)
    if not pc.any(hit).as_py():
        return a
    hit = pc.and_(hit, pc.invert(pc.match_substring_regex(a, "^" + _PLAIN_NUMBER.pattern + "$")))
    if not pc.any(hit).as_py():
        return a
    quote, empty = pa.scalar("'", type=a.type), pa.scalar("", type=a.type)
    return pc.if_else(hit, pc.binary_join_element_wise(quote, a, empty), a)


REPRODUCE_PREFIX = "# "  # a CSV's reproduce line: "# reproduce: distrust-impact report … (…; input rows sha256:…)"


def reproduce_comment(line: str) -> str:
    """A reproduce line (:func:`analysis.repro.reproduce_line`) as a CSV's last line: ``# `` + the line, every
    character that would not show as itself escaped (:func:`escape_text`: a CA name with a line break stays on one
    line, so a file has exactly one such line, its last)."""
    text = escape_text(line)
    if not text.startswith("reproduce: "):
        raise ValueError(f"not a reproduce line: {text[:40]!r}")
    return REPRODUCE_PREFIX + text


def split_reproduce(text: str) -> tuple[str, str | None]:
    """A CSV file's text -> (the CSV rows, its reproduce line or None). Only the file's *last* line counts: a
    quoted cell holding a line that looks like one (a hostile name) is data, before it."""
    body = text[:-1] if text.endswith("\n") else text
    head, _, last = body.rpartition("\n")
    if last.startswith(REPRODUCE_PREFIX + "reproduce: "):
        return head + "\n", last[len(REPRODUCE_PREFIX):]
    return text, None


def read_csv(path, **kwargs) -> pd.DataFrame:
    """A CSV table written by :func:`write_csv` back into pandas, its reproduce line left out (``kwargs`` go to
    :func:`pandas.read_csv`). Do not use ``comment="#"``: a name may hold ``#``."""
    import io

    rows, _ = split_reproduce(Path(path).read_text(encoding="utf-8"))
    return pd.read_csv(io.StringIO(rows), **kwargs)


def write_csv(df: pd.DataFrame, path, *, id_columns=LINK_COLUMNS, crtsh_ids: bool = False,
              reproduce: str | None = None) -> Path:
    """Write ``df`` as UTF-8 CSV with crt.sh links (see :func:`with_crtsh_links`: by SHA-256 unless ``crtsh_ids``,
    which only rows fetched from crt.sh itself may set).

    List cells (``dns_names``) are space-separated; timestamps are UTC without offset, to the second
    (``2019-09-03 00:00:00``, as crt.sh shows them); missing values are empty. Text cells keep their exact value
    (quoted when needed; newlines included), except that a cell a spreadsheet would run as a formula (starting with
    ``= + - @``, tab or carriage return) is prefixed with ``'`` (:func:`csv_safe`, OWASP's advice: the formula shows
    as text); number columns are written as numbers, negative ones included. Written with pyarrow's CSV writer
    (an order of magnitude faster than ``DataFrame.to_csv`` on a few hundred thousand rows) to a temporary name
    that is then renamed into place, so a reader never sees half a file (house style, rule 1).

    ``reproduce``: the report's reproduce line, written as the file's last line (:func:`reproduce_comment`,
    ``# reproduce: …``); read such a file back with :func:`read_csv`, or any CSV reader after dropping its last line.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    out = with_crtsh_links(df, id_columns, crtsh_ids=crtsh_ids)
    arrays, names = [], []
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_list(s.dtype.pyarrow_dtype):
            s = s.astype(object)  # Arrow list cells: written as the lists below
        if pd.api.types.is_datetime64_any_dtype(s):
            # Whole seconds, written by Arrow's C++ writer as "YYYY-MM-DD HH:MM:SS" (strftime is 10x slower).
            a = pa.array(s.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s"))
        elif isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s) and s.dtype != object:
            a = pa.array(s.astype("string"))  # Arrow-backed already: no per-value Python work; missing: empty
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
        arrays.append(_csv_safe_array(a))
        names.append(str(c))
    table = pa.Table.from_arrays(arrays, names=names)

    def write(tmp: str) -> None:
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
        if reproduce is not None:
            with open(tmp, "a", encoding="utf-8", newline="") as fh:
                fh.write(reproduce_comment(reproduce) + "\n")

    atomic_write(path, write)
    table = arrays = None  # the Arrow buffers go back to the pool before it is trimmed
    release_arrow_memory()
    return path
