"""The out-of-core engine on a synthetic CA beyond memory: rows, wall, CPU and peak memory, as a table.

    .venv/bin/python benchmarks/bench_outofcore.py --rows 30000000 --bundle /var/tmp/ca30m   # generates if absent
    .venv/bin/python benchmarks/bench_outofcore.py --rows 3000000 --bundle /tmp/ca3m --compare-pandas

The bundle is written by ``benchmarks/gen_large_ca.py`` (streamed to Parquet, batch by batch) unless it exists. Each
step runs in its own process, so each peak resident memory (``ru_maxrss``) is that step's alone:

* ``generate`` — the generator (not part of the engine; listed so its cost is known);
* ``outofcore`` — :func:`analysis.outofcore.impact_from_bundle`: the summary counts, by organisation, by registrable
  domain, by intermediate, the expiry histogram and the survival curve for the seed scenario (removal on
  2019-09-03, expiring on or before 2019-08-31 and issued after 2019-05-17 left out), every counting rule applied;
  DuckDB under ``--memory-limit``, spilling to ``--work-dir``;
* ``pandas`` (``--compare-pandas``) — the same tables from the in-memory library (``load_cached``,
  ``subscriber_certificates``, ``evaluate``), and a check that every table is equal.

CPU is user + system time of the step's process (all threads). The load average is printed: the machine is shared.

The whole report notebook, as the report command's kernel runs it (papermill, its kernel, DuckDB, figures and files):

    .venv/bin/python benchmarks/bench_outofcore.py --rows 30000000 --cache-dir /var/tmp/ooc/cache --notebook OUT

generates the CA into ``--cache-dir`` as the cached fetch of crt.sh CA id 999 (``gen_large_ca.py --cache-dir``) unless
it is there, then executes ``notebooks/ca_impact_report.ipynb`` on it (``engine`` auto: the rule picks DuckDB for a CA
that does not fit) into ``OUT``, sampling the resident memory of the whole process tree (papermill and its kernel)
every 0.2 s: wall, CPU of the tree, and the peak of the tree's summed RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parent))

SCENARIO = {"expires_on_or_before": "2019-08-31", "issued_after": "2019-05-17"}
DISTRUST = "2019-09-03"
TABLES = ("by_organisation", "by_registrable_domain", "by_intermediate", "expiry_histogram", "survival_curve")


def _usage() -> dict:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": r.ru_utime + r.ru_stime, "peak_mb": r.ru_maxrss / 1024}


def run_outofcore(bundle: str, memory_limit: str, threads: int, work_dir: str | None, out: str | None) -> dict:
    from analysis.outofcore import impact_from_bundle
    from analysis.policies import Removal

    t0 = time.perf_counter()
    res = impact_from_bundle(bundle, Removal(DISTRUST), memory_limit=memory_limit, threads=threads,
                             work_dir=work_dir, **SCENARIO)
    wall = time.perf_counter() - t0
    if out:
        _save(res, out)
    return {"wall": wall, **_usage(), "summary": res.summary_values, "stats": res.stats,
            "tables": {t: len(getattr(res, t)) for t in TABLES}}


def run_pandas(bundle: str, out: str | None) -> dict:
    from analysis.crtsh import load_cached
    from analysis.policies import Removal
    from analysis.report import subscriber_certificates
    from analysis.tables import evaluate

    t0 = time.perf_counter()
    fetched = load_cached(bundle)
    ev = evaluate(subscriber_certificates(fetched), Removal(DISTRUST), revocations=fetched.revocations,
                  ct=fetched.ct, **SCENARIO)
    tables = {t: getattr(ev, t)() for t in TABLES}
    wall = time.perf_counter() - t0
    if out:
        import pickle

        Path(out).write_bytes(pickle.dumps({"summary": ev.summary_values(), **tables}))
    return {"wall": wall, **_usage(), "summary": ev.summary_values(), "tables": {t: len(v) for t, v in tables.items()}}


def _save(res, out: str) -> None:
    import pickle

    Path(out).write_bytes(pickle.dumps({"summary": res.summary_values, **{t: getattr(res, t) for t in TABLES}}))


def _child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_notebook(rows: int, cache_dir: str, out: str, engine: str, options: str) -> dict:
    """Execute the report notebook on the cached synthetic CA (generated first if absent); measure the tree."""
    import psutil
    from gen_large_ca import CACHED_AS_OF, ROOT_CA_ID, cache_entry_for

    if not (cache_entry_for(cache_dir, rows) / "manifest.json").exists():
        subprocess.run([sys.executable, str(Path(__file__).parent / "gen_large_ca.py"), "--cache-dir", cache_dir,
                        "--rows", str(rows)], check=True)
    Path(out).mkdir(parents=True, exist_ok=True)
    nb = Path(__file__).resolve().parent.parent / "notebooks" / "ca_impact_report.ipynb"
    cmd = [str(Path(sys.executable).parent / "papermill"), str(nb), str(Path(out) / "report.ipynb"),
           "-k", "distrust-impact", "--no-progress-bar", "-p", "ca", str(ROOT_CA_ID), "-p", "distrust_date",
           "2019-09-03", "-p", "as_of", CACHED_AS_OF, "-p", "expires_on_or_before", SCENARIO["expires_on_or_before"],
           "-p", "issued_after", SCENARIO["issued_after"], "-y", json.dumps({"options": options.split(";")}),
           "-p", "source", "crtsh", "-p", "cache_dir", cache_dir, "-p", "output_dir", str(Path(out).resolve()),
           "-p", "max_rows", str(rows), "-p", "engine", engine]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak, cpu = 0, {}
    while proc.poll() is None:
        try:
            tree = [proc] + proc.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree))
            for p in tree:
                t = p.cpu_times()
                cpu[p.pid] = t.user + t.system
        except psutil.Error:
            pass
        time.sleep(0.2)
    output = proc.stdout.read().decode(errors="replace")
    if proc.returncode:
        raise SystemExit(f"the notebook failed:\n{output[-3000:]}")
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": time.perf_counter() - t0, "cpu": max(r.ru_utime + r.ru_stime, sum(cpu.values())),
            "peak_tree_mb": peak / 2**20, "peak_process_mb": r.ru_maxrss / 1024, "load_start": load,
            "load_end": os.getloadavg()[0], "summary": (Path(out) / "summary.txt").read_text()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=30_000_000)
    ap.add_argument("--bundle", help="the bundle folder (generated there if it does not exist)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB's memory limit (default 4GB)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work-dir", default=None, help="DuckDB's database and spill files (default: temp)")
    ap.add_argument("--compare-pandas", action="store_true", help="also run the in-memory library and compare")
    ap.add_argument("--cache-dir", help="with --notebook: the cache folder of the synthetic CA")
    ap.add_argument("--notebook", metavar="OUT", help="execute the report notebook into OUT (see above)")
    ap.add_argument("--engine", default="auto", help="with --notebook: the notebook's engine (default auto)")
    ap.add_argument("--options", default="removal", help="with --notebook: options, separated by ';'")
    ap.add_argument("--step", choices=["outofcore", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.notebook:
        if not args.cache_dir:
            ap.error("--notebook needs --cache-dir")
        res = run_notebook(args.rows, args.cache_dir, args.notebook, args.engine, args.options)
        print(f"report notebook on {args.rows:,} generated rows (engine {args.engine}, options {args.options}): "
              f"wall {res['wall']:,.1f} s, CPU {res['cpu']:,.1f} s, peak RSS of papermill + kernel "
              f"{res['peak_tree_mb']:,.0f} MB (largest process {res['peak_process_mb']:,.0f} MB); load average "
              f"(1 min) {res['load_start']:.1f} at the start, {res['load_end']:.1f} at the end")
        print(res["summary"])
        return 0
    if not args.bundle:
        ap.error("--bundle is required (or --notebook)")
    if args.step == "outofcore":
        print(json.dumps(run_outofcore(args.bundle, args.memory_limit, args.threads, args.work_dir, args.out)))
        return 0
    if args.step == "pandas":
        print(json.dumps(run_pandas(args.bundle, args.out)))
        return 0

    import pandas as pd

    load = [os.getloadavg()[0]]
    steps = {}
    bundle = Path(args.bundle)
    if not (bundle / "manifest.json").exists():
        t0 = time.perf_counter()
        gen = subprocess.run([sys.executable, str(Path(__file__).parent / "gen_large_ca.py"), str(bundle),
                              "--rows", str(args.rows), "--seed", str(args.seed)], check=True)
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        steps["generate"] = {"wall": time.perf_counter() - t0, "cpu": r.ru_utime + r.ru_stime,
                             "peak_mb": r.ru_maxrss / 1024}
        del gen
    parquet_mb = sum(p.stat().st_size for p in bundle.glob("*.parquet")) / 2**20
    tmp = Path(args.work_dir or "/tmp")
    ooc_out, pd_out = tmp / f"bench_outofcore.{os.getpid()}.ooc", tmp / f"bench_outofcore.{os.getpid()}.pd"
    common = ["--bundle", str(bundle), "--memory-limit", args.memory_limit, "--threads", str(args.threads)]
    if args.work_dir:
        common += ["--work-dir", args.work_dir]
    load.append(os.getloadavg()[0])
    steps["outofcore"] = _child(["--step", "outofcore", *common, "--out", str(ooc_out)])
    load.append(os.getloadavg()[0])
    if args.compare_pandas:
        steps["pandas"] = _child(["--step", "pandas", *common, "--out", str(pd_out)])
        load.append(os.getloadavg()[0])
    rows = steps["outofcore"]["summary"]["certificate_rows"]
    table = pd.DataFrame({name: {"wall s": s["wall"], "CPU s": s["cpu"], "peak RSS MB": s["peak_mb"],
                                 "bytes/row": s["peak_mb"] * 2**20 / rows} for name, s in steps.items()})
    print(f"bench_outofcore: {rows:,} subscriber certificate rows ({args.rows:,} generated + 20 CA rows, "
          f"EKU-filtered) -> {steps['outofcore']['summary']['issuances']:,} issuances; Parquet bundle "
          f"{parquet_mb:,.0f} MB; DuckDB memory_limit {args.memory_limit}, {args.threads} threads; "
          f"load average (1 min) at each step: {', '.join(f'{x:.1f}' for x in load)}")
    print(table.to_string(float_format=lambda v: f"{v:,.1f}"))
    print("summary:", json.dumps(steps["outofcore"]["summary"]))
    print("table rows:", json.dumps(steps["outofcore"]["tables"]))
    print("out-of-core steps, wall s:", json.dumps(steps["outofcore"]["stats"].get("seconds", {})))
    if args.compare_pandas:
        import pickle

        a, b = pickle.loads(ooc_out.read_bytes()), pickle.loads(pd_out.read_bytes())
        assert a["summary"] == b["summary"], (a["summary"], b["summary"])
        for t in TABLES:
            pd.testing.assert_frame_equal(a[t], b[t], obj=t)
        print("every table equal to the pandas library's: yes")
    for p in (ooc_out, pd_out):
        p.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
