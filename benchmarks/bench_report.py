"""Benchmark the report run against the same work done in plain Python, for one distrust date and for ten.

    .venv/bin/python benchmarks/bench_report.py [--dates 1,10] [--repeat 1] [--keep DIR]

For each number of dates, two commands are timed (wall seconds, and the CPU seconds of every process they start),
each in a fresh process, on the same cached input (the demo population; the first, untimed, run fetches it into
the cache if needed):

- ``report``: what the README's main job runs, ``distrust-impact report --demo --force --programs all`` with that
  many ``--date`` options: papermill executes one report notebook per date and the date sweep, writes each notebook,
  its HTML export, the figures, the CSV tables and ``summary.txt``;
- ``plain``: the same ``Report``/``Sweep`` calls in one Python process (``--plain``): for each date
  ``Report.build`` and every table, figure and text the report notebook computes, with the same files written, then
  the sweep over the same dates; no notebook, no kernel, no HTML.

The ratio report/plain is what the run's machinery costs (kernel, papermill, notebook and HTML files, showing the
figures); the goal is at most 1.3 for one date and for ten. The two commands alternate (report, plain, report, …)
and the best of ``--repeat`` runs of each is kept, so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.report import Report  # noqa: E402
from analysis.sweep import Sweep  # noqa: E402

# the demo's seed date and the first of nine later months: the ten dates of the ten-date run
DATES = ["2019-09-03", "2019-10-01", "2019-11-01", "2019-12-01", "2020-01-01", "2020-02-01", "2020-03-01",
         "2020-04-01", "2020-05-01", "2020-06-01"]
GOAL = 1.3


def plain(dates: list[str], out: Path, params: dict) -> None:
    """The report run's computations in plain Python (what each notebook cell calls), writing the same files.
    ``params``: the demo's parameters (:data:`analysis.runs.DEMO_DEFAULTS`, given by the parent: this process does
    not import the run machinery)."""
    for day in dates:
        folder = out / day
        r = Report.build(**params, distrust_date=day, source="demo", output_dir=str(folder), programs="all")
        r.provenance(), r.comparison(), r.option_rules(), r.alternate_paths(), r.actual_rules()
        ev = r.primary
        ev.by_status(), ev.by_organisation().head(30), ev.by_registrable_domain().head(30)
        ev.by_intermediate(), ev.by_validation_level()
        for make, alt in ((r.figure_expiry, "expiry"), (r.figure_survival, "survival"),
                          (r.figure_top_organisations, "organisations"), (r.figure_top_domains, "domains"),
                          (r.figure_programs, "programs")):
            _close(make())
            r.figure_alt(alt)
        r.program_comparison().table, r.program_paths()
        r.summary_text(), r.reproduce_line()
        r.write_outputs()
    s = Sweep.build(ca=params["ca"], distrust_dates=dates, as_of=params["as_of"],
                    expires_on_or_before=params["expires_on_or_before"], issued_after=params["issued_after"],
                    source="demo", output_dir=str(out / "sweep"))
    s.at_proposed_dates(), s.report.provenance()
    _close(s.figure())
    s.figure_alt(), s.summary_text(), s.write_outputs()


def _close(fig) -> None:
    plt.close(fig)


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the command and every process it started) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _report_cmd(dates: list[str], out: Path) -> list[str]:
    cli = Path(sys.executable).with_name("distrust-impact")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "analysis"]
    return cmd + ["report", "--demo", "--force", "--programs", "all", "--out", str(out)] + \
        [x for d in dates for x in ("--date", d)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dates", default="1,10", help="how many distrust dates, comma-separated (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the best is kept (default: 1)")
    ap.add_argument("--keep", type=Path, help="write the outputs here and keep them (default: a temporary folder)")
    ap.add_argument("--plain", metavar="DATES", help=argparse.SUPPRESS)  # the child: DATES ;-separated
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.plain:
        plain(args.plain.split(";"), args.out, json.loads(args.params))
        return 0

    from analysis.runs import DEMO_DEFAULTS  # the parent only (the child must not pay for papermill's imports)

    params = json.dumps({k: v for k, v in DEMO_DEFAULTS.items() if k != "source"})

    counts = [int(n) for n in args.dates.split(",")]
    if any(not 1 <= n <= len(DATES) for n in counts):
        raise SystemExit(f"--dates: each between 1 and {len(DATES)}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        print(f"warming up (fetches the demo population into the cache if needed; not timed) in {work}",
              file=sys.stderr)
        _timed(_report_cmd(DATES[:1], work / "warm-up"))
        rows = []
        for n in counts:
            dates = DATES[:n]
            best = {"report": (float("inf"), 0.0), "plain": (float("inf"), 0.0)}
            for i in range(args.repeat):
                for what, cmd in (("report", _report_cmd(dates, work / f"report-{n}")),
                                  ("plain", [sys.executable, __file__, "--plain", ";".join(dates), "--out",
                                             str(work / f"plain-{n}"), "--params", params])):
                    wall, cpu = _timed(cmd)
                    print(f"  {n} date(s), {what} run {i + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr)
                    best[what] = min(best[what], (wall, cpu))
            rows.append((n, best["report"], best["plain"]))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\n== the report run vs the same Report/Sweep calls in plain Python (demo population, cached; "
          f"{os.cpu_count()} CPUs, best of {args.repeat}) ==")
    print(f"{'dates':>5}  {'report s':>9} {'(CPU s)':>8}  {'plain s':>8} {'(CPU s)':>8}  {'ratio':>6}  goal")
    for n, (rw, rc), (pw, pc) in rows:
        ratio = rw / pw
        print(f"{n:>5}  {rw:>9.1f} {rc:>8.1f}  {pw:>8.1f} {pc:>8.1f}  {ratio:>6.2f}  "
              f"<= {GOAL} {'met' if ratio <= GOAL else 'NOT met'}")
    print("report: distrust-impact report --demo --force --programs all --date … (papermill, one kernel for the run);"
          "\nplain: benchmarks/bench_report.py --plain (the notebooks' calls, same files, no notebook)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
