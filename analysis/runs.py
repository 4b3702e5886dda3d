"""Report runs, what the ``distrust-impact report`` command calls (never a notebook): validate every parameter and the
output folder before any query, fetch once (into the cache), then execute the papermill templates in ``notebooks/``
once per distrust date into ``<out>/<ca-slug>/<date>/`` (notebook, HTML export, figures, CSV tables,
``summary.txt``) and a date-sweep notebook over every date reported for the CA, all in one kernel
(:class:`analysis.kernel.SharedKernel`: each notebook starts afresh in it; the population read and normalised by the
kernel before the first one serves them all). The checks that need the population (every option on this root, the
filters) are made in the kernel too, on the population it reads, before any notebook runs.

Each run is written into a new hidden folder next to its target and swapped in only when it succeeded; a failed or
interrupted run is kept as ``<date>.failed``. One line per notebook goes to the log (on a terminal, a line rewritten
as the cells run).
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from analysis import crtsh, outofcore, verify
from analysis.config import CACHE_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR
from analysis.kernel import KernelSetupError, SharedKernel
from analysis.report import (
    Report,
    check_filters,
    check_max_rows,
    check_options,
    checked_programs,
    checked_scenario,
    input_frames,
)
from analysis.scenario import (
    CERTINOMIS_ACTUAL,
    SEED_AS_OF,
    SEED_DISTRUST_DATE,
    SEED_EXPIRES_ON_OR_BEFORE,
    SEED_ISSUED_AFTER,
    SEED_OPTIONS,
    Scenario,
    ScenarioError,
)
from analysis.sources import (
    CACHE_DIR_ENV,
    DEMO,
    ReportError,
    ca_folder_name,
    cached_results,
    fetch_population,
    resolve_ca_argument,
    resolve_ca_name,
    source_label,
    suggest_cas,
)

REPORT_TEMPLATE = NOTEBOOKS_DIR / "ca_impact_report.ipynb"
AGGREGATE_TEMPLATE = NOTEBOOKS_DIR / "ca_aggregate_report.ipynb"
SWEEP_TEMPLATE = NOTEBOOKS_DIR / "date_sweep.ipynb"


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; the message says what was kept and where the partial run is."""


@dataclass
class RunResult:
    date: str
    folder: Path
    ok: bool
    error: str = ""
    notebook: object = field(default=None, repr=False, compare=False)  # executed, its HTML not yet written


def check_output_root(out_root: Path, folder: Path | None = None) -> None:
    """Refuse, before any query, an output root that cannot take a report: a file, a folder without write
    permission, or a place where folders cannot be made (``/proc``). Probes by making (and removing) ``folder`` (the
    CA's folder below ``out_root``) and a file in it."""
    out_root = Path(out_root)
    folder = Path(folder) if folder is not None else out_root
    made = []
    probe = folder
    while not probe.exists():
        made.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise ScenarioError(f"output folder {out_root}: {probe} is a file, not a folder")
    try:
        for part in reversed(made):
            part.mkdir()
        tempfile.TemporaryDirectory(prefix=".write-check-", dir=folder).cleanup()
    except OSError as exc:
        raise ScenarioError(f"output folder {out_root} is not writable ({exc.strerror or exc})") from None
    finally:
        for part in made:
            try:
                part.rmdir()
            except OSError:
                pass


def _cell_hook(template: Path, what: str, log):
    """papermill's per-cell hook. It gives Ctrl-C back to Python (nbclient's own SIGINT handler only schedules the
    kernel's shutdown and lets the run go on), so an interrupted run stops and is kept aside. On a terminal it also
    shows one line per notebook, rewritten as its cells run (which step of how many, in which section); a log file
    gets nothing per cell (no carriage-return runs in files)."""
    where, code = {}, 0
    show = log is not None and sys.stderr.isatty()
    if show:
        from analysis.notebook_engine import nbformat

        section = ""
        for cell in nbformat.read(template, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
                section = cell.source.lstrip().splitlines()[0].lstrip("# ").strip()
            elif cell.cell_type == "code":
                code += 1
                where[cell.get("id")] = (code, section)

    def on_cell_start(cell, cell_index, **_):
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if show and cell.cell_type == "code":
            step, name = where.get(cell.get("id"), (0, "parameters"))
            line = f"  {what}: step {step}/{code} — {name}" if step else f"  {what}: {name}"
            print("\r" + line[:110].ljust(110), end="", file=sys.stderr, flush=True)

    on_cell_start.shows_progress = show
    return on_cell_start


def stderr_log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _quiet_papermill() -> None:
    """papermill's own INFO/WARNING lines (one per notebook, "Kernel is running over TCP"…) are not for the user; a
    failing cell is reported from the notebook itself."""
    logging.getLogger("papermill").setLevel(logging.ERROR)
    logging.getLogger("traitlets").setLevel(logging.ERROR)


def _execute(template: Path, out_nb: Path, parameters: dict, *, on_cell_start=None,
             kernel: SharedKernel | None = None):
    """Execute ``template`` into ``out_nb`` with papermill, in the run's shared kernel (a kernel of its own when
    none is given); returns the executed notebook."""
    _quiet_papermill()
    if kernel is None:
        with SharedKernel() as own:
            return _execute(template, out_nb, parameters, on_cell_start=on_cell_start, kernel=own)
    extra = {"on_cell_start": on_cell_start} if on_cell_start else {}
    return kernel.execute(template, out_nb, parameters, progress_bar=False, log_output=False,
                          paths=_relative_provenance(out_nb, template), **extra)


def _relative_provenance(nb_path: Path, template: Path) -> tuple[str, str]:
    """The template and the output as the notebook records them (papermill's ``input_path`` and ``output_path``):
    relative, so that no local path is in a report."""
    try:
        return str(template.relative_to(PROJECT_ROOT)), nb_path.name
    except ValueError:
        return template.name, nb_path.name


DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _stage(ca_dir: Path, name: str) -> Path:
    """A new, empty folder next to the final one, where a run writes until it has succeeded. Its name holds this
    process's id; the staging folders of runs whose process no longer exists (killed without a chance to clean up,
    e.g. SIGKILL or the out-of-memory killer) are removed first."""
    ca_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_stages(ca_dir, name)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.running-{os.getpid()}-", dir=ca_dir))
    umask = os.umask(0)
    os.umask(umask)
    stage.chmod(0o777 & ~umask)  # mkdtemp makes it private; the report folder gets the usual permissions
    return stage


def _remove_abandoned_stages(ca_dir: Path, name: str) -> None:
    """Remove ``.<name>.running-<pid>-*`` folders whose process is gone (a running one is left alone)."""
    for stage in ca_dir.glob(f".{glob.escape(name)}.running-*"):
        pid = stage.name[len(f".{name}.running-"):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(stage, ignore_errors=True)
        except OSError:  # alive under another user (PermissionError): not ours to remove
            continue


def _swap_in(stage: Path, final: Path) -> None:
    """Put a finished run in place of the previous one: the previous folder is moved aside, the new one renamed in
    (both renames in the same folder), then the previous one is removed."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.previous-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    stage.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_failed(stage: Path, final: Path) -> Path:
    """A failed or interrupted run is kept, under ``<date>.failed`` (the newest failure replaces an older one)."""
    failed = final.with_name(f"{final.name}.failed")
    if failed.exists():
        shutil.rmtree(failed)
    stage.rename(failed)
    return failed


def _kept(final: Path) -> str:
    return f"the previous report in {final} is unchanged" if final.exists() else f"{final} was not created"


def run_reports(*, ca: str, dates: list[str], as_of: str = "", expires_on_or_before: str = "",
                issued_after: str = "", options: str = "removal", source: str = "crtsh",
                out_root: Path | str = REPORTS_DIR, cache_dir: Path | str | None = None, force: bool = False,
                refresh: bool = False, max_rows: int | None = None, programs: str = "",
                ignore_alternate_paths: bool = False, engine: str = "auto", log=print,
                kernel: SharedKernel | None = None) -> list[RunResult]:
    """Validate (parameters and output folder, before any query), fetch once, then run the report template once per
    date and the sweep over every date reported for this CA with the same snapshot and filters.

    Each run is written into a new folder next to its target and swapped in only when it succeeded: a failed or
    interrupted run (Ctrl-C) leaves the previous report as it was and is kept as ``<date>.failed``.

    ``kernel``: the run's kernel, already started by the caller (the command starts it before importing this
    module, so that it warms up meanwhile) and stopped by it; by default one is started here once the parameters
    are checked.

    ``engine``: ``pandas`` (in memory), ``duckdb`` (out of core), ``auto`` (by the cached CA's size:
    :func:`analysis.outofcore.choose_engine`). Out of core the CA is fetched into the cache without reading its rows
    into this process, each date's report counts it from its Parquet files, and there is no date sweep."""
    if not dates:
        raise ScenarioError("give at least one distrust date (--date YYYY-MM-DD)")
    check_max_rows(max_rows)
    try:
        engine = outofcore.checked_engine(engine)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    progs = checked_programs(programs)
    programs = ",".join(p.lower() for p in progs) if progs else ""
    scenarios = [checked_scenario(ca=ca, distrust_date=d, as_of=as_of, expires_on_or_before=expires_on_or_before,
                                  issued_after=issued_after, options=options,
                                  ignore_alternate_paths=ignore_alternate_paths) for d in dates]
    if len({s.distrust_date for s in scenarios}) != len(scenarios):
        raise ScenarioError("the same distrust date is given twice")
    if source not in (DEMO, "crtsh") and "=" not in source and "://" not in source:
        raise ScenarioError(f"source {source!r}: use 'crtsh', 'demo', or a libpq DSN such as "
                            f"'host=… dbname=certwatch user=…'")
    out_root = Path(out_root)
    ca_dir = out_root / ca_folder_name(ca, source)
    folders = {s.distrust_date.isoformat(): ca_dir / s.distrust_date.isoformat() for s in scenarios}
    existing = [p for p in folders.values() if p.exists()]
    if existing and not force:
        raise ScenarioError(f"output folder {existing[0]} exists; pass --force to replace it "
                            f"(a previous run is never overwritten silently)")
    check_output_root(out_root, ca_dir)

    cache_dir = Path(cache_dir) if cache_dir else CACHE_DIR
    run = dict(ca=ca, source=source, cache_dir=cache_dir, refresh=refresh, max_rows=max_rows, programs=programs,
               engine=engine, log=log)
    env = {CACHE_DIR_ENV: str(cache_dir.resolve())}  # the cache the notebooks read (no local path in a notebook)
    if kernel is not None:
        kernel.set_env(**env)
        return _fetch_and_run(scenarios, folders, ca_dir, kernel=kernel, **run)
    # One kernel for every notebook of the run, started now: it imports the analysis while this process fetches.
    with SharedKernel(env=env) as own:
        return _fetch_and_run(scenarios, folders, ca_dir, kernel=own, **run)


def _fetch_and_run(scenarios, folders, ca_dir: Path, *, ca: str, source: str, cache_dir: Path, refresh: bool,
                   max_rows: int | None, programs: str, engine: str, log,
                   kernel: SharedKernel) -> list[RunResult]:
    """The run once its parameters and output folder are checked: fetch once, then every notebook in ``kernel``."""
    log(f"fetching {ca} as of {scenarios[0].as_of} from {source_label(source)} …")
    progress = True if sys.stderr.isatty() else _phase_logger(log)
    try:
        resolved = resolve_ca_name(scenarios[0].ca, source)
        cached = None
        if engine != "pandas":  # into the cache first: its size decides whether its rows are read into memory
            bundle = outofcore.fetch_into_cache(resolved, scenarios[0].as_of, source, cache_dir, max_rows,
                                                refresh=refresh, progress=progress)
            refresh = False
            cached = outofcore.CachedCA.open(bundle)
            chosen, rule = outofcore.choose_engine(engine, cached.rows)
            if cached.mode != "rows" or chosen != "duckdb":
                cached, engine = None, "pandas"
        if cached is None:
            fetched = fetch_population(resolved, scenarios[0].as_of, source, cache_dir, refresh=refresh,
                                       progress=progress, max_rows=max_rows)
    except Exception as exc:
        if isinstance(exc, crtsh.CrtshUnavailable):
            cached = cached_results(ca, cache_dir)
            hint = (f"; cached for this CA: {'; '.join(cached)} — rerun with that --as-of (and source) to use it"
                    if cached else "; nothing is cached for this CA yet")
            raise ReportError(f"{exc} — rerun when it is reachable{hint}") from None
        if isinstance(exc, crtsh.CrtshError) and str(exc).startswith("no CA matches"):
            raise ReportError(f"{exc}{suggest_cas(ca)}") from None
        raise
    if resolved != scenarios[0].ca:  # a name: the notebooks get the crt.sh CA id it resolved to
        scenarios = [checked_scenario(**{**s.parameters(), "ca": resolved}) for s in scenarios]
    # The notebooks read the result just cached (its key ignores passwords): they get the DSN without its password,
    # so no secret lands in an executed notebook or its HTML.
    source = source if source in (DEMO, "crtsh") else crtsh.public_dsn(source)
    row_limit = crtsh.DEFAULT_MAX_ROWS if max_rows is None else max_rows
    if cached is not None:
        return _run_out_of_core(scenarios, folders, cached, rule, source=source, row_limit=row_limit,
                                programs=programs, engine=engine, log=log, kernel=kernel)
    log(fetched.summary())
    if fetched.mode == "aggregates":
        log(f"{fetched.rows_planned:,} unexpired rows is over the row-by-row limit ({row_limit:,}): reporting "
            f"from crt.sh's server-side counts")
        # one aggregate notebook per date, no sweep: every option from the server-side cells (docs/aggregates.md);
        # an option this root cannot take is a one-line error before any notebook runs
        check_options(scenarios[0], fetched)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="html-export") as exports:
            return _gathered(_run_dates(AGGREGATE_TEMPLATE, "aggregate report", scenarios, folders, source,
                                        row_limit, log, kernel, exports))
    # The kernel reads the population, checks every option and the filters on it, and normalises it (what the first
    # notebook would do first; the others get it back), so that an option this root cannot take (mozilla-actual for
    # a root that was never in NSS) and filters that leave nothing to judge are reported before any notebook runs.
    kernel.prepare(_PREPARE.format(scenario=scenarios[0].parameters(), source=source, max_rows=row_limit))
    # papermill and nbconvert imported (analysis.notebook_engine) and the HTML exporter made while the kernel is busy
    # with the preparation sent above, not before it (nor after the first notebook)
    from analysis.notebook_engine import html_exporter

    html_exporter()
    _checked_in_kernel(kernel, scenarios[0], fetched)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="html-export") as exports:
        results = _run_dates(REPORT_TEMPLATE, "report", scenarios, folders, source, row_limit, log, kernel, exports,
                             programs=programs, engine="pandas")
        # the sweep starts while the last date's HTML is still being written (its folder swapped in afterwards)
        ran = [s.distrust_date.isoformat() for s, r in zip(scenarios, results) if not isinstance(r, RunResult)]
        sweep_dates = sweep_dates_for(ca_dir, scenarios[0], source, also=ran)
        sweep_dir = ca_dir / "sweep"
        base = scenarios[0].parameters()
        results.append(_run_staged(SWEEP_TEMPLATE, "date_sweep.ipynb", sweep_dir, dict(
            ca=base["ca"], distrust_dates=sweep_dates, as_of=base["as_of"],
            expires_on_or_before=base["expires_on_or_before"], issued_after=base["issued_after"], source=source,
            cache_dir="", output_dir=".", max_rows=row_limit,
            ignore_alternate_paths=base.get("ignore_alternate_paths", "")), "sweep",
            f"date sweep over the {len(sweep_dates)} {'dates' if len(sweep_dates) > 1 else 'date'} reported for "
            f"this CA ({', '.join(sweep_dates)})", log, kernel, exports=exports))
        kernel.close()  # the last notebook has run: stopped while the HTML is written (it is started again if used)
        return _gathered(results)


def _run_out_of_core(scenarios, folders, cached, rule: str, *, source: str, row_limit: int, programs: str,
                     engine: str, log, kernel: SharedKernel) -> list[RunResult]:
    """Every date's report of a CA counted out of core (:mod:`analysis.outofcore`): nothing of its rows is read into
    this process or prepared in the kernel; each notebook counts them from the cached Parquet files. The options are
    checked first (one line, before any notebook); the date sweep, computed in memory, is not run."""
    log(f"{cached.rows:,} certificate rows cached in {cached.cache_path.name}: counted out of core by DuckDB "
        f"({rule}); no date sweep (it is computed in memory)")
    if programs:
        raise ScenarioError("--programs: the root programs side by side are not computed out of core; drop it, or "
                            "use --engine pandas on a machine with the memory for this CA")
    check_options(scenarios[0], cached)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="html-export") as exports:
        # the notebook gets the engine asked for: 'auto' chooses again there, with the same rule, and says so
        return _gathered(_run_dates(REPORT_TEMPLATE, "report (out of core)", scenarios, folders, source, row_limit,
                                    log, kernel, exports, engine=engine))


# What the kernel runs aside before the first report notebook: the checks of the first date's scenario on the
# population (their ScenarioError is the run's error), then the population normalised with the root programs' record
# (kept in the kernel with the population: analysis.sources.fetch_population, analysis.report.population; each
# notebook's report evaluates its options on them). Any other error is left to the notebook, which meets it again in
# its own cell.
_PREPARE = """\
from analysis.report import check_filters, check_options, checked_scenario, population
from analysis.sources import fetch_population, notebook_cache_dir

_scenario = checked_scenario(**{scenario!r})
try:
    _fetched = fetch_population(_scenario.ca, _scenario.as_of, {source!r}, notebook_cache_dir(""),
                                max_rows={max_rows!r})
except Exception:
    _fetched = None
if _fetched is not None:
    check_options(_scenario, _fetched)
    check_filters(_scenario, _fetched)
    try:
        if _fetched.mode == "rows":
            population(_fetched)
    except Exception:
        pass
    # what stays for the run (the population, its normalisation and record) is left out of the collections that
    # each notebook's fresh start and its cells make (they went through it every time)
    import gc
    gc.freeze()
"""


def _checked_in_kernel(kernel: SharedKernel, scenario: Scenario, fetched) -> None:
    """Wait for the kernel's checks (:data:`_PREPARE`): an option this root cannot take or filters that leave nothing
    to judge are the run's one-line error, as raised there. A kernel that stopped meanwhile (it is started again for
    the first notebook) made no checks: this process makes them."""
    try:
        kernel.settle()
    except KernelSetupError as exc:
        if exc.ename == ScenarioError.__name__:
            raise ScenarioError(exc.evalue) from None
        if kernel.alive():
            raise
        check_options(scenario, fetched)
        check_filters(scenario, fetched)


def _phase_logger(log):
    """Fetch progress for a log file: one line when the phase changes (a terminal gets crtsh's rewritten line)."""
    last = {"phase": None}

    def progress(p) -> None:
        phase = p.phase.split(" ")[0] if p.phase.startswith("CA ") else p.phase
        if phase != last["phase"]:
            last["phase"] = phase
            log(f"  {p.phase}")

    return progress


def sweep_dates_for(ca_dir: Path, scenario: Scenario, source: str, also=()) -> list[str]:
    """The distrust dates the sweep covers: every date folder of this CA whose report has the same source, snapshot
    date and filters as this run (runs accumulate; a report with other parameters is left out of the sweep), and
    the dates in ``also`` (this run's reports whose notebook ran, their folders not yet swapped in)."""
    mine = {k: scenario.parameters()[k] for k in ("as_of", "expires_on_or_before", "issued_after")}
    dates = {scenario.distrust_date.isoformat(), *also}
    for folder in sorted(ca_dir.iterdir()) if ca_dir.is_dir() else []:
        summary = folder / "summary.json"
        if not (DATE_FOLDER.match(folder.name) and summary.is_file()):
            continue
        try:
            written = json.loads(summary.read_text(encoding="utf-8"))
            params = written["parameters"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        same = written.get("source") == source_label(source)
        if same and all(str(params.get(k, "")) == str(v) for k, v in mine.items()):
            dates.add(folder.name)
    return sorted(dates)


def _run_dates(template: Path, what: str, scenarios, folders, source, row_limit, log, kernel: SharedKernel,
               exports: ThreadPoolExecutor, **extra: str) -> list:
    """Run ``template`` once per distrust date, each into a new folder swapped in when it succeeded (``extra``:
    more notebook parameters, e.g. ``programs``). Each notebook's HTML is written, and its folder swapped in, by
    ``exports`` (a thread of this process) while the kernel runs the next notebook: one :class:`RunResult` per date,
    or the future of one when its notebook ran (:func:`_gathered`)."""
    results = []
    for i, s in enumerate(scenarios, start=1):
        day = s.distrust_date.isoformat()
        params = dict(s.notebook_parameters(), source=source, cache_dir="", output_dir=".", max_rows=row_limit,
                      **extra)
        results.append(_run_staged(template, "report.ipynb", folders[day], params, day,
                                   f"[{i}/{len(scenarios)}] {what} for distrust date {day}", log, kernel,
                                   exports=exports))
    return results


def _gathered(results: list) -> list[RunResult]:
    """The results of :func:`_run_dates` (and more), each export waited for."""
    return [r if isinstance(r, RunResult) else r.result() for r in results]


def _run_staged(template: Path, nb_name: str, final: Path, parameters: dict, label, what: str,
                log, kernel: SharedKernel, exports: ThreadPoolExecutor | None = None):
    """Run one notebook into a new folder next to ``final`` and swap it in when it succeeded: a :class:`RunResult`,
    or with ``exports`` the future of one (the HTML export and the swap done there)."""
    stage = _stage(final.parent, final.name)
    log(f"{what} → {final}")
    started = dt.datetime.now()
    try:
        result = _run_one(template, stage / nb_name, parameters, label, log=log, kernel=kernel,
                          html=exports is None)
    except KeyboardInterrupt:
        failed = _keep_failed(stage, final)
        raise RunInterrupted(f"during the {what.split('] ')[-1]}: {_kept(final)}; the partial run is in "
                             f"{failed}") from None
    if result.ok:
        log(f"  done in {(dt.datetime.now() - started).total_seconds():.0f} s")
        if exports is not None:
            return exports.submit(_finish, stage / nb_name, final, result)
        _swap_in(stage, final)
        return RunResult(result.date, final, True)
    failed = _keep_failed(stage, final)
    return RunResult(result.date, failed, False, f"{result.error} — {_kept(final)}; the failed run is in {failed}")


def _finish(out_nb: Path, final: Path, result: RunResult) -> RunResult:
    """Write the HTML of a notebook that ran and swap its folder in (a failed export keeps it aside)."""
    from analysis.notebook_engine import export_html

    try:
        export_html(out_nb, result.notebook)
    except Exception as exc:
        failed = _keep_failed(out_nb.parent, final)
        return RunResult(result.date, failed, False, f"the HTML export of {out_nb.name} failed: {exc} — "
                                                     f"{_kept(final)}; the failed run is in {failed}")
    _swap_in(out_nb.parent, final)
    return RunResult(result.date, final, True)


def _run_one(template: Path, out_nb: Path, parameters: dict, label, log=None,
             kernel: SharedKernel | None = None, html: bool = True) -> RunResult:
    """Execute one notebook; with ``html`` write its HTML export too, else return the executed notebook in the
    result, for :func:`_finish`."""
    from analysis.notebook_engine import DeadKernelError, export_html, pm

    hook = _cell_hook(template, "date sweep" if label == "sweep" else f"distrust date {label}", log)
    try:
        nb = _execute(template, out_nb, parameters, on_cell_start=hook, kernel=kernel)
    except pm.PapermillExecutionError as exc:
        return RunResult(str(label), out_nb.parent, False,
                         f"{out_nb.name} failed in cell {exc.exec_count}: {exc.ename}: {' '.join(exc.evalue.split())}")
    except DeadKernelError:  # the next notebook gets a new kernel
        return RunResult(str(label), out_nb.parent, False,
                         f"{out_nb.name} failed: its kernel stopped while it ran (out of memory?)")
    finally:
        if hook.shows_progress:
            print(file=sys.stderr)
    if not html:
        return RunResult(str(label), out_nb.parent, True, notebook=nb)
    export_html(out_nb, nb)
    return RunResult(str(label), out_nb.parent, True)


def verify_report(folder: Path | str, cache_dir: Path | str | None = None) -> tuple[list[verify.Mismatch], int]:
    """Re-derive a report folder's tables, figures and ``summary.txt`` from the cached input its manifest names
    (never querying a database: a cache miss is a one-line error) and compare them byte for byte
    (:func:`analysis.verify.verify_folder`). Returns the mismatches and how many outputs were compared."""
    folder = Path(folder)
    manifest = verify.read_manifest(folder)
    params = dict(manifest.get("parameters") or {})
    if not params.get("ca"):
        raise ReportError(f"{folder / verify.MANIFEST}: no report parameters recorded; cannot re-derive it")
    scenario = checked_scenario(**{k: params.get(k, "") for k in ("ca", "distrust_date", "as_of",
                                                                  "expires_on_or_before", "issued_after",
                                                                  "options", "ignore_alternate_paths")})
    source = params.get("source", "crtsh")
    cache = Path(cache_dir) if cache_dir else CACHE_DIR
    max_rows = int(params["max_rows"]) if params.get("max_rows") else crtsh.DEFAULT_MAX_ROWS
    engine = params.get("engine", "pandas")
    missing = (f"the cached input of {folder} is not in {cache} ({{}}); verify re-derives from the cache only")
    if engine == "duckdb":  # counted out of core: its rows stay on disk, and are counted there again
        bundle = outofcore.locate_bundle(scenario.ca, scenario.as_of, source, cache, max_rows)
        if bundle is None:
            raise ReportError(missing.format("no complete cache entry"))
        inputs = outofcore.CachedCA.open(bundle).inputs()
        fetched = None
    else:
        try:
            fetched = crtsh.fetch_ca(resolve_ca_argument(scenario.ca, source), as_of=scenario.as_of,
                                     dsn=None if source in (DEMO, "crtsh") else source, cache_dir=cache, offline=True,
                                     source_name=DEMO if source == DEMO else None, max_rows=max_rows)
        except crtsh.CacheMiss as exc:
            raise ReportError(missing.format(exc)) from None
        inputs = input_frames(fetched)

    def rebuild(tmp: Path) -> None:
        report = Report.build(**scenario.parameters(), source=source, programs=params.get("programs", ""),
                              output_dir=str(tmp), fetched=fetched, cache_dir=str(cache), max_rows=max_rows,
                              engine=engine)
        report.write_figures()
        report.write_outputs()

    mismatches = verify.verify_folder(folder, rebuild=rebuild, inputs=inputs)
    return mismatches, len(manifest["files"])


def default_demo_dates() -> list[str]:
    """The seed thread's date: Firefox 69, which shipped the Certinomis removal."""
    return [SEED_DISTRUST_DATE]


DEMO_DEFAULTS = dict(ca=DEMO, as_of=SEED_AS_OF, expires_on_or_before=SEED_EXPIRES_ON_OR_BEFORE,
                     issued_after=SEED_ISSUED_AFTER, options=";".join(SEED_OPTIONS + (CERTINOMIS_ACTUAL,)),
                     source=DEMO)
