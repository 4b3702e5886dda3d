"""``distrust-impact fetch``: its options (the same ``--ca`` as ``report``) and its runner."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import config, sources
from analysis.crtsh.client import RetryPolicy
from analysis.crtsh.fetch import DEFAULT_MAX_ROWS, DEFAULT_METHOD, DEFAULT_PAGE_SIZE, FetchOptions, fetch_ca

CA_HELP = ("root SHA-256 fingerprint, crt.sh CA id, or CA name (searched like crt.sh's CA search, case-insensitive, "
           "anywhere in the name; it must name one root)")


class _Removed(argparse.Action):
    """A flag of earlier versions: refused with the one that replaced it."""

    def __call__(self, parser, namespace, values, option_string=None):
        raise argparse.ArgumentError(self, f"removed: use --ca {values} (--ca takes a root SHA-256, a crt.sh CA id "
                                           f"or a CA name, as in 'distrust-impact report')")


def add_fetch_parser(subparsers) -> argparse.ArgumentParser:
    """``distrust-impact fetch``: add to the CLI's subparsers; the handler returns an exit code."""
    p = subparsers.add_parser("fetch", help="fetch one root's certificates from crt.sh (or a compatible database) "
                                            "into the cache")
    p.add_argument("--ca", required=True, help=CA_HELP)
    for old in ("--root-sha256", "--ca-id", "--ca-name"):
        p.add_argument(old, action=_Removed, help="removed: use --ca")
    p.add_argument("--as-of", help="certificates unexpired at this UTC date/time (default: now)")
    p.add_argument("--dsn", default="crtsh", help="libpq connection string (default: crt.sh's public endpoint)")
    p.add_argument("--cache-dir", type=Path, default=None, help=f"default {config.CACHE_DIR}")
    p.add_argument("--refresh", action="store_true", help="fetch again even if a cached result exists")
    p.add_argument("--method", choices=("client", "server"), default=DEFAULT_METHOD,
                   help="where the certificate fields are extracted (default: %(default)s)")
    p.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE,
                   help="at most this many certificate rows per statement (default: %(default)s)")
    p.add_argument("--max-rows", type=_max_rows_arg, default=DEFAULT_MAX_ROWS,
                   help="above this many unexpired rows fetch only server-side aggregates; 'none' = no limit "
                        "(default: %(default)s)")
    p.add_argument("--aggregates", action="store_true", help="also fetch the server-side aggregates")
    p.add_argument("--stall-timeout", type=_seconds_arg, default=RetryPolicy.stall, metavar="SECONDS",
                   help="give up when no statement has succeeded for this long (default: %(default)g)")
    p.add_argument("--deadline", type=_seconds_arg, default=None, metavar="SECONDS",
                   help="give up after this long in total (default: no limit); what was fetched is kept and the "
                        "same command resumes")
    p.add_argument("--parse-workers", type=int, default=None, metavar="N",
                   help="processes that parse the certificates (method client; default: two for a CA of 50,000 "
                        "rows or more on a machine with two cores or more, else this one)")
    p.add_argument("--source-name", default=None,
                   help="a stable name for the source in the cache key instead of the DSN (e.g. 'demo')")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=run_fetch)
    return p


def _max_rows_arg(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of rows or 'none': {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a negative number of rows: {text!r}")
    return value


def _seconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def options_from_args(args) -> FetchOptions:
    return FetchOptions(as_of=args.as_of, dsn=args.dsn, cache_dir=args.cache_dir, refresh=args.refresh,
                        method=args.method, page_size=args.page_size, max_rows=args.max_rows,
                        aggregates=args.aggregates, source_name=args.source_name, parse_workers=args.parse_workers,
                        retry=RetryPolicy(stall=args.stall_timeout, deadline=args.deadline))


def root_from_args(args) -> str:
    """The root ``fetch_ca`` takes: ``--ca`` resolved as ``report --ca`` resolves it (a name becomes the crt.sh id of
    the one root it names; several matches, or an intermediate, are an error naming the candidates)."""
    return sources.resolve_ca_name(args.ca, args.dsn)


def run_fetch(args) -> int:
    result = fetch_ca(root_from_args(args), options_from_args(args), progress=not args.quiet)
    print(result.summary())
    print(result.cache_path)
    return 0
