"""Benchmark the report run against the same work done in plain Python, for one distrust date and for ten.

    .venv/bin/python benchmarks/bench_report.py [--dates 1,10] [--repeat 1] [--keep DIR] [--before CHECKOUT]

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

``--before CHECKOUT`` also times the report command of another checkout of the project (e.g. ``git worktree add
/tmp/before <commit>``, or ``git archive <commit> | tar -x -C /tmp/before``), run with ``PYTHONPATH`` on it (its
package, notebooks and kernel code; this environment and cache), in the same alternation: before and after from the
same run. The outputs of the last run of each are compared at the end (every CSV, figure, ``summary.txt`` and the
cells of every notebook, after the code version, which names the commit); a difference is printed.

Each report run's line also says where its wall time went, from the times papermill records in the notebooks: the
command's start to the first cell of the first report notebook, the report notebooks, the sweep, and the sweep's end
to the command's exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
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


def _timed(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the command and every process it started) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    _timed.started = time.time()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    _timed.ended = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _report_cmd(dates: list[str], out: Path, checkout: Path | None = None) -> list[str]:
    cli = Path(sys.executable).with_name("distrust-impact")
    cmd = [str(cli)] if cli.exists() and checkout is None else [sys.executable, "-m", "analysis"]
    cache = ["--cache-dir", str(ROOT / "data" / "cache")] if checkout is not None else []
    return cmd + ["report", "--demo", "--force", "--programs", "all", "--out", str(out)] + cache + \
        [x for d in dates for x in ("--date", d)]


def _checkout_env(checkout: Path) -> dict:
    """The environment that runs another checkout's package (and its kernel, which inherits it). The command runs in
    the checkout's folder too: ``python -m`` puts the working directory first on the module path, in the command and
    in its kernel."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(checkout.resolve())] + (
        [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))


def _comparable(path: Path) -> bytes:
    """A report file as compared between two runs: the code version (which names the commit) and the id papermill
    gives its parameters cell (random) left out, and the notebooks' timing metadata."""
    # the code version: the package version, and the commit in a git checkout
    data = re.sub(rb"(code version[^0-9]*[0-9][0-9.]*)( \([0-9a-f]{7,40}(-dirty)?\))?", rb"\1",
                  path.read_bytes())
    if path.name == "reproduce.json":
        data = re.sub(rb'"tables/provenance.csv": "[0-9a-f]{64}"', b"", data)  # holds the code version
    if path.suffix == ".ipynb":
        nb = json.loads(data)
        for cell in nb["cells"]:
            cell.get("metadata", {}).pop("papermill", None)
            cell.get("metadata", {}).pop("execution", None)
            if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
                cell.pop("id", None)
        nb["metadata"].pop("papermill", None)
        return json.dumps(nb, sort_keys=True).encode()
    return re.sub(rb'celltag_injected-parameters" id="cell-id=[0-9a-f]+"', b"", data)


def _timeline(out: Path, started: float, ended: float) -> str:
    """Where a report run's wall time went, from the times papermill records in the executed notebooks (each
    notebook's start and end and each cell's start, UTC): the command's start to the first cell of the first report
    notebook (kernel start, warm-up, fetch, checks, the population normalised), the report notebooks, the sweep
    notebook (from the last report's end), and the sweep's end to the command's exit (its HTML export, the kernel
    stopped, the exit)."""
    def stamp(value: str) -> float:
        return dt.datetime.fromisoformat(value).timestamp()

    spans: dict[str, list] = {}
    for path in out.rglob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [stamp(c["metadata"]["papermill"]["start_time"]) for c in nb["cells"]
                 if c.get("metadata", {}).get("papermill", {}).get("start_time")]
        if cells:
            spans.setdefault("sweep" if path.parent.name == "sweep" else "reports", []).append(
                (min(cells), stamp(nb["metadata"]["papermill"]["end_time"])))
    if set(spans) != {"sweep", "reports"}:
        return ""
    first = min(cell for cell, _ in spans["reports"])
    reports_end = max(end for _, end in spans["reports"])
    sweep_end = max(end for _, end in spans["sweep"])
    return (f"start → first cell {first - started:.2f} s, report notebook(s) {reports_end - first:.2f} s, sweep "
            f"{sweep_end - reports_end:.2f} s, sweep end → exit {ended - sweep_end:.2f} s")


def _differences(a: Path, b: Path) -> list[str]:
    """The files that differ between two report folders (or are in one only)."""
    files = {p.relative_to(root) for root in (a, b) for p in root.rglob("*") if p.is_file()}
    return sorted(str(f) for f in files if not ((a / f).is_file() and (b / f).is_file()
                                                 and _comparable(a / f) == _comparable(b / f)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dates", default="1,10", help="how many distrust dates, comma-separated (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the best is kept (default: 1)")
    ap.add_argument("--keep", type=Path, help="write the outputs here and keep them (default: a temporary folder)")
    ap.add_argument("--before", type=Path, metavar="CHECKOUT",
                    help="also time the report command of this checkout (an earlier commit), in the same run")
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
    work = (args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))).resolve()
    try:
        print(f"warming up (fetches the demo population into the cache if needed; not timed) in {work}",
              file=sys.stderr)
        _timed(_report_cmd(DATES[:1], work / "warm-up"))
        before = args.before.resolve() if args.before else None
        if before:
            _timed(_report_cmd(DATES[:1], work / "warm-up-before", before), _checkout_env(before), before)
        rows, differ = [], []
        for n in counts:
            dates = DATES[:n]
            commands = [("report", _report_cmd(dates, work / f"report-{n}"), None, ROOT),
                        ("plain", [sys.executable, __file__, "--plain", ";".join(dates), "--out",
                                   str(work / f"plain-{n}"), "--params", params], None, ROOT)]
            if before:
                commands.insert(0, ("before", _report_cmd(dates, work / f"before-{n}", before),
                                    _checkout_env(before), before))
            best = {what: (float("inf"), 0.0) for what, *_ in commands}
            for i in range(args.repeat):
                for what, cmd, env, cwd in commands:
                    wall, cpu = _timed(cmd, env, cwd)
                    line = _timeline(work / f"{what}-{n}", _timed.started, _timed.ended) if what != "plain" else ""
                    print(f"  {n} date(s), {what} run {i + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU "
                          f"(load {os.getloadavg()[0]:.1f}){'; ' + line if line else ''}", file=sys.stderr)
                    best[what] = min(best[what], (wall, cpu))
            rows.append((n, best))
            if args.before:
                differ += [f"{n} date(s): {f}" for f in _differences(work / f"before-{n}", work / f"report-{n}")]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\n== the report run vs the same Report/Sweep calls in plain Python (demo population, cached; "
          f"{os.cpu_count()} CPUs, best of {args.repeat}) ==")
    print(f"{'dates':>5}  {'report s':>9} {'(CPU s)':>8}  {'plain s':>8} {'(CPU s)':>8}  {'ratio':>6}  goal"
          + (f"  {'before s':>9} {'(CPU s)':>8}  {'ratio':>6}" if args.before else ""))
    for n, best in rows:
        (rw, rc), (pw, pc) = best["report"], best["plain"]
        ratio = rw / pw
        line = (f"{n:>5}  {rw:>9.1f} {rc:>8.1f}  {pw:>8.1f} {pc:>8.1f}  {ratio:>6.2f}  "
                f"<= {GOAL} {'met' if ratio <= GOAL else 'NOT met'}")
        if args.before:
            bw, bc = best["before"]
            line += f"  {bw:>9.1f} {bc:>8.1f}  {bw / pw:>6.2f}"
        print(line)
    print("report: distrust-impact report --demo --force --programs all --date … (papermill, one kernel for the run);"
          "\nplain: benchmarks/bench_report.py --plain (the notebooks' calls, same files, no notebook)"
          + (f";\nbefore: the report command of {args.before}" if args.before else "")
          + f"; load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.before:
        print("outputs before and after: " + ("the same" if not differ else "DIFFERENT: " + "; ".join(differ)))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
