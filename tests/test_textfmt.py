"""analysis.textfmt: 72-column text tables and CSV with crt.sh links."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.textfmt import crtsh_url, ellipsize, format_table, with_crtsh_links, write_csv


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
    assert text.splitlines()[-1].startswith("(columns left out to fit: c")
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


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.tuples(st.text(max_size=90), st.integers(-10**12, 10**12), st.floats(allow_nan=True,
                                                                                         allow_infinity=False,
                                                                                         width=32)),
                max_size=6),
       st.lists(st.text(alphabet="abc_", min_size=1, max_size=30), min_size=3, max_size=3, unique=True),
       st.integers(20, 100))
def test_any_table_fits_the_width(rows, names, width):
    df = pd.DataFrame(rows, columns=names)
    assert all(len(line) <= width for line in format_table(df, width=width, title="x" * 200).splitlines())


def test_crtsh_links_and_csv(tmp_path):
    assert crtsh_url(12345) == "https://crt.sh/?id=12345" and crtsh_url(None) == ""
    df = pd.DataFrame({"crtsh_id": [1, 2], "precertificate_id": pd.array([3, None], dtype="Int64"),
                       "dns_names": [["a.fr", "b.fr"], []], "n": [1, 2]})
    linked = with_crtsh_links(df)
    assert list(linked.columns) == ["crtsh_id", "crtsh_id_url", "precertificate_id", "precertificate_id_url",
                                    "dns_names", "n"]
    assert linked["precertificate_id_url"].tolist() == ["https://crt.sh/?id=3", ""]
    path = write_csv(df, tmp_path / "x.csv")
    back = pd.read_csv(path, keep_default_na=False)
    assert back["dns_names"].tolist() == ["a.fr b.fr", ""]
    assert back["crtsh_id_url"].tolist() == ["https://crt.sh/?id=1", "https://crt.sh/?id=2"]
