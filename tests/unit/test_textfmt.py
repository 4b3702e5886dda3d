"""analysis.textfmt: 72-column text tables, wrapping, and CSV with crt.sh links; every name shown as data."""

from __future__ import annotations

import csv
import unicodedata

import pandas as pd

from analysis.textfmt import (
    FORMULA_START,
    bullet,
    crtsh_sha256_url,
    crtsh_url,
    csv_safe,
    display_width,
    ellipsize,
    escape_text,
    fill,
    format_table,
    with_crtsh_links,
    wrap,
    write_csv,
)
from tests.hostile_names import NAMES, SCRIPT_NAMES

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown_as_data(text: str) -> bool:
    """No character that would break a line, reorder it or draw a box: controls, separators, bidi controls."""
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp", "Co", "Cn", "Cs") or c in BIDI for c in text)


def test_numbers_right_aligned_with_separators_and_text_ellipsized():
    df = pd.DataFrame({"organisation": ["Ministère de l'Intérieur et des Outre-mer, Direction du numérique", "X"],
                       "certificates": [1381, 7], "share": [0.5, 0.125]})
    lines = format_table(df, width=40).splitlines()
    assert max(map(len, lines)) <= 40
    assert lines[0].endswith("share") and lines[2].endswith("0.500")
    assert "1,381" in lines[2] and lines[2].index("1,381") + 5 == lines[3].index("7") + 1  # right-aligned
    assert "…" in lines[2] and lines[3].startswith("X ")


def test_headers_wrap_at_underscores_before_anything_is_cut():
    df = pd.DataFrame({"registrable_domains_affected": [12], "earliest_not_after": [pd.Timestamp("2019-10-01")]})
    text = format_table(df, width=24)
    assert max(map(len, text.splitlines())) <= 24
    assert "2019-10-01" in text and "12" in text and "…" not in text


def test_columns_left_out_when_numbers_cannot_fit():
    df = pd.DataFrame({f"c{i}": [10**9] for i in range(12)})
    text = format_table(df, width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert "\n(columns left out to fit: c2, c3," in text and text.endswith(", c11)")  # wrapped, not cut
    assert "1,000,000,000" in text  # numbers are never truncated


def test_missing_values_dates_and_row_limit():
    when = pd.to_datetime(["2019-09-03", None, "2019-09-03 12:30"], format="ISO8601")
    df = pd.DataFrame({"a": [None, "x", "y"], "d": when})
    text = format_table(df, max_rows=2, title="t")
    assert text.splitlines()[0] == "t"
    assert "-" in text.splitlines()[4] and "2019-09-03" in text
    assert text.splitlines()[-1] == "… and 1 more rows"


def test_ellipsize():
    assert ellipsize("abcdef", 4) == "abc…"
    assert ellipsize("abc", 4) == "abc"
    assert ellipsize("abcdef", 5, "...") == "ab..."


def test_crtsh_links_and_csv(tmp_path):
    assert crtsh_url(12345) == "https://crt.sh/?id=12345" and crtsh_url(None) == ""
    assert crtsh_sha256_url("ab" * 32) == "https://crt.sh/?sha256=" + "AB" * 32
    assert crtsh_sha256_url("ab") == crtsh_sha256_url(None) == crtsh_sha256_url("x" * 64) == ""
    df = pd.DataFrame({"crtsh_id": [1, 2], "precertificate_id": pd.array([3, None], dtype="Int64"),
                       "dns_names": [["a.fr", "b.fr"], []], "n": [1, 2]})
    linked = with_crtsh_links(df, crtsh_ids=True)
    assert list(linked.columns) == ["crtsh_id", "crtsh_id_url", "precertificate_id", "precertificate_id_url",
                                    "dns_names", "n"]
    assert linked["precertificate_id_url"].tolist() == ["https://crt.sh/?id=3", ""]
    # The safe default never links a bare id: without the SHA-256 columns there is no link at all.
    assert list(with_crtsh_links(df).columns) == list(df.columns)
    path = write_csv(df, tmp_path / "x.csv", crtsh_ids=True)
    back = pd.read_csv(path, keep_default_na=False)
    assert back["dns_names"].tolist() == ["a.fr b.fr", ""]
    assert back["crtsh_id_url"].tolist() == ["https://crt.sh/?id=1", "https://crt.sh/?id=2"]


def test_links_by_sha256_by_default(tmp_path):
    a, b = "0A" * 32, "0b" * 32
    df = pd.DataFrame({"crtsh_id": [1, 2, 3], "certificate_id": pd.array([1, None, 3], dtype="Int64"),
                       "precertificate_id": pd.array([None, 2, None], dtype="Int64"),
                       "sha256": [a, None, "not-a-hash"], "precertificate_sha256": [None, b, None]})
    back = pd.read_csv(write_csv(df, tmp_path / "x.csv"), keep_default_na=False)
    assert back["crtsh_id_url"].tolist() == ["https://crt.sh/?sha256=" + a, "https://crt.sh/?sha256=" + b.upper(), ""]
    assert back["certificate_id_url"].tolist() == ["https://crt.sh/?sha256=" + a, "", ""]
    assert back["precertificate_id_url"].tolist() == ["", "https://crt.sh/?sha256=" + b.upper(), ""]
    assert not any("?id=" in v for v in back.to_numpy().ravel().astype(str))


# ------------------------------------------------------------------------------------------------------------------
# Every name as data
# ------------------------------------------------------------------------------------------------------------------

def test_escape_text_shows_controls_and_keeps_every_script():
    assert escape_text("ACME\nSecond\tLine\r\x00\x1b") == "ACME\\nSecond\\tLine\\r\\x00\\x1b"
    assert escape_text("ACME \u202egnp.exe\u202c") == "ACME \\u202egnp.exe\\u202c"
    assert escape_text("a\u2028b\x85c\u200bd\U0010ffff") == "a\\u2028b\\x85c\\u200bd\\U0010ffff"
    assert escape_text(None) == "" and escape_text(12) == "12"
    for name, what in SCRIPT_NAMES:
        assert escape_text(name) == name, what
    for name in NAMES:
        assert shown_as_data(escape_text(name)), name


def test_display_width_counts_columns_not_characters():
    assert display_width("ACME") == 4
    assert display_width("株式会社") == 8 and display_width("한국") == 4 and display_width("ＡＢ　") == 6
    assert display_width("Cafe\u0301") == 4  # combining accent: zero width
    assert display_width("Ελληνικά") == 8 and display_width("Яндекс") == 6 and display_width("شركة") == 4
    assert ellipsize("株式会社日本", 7) == "株式会…"  # 6 + 1 columns: never half a wide character
    assert display_width(ellipsize("株式会社日本", 6)) == 5


def _columns(line: str, text: str) -> int:
    """Display column just after the first occurrence of ``text`` in ``line``."""
    i = line.index(text) + len(text)
    return display_width(line[:i])


def test_tables_with_every_hostile_name_fit_and_align():
    df = pd.DataFrame({"organisation": NAMES, "certificates": range(1000, 1000 + len(NAMES)),
                       "registrable_domains": [7] * len(NAMES)})
    text = format_table(df, max_rows=None, title="Top organisations — 株式会社\nTitle line")
    lines = text.splitlines()
    assert len(lines) == 2 + 2 + 1 + len(NAMES)  # title, blank, 2 header lines, rule, one line per name
    assert lines[0] == "Top organisations — 株式会社\\nTitle line" and set(lines[4]) == {"-", " "}
    assert max(display_width(x) for x in lines) <= 72
    assert all(shown_as_data(x) for x in lines)
    rows = lines[5:]
    ends = {_columns(r, f"{1000 + i:,}") for i, r in enumerate(rows)}
    assert len(ends) == 1  # the numbers' right edges line up, whatever the script of the name before them
    assert {display_width(r) for r in rows} == {display_width(lines[4])}


def test_tables_align_names_in_every_script_without_cutting_them():
    df = pd.DataFrame({"organisation": [n for n, _ in SCRIPT_NAMES], "certificates": [1, 22, 333, 4, 5, 6, 7, 8]})
    lines = format_table(df).splitlines()
    assert max(display_width(x) for x in lines) <= 72
    for (name, _), row in zip(SCRIPT_NAMES, lines[2:]):
        assert row.startswith(name)  # short enough to be shown whole
    assert len({display_width(row) for row in lines[2:]}) == 1  # right-aligned numbers end in one column


def test_wrap_hanging_indent_and_no_lone_word():
    assert wrap("Distrust impact: Certinomis - Root CA", 35) == ["Distrust impact: Certinomis -", "Root CA"]
    text = bullet("Mozilla removed this root in Firefox 69 (Bug 1552374) after the discussion ended", 40)
    assert text.splitlines() == ["- Mozilla removed this root in Firefox", "  69 (Bug 1552374) after the",
                                 "  discussion ended"]
    assert fill("株式会社日本レジストリサービス " * 3, 20).splitlines()[0] == "株式会社日本レジスト"
    assert wrap("", 20) == [""]
    assert wrap("A" * 25, 10) == ["A" * 10, "A" * 10, "A" * 5]
    assert wrap("ACME\nCorp", 72) == ["ACME\\nCorp"]  # a newline in a value is shown, not obeyed


def test_csv_keeps_names_exactly_and_neutralises_formulas(tmp_path):
    df = pd.DataFrame({"organisation": NAMES, "as_category": pd.Categorical(NAMES),
                       "certificates": [-5 + i for i in range(len(NAMES))], "share": [-0.5] * len(NAMES),
                       "as_text": [str(-5 + i) for i in range(len(NAMES))]})
    path = write_csv(df, tmp_path / "names.csv")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(NAMES)
    for name, row in zip(NAMES, rows):
        expected = "'" + name if name[:1] and name[0] in FORMULA_START else name  # none is a plain number
        assert row["organisation"] == expected == row["as_category"] == csv_safe(name)
        assert not row["organisation"][:1] or row["organisation"][0] not in FORMULA_START
    assert [int(r["certificates"]) for r in rows] == df["certificates"].tolist()  # negative numbers stay numbers
    assert {r["share"] for r in rows} == {"-0.5"}
    assert [r["as_text"] for r in rows] == df["as_text"].tolist()  # a number written as text is not a formula
    assert [csv_safe(x) for x in ("-1", "+2.5", "-3e4", "-1+1", "=1", "-")] == ["-1", "+2.5", "-3e4", "'-1+1", "'=1",
                                                                                 "'-"]
    assert rows[NAMES.index("-2+3")]["organisation"] == "'-2+3"
    assert rows[NAMES.index("ACME\r\nCRLF Corp")]["organisation"] == "ACME\r\nCRLF Corp"  # exact, quoted
    assert csv_safe(-5) == -5 and csv_safe("") == "" and csv_safe("ACME") == "ACME"


def test_a_long_title_wraps_instead_of_being_cut():
    title = "Top registrable domains, affected (Mozilla: Certinomis - Root CA, name constraint gouv.fr)"
    lines = format_table(pd.DataFrame({"a": [1]}), title=title).splitlines()
    assert lines[:3] == ["Top registrable domains, affected (Mozilla: Certinomis - Root CA, name",
                         "constraint gouv.fr)", ""]
