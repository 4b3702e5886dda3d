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

Importing this module costs nothing much (jupyter_client is imported once the kernel is launched): a run starts its
kernel before it imports anything else, so the kernel starts and warms up while the command imports the rest
(jupyter_client, pandas, papermill, nbconvert) and checks its options. The papermill engine (``distrust-impact``)
and the HTML export are in :mod:`analysis.notebook_engine`, imported when the first notebook is executed; the names
``pm``, ``nbformat``, ``DeadKernelError``, ``export_html`` and ``html_exporter`` are still given by this module
(imported on first use).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from queue import Empty
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

__all__ = ["KERNEL", "KernelSetupError", "SharedKernel", "kernel_name"]

# imported from analysis.notebook_engine on first use (module __getattr__ below)
_FROM_ENGINE = ("ENGINE", "DeadKernelError", "export_html", "html_exporter", "nbformat", "pm")

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
    import gc
    import importlib
    import os
    import sys
    import warnings

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the notebook's own import cell then shows the error, in the notebook
            pass
    # What is imported stays for the kernel's life: the garbage collector leaves it alone from now on (each fresh
    # start's reset runs a full collection, which went through every object of pandas, matplotlib and IPython).
    gc.freeze()
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
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv = KernelSpecManager().get_kernel_spec(KERNEL).argv
    except (NoSuchKernel, OSError, ValueError):
        return "python3"
    return KERNEL if argv and Path(argv[0]).parent == Path(sys.executable).parent else "python3"


class _EarlyKernel:
    """The project's kernel launched before jupyter_client is imported (importing it and finding the kernel spec
    takes 0.1-0.2 s, which the kernel's start no longer waits for), as jupyter_client's local provisioner launches it:
    the spec's command with a connection file (five free ports on 127.0.0.1, a new key, no transport encryption:
    jupyter_client's default), stdin a pipe, a session of its own, ``JPY_PARENT_PID``. Then handed to the kernel
    manager (:meth:`adopted_by`), which stops it as any kernel it started. Only this interpreter's own installed
    spec of the project's kernel, with nothing else to fill in (no ``env``, no other ``{…}`` field)."""

    def __init__(self, process: subprocess.Popen, connection_file: str, info: dict, argv: list[str]):
        self.process, self.connection_file, self.info, self.argv = process, connection_file, info, argv

    @classmethod
    def launch(cls, env: dict[str, str]) -> _EarlyKernel | None:
        spec_file = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json"
        try:
            spec = json.loads(spec_file.read_text(encoding="utf-8"))
            argv = [str(a) for a in spec["argv"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        fields = [a for a in argv if "{" in a]
        if (not argv or Path(argv[0]).parent != Path(sys.executable).parent or fields != ["{connection_file}"]
                or spec.get("env") or spec.get("metadata", {}).get("kernel_provisioner")):
            return None
        ports = _free_ports(5)
        info = dict(zip(("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"), ports),
                    ip="127.0.0.1", key=str(uuid.uuid4()), transport="tcp", signature_scheme="hmac-sha256",
                    kernel_name=KERNEL)
        fd, connection_file = tempfile.mkstemp(suffix=".json")  # where jupyter_client puts it (0600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)
        env = {k: v for k, v in env.items() if k != "PYTHONEXECUTABLE"}
        env["JPY_PARENT_PID"] = str(os.getpid())
        command = [os.path.expanduser(a.replace("{connection_file}", connection_file)) for a in argv]
        try:
            process = subprocess.Popen(command + list(KERNEL_ARGUMENTS), stdin=subprocess.PIPE, env=env,
                                       start_new_session=True)
        except OSError:
            os.unlink(connection_file)
            return None
        return cls(process, connection_file, info, argv)

    def adopted_by(self, km) -> bool:
        """Hand the kernel to ``km`` (its manager, as if it had started it); when ``km`` would have started another
        kernel (another name or command), stop this one and say so (False)."""
        if km.kernel_name != KERNEL or list(km.kernel_spec.argv) != self.argv:
            self._stop()
            return False
        try:
            self._hand_to(km)
        except Exception:  # jupyter_client's internals changed: it starts the kernel itself
            km.provisioner = None
            self._stop()
            return False
        return True

    def _stop(self) -> None:
        self.process.kill()
        self.process.wait()
        Path(self.connection_file).unlink(missing_ok=True)

    def _hand_to(self, km) -> None:
        from jupyter_client.provisioning import KernelProvisionerFactory

        km.connection_file = self.connection_file
        km.load_connection_info(self.info)
        km._connection_file_written = True  # removed with the kernel's resources, as a file it wrote
        km.kernel_id = str(uuid.uuid4())
        km._launch_args = {"extra_arguments": list(KERNEL_ARGUMENTS), "env": {}}
        km._attempted_start = True
        provisioner = KernelProvisionerFactory.instance(parent=km.parent).create_provisioner_instance(
            km.kernel_id, km.kernel_spec, parent=km)
        provisioner.process, provisioner.pid, provisioner.ip = self.process, self.process.pid, self.info["ip"]
        provisioner.pgid = os.getpgid(self.process.pid)
        provisioner.cwd = Path.cwd()
        provisioner.connection_info = km.get_connection_info()
        km.provisioner = provisioner
        _sync(km._async_post_start_kernel)()


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1, found as jupyter_client finds them (bound to port 0, then
    released)."""
    sockets = []
    try:
        for _ in range(n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\0" * 8)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class KernelSetupError(RuntimeError):
    """The shared kernel could not be warmed up, prepared or reset; the message is one line. ``ename`` and ``evalue``:
    the error raised in the kernel (its class name and message), when there was one."""

    def __init__(self, message: str, ename: str = "", evalue: str = ""):
        super().__init__(message)
        self.ename, self.evalue = ename, evalue

    @classmethod
    def from_reply(cls, content: dict) -> KernelSetupError:
        """The error of an execute reply that is not ``ok``."""
        ename, evalue = content.get("ename") or "no reply", content.get("evalue") or ""
        return cls(f"the notebook kernel could not be set up: {ename}: {evalue}", ename, evalue)


class SharedKernel:
    """One kernel for the notebooks of a run: ``with SharedKernel() as kernel: kernel.execute(…)``. The kernel
    starts (and begins its warm-up imports) on entering; it is stopped on leaving, whatever happened. ``env``:
    environment variables the kernel gets beside this process's (:meth:`set_env` adds more)."""

    def __init__(self, name: str | None = None, *, warm_modules=WARM_MODULES, env: dict[str, str] | None = None):
        self._name = name
        self.name = name  # the kernel's name: the one given, else kernel_name()'s when it starts
        self.warm_modules = tuple(warm_modules)
        self.env = dict(env or {})
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
        fetch); the first notebook waits for it. The project's kernel is launched before jupyter_client is imported
        (:class:`_EarlyKernel`, 0.1-0.2 s sooner), then handed to jupyter_client's kernel manager."""
        env = {**os.environ, **self.env}
        early = _EarlyKernel.launch(env) if self._name is None else None
        from jupyter_client.manager import AsyncKernelManager
        self.name = self._name or kernel_name()
        self.km = AsyncKernelManager(kernel_name=self.name)
        if early is not None and not early.adopted_by(self.km):
            # not the kernel jupyter_client would start (then stopped): started by it instead, by a manager of its
            # own (none of the hand-over's state left on it)
            early = None
            self.km = AsyncKernelManager(kernel_name=self.name)
        if early is None:
            _sync(self.km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS), env=env)
        self._send_aside(_KERNEL_SETUP.replace("{modules!r}", repr(list(self.warm_modules))))

    def set_env(self, **values: str) -> None:
        """Set environment variables in the running kernel (before the next notebook) and in any kernel started
        again after it died."""
        self.env.update(values)
        self._send_aside(f"import os\nos.environ.update({values!r})\ndel os")

    def prepare(self, code: str) -> None:
        """Run ``code`` in the kernel before the next notebook, without waiting for it (e.g. reading and
        normalising the population, and checking the options on it). An error in it is a :class:`KernelSetupError`
        at :meth:`settle` or the next notebook; the notebook's fresh start forgets its names."""
        self._send_aside(code)

    def _send_aside(self, code: str) -> None:
        if self.kc is None:
            self.kc = self.km.client()
            self.kc.allow_stdin = False
            self.kc.start_channels()
        self._pending.append(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False))

    def settle(self) -> None:
        """Wait for the replies to what was sent aside, then (once) for the client to be ready; an error in what
        was sent (e.g. a check made by :meth:`prepare`) is a :class:`KernelSetupError`."""
        replies: dict = {}
        while len(replies) < len(self._pending):
            try:
                reply = _sync(self.kc.get_shell_msg)(timeout=1)
            except Empty:
                if not self.alive():
                    raise KernelSetupError("the notebook kernel stopped while starting") from None
                continue
            replies[reply["parent_header"].get("msg_id")] = reply["content"]
        pending, self._pending = self._pending, []
        if not self._ready:
            # The client is ready when its IOPub channel is connected: it is when the kernel's idle status after the
            # last request sent aside comes (it follows the reply); else jupyter_client's own wait (a kernel_info
            # round trip, then 0.2 s of silence on IOPub; nothing unanswered now: its requests take no reply of ours)
            if not (pending and self._idle_seen(pending[-1])):
                _sync(self.kc.wait_for_ready)(timeout=60)
            self._ready = True
        for content in (replies.get(msg_id, {}) for msg_id in pending):
            if content.get("status") != "ok":
                raise KernelSetupError.from_reply(content)

    def _idle_seen(self, msg_id: str, timeout: float = 1.0) -> bool:
        """Read IOPub (what the requests sent aside published) up to the kernel's idle status after ``msg_id``;
        False when it does not come within ``timeout`` seconds of silence."""
        while True:
            try:
                msg = _sync(self.kc.get_iopub_msg)(timeout=timeout)
            except Empty:
                return False
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"):
                return True

    def alive(self) -> bool:
        return self.km is not None and _sync(self.km.is_alive)()

    def execute(self, template: Path, out_nb: Path, parameters: dict, **papermill_kwargs):
        """Execute ``template`` into ``out_nb`` with papermill in this kernel (started again first if it died); returns
        the executed notebook."""
        from analysis.notebook_engine import ENGINE, pm

        if not self.alive():
            self.close()
            self.start()
        self.settle()
        return pm.execute_notebook(str(template), str(out_nb), parameters=parameters, kernel_name=self.name,
                                   engine_name=ENGINE, km=self.km, kc=self.kc,
                                   fresh_start_in=str(Path(out_nb).parent.absolute()),
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
            if _sync(km.is_alive)():
                _killed(km)
                _sync(km.shutdown_kernel)(now=True)
        except RuntimeError:  # already gone
            pass


def _killed(km) -> None:
    """Kill the kernel's process group and wait for its process, as jupyter_client's ``shutdown_kernel(now=True)``
    kills it: that then finds it gone at once instead of polling every 0.1 s for it to go (0.1 s at the end of each
    run)."""
    process, pgid = getattr(km.provisioner, "process", None), getattr(km.provisioner, "pgid", None)
    if process is None:
        return
    try:
        if pgid and hasattr(os, "killpg"):
            os.killpg(pgid, signal.SIGKILL)
        else:
            process.kill()
        process.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        pass


def _sync(coroutine_function):
    """jupyter_core's ``run_sync`` (jupyter_client is imported once the kernel is launched: :class:`_EarlyKernel`)."""
    from jupyter_core.utils import run_sync

    return run_sync(coroutine_function)


def _cancel_pending() -> None:
    """Cancel what an interrupted notebook left on this thread's event loop (nbclient's cell and polling tasks): else
    stopping the kernel wakes them, and a task that finds the kernel gone prints a traceback at exit."""
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def __getattr__(name: str):
    """``pm``, ``nbformat``, ``DeadKernelError``, ``export_html``, ``html_exporter`` and ``ENGINE``: from
    :mod:`analysis.notebook_engine`, imported on first use."""
    if name in _FROM_ENGINE:
        from analysis import notebook_engine

        return getattr(notebook_engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
