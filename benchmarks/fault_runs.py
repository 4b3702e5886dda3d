"""Fault runs: seeded fetches through a faulty pooled hot standby, per fault profile (not a timed test).

    .venv/bin/python benchmarks/fault_runs.py [--runs 20] [--seed 20261201] [--profile NAME ...] [--rows 12000]
                                              [--no-split --stall 30] [--json FILE]

Builds the fault lab of tests/integration/test_faults.py once (a primary, a streaming hot standby with
hot_standby_feedback off and max_standby_streaming_delay 100 ms, pgbouncer in statement pooling mode in front of the
standby, a root with a big and a small issuing CA), then for each profile runs ``--runs`` fetches through the pooler
while the profile's faults fire on seeded random timers (backends on the standby terminated every 0.5–2 s, the pooler
killed and restarted every 2–5 s, UPDATE + VACUUM on the primary every 0.3–1 s for recovery conflicts), and compares
every result with the fault-free fetch. Run i of profile k uses seed ``--seed + 1000 k + i`` (printed), the same seeds
as the test (DISTRUST_IMPACT_FAULT_SEED). ``--no-split`` turns the window splitting off (``split_after`` too large to
reach) to show what the adaptive windows are for. Prints the table that docs/queries.md shows. """

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--profile", action="append",
                    help="a profile of tests/integration/test_faults.py PROFILES (default: all)")
    ap.add_argument("--rows", type=int, default=None, help="leaves of the big CA (default: the test's)")
    ap.add_argument("--no-split", action="store_true", help="never split a window (what the adaptive windows fix)")
    ap.add_argument("--stall", type=float, default=None, help="RetryPolicy.stall for the runs (default: the test's)")
    ap.add_argument("--json", type=Path, help="write every run's record here")
    args = ap.parse_args(argv)
    os.environ["DISTRUST_IMPACT_FAULT_SEED"] = str(args.seed)

    from tests.integration import test_faults as tf

    profiles = args.profile or list(tf.PROFILES)
    retry = tf.LAB_RETRY
    if args.no_split:
        retry = dataclasses.replace(retry, split_after=10**9)
    if args.stall:
        retry = dataclasses.replace(retry, stall=args.stall)
    print(f"seed {args.seed}; {args.runs} runs per profile; retry policy {retry}", flush=True)
    t = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        lab = tf.FaultLab(Path(work) / "lab", **({"rows": args.rows} if args.rows else {}))
        try:
            truth = lab.truth
            print(f"lab ready in {time.monotonic() - t:.0f} s: {len(truth.certificates):,} certificate rows, "
                  f"{len(truth.revocations):,} revoked, {len(truth.ct):,} with CT entries, "
                  f"{truth.stats['pages']} pages fault-free", flush=True)
            records = []
            for profile in profiles:
                for run in range(args.runs):
                    seed = tf.lab_seed(profile, run)
                    out = lab.run(profile, seed, Path(tempfile.mkdtemp(dir=work)), retry=retry)
                    records.append(out)
                    print(f"  {profile:<22} run {run + 1:>2} seed {seed}: "
                          f"{'exact' if out['exact'] else 'WRONG' if out['error'] is None else 'gave up'} "
                          f"in {out['seconds']:.1f} s, retries {out.get('retries', '-')}, splits "
                          f"{out.get('splits', '-')}, kills {out['kills']}, pooler restarts {out['pooler_restarts']}, "
                          f"conflicts {out['conflicts']}" + (f" — {out['error']}" if out["error"] else ""),
                          flush=True)
        finally:
            lab.close()
    print()
    print(table(records, profiles))
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))
    return 0 if all(r["exact"] for r in records) else 1


def table(records: list[dict], profiles: list[str]) -> str:
    head = ("| fault profile | runs | exact | gave up | wrong rows | time per run, median (max) | retries | "
            "window splits | backends killed | pooler restarts | recovery conflicts |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for profile in profiles:
        rs = [r for r in records if r["profile"] == profile]
        if not rs:
            continue
        secs = [r["seconds"] for r in rs]
        total = lambda k, rs=rs: sum(r.get(k) or 0 for r in rs)  # noqa: E731
        lines.append(f"| {profile} | {len(rs)} | {sum(r['exact'] for r in rs)} | "
                     f"{sum(r['error'] is not None for r in rs)} | "
                     f"{sum(r['error'] is None and not r['exact'] for r in rs)} | "
                     f"{statistics.median(secs):.1f} s ({max(secs):.1f} s) | {total('retries')} | {total('splits')} | "
                     f"{total('kills')} | {total('pooler_restarts')} | {total('conflicts')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
