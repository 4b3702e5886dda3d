"""The notebooks of a run share one kernel (analysis.kernel.SharedKernel): each notebook starts afresh in it (no name
of the previous notebook, cells counted from 1, its own working directory, matplotlib's settings, figures and warning
filters as after the warm-up), a failing notebook fails alone, and a kernel that died is started again."""

from __future__ import annotations

import nbformat
import pytest
from nbclient.exceptions import DeadKernelError

from analysis.kernel import SharedKernel, pm

pytestmark = pytest.mark.integration


def _notebook(path, *sources: str):
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    return path


def _stdout(nb) -> list[str]:
    return ["".join(o["text"]) for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]


@pytest.fixture(scope="module")
def kernel():
    with SharedKernel(warm_modules=("matplotlib.pyplot",)) as k:
        yield k


def test_each_notebook_starts_afresh_in_the_same_kernel(kernel, tmp_path):
    first = _notebook(
        tmp_path / "first.ipynb", "label = 'x'",
        "import os, warnings, matplotlib, matplotlib.pyplot as plt\n"
        "left_behind = 42\n"
        "plt.figure(); matplotlib.rcParams['lines.linewidth'] = 9.0\n"
        "warnings.filterwarnings('error')\n"
        "print(label, os.getpid(), os.path.basename(os.getcwd()))")
    second = _notebook(
        tmp_path / "second.ipynb", "label = 'y'",
        "import os, warnings, matplotlib, matplotlib.pyplot as plt\n"
        "warnings.warn('shown, not raised')\n"
        "print(label, os.getpid(), os.path.basename(os.getcwd()), 'left_behind' in dir(),\n"
        "      plt.get_fignums(), matplotlib.rcParams['lines.linewidth'])")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = kernel.execute(first, tmp_path / "a" / "first.ipynb", {"label": "one"}, progress_bar=False)
    two = kernel.execute(second, tmp_path / "b" / "second.ipynb", {"label": "two"}, progress_bar=False)
    pid = _stdout(one)[0].split()[1]
    assert _stdout(one) == [f"one {pid} a\n"]
    assert _stdout(two) == [f"two {pid} b False [] 1.5\n"]  # same kernel; nothing of the first notebook left
    assert [c.execution_count for c in two.cells] == [1, 2, 3]  # parameters, injected parameters, the cell
    assert any("shown, not raised" in "".join(o.get("text", "")) for o in two.cells[2].outputs)
    assert two.metadata["papermill"]["parameters"] == {"label": "two"}


def test_a_failing_notebook_fails_alone(kernel, tmp_path):
    failing = _notebook(tmp_path / "failing.ipynb", "x = 1", "raise ValueError('this notebook fails')")
    fine = _notebook(tmp_path / "fine.ipynb", "x = 1", "print(x + 1)")
    with pytest.raises(pm.PapermillExecutionError, match="this notebook fails"):
        kernel.execute(failing, tmp_path / "failed.ipynb", {}, progress_bar=False)
    assert "this notebook fails" in (tmp_path / "failed.ipynb").read_text()
    assert _stdout(kernel.execute(fine, tmp_path / "out.ipynb", {"x": 2}, progress_bar=False)) == ["3\n"]


def test_a_kernel_that_died_is_started_again(kernel, tmp_path):
    dying = _notebook(tmp_path / "dying.ipynb", "x = 1", "import os\nos._exit(1)")
    pid = _notebook(tmp_path / "pid.ipynb", "x = 1", "import os\nprint(os.getpid())")
    before = _stdout(kernel.execute(pid, tmp_path / "before.ipynb", {}, progress_bar=False))
    with pytest.raises(DeadKernelError):
        kernel.execute(dying, tmp_path / "died.ipynb", {}, progress_bar=False)
    after = _stdout(kernel.execute(pid, tmp_path / "after.ipynb", {}, progress_bar=False))
    assert after != before and len(after) == 1


def test_a_run_killed_without_cleaning_up_leaves_nothing_behind_at_the_next_run(tmp_path):
    """A staging folder names its process; the next run of the same date removes those whose process is gone (a
    SIGKILLed run never reached its own clean-up) and leaves a live run's folder alone."""
    import os
    import subprocess
    import sys

    from analysis import runs

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / f".2019-09-03.running-{dead.pid}-abc"
    live = tmp_path / f".2019-09-03.running-{os.getppid()}-def"
    other_date = tmp_path / f".2020-01-15.running-{dead.pid}-ghi"
    for folder in (abandoned, live, other_date):
        (folder / "figures").mkdir(parents=True)
    stage = runs._stage(tmp_path, "2019-09-03")
    assert stage.name.startswith(f".2019-09-03.running-{os.getpid()}-") and stage.is_dir()
    assert not abandoned.exists() and live.is_dir() and other_date.is_dir()
