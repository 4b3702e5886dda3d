"""The run's kernel is launched before jupyter_client is imported (analysis.kernel._EarlyKernel), as jupyter_client
would launch it, then handed to its kernel manager: the same command (the project's kernel spec, the run's
arguments), a connection file jupyter_client reads as its own and removes with the kernel, the kernel stopped at the
end; a kernel that died is started again (tests/integration/test_report_run.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.kernel import KERNEL, KERNEL_ARGUMENTS, SharedKernel, kernel_name

pytestmark = pytest.mark.integration


def test_the_kernel_is_launched_early_and_handed_to_jupyter_client():
    if kernel_name() != KERNEL:
        pytest.skip("the project's kernel is not installed for this interpreter (make venv installs it)")
    spec = json.loads((Path(sys.prefix) / "share/jupyter/kernels" / KERNEL / "kernel.json").read_text())
    with SharedKernel(warm_modules=()) as kernel:
        kernel.settle()
        process = kernel.km.provisioner.process
        connection = Path(kernel.km.connection_file)
        assert isinstance(process, subprocess.Popen) and process.poll() is None
        assert process.args == [a.replace("{connection_file}", str(connection)) for a in spec["argv"]] + list(
            KERNEL_ARGUMENTS)
        info = json.loads(connection.read_text())
        assert info["key"] == kernel.km.session.key.decode() and info["ip"] == "127.0.0.1"
        assert {info[p] for p in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")} == {
            kernel.km.shell_port, kernel.km.iopub_port, kernel.km.stdin_port, kernel.km.control_port,
            kernel.km.hb_port}
        kernel.prepare(f"import os\nassert os.environ['JPY_PARENT_PID'] == {str(os.getpid())!r}")
        kernel.settle()
        assert kernel.alive()
    assert process.poll() is not None and not connection.exists()  # stopped, its connection file removed


def test_a_hand_over_that_fails_leaves_jupyter_client_to_start_the_kernel(monkeypatch):
    """Should jupyter_client's internals change, the early kernel is stopped and jupyter_client starts its own with
    a manager of its own: the run goes on."""
    if kernel_name() != KERNEL:
        pytest.skip("the project's kernel is not installed for this interpreter (make venv installs it)")
    from analysis import kernel as kernel_module

    early = []
    launch = kernel_module._EarlyKernel.launch

    def launched(env):
        early.append(launch(env))
        return early[-1]

    def fails(self, km):
        raise AttributeError("an internal jupyter_client no longer has")

    monkeypatch.setattr(kernel_module._EarlyKernel, "launch", staticmethod(launched))
    monkeypatch.setattr(kernel_module._EarlyKernel, "_hand_to", fails)
    with SharedKernel(warm_modules=()) as kernel:
        kernel.settle()
        assert early and early[0].process.poll() is not None  # the early kernel was stopped
        assert not Path(early[0].connection_file).exists()
        assert kernel.km.provisioner.process.pid != early[0].process.pid
        kernel.prepare("x = 1")
        kernel.settle()
        assert kernel.alive()
