"""Every table the fetch produces, declared once: its columns, their types (Arrow in the cache, pandas in memory) and
what each one means.

The fetch writes its Parquet files with these schemas (:mod:`analysis.crtsh`), the row conversion turns Arrow tables
into pandas frames by them, :mod:`analysis.normalise` checks its input against them, ``docs/design.md``'s column
tables are generated from them (``python -m analysis.frames`` prints them; a test keeps the document in step), and
tests build certificate rows through :meth:`Table.frame`, so a column added here reaches every place at once.

Times are naive ``datetime64[ns]`` holding UTC, as crt.sh's ``timestamp without time zone``. The certificates frame,
millions of rows for a large CA, keeps its strings and lists in Arrow (pandas' ``str`` dtype, missing as NaN, and
``ArrowDtype`` lists): the impact library reads them without a Python object per value. The small frames keep Python
strings (None when missing) and lists.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Column", "Table", "CERTIFICATES", "REVOCATIONS", "CT", "ROOT", "HIERARCHY", "TRUST", "AGGREGATES",
           "TABLES", "NORMALISE_INPUT", "markdown"]

# pandas kinds: how a column looks in the frames the notebooks and the impact library see
INT = "int64"
NULLABLE_INT = "Int64"  # pandas' nullable integer (SQL NULL as <NA>)
TEXT = "object"  # Python str, SQL NULL as None
ARROW_TEXT = "str"  # pandas' string dtype (Arrow-backed), SQL NULL as NaN: the certificates frame's millions of strings
TIME = "datetime64[ns]"
BOOL = "bool"
LIST = "object: list"  # a Python list per row
# An Arrow list column (pandas ``ArrowDtype``): the certificates' name and policy lists, millions of short lists
# that the impact library reads in Arrow; ``series.iloc[i]``, ``tolist()`` and iteration give Python lists, and
# ``series.list`` has Arrow's list methods (``.list.len()``, ``.list.flatten()``).
ARROW_LIST = "list<item: string>[pyarrow]"  # str() of the dtype


@dataclass(frozen=True)
class Column:
    name: str
    arrow: pa.DataType
    pandas: str  # one of the kinds above
    doc_type: str  # the type as the documentation states it
    meaning: str


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.arrow) for c in self.columns])

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def check(self, names: Iterable[str]) -> None:
        """A one-line ValueError unless ``names`` are exactly this table's columns (any order)."""
        names = list(names)
        missing = [c for c in self.names if c not in names]
        extra = [c for c in names if c not in self.names]
        if missing or extra:
            raise ValueError(f"{self.name}: " + "; ".join(
                part for part in (f"missing columns {missing}" if missing else "",
                                  f"unknown columns {extra}" if extra else "") if part))

    def table(self, rows: Iterable[Mapping]) -> pa.Table:
        """An Arrow table of this schema from row dicts (every column given, nothing else)."""
        rows = list(rows)
        for r in rows[:1]:
            self.check(r)
        return pa.Table.from_pylist(rows, schema=self.schema)

    def to_pandas(self, table: pa.Table) -> pd.DataFrame:
        """The pandas frame of an Arrow table of this schema, every column in its declared pandas kind."""
        table = table.select(list(self.names)).cast(self.schema)
        lists = [c.name for c in self.columns if c.pandas in (LIST, ARROW_LIST)]
        df = table.drop_columns(lists).to_pandas()  # list columns below, straight from Arrow (no second copy)
        for c in self.columns:
            if c.pandas == INT:
                df[c.name] = df[c.name].astype("int64")
            elif c.pandas == NULLABLE_INT:
                df[c.name] = df[c.name].astype("Int64")
            elif c.pandas == TIME:
                df[c.name] = df[c.name].astype("datetime64[ns]")
            elif c.pandas == BOOL:
                df[c.name] = df[c.name].astype(bool)
            elif c.pandas == TEXT:
                df[c.name] = df[c.name].astype(object).where(df[c.name].notna(), None)
            elif c.pandas == ARROW_TEXT:
                df[c.name] = df[c.name].astype("str")
            elif c.pandas == LIST:
                df[c.name] = [[] if v is None else v for v in table.column(c.name).to_pylist()]
            elif c.pandas == ARROW_LIST:  # the Arrow column itself, a missing list as []
                col = table.column(c.name)
                if col.null_count:
                    col = pc.if_else(pc.is_null(col), pa.scalar([], col.type), col)
                df[c.name] = pd.arrays.ArrowExtensionArray(col)
        return df[list(self.names)]

    def frame(self, data: Mapping | Iterable[Mapping]) -> pd.DataFrame:
        """A pandas frame of this table from columns (a mapping: name → values, or one value for every row) or from
        row dicts; exactly the declared columns, in their declared kinds (what tests build by hand)."""
        if isinstance(data, Mapping):
            self.check(data)
            df = pd.DataFrame({name: data[name] for name in self.names})
        else:
            rows = list(data)
            for r in rows:
                self.check(r)
            df = pd.DataFrame(rows, columns=list(self.names))
        return self.to_pandas(pa.Table.from_pandas(df, schema=self.schema, preserve_index=False))


def _table(name: str, title: str, *columns: tuple) -> Table:
    return Table(name, title, tuple(Column(*c) for c in columns))


_TEXT_OR_NONE = "string or None"
_UTC = "datetime64[ns]"
_STR_OR_NAN = "str or NaN"
_ARROW_LIST_DOC = "list<item: string>[pyarrow] (ArrowDtype): list of str"

CERTIFICATES = _table(
    "certificates", "one row per crt.sh `certificate` row (a precertificate and its final certificate are two rows)",
    ("certificate_id", pa.int64(), INT, "int64", "crt.sh `certificate.id`"),
    ("issuer_ca_id", pa.int64(), INT, "int64", "crt.sh `ca.id` of the issuer"),
    ("issuer_name", pa.string(), ARROW_TEXT, "str", "that `ca.name` (crt.sh name format)"),
    ("sha256", pa.string(), ARROW_TEXT, "str", "SHA-256 of the DER, upper-case hex"),
    ("serial_number", pa.string(), ARROW_TEXT, _STR_OR_NAN,
     "lower-case hex of `x509_serialNumber` (DER integer contents, leading `00` kept); NaN when unparsable"),
    ("not_before", pa.timestamp("ns"), TIME, _UTC, "UTC; NaT when unparsable"),
    ("not_after", pa.timestamp("ns"), TIME, _UTC, "UTC; NaT when unparsable"),
    ("subject_o", pa.string(), ARROW_TEXT, _STR_OR_NAN, "first subject O=; NaN when the certificate has none (DV)"),
    ("subject_cn", pa.string(), ARROW_TEXT, _STR_OR_NAN, "first subject CN"),
    ("dns_names", pa.list_(pa.string()), ARROW_LIST, _ARROW_LIST_DOC,
     "`x509_altNames(cert, 2)` as written (not de-duplicated); `[]` when none"),
    ("policy_oids", pa.list_(pa.string()), ARROW_LIST, _ARROW_LIST_DOC, "`x509_certPolicies(cert)`; `[]` when none"),
    ("is_precertificate", pa.bool_(), BOOL, "bool", "CT poison extension present (critical)"),
    ("is_server_auth", pa.bool_(), BOOL, "bool",
     "usable for TLS servers: no EKU, or serverAuth / anyExtendedKeyUsage in it (`x509_isEKUPermitted`)"),
    ("dedup_key", pa.string(), ARROW_TEXT, _STR_OR_NAN, "upper-case hex SHA-256 of `x509_tbscert_strip_ct_ext(cert)`"),
    ("parse_error", pa.string(), ARROW_TEXT, _STR_OR_NAN,
     "set when the certificate could not be parsed; such rows are counted and reported, never dropped"),
)

REVOCATIONS = _table(
    "revocations", "one row per revoked certificate row (crt.sh's `crl_revoked`, matched on issuer CA and serial)",
    ("certificate_id", pa.int64(), INT, "int64", "crt.sh `certificate.id`"),
    ("revocation_date", pa.timestamp("ns"), TIME, _UTC, "UTC, from the CRL entry"),
    ("reason_code", pa.int64(), NULLABLE_INT, "Int64 (nullable)", "CRL reason code; <NA> when the entry has none"),
)

CT = _table(
    "ct", "one row per certificate row with at least one CT log entry",
    ("certificate_id", pa.int64(), INT, "int64", "crt.sh `certificate.id`"),
    ("earliest_entry", pa.timestamp("ns"), TIME, _UTC, "UTC: the earliest `ct_log_entry.entry_timestamp` of that row"),
)

ROOT = _table(
    "root", "the root's `ca` row with each of its certificates (`resolve_ca.sql`)",
    ("ca_id", pa.int64(), INT, "int64", "crt.sh `ca.id`"),
    ("ca_name", pa.string(), TEXT, "string", "`ca.name`"),
    ("num_issued_certificates", pa.int64(), INT, "int64", "crt.sh's counter on the `ca` row"),
    ("num_issued_precertificates", pa.int64(), INT, "int64", "crt.sh's counter on the `ca` row"),
    ("num_expired_certificates", pa.int64(), INT, "int64", "crt.sh's counter on the `ca` row"),
    ("num_expired_precertificates", pa.int64(), INT, "int64", "crt.sh's counter on the `ca` row"),
    ("matched_by", pa.string(), TEXT, "string", "`sha256`, `ca_id` or `name`: how the argument found it"),
    ("certificate_id", pa.int64(), INT, "int64", "one CA certificate of that CA"),
    ("issuer_ca_id", pa.int64(), INT, "int64", "its issuer"),
    ("sha256", pa.string(), TEXT, "string", "its SHA-256, upper-case hex"),
    ("not_before", pa.timestamp("ns"), TIME, _UTC, "its validity, UTC"),
    ("not_after", pa.timestamp("ns"), TIME, _UTC, "its validity, UTC"),
    ("is_self_signed", pa.bool_(), BOOL, "bool", "issued by the CA itself"),
)

HIERARCHY = _table(
    "hierarchy", "one row per (path, CA certificate) below the root (`ca_hierarchy.sql`)",
    ("depth", pa.int64(), INT, "int64", "0 = the root's own certificates, 1 = issued by the root, …"),
    ("ca_id", pa.int64(), INT, "int64", "the CA this certificate certifies"),
    ("ca_name", pa.string(), TEXT, "string", "its `ca.name`"),
    ("parent_ca_id", pa.int64(), NULLABLE_INT, "Int64 (nullable)", "the issuing CA"),
    ("certificate_id", pa.int64(), INT, "int64", "crt.sh `certificate.id` of the CA certificate"),
    ("sha256", pa.string(), TEXT, "string", "its SHA-256, upper-case hex"),
    ("not_before", pa.timestamp("ns"), TIME, _UTC, "its validity, UTC"),
    ("not_after", pa.timestamp("ns"), TIME, _UTC, "its validity, UTC"),
    ("path", pa.list_(pa.int64()), LIST, "object: list of int", "ca ids from the root to this CA"),
    ("closes_cycle", pa.bool_(), BOOL, "bool", "leads back to a CA on its path: listed, not followed"),
    ("other_issuer_ca_ids", pa.list_(pa.int64()), LIST, "object: list of int or None",
     "CAs outside the tree that also certified this CA (another trust path)"),
    ("trusted_in", pa.list_(pa.string()), LIST, "object: list of str or None",
     "`Context/Purpose` entries crt.sh computed as time-valid for this CA"),
)

TRUST = _table(
    "trust", "the root programs' records for the root's certificates (`root_trust_records.sql`)",
    ("certificate_id", pa.int64(), INT, "int64", "a certificate of the root"),
    ("trust_context_id", pa.int64(), INT, "int64", "crt.sh `trust_context.id`"),
    ("trust_context", pa.string(), TEXT, "string", "the root program (e.g. Mozilla)"),
    ("trust_purpose_id", pa.int64(), INT, "int64", "crt.sh `trust_purpose.id`"),
    ("trust_purpose", pa.string(), TEXT, "string", "e.g. Server Authentication"),
    ("purpose_oid", pa.string(), TEXT, _TEXT_OR_NONE, "the purpose's OID"),
    ("disabled_from", pa.timestamp("ns"), TIME, _UTC, "trust removed from this date; NaT when still trusted"),
    ("notbefore_until", pa.timestamp("ns"), TIME, _UTC, "distrust-after: certificates issued after it are not "
                                                        "trusted; NaT when none"),
)

AGGREGATES = _table(
    "aggregates", "server-side counts of a CA too large to fetch row by row (`certificate_aggregates.sql`)",
    ("dimension", pa.string(), TEXT, "string", "what is counted by: subject O=, notAfter month or issuing CA"),
    ("key", pa.string(), TEXT, _TEXT_OR_NONE, "the group (None: no O=)"),
    ("certificates", pa.int64(), INT, "int64", "certificate rows"),
    ("precertificates", pa.int64(), INT, "int64", "of which precertificates"),
    ("deduplicated", pa.int64(), INT, "int64", "distinct de-duplication keys (issuances)"),
)

# The bundle's frames in the order the cache lists them.
TABLES = {t.name: t for t in (ROOT, HIERARCHY, CERTIFICATES, REVOCATIONS, CT, TRUST, AGGREGATES)}

# normalise reads every column of the certificates frame but is_server_auth: the report keeps the rows usable for
# TLS servers before it normalises, and a frame without that column is accepted.
NORMALISE_INPUT = tuple(c for c in CERTIFICATES.names if c != "is_server_auth")


def markdown(table: Table) -> str:
    """The column table of ``docs/design.md`` for one frame."""
    lines = ["| column | dtype | meaning |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.doc_type} | {c.meaning} |" for c in table.columns]
    return "\n".join(lines)


def main() -> int:
    for t in (CERTIFICATES, REVOCATIONS, CT, HIERARCHY):
        print(f"### `{t.name}`: {t.title}\n\n{markdown(t)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
