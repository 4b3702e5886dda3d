"""The ``distrust-impact`` command."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from analysis import __version__


def _cmd_db_start(args) -> int:
    from analysis.localdb import LocalCluster, create_schema

    cluster = LocalCluster(port=args.port)
    cluster.start()
    try:
        create_schema(cluster.dsn)
        if args.demo:
            from analysis.demo_db import load_demo

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
    from analysis.localdb import create_schema

    create_schema(args.dsn)
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


def build_parser() -> argparse.ArgumentParser:
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
    load.add_argument("--dsn", required=True)
    load.add_argument("--revocations", help="CSV: certificate_sha256,revocation_date,reason_code")
    load.add_argument("--ct-logs", help="CSV: id,operator,url,name")
    load.add_argument("--ct-entries", help="CSV: certificate_sha256,ct_log_id,entry_id,entry_timestamp")
    load.add_argument("paths", nargs="+")
    load.set_defaults(func=_cmd_load)

    demo = sub.add_parser("demo", help="the synthetic demo population").add_subparsers(dest="demo_command",
                                                                                       required=True)
    gen = demo.add_parser("generate", help="write the demo certificates and CSVs to a folder")
    gen.add_argument("out")
    gen.add_argument("--seed", type=int, default=20190517)
    gen.set_defaults(func=_cmd_demo_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:  # one clear line, not a traceback wall; DISTRUST_IMPACT_DEBUG=1 shows it
        import os

        if os.environ.get("DISTRUST_IMPACT_DEBUG"):
            raise
        print(f"distrust-impact: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
