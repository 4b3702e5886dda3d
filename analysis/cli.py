"""distrust-impact: how many certificates break, for whom and when, if a root program distrusts a certificate
authority — reports from crt.sh (or a crt.sh-compatible PostgreSQL) for one CA and one or more distrust dates."""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import re
import signal
import socket
import sys
import threading
from pathlib import Path

from analysis import __version__

# The commands import what they need when they run: `distrust-impact report` starts its notebook kernel before it
# imports pandas, papermill or the analysis (analysis.runs), so that the kernel warms up meanwhile.


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _cmd_db_start(args) -> int:
    from analysis.demo_db import load_demo
    from analysis.localdb import LocalCluster, create_schema

    if args.port is not None:
        if not 1 <= args.port <= 65535:
            raise ValueError(f"--port {args.port}: not a TCP port (1-65535)")
        if _port_in_use(args.port):
            raise ValueError(f"port {args.port} on 127.0.0.1 is in use; pick another --port or leave it out "
                             f"(a free one is chosen)")
    cluster = LocalCluster(port=args.port)
    cluster.start()
    try:
        create_schema(cluster.dsn)
        if args.demo:
            print(load_demo(cluster.dsn).summary(), file=sys.stderr)
        print(f"PostgreSQL {cluster.bindir.parent.name} running; crt.sh-compatible database ready.", file=sys.stderr)
        print(f"  read-write: {cluster.dsn}", file=sys.stderr)
        print(f"  read-only (like crt.sh's guest): {cluster.guest_dsn()}", file=sys.stderr)
        print("Press Ctrl-C to stop; the cluster and its data are then removed.", file=sys.stderr)
        print(cluster.dsn, flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    finally:
        cluster.stop()
    return 0


def _cmd_db_schema(args) -> int:
    import psycopg2

    from analysis.localdb import create_schema

    lacks = "the user of --dsn lacks the rights to create crt.sh's schema there ({}); use a role that may create " \
            "tables, types and functions in that database"
    conn = psycopg2.connect(args.dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_user, current_setting('transaction_read_only') = 'on', "
                        "has_schema_privilege('public', 'CREATE')")
            user, read_only, may_create = cur.fetchone()
    finally:
        conn.close()
    if read_only or not may_create:
        raise PermissionError(lacks.format(f"{user} is read-only" if read_only else
                                           f"{user} may not create in schema public"))
    try:
        create_schema(args.dsn)
    except psycopg2.errors.InsufficientPrivilege as exc:
        raise PermissionError(lacks.format((exc.diag.message_primary or str(exc)).strip())) from None
    print("schema ready", file=sys.stderr)
    return 0


def _cmd_load(args) -> int:
    from analysis.localdb import load_paths

    report = load_paths(args.dsn, args.paths, revocations_csv=args.revocations, ct_logs_csv=args.ct_logs,
                        ct_entries_csv=args.ct_entries)
    print(report.summary())
    return 1 if report.bad_files or report.bad_rows else 0


def _cmd_demo_generate(args) -> int:
    from analysis import demo

    manifest = demo.generate(Path(args.out), seed=args.seed)
    for key, value in manifest["expected_as_of_2019_05_17"].items():
        print(f"{key}: {value}")
    return 0


def _cmd_report(args) -> int:
    if not args.demo and args.ca is None:
        raise ValueError("--ca is required (root SHA-256, crt.sh CA id or CA name), or use --demo")
    # The run's kernel starts first (analysis.kernel imports little), then this process imports the run machinery
    # (pandas, papermill, nbconvert, the analysis) and checks the options while the kernel starts and warms up:
    # about 2 s less before the first notebook. `db start`, `load` and `fetch` import none of it.
    from analysis.kernel import SharedKernel

    with SharedKernel() as kernel:
        return _run_report(args, kernel)


def _run_report(args, kernel) -> int:
    from analysis import runs

    params = dict(runs.DEMO_DEFAULTS) if args.demo else {"source": "crtsh", "options": "removal"}
    if args.dsn:
        params["source"] = args.dsn
    for key in ("ca", "as_of", "expires_on_or_before", "issued_after"):
        value = getattr(args, key)
        if value is not None:
            params[key] = value
    if args.option:
        params["options"] = ";".join(args.option)
    dates = args.date or (runs.default_demo_dates() if args.demo else [])
    if args.ignore_alternate_paths:
        params["ignore_alternate_paths"] = True
    params["engine"] = args.engine
    results = runs.run_reports(dates=dates, out_root=args.out, cache_dir=args.cache_dir, force=args.force,
                               refresh=args.refresh, max_rows=args.max_rows, programs=args.programs or "",
                               log=runs.stderr_log, kernel=kernel, **params)
    failed = [r for r in results if not r.ok]
    for r in results:
        error = f" — {_one_line(r.error)}" if r.error else ""
        print(f"{'ok    ' if r.ok else 'FAILED'} {r.date}: {r.folder}{error}")
    return 1 if failed else 0


def _cmd_verify(args) -> int:
    from analysis import runs

    mismatches, n = runs.verify_report(args.folder, cache_dir=args.cache_dir)
    for m in mismatches:
        print(_one_line(m))
    if mismatches:
        return 1
    print(f"all {n} outputs match")
    return 0


def build_parser(fetch: bool = True) -> argparse.ArgumentParser:
    """The command's parser; without ``fetch``, the ``fetch`` subcommand is left out (it imports the crt.sh client,
    pandas included: :func:`main` leaves it out when another subcommand is named)."""
    p = argparse.ArgumentParser(prog="distrust-impact", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="a local crt.sh-compatible PostgreSQL database").add_subparsers(dest="db_command",
                                                                                                   required=True)
    start = db.add_parser("start", help="start a throwaway cluster (removed on Ctrl-C) and print its DSN")
    start.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    start.add_argument("--demo", action="store_true", help="load the demo population and the real Certinomis CAs")
    start.set_defaults(func=_cmd_db_start)
    schema = db.add_parser("schema", help="create crt.sh's tables and x509_* functions in an existing database")
    schema.add_argument("--dsn", required=True, help="libpq connection string of a database you may write to")
    schema.set_defaults(func=_cmd_db_schema)

    load = sub.add_parser("load", help="load PEM/DER certificates (files or folders) into a compatible database")
    load.add_argument("--dsn", required=True, help="libpq connection string of the database to load into")
    load.add_argument("--revocations", help="CSV: certificate_sha256,revocation_date,reason_code")
    load.add_argument("--ct-logs", help="CSV: id,operator,url,name")
    load.add_argument("--ct-entries", help="CSV: certificate_sha256,ct_log_id,entry_id,entry_timestamp")
    load.add_argument("paths", nargs="+", help="PEM or DER files, or folders of them")
    load.set_defaults(func=_cmd_load)

    demo_cmd = sub.add_parser("demo", help="the synthetic demo population").add_subparsers(dest="demo_command",
                                                                                           required=True)
    gen = demo_cmd.add_parser("generate", help="write the demo certificates and CSVs to a folder")
    gen.add_argument("out", help="folder to write the certificates and CSV files to")
    gen.add_argument("--seed", type=int, default=20190517,
                     help="random seed: the same seed writes the same population (default: %(default)s)")
    gen.set_defaults(func=_cmd_demo_generate)
    if fetch:
        from analysis.crtsh import add_fetch_parser

        fetcher = add_fetch_parser(sub)
        for action in fetcher._actions:
            if action.dest == "page_size" and not action.help:
                action.help = "at most this many certificate rows per statement (default: %(default)s)"

    rep = sub.add_parser("report", help="run the report notebook for a CA, one run per distrust date, plus a sweep")
    rep.add_argument("--demo", action="store_true",
                     help="the demo population and the seed thread's scenario (distrust 2019-09-03, filters "
                          "2019-08-31 / 2019-05-17, removal vs gouv.fr vs allowlist to 2020-06-30); offline")
    rep.add_argument("--ca", help="root SHA-256 fingerprint, crt.sh CA id, or CA name")
    rep.add_argument("--date", action="append", help="distrust date YYYY-MM-DD (repeat for several)")
    rep.add_argument("--as-of", help="the day the analysis answers as of: certificates unexpired (and issued) by then, "
                     "the root stores of then and the root programs' actions made public by then (default: today)")
    rep.add_argument("--expires-on-or-before", help="filter: leave out certificates expiring on or before it")
    rep.add_argument("--issued-after", help="filter: leave out certificates issued after it (default: the snapshot "
                     "date, so a past snapshot counts only what existed then)")
    rep.add_argument("--option", action="append",
                     help="option to compare (repeat; the first is the main one): removal, distrust-after:DATE, "
                          "sct-after:DATE, constrain:NAME[,NAME], allowlist:SUNSET, mozilla-actual")
    rep.add_argument("--dsn", help="a crt.sh-compatible database (default: crt.sh itself)")
    rep.add_argument("--out", default=str(Path("reports")), help="output root (default: reports/)")
    rep.add_argument("--cache-dir", help="cache folder (default: data/cache)")
    rep.add_argument("--force", action="store_true", help="replace existing output folders of the same run")
    rep.add_argument("--refresh", action="store_true", help="fetch again even when a cached result exists")
    rep.add_argument("--max-rows", type=int,
                     help="above this many unexpired crt.sh rows, report from server-side counts only "
                          "(default 2,000,000)")
    rep.add_argument("--programs",
                     help="also compare root programs side by side, each with its actual rule on this root: 'all' "
                          "or a list such as 'mozilla,chrome'")
    rep.add_argument("--engine", choices=("auto", "pandas", "duckdb"), default="auto",
                     help="pandas: count in memory; duckdb: out of core from the cached Parquet files (a CA too large "
                          "for memory; no date sweep, no --programs); auto (default): duckdb when the CA's rows would "
                          "need more than half the available memory")
    rep.add_argument("--ignore-alternate-paths", action="store_true",
                     help="count a certificate as broken even when a cross-sign gives it a chain to another root "
                          "the program trusts that day (by default such paths are decided and save it; "
                          "docs/trust-paths.md)")
    rep.set_defaults(func=_cmd_report)

    ver = sub.add_parser("verify", help="re-derive a report folder's tables, figures and summary.txt from the cached "
                                        "input and say whether every output still matches")
    ver.add_argument("folder", help="a report folder (one distrust date: it holds reproduce.json)")
    ver.add_argument("--cache-dir", help="cache folder the report was fetched into (default: data/cache)")
    ver.set_defaults(func=_cmd_verify)
    return p


def _one_line(exc: BaseException | str) -> str:
    """An error message as one line: control and bidirectional-override characters (a CA name may hold them) are
    shown escaped, never as a line break or reordered text."""
    return re.sub(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", lambda m: f"\\u{ord(m.group()):04x}", str(exc))


# the subcommands other than fetch: when one of them comes first, the parser is built without fetch's
OTHER_COMMANDS = ("db", "load", "demo", "report", "verify")


def main(argv: list[str] | None = None) -> int:
    # At exit the interpreter's last collections would go through every object of pandas, pyarrow, papermill and
    # nbconvert (0.25-0.4 s after a report run's last file is written): whatever is left then is frozen instead,
    # freed as the modules are cleared (registered first, so it runs after every other exit function).
    atexit.register(gc.freeze)
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(fetch=not argv or argv[0] not in OTHER_COMMANDS).parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:  # Ctrl-C: one line saying what was kept, not a traceback
        print(f"distrust-impact: interrupted{' ' + _one_line(exc) if str(exc) else ''}", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line, not a traceback wall; DISTRUST_IMPACT_DEBUG=1 shows it
        if os.environ.get("DISTRUST_IMPACT_DEBUG"):
            raise
        print(f"distrust-impact: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
