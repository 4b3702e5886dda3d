"""The root-store history figure drawn twice in fresh processes is byte-identical; the history itself is in
tests/unit/test_rootstore.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis.config import FIGURES_DIR


@pytest.mark.slow
def test_root_store_history_figure_reproducible(tmp_path):
    """Rendering in a fresh interpreter twice gives the same bytes, equal to the committed figure."""
    code = ("import sys; from analysis import figures; "
            "figures.plot_root_store_history(path_stem=sys.argv[1])")
    for stem in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / stem)], check=True)
    for ext in (".png", ".svg"):
        a, b = (tmp_path / f"a{ext}").read_bytes(), (tmp_path / f"b{ext}").read_bytes()
        assert a == b
        committed = FIGURES_DIR / f"mozilla_root_store_history{ext}"
        assert committed.read_bytes() == a, (
            f"{committed} is stale: regenerate with figures.plot_root_store_history(path_stem=...)")
