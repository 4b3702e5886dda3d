"""The papermill side of a run: the engine that executes a notebook in the run's shared kernel
(:class:`analysis.kernel.SharedKernel`), and the HTML export.

Importing this module imports nbformat, papermill, nbclient and nbconvert (about a second), without the cost of
compiling IRI grammars (:func:`_import_jsonschema`): import them through this module. :mod:`analysis.kernel` does not
import it, so a run starts its kernel first and pays for these imports while the kernel starts.
"""

from __future__ import annotations

import os
import sys


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
from nbclient.exceptions import DeadKernelError  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402
from papermill.clientwrap import PapermillNotebookClient  # noqa: E402
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines  # noqa: E402
from papermill.log import logger as papermill_logger  # noqa: E402
from papermill.utils import remove_args  # noqa: E402

from analysis.kernel import KernelSetupError  # noqa: E402

__all__ = ["ENGINE", "DeadKernelError", "SharedKernelEngine", "export_html", "html_exporter", "nbformat", "pm"]

ENGINE = "distrust-impact"  # the papermill engine registered below


def _run_silently(client, code: str) -> None:
    """Execute ``code`` in the client's kernel without a cell (no output, no history, no execution count) and wait;
    an error in it is a :class:`KernelSetupError`."""
    msg_id = client.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
    reply = client.wait_for_reply(msg_id)
    content = (reply or {}).get("content", {})
    if content.get("status") != "ok":
        raise KernelSetupError.from_reply(content)


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
                                 stderr_file=None, start_timeout=60, execution_timeout=None, fresh_start_in=None,
                                 **kwargs):
        if km is None:
            return super().execute_managed_notebook(nb_man, kernel_name, log_output=log_output,
                                                    stdout_file=stdout_file, stderr_file=stderr_file,
                                                    start_timeout=start_timeout, execution_timeout=execution_timeout,
                                                    **kwargs)
        kwargs = remove_args(["input_path", "timeout", "startup_timeout", "extra_arguments"], **kwargs)
        client = _FreshStartClient(nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
                                   kernel_name=kernel_name, log=papermill_logger, log_output=log_output,
                                   stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
        # The kernel moves to the notebook's folder itself: papermill's cwd= would change this process's working
        # directory while a thread of it writes the previous notebook's HTML and swaps its folder in.
        client.fresh_start_in = fresh_start_in or os.getcwd()
        client.kc = kc  # the shared kernel's client (nbclient starts one of its own when None)
        try:
            return client.execute()
        finally:
            if kc is None and client.kc is not None:
                client.kc.stop_channels()


papermill_engines.register(ENGINE, SharedKernelEngine)


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


def export_html(nb_path, nb=None):
    """The executed notebook (``nb``, else read from ``nb_path``, a :class:`pathlib.Path`) as ``<name>.html`` next
    to ``nb_path``."""
    if nb is None:
        nb = nbformat.read(nb_path, as_version=4)
    body, _ = html_exporter().from_notebook_node(nb)
    html_path = nb_path.with_suffix(".html")
    html_path.write_text(body, encoding="utf-8")
    return html_path
