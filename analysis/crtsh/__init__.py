"""The crt.sh client: named queries (``queries/*.sql``), bounded pages, retries, and the Parquet cache.

One job per module, the data flowing one way:

* :mod:`~analysis.crtsh.client` — the connection: autocommit statements, client-side timeouts and cancel, retries
  under a time budget (:class:`RetryPolicy`), statements over windows split while they fail;
* :mod:`~analysis.crtsh.windows` — windows of crt.sh's partition key and the page planner;
* :mod:`~analysis.crtsh.rows` — rows → frames (:func:`extract_fields`, :func:`certificates_frame`), with the columns
  of :mod:`analysis.frames`;
* :mod:`~analysis.crtsh.steps` — the journaled steps of one fetch (root, hierarchy, plan, pages, assembly);
* :mod:`~analysis.crtsh.fetch` — :func:`fetch_ca` (with :class:`FetchOptions`) → :class:`FetchResult`,
  :func:`load_cached`, :func:`resume_command`;
* :mod:`~analysis.crtsh.command` — ``distrust-impact fetch`` (:func:`add_fetch_parser`), the same ``--ca`` as
  ``report``.

How the client behaves against crt.sh's replicas and pooler, and why: ``docs/queries.md``.
"""

from analysis import x509
from analysis.crtsh.client import (
    CANCEL_GRACE,
    Client,
    CrtshError,
    CrtshUnavailable,
    PageInfo,
    Progress,
    RetryPolicy,
    is_statement_timeout,
    is_transient,
    public_dsn,
    resolve_dsn,
    to_naive_utc,
)
from analysis.crtsh.command import add_fetch_parser  # imports analysis.sources, which uses this package at call time
from analysis.crtsh.fetch import (
    DEFAULT_MAX_ROWS,
    DEFAULT_METHOD,
    DEFAULT_PAGE_SIZE,
    FRAMES,
    CacheMiss,
    FetchOptions,
    FetchResult,
    fetch_ca,
    load_cached,
    resume_command,
)
from analysis.crtsh.rows import (
    CERTIFICATE_COLUMNS,
    PARSE_ERROR,
    SERVER_AUTH,
    certificates_frame,
    extract_fields,
    records_from_der_rows,
    records_from_server_rows,
)
from analysis.crtsh.steps import parse_root
from analysis.crtsh.windows import Window, count_pieces, month_counts, pack_windows, plan_windows
from analysis.querylib import QueryError, load_queries

__all__ = [
    "CrtshError", "CrtshUnavailable", "CacheMiss", "RetryPolicy", "Progress", "PageInfo", "Window", "Client",
    "FetchOptions", "FetchResult", "fetch_ca", "load_cached", "resume_command", "is_statement_timeout",
    "is_transient", "certificates_frame", "extract_fields", "records_from_der_rows", "records_from_server_rows",
    "resolve_dsn", "public_dsn", "to_naive_utc", "parse_root", "add_fetch_parser", "count_pieces", "month_counts",
    "pack_windows", "plan_windows", "load_queries", "x509", "CERTIFICATE_COLUMNS", "PARSE_ERROR", "SERVER_AUTH",
    "DEFAULT_METHOD", "DEFAULT_MAX_ROWS", "DEFAULT_PAGE_SIZE", "FRAMES", "CANCEL_GRACE", "QueryError",
]
