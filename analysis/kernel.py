"""Executing the report notebooks with papermill, every notebook of a run in one Jupyter kernel.

A kernel costs seconds to start and to import the analysis (pandas, pyarrow, matplotlib, the ``analysis`` modules),
and a run executes one notebook per distrust date plus the sweep. :class:`SharedKernel` starts one kernel for the
run and warms it up (those imports) while the command is still fetching; the papermill engine registered here as
``distrust-impact`` then executes each notebook in it, starting each one afresh: the kernel's namespace is reset
(IPython's ``reset``: no name of the previous notebook is left, and the cells are numbered from 1 again), its
working directory set to the notebook's folder, and matplotlib's settings, the open figures and the warning filters
put back as they were after the warm-up. So a notebook's cells, outputs and files are the ones a kernel of its own
gives; what stays between notebooks is what Python keeps for the whole process: imported modules and what they
hold (:func:`analysis.sources.fetch_population` keeps the last population read and normalised, to give it back as
long as its cache entry is unchanged). A notebook that fails fails alone; a kernel that died is started again
before the next notebook.

Without a shared kernel (``km`` not given) the engine is papermill's own: a kernel per notebook.

Importing this module also imports nbformat, papermill and nbconvert, without the cost of compiling IRI grammars
(:func:`_import_jsonschema`); import them through this module.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from queue import Empty


def _import_jsonschema() -> None:
    """Import jsonschema (which nbformat imports) without its ``rfc3987_syntax`` format checker: that package
    compiles about 40 Earley grammars when imported (1.2 s or more of every command start; jsonschema issue #1428),
    to check the ``iri`` and ``iri-reference`` formats, which no notebook schema uses (nbformat validates with
    fastjsonschema against a Draft 4 schema). While jsonschema is imported the package is marked absent, so
    jsonschema leaves those two checks out exactly as when it is not installed; the mark is removed afterwards."""
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # an import of it raises ImportError, which jsonschema expects
    try:
        import jsonschema  # noqa: F401
    finally:
        if sys.modules.get("rfc3987_syntax", False) is None:
            del sys.modules["rfc3987_syntax"]


_import_jsonschema()

import nbformat  # noqa: E402
import papermill as pm  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from jupyter_core.utils import ensure_event_loop, run_sync  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402
from papermill.clientwrap import PapermillNotebookClient  # noqa: E402
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines  # noqa: E402
from papermill.log import logger as papermill_logger  # noqa: E402
from papermill.utils import remove_args  # noqa: E402

__all__ = ["ENGINE", "KERNEL", "DeadKernelError", "SharedKernel", "export_html", "html_exporter", "kernel_name",
           "nbformat", "pm"]

ENGINE = "distrust-impact"  # the papermill engine registered below
KERNEL = "distrust-impact"  # the kernel the notebooks name and `make venv` installs

# The kernel's own log is not for the reader: its start-up warning ("Kernel is running over TCP without encryption":
# it listens on 127.0.0.1 for this process only) would print, and a Ctrl-C adds a traceback of its closed sockets.
# History in memory, as papermill's own engine keeps it (nbclient's default): nothing written to ~/.ipython.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:")

# What the warm-up imports: everything the notebook templates import (the report, the sweep, the aggregate report
# and the display helpers), so the first notebook's import cell finds them loaded.
WARM_MODULES = ("pandas", "IPython.display", "matplotlib.pyplot", "analysis.display", "analysis.notebook_figures",
                "analysis.report", "analysis.sweep", "analysis.aggregates")

# Run silently in the kernel (no cell, no output, no history): the warm-up, then before each notebook the fresh
# start. Both are functions of the kernel's IPython object, so the reset cannot remove them.
_KERNEL_SETUP = '''
def _distrust_impact_setup(ip, modules):
    import importlib
    import os
    import sys
    import warnings

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the notebook's own import cell then shows the error, in the notebook
            pass
    import matplotlib
    import matplotlib.pyplot as plt

    rc = dict(matplotlib.rcParams.copy())
    rc.pop("backend", None)  # as matplotlib.rc_context restores: never switch the backend
    kept = {"rc": rc, "filters": list(warnings.filters), "formatwarning": warnings.formatwarning,
            "showwarning": warnings.showwarning}

    def fresh_start(cwd):
        plt.close("all")
        dict.update(matplotlib.rcParams, kept["rc"])
        warnings.resetwarnings()  # also forgets which warnings were shown once (the modules' registries)
        warnings.filters[:] = kept["filters"]
        warnings.formatwarning, warnings.showwarning = kept["formatwarning"], kept["showwarning"]
        figures = sys.modules.get("analysis.figures")
        if hasattr(figures, "_warned_cjk"):
            figures._warned_cjk = False  # its font hint is given once per process: once per notebook, as before
        os.chdir(cwd)
        ip.reset(new_session=True)  # the namespace, Out/_ and the execution count: cells count from 1 again

    ip.distrust_impact_fresh_start = fresh_start


_distrust_impact_setup(get_ipython(), {modules!r})
del _distrust_impact_setup
'''


def kernel_name() -> str:
    """The project's kernel when it is installed for this interpreter (as the notebooks say), else this interpreter's
    own ``python3`` (never a ``distrust-impact`` kernel of another checkout's environment)."""
    try:
        argv = KernelSpecManager().get_kernel_spec(KERNEL).argv
    except (NoSuchKernel, OSError, ValueError):
        return "python3"
    return KERNEL if argv and Path(argv[0]).parent == Path(sys.executable).parent else "python3"


class KernelSetupError(RuntimeError):
    """The shared kernel could not be warmed up or reset; the message is one line."""


def _run_silently(client, code: str) -> None:
    """Execute ``code`` in the client's kernel without a cell (no output, no history, no execution count) and wait;
    an error in it is a :class:`KernelSetupError`."""
    msg_id = client.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
    reply = client.wait_for_reply(msg_id)
    content = (reply or {}).get("content", {})
    if content.get("status") != "ok":
        raise KernelSetupError(f"the notebook kernel could not be set up: {content.get('ename', 'no reply')}: "
                               f"{content.get('evalue', '')}")


class _FreshStartClient(PapermillNotebookClient):
    """papermill's notebook client, starting the notebook with the shared kernel put back as after its warm-up."""

    fresh_start_in: str | None = None  # the notebook's folder (the kernel's working directory)

    def papermill_execute_cells(self):
        _run_silently(self, f"get_ipython().distrust_impact_fresh_start({self.fresh_start_in!r})")
        super().papermill_execute_cells()


class _ExecutionManager(NotebookExecutionManager):
    """papermill's execution manager, writing the notebook when a cell starts or completes at most every
    :attr:`SAVE_EVERY` seconds: papermill writes the whole notebook, figures included, twice per cell (some 40 times
    for a report). The start and the end (after a failure or a Ctrl-C too) are always written, so a stopped run still
    shows how far it went."""

    SAVE_EVERY = 1.0
    _always = True  # the first write (the notebook's start)

    def save(self, **kwargs):
        if self._always or (self.now() - self.last_save_time).total_seconds() >= self.SAVE_EVERY:
            super().save(**kwargs)

    def notebook_start(self, **kwargs):
        super().notebook_start(**kwargs)
        self._always = False

    def notebook_complete(self, **kwargs):
        self._always = True
        super().notebook_complete(**kwargs)


class SharedKernelEngine(NBClientEngine):
    """papermill's nbclient engine, executing in the shared kernel given as ``km`` (a :class:`SharedKernel`'s) with a
    fresh start; without ``km``, papermill's own engine (a kernel started and stopped for the notebook). ``paths``
    (template, notebook) are what the notebook records as papermill's ``input_path`` and ``output_path`` (papermill
    records the absolute paths: no local path belongs in a report)."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, paths=None, **kwargs):
        if paths is not None:
            nb.metadata.papermill["input_path"], nb.metadata.papermill["output_path"] = paths
        nb_man = _ExecutionManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                   autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, km=None, kc=None, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
        if km is None:
            return super().execute_managed_notebook(nb_man, kernel_name, log_output=log_output,
                                                    stdout_file=stdout_file, stderr_file=stderr_file,
                                                    start_timeout=start_timeout, execution_timeout=execution_timeout,
                                                    **kwargs)
        kwargs = remove_args(["input_path", "timeout", "startup_timeout", "extra_arguments"], **kwargs)
        client = _FreshStartClient(nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
                                   kernel_name=kernel_name, log=papermill_logger, log_output=log_output,
                                   stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
        client.fresh_start_in = os.getcwd()  # papermill runs the engine in the notebook's working directory
        client.kc = kc  # the shared kernel's client (nbclient starts one of its own when None)
        try:
            return client.execute()
        finally:
            if kc is None and client.kc is not None:
                client.kc.stop_channels()


papermill_engines.register(ENGINE, SharedKernelEngine)


class SharedKernel:
    """One kernel for the notebooks of a run: ``with SharedKernel() as kernel: kernel.execute(…)``. The kernel
    starts (and begins its warm-up imports) on entering; it is stopped on leaving, whatever happened."""

    def __init__(self, name: str | None = None, *, warm_modules=WARM_MODULES):
        self.name = name or kernel_name()
        self.warm_modules = tuple(warm_modules)
        self.km: AsyncKernelManager | None = None
        self.kc = None  # the kernel client every notebook and what is sent aside use
        self._pending: list[str] = []  # the message ids of what was sent aside (warm-up, preparation), unanswered
        self._ready = False  # whether the client was seen ready (its IOPub channel connected)

    def __enter__(self) -> SharedKernel:
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def start(self) -> None:
        """Launch the kernel and send the warm-up without waiting for it: it runs while the caller goes on (the
        fetch); the first notebook waits for it."""
        self.km = AsyncKernelManager(kernel_name=self.name)
        run_sync(self.km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS))
        self._send_aside(_KERNEL_SETUP.replace("{modules!r}", repr(list(self.warm_modules))))

    def prepare(self, code: str) -> None:
        """Run ``code`` in the kernel before the next notebook, without waiting for it (e.g. reading and
        normalising the population while the command checks the options). It must not fail (an error in it is
        a :class:`KernelSetupError` at the next notebook); the notebook's fresh start forgets its names."""
        self._send_aside(code)

    def _send_aside(self, code: str) -> None:
        if self.kc is None:
            self.kc = self.km.client()
            self.kc.allow_stdin = False
            self.kc.start_channels()
        self._pending.append(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False))

    def _settle(self) -> None:
        """Wait for the replies to what was sent aside, then (once) for the client to be ready; an error in what
        was sent (e.g. a module of the warm-up that does not import) is one line."""
        replies: dict = {}
        while len(replies) < len(self._pending):
            try:
                reply = run_sync(self.kc.get_shell_msg)(timeout=1)
            except Empty:
                if not self.alive():
                    raise KernelSetupError("the notebook kernel stopped while starting") from None
                continue
            replies[reply["parent_header"].get("msg_id")] = reply["content"]
        pending, self._pending = self._pending, []
        if not self._ready:  # nothing unanswered now: its kernel_info requests take no reply of ours
            run_sync(self.kc.wait_for_ready)(timeout=60)
            self._ready = True
        for content in (replies.get(msg_id, {}) for msg_id in pending):
            if content.get("status") != "ok":
                raise KernelSetupError(f"the notebook kernel could not be set up: {content.get('ename')}: "
                                       f"{content.get('evalue')}")

    def alive(self) -> bool:
        return self.km is not None and run_sync(self.km.is_alive)()

    def execute(self, template: Path, out_nb: Path, parameters: dict, **papermill_kwargs):
        """Execute ``template`` into ``out_nb`` with papermill in this kernel (started again first if it died); returns
        the executed notebook."""
        if not self.alive():
            self.close()
            self.start()
        self._settle()
        return pm.execute_notebook(str(template), str(out_nb), parameters=parameters, kernel_name=self.name,
                                   engine_name=ENGINE, km=self.km, kc=self.kc, cwd=str(out_nb.parent),
                                   **papermill_kwargs)

    def close(self) -> None:
        """Stop the kernel, at once: nothing in it needs a clean exit (its history is in memory, the notebooks'
        files are written and closed by their cells), and a clean exit costs half a second."""
        _cancel_pending()
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc, self._pending, self._ready = None, [], False
        if self.km is None:
            return
        km, self.km = self.km, None
        try:
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=True)
        except RuntimeError:  # already gone
            pass


def _cancel_pending() -> None:
    """Cancel what an interrupted notebook left on this thread's event loop (nbclient's cell and polling tasks): else
    stopping the kernel wakes them, and a task that finds the kernel gone prints a traceback at exit."""
    loop = ensure_event_loop()
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


_EXPORTER: list = []


def html_exporter():
    """The process's HTML exporter, made and warmed up (templates loaded, Markdown and code highlighting run once)
    the first time: :func:`analysis.runs` asks for it while the kernel is still starting."""
    if not _EXPORTER:
        exporter = HTMLExporter()
        exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_markdown_cell("# Warm-up\n\nText with `code`."), nbformat.v4.new_code_cell("1")]))
        _EXPORTER.append(exporter)
    return _EXPORTER[0]


def export_html(nb_path: Path, nb=None) -> Path:
    """The executed notebook (``nb``, else read from ``nb_path``) as ``<name>.html`` next to ``nb_path``."""
    if nb is None:
        nb = nbformat.read(nb_path, as_version=4)
    body, _ = html_exporter().from_notebook_node(nb)
    html_path = nb_path.with_suffix(".html")
    html_path.write_text(body, encoding="utf-8")
    return html_path
