"""analysis.normalise's fast paths (hashed issuance key, Arrow-encoded names and OIDs) give exactly what the plain
paths give, and step aside when their input is not theirs (a key that does not match, a None inside a list)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis import normalise as nm
from analysis.normalise import normalise, validation_level

from .test_normalise import DV, EV, OV, frame, row


def _rows():
    return [
        row(1, "01", "K1", pre=True, o="ACME", names=["www.acme.fr", "acme.fr"]),
        row(2, "01", "K1", o="ACME", names=["WWW.acme.fr.", "acme.fr", "acme.fr"]),
        row(3, "01", "K1", ca=2, names=["x.fr"]),  # same serial and key, another issuer: its own issuance
        row(4, "01", "K2", names=["x.fr"]),  # same serial, another key
        row(5, None, "K3", pre=True, cn="cn.example.fr"),  # no serial: still merged on issuer and key
        row(6, None, "K3", cn="cn.example.fr"),
        row(7, "02", None, names=["a.fr"]),  # no key: its own issuance
        row(8, "02", None, names=["a.fr"]),
        row(9, None, None, err="ASN.1 error"),
        row(10, "0A", "K9", names=[], cn="Not a host", oids=[OV, EV]),
        row(11, "0A", "K9", pre=True, names=[], cn="Not a host", oids=[]),
    ]


def test_hashed_issuance_key_equals_the_factorised_one():
    certs = frame(*_rows())
    mergeable = (certs["parse_error"].isna() & certs["dedup_key"].notna()).to_numpy()
    hashed = nm._hashed_codes(certs, mergeable)
    assert hashed is not None
    assert hashed.tolist() == nm._factorised_codes(certs, mergeable).tolist() == [0, 0, 1, 2, 3, 3, 4, 4]
    assert nm.issuance_codes(certs).tolist() == [0, 0, 1, 2, 3, 3, 4, 5, 6, 7, 7]


def test_arrow_and_object_columns_and_a_key_that_is_no_string():
    certs = frame(*_rows())  # object columns, as the loader gives them
    arrow = certs.astype({c: "str" for c in ("serial_number", "dedup_key")})
    odd = certs.assign(serial_number=[1, 1, 1, 1, None, None, 2, 2, None, 10, 10])  # numbers: factorised
    mergeable = (certs["parse_error"].isna() & certs["dedup_key"].notna()).to_numpy()
    assert nm._hashed_codes(arrow, mergeable).tolist() == nm._hashed_codes(certs, mergeable).tolist()
    assert nm._hashed_codes(odd, mergeable) is None
    assert nm.issuance_codes(odd).tolist() == nm.issuance_codes(arrow).tolist()
    a, b = normalise(certs), normalise(arrow)
    pd.testing.assert_frame_equal(a.names, b.names)
    pd.testing.assert_frame_equal(a.distinct_names, b.distinct_names)
    cols = ["crtsh_id", "certificate_rows", "kind", "dns_name_count", "registrable_domain_count", "validation_level"]
    pd.testing.assert_frame_equal(a.issuances[cols], b.issuances[cols])


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string()])
def test_string_comparison_is_exact(typ):
    fixed = pa.array(["AB", "AB", "AC", "AB"], type=typ)
    assert nm._same_strings(fixed, np.array([1, 3]), np.array([0, 0]))
    assert not nm._same_strings(fixed, np.array([1, 2]), np.array([0, 0]))
    assert not nm._same_strings(fixed.slice(1), np.array([1]), np.array([0]))  # "AC" vs "AB", sliced buffers
    mixed = pa.array(["AB", "AB", "A", None, None, "ABC"], type=typ)
    assert nm._same_strings(mixed, np.array([1, 4]), np.array([0, 3]))
    assert not nm._same_strings(mixed, np.array([2]), np.array([0]))
    assert not nm._same_strings(mixed, np.array([3]), np.array([0]))
    assert not nm._same_strings(mixed, np.array([5]), np.array([0]))
    chunked = pa.chunked_array([["AB"], ["AB", "AC"]], type=typ)
    assert nm._same_strings(chunked, np.array([1]), np.array([0]))
    assert not nm._same_strings(chunked, np.array([2]), np.array([0]))


def test_arrow_name_codes_equal_the_python_ones():
    cells = np.array([["b.fr", "a.fr"], None, np.array(["a.fr", "C.fr"], dtype=object), [], float("nan"),
                      ["c.fr"], ["b.fr", "b.fr"], None], dtype=object)
    cn = np.array([None, "cn.fr", None, "a.fr", None, None, None, "new.fr"], dtype=object)
    fast = nm._raw_name_codes_arrow(cells, cn, len(cells))
    slow = nm._raw_name_codes(cells, cn, len(cells))
    assert fast is not None
    for f, s in zip(fast[:3], slow[:3]):
        assert np.asarray(f).tolist() == np.asarray(s).tolist()
    assert list(fast[3]) == list(slow[3]) == ["b.fr", "a.fr", "C.fr", "c.fr", "cn.fr", "new.fr"]


def test_a_none_inside_a_list_takes_the_python_path():
    cells = np.array([["a.fr", None], [3]], dtype=object)
    assert nm._raw_name_codes_arrow(cells[:1], np.array([None], dtype=object), 1) is None
    assert nm._raw_name_codes_arrow(cells[1:], np.array([None], dtype=object), 1) is None


def test_validation_levels_on_every_kind_of_cell():
    cells = np.array([[DV, OV], None, np.array([EV], dtype=object), [], ["1.2.3"], float("nan"), [OV, None], [7]],
                     dtype=object)
    expected = [validation_level(c) if not (isinstance(c, list) and (None in c or 7 in c)) else None
                for c in cells]
    assert list(nm.validation_levels(cells[:6])) == expected[:6] == ["OV", "unknown", "EV", "unknown", "unknown",
                                                                     "unknown"]
    assert list(nm.validation_levels(cells[6:])) == ["OV", "unknown"]  # Python path: None and 7 are no level


def _object_lists(certs: pd.DataFrame) -> pd.DataFrame:
    """The same frame with its list columns as Python lists in object columns (a frame built by hand)."""
    return certs.assign(**{c: pd.Series(certs[c].tolist(), dtype=object) for c in ("dns_names", "policy_oids")})


def _assert_same_population(a, b):
    pd.testing.assert_frame_equal(a.names, b.names)
    pd.testing.assert_frame_equal(a.distinct_names, b.distinct_names)
    pd.testing.assert_frame_equal(a.issuances.drop(columns="dns_names"), b.issuances.drop(columns="dns_names"))
    assert a.issuances["dns_names"].tolist() == b.issuances["dns_names"].tolist()


def test_arrow_list_columns_equal_python_lists():
    certs = frame(*_rows())  # the loader's frame: Arrow list columns
    assert isinstance(certs["dns_names"].dtype, pd.ArrowDtype) and isinstance(certs["policy_oids"].dtype,
                                                                             pd.ArrowDtype)
    arrow, objects = normalise(certs), normalise(_object_lists(certs))
    _assert_same_population(arrow, objects)
    assert isinstance(arrow.issuances["dns_names"].dtype, pd.ArrowDtype)  # taken in Arrow, no Python list per row
    assert arrow.issuances["dns_names"].tolist()[:2] == [["WWW.acme.fr.", "acme.fr", "acme.fr"], ["x.fr"]]


def test_arrow_lists_with_a_missing_cell_or_a_missing_name():
    certs = frame(*_rows())
    typ = pa.list_(pa.string())
    names = certs["dns_names"].tolist()
    names[0], names[6] = None, ["a.fr", None]  # a missing list; a missing name inside a list (Python path)
    oids = certs["policy_oids"].tolist()
    oids[1], oids[9] = None, [OV, None]
    odd = certs.assign(dns_names=pd.arrays.ArrowExtensionArray(pa.array(names, type=typ)),
                       policy_oids=pd.arrays.ArrowExtensionArray(pa.array(oids, type=typ)))
    _assert_same_population(normalise(odd), normalise(_object_lists(odd)))


def test_issuer_categories_as_pandas_makes_them():
    values = pd.Series(["b CA", None, "a CA", "Zé CA", "b CA", "é CA"], dtype="str")  # the loader's Arrow strings
    idx = np.array([4, 1, 0, 3, 5, 3])
    expected = pd.Categorical(values.array.take(idx, allow_fill=True))
    pd.testing.assert_extension_array_equal(nm._categorical_at(values, idx), expected)
    for few in (idx[:0], idx[:1]):
        pd.testing.assert_extension_array_equal(nm._categorical_at(values, few),
                                                pd.Categorical(values.array.take(few, allow_fill=True)))


def test_an_arrow_list_column_of_numbers_takes_the_python_path():
    certs = frame(*_rows())
    numbers = pd.arrays.ArrowExtensionArray(pa.array([[1]] + [[]] * (len(certs) - 1), type=pa.list_(pa.int64())))
    cells = nm._list_cells(pd.Series(numbers), np.arange(len(certs)))
    assert isinstance(cells, np.ndarray)  # not an Arrow array of strings: the rules of the Python path apply
    assert nm._raw_name_codes_arrow(cells, np.array([None] * len(certs), dtype=object), len(certs)) is None
