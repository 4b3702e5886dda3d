"""Named SQL queries read from ``queries/*.sql`` (aiosql-style: SQL is code, one query per file).

Each file starts with a comment header::

    -- name: unexpired_certificates
    -- purpose: …
    -- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
    -- param: as_of         timestamp  UTC, naive
    -- row: …
    -- indexes: …

The ``param:`` lines are the query's contract: :meth:`Query.bind` refuses a call that misses one or passes one the
header does not declare, before anything is sent to the server, and the loader refuses a file whose SQL uses a
``%(name)s`` placeholder the header does not declare (or declares one it never uses). Values are only ever bound
parameters; psycopg2 renders them client-side, so the planner sees constants and can prune partitions at plan time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from analysis.config import QUERIES_DIR

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_HEADER = re.compile(r"^--\s*(\w+):\s?(.*)$")


class QueryError(ValueError):
    """A query file is malformed, or a call's parameters do not match the file's declared parameters."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    params: tuple[Param, ...]
    doc: str
    path: Path | None = None

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def sha256(self) -> str:
        """Hash of the SQL text (recorded in cache sidecars: a changed query invalidates its cached results)."""
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def bind(self, params: Mapping[str, object]) -> dict:
        """The parameters as a dict for ``cursor.execute(query.sql, …)``; missing or unknown names are an error."""
        given = set(params)
        declared = set(self.param_names)
        missing = sorted(declared - given)
        unknown = sorted(given - declared)
        if missing or unknown:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(missing))
            if unknown:
                parts.append("unknown " + ", ".join(unknown))
            raise QueryError(f"query {self.name}: {'; '.join(parts)} (declared: {', '.join(self.param_names)})")
        return {k: params[k] for k in self.param_names}


def parse_query(text: str, path: Path | None = None) -> Query:
    name = None
    params: list[Param] = []
    doc_lines: list[str] = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        m = _HEADER.match(line)
        if m and m.group(1) == "name":
            name = m.group(2).strip()
        elif m and m.group(1) == "param":
            fields = m.group(2).split(None, 2)
            if len(fields) < 2:
                raise QueryError(f"{path}: malformed param line {line!r} (want: -- param: name type description)")
            params.append(Param(fields[0], fields[1], fields[2] if len(fields) > 2 else ""))
        else:
            doc_lines.append(line[2:].strip())
    if not name:
        raise QueryError(f"{path}: no '-- name:' header line")
    if path is not None and path.stem != name:
        raise QueryError(f"{path}: header name {name!r} differs from the file name")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise QueryError(f"{path}: a parameter is declared twice")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    stray = re.search(r"%(?!\(\w+\)s|%)", _PLACEHOLDER.sub("", text))
    if stray:
        raise QueryError(f"{path}: stray % in the SQL or its comments (psycopg2 would reject it; write %%)")
    used = set(_PLACEHOLDER.findall(body))
    if used != set(names):
        raise QueryError(f"{path}: placeholders {sorted(used)} differ from declared params {sorted(names)}")
    return Query(name=name, sql=text, params=tuple(params), doc="\n".join(doc_lines), path=path)


def load_query(name: str, queries_dir: Path | str = QUERIES_DIR) -> Query:
    path = Path(queries_dir) / f"{name}.sql"
    if not path.exists():
        raise QueryError(f"no query file {path}")
    return parse_query(path.read_text(), path)


def load_queries(queries_dir: Path | str = QUERIES_DIR) -> dict[str, Query]:
    """Every ``*.sql`` file of the folder, by name."""
    return {p.stem: parse_query(p.read_text(), p) for p in sorted(Path(queries_dir).glob("*.sql"))}
