"""Property-based tests of analysis.textfmt (hypothesis: many generated tables and paragraphs): every table fits
its width, every paragraph wraps within it, no lone last word; the examples are in tests/unit/test_textfmt.py."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.textfmt import (
    display_width,
    format_table,
    wrap,
)
from tests.hostile_names import NAMES
from tests.unit.test_textfmt import shown_as_data


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.tuples(st.text(max_size=90), st.integers(-10**12, 10**12), st.floats(allow_nan=True,
                                                                                         allow_infinity=False,
                                                                                         width=32)),
                max_size=6),
       st.lists(st.text(alphabet="abc_", min_size=1, max_size=30), min_size=3, max_size=3, unique=True),
       st.integers(20, 100))
def test_any_table_fits_the_width(rows, names, width):
    df = pd.DataFrame(rows, columns=names)
    lines = format_table(df, width=width, title="x" * 200).splitlines()
    assert all(display_width(line) <= width and shown_as_data(line) for line in lines)


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.sampled_from(NAMES + ["CA", "of", "a", "Root", "株式会社"]), min_size=1, max_size=25),
       st.integers(16, 90))
def test_any_paragraph_wraps_within_the_width(words, width):
    lines = wrap(" ".join(words), width, initial_indent="- ", subsequent_indent="  ")
    assert all(display_width(x) <= width for x in lines)
    assert all(shown_as_data(x) for x in lines)
    assert all(x.startswith("  ") for x in lines[1:])


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.sampled_from(["CA", "of", "a", "Root", "Certinomis", "株式会社", "Authority"]), min_size=1,
                max_size=30), st.integers(16, 60))
def test_the_last_line_never_holds_a_lone_word_that_could_have_company(words, width):
    lines = wrap(" ".join(words), width, subsequent_indent="  ")
    assert [w for x in lines for w in x.split()] == words  # nothing lost, nothing broken
    if len(lines) > 1 and len(lines[-1].split()) == 1:
        above = lines[-2].split()
        assert len(above) == 1 or display_width(lines[-1]) + 1 + display_width(above[-1]) > width
