"""The command line's parser and the Makefile, in process: every argument documented, the targets the README
promises. Bad input refused by a real process is in tests/integration/test_cli.py."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess

from analysis.cli import build_parser
from analysis.config import NOTEBOOKS_DIR, PROJECT_ROOT


def _parsers(parser: argparse.ArgumentParser, path=("distrust-impact",)):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_top_level_help_says_what_the_tool_does():
    help_text = build_parser().format_help()
    assert "how many certificates break, for whom and when, if a root program distrusts a certificate" in \
        " ".join(help_text.split())


def test_every_argument_of_every_subcommand_has_help():
    missing = []
    seen = 0
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            seen += 1
            if isinstance(action, argparse._SubParsersAction):
                missing += [(path, c.dest) for c in action._choices_actions if not c.help]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append((path, action.dest))
    assert seen > 40 and not missing, missing


def test_make_report_compares_every_program():
    assert "distrust-impact report --demo --force --programs all" in (PROJECT_ROOT / "Makefile").read_text()


def test_the_notebooks_name_the_kernel_the_makefile_installs():
    kernel = re.search(r"^KERNEL\s*:=\s*(\S+)", (PROJECT_ROOT / "Makefile").read_text(), re.M).group(1)
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        assert json.loads(path.read_text())["metadata"]["kernelspec"]["name"] == kernel, path.name


def test_make_lab_runs_as_root_and_not():
    """JupyterLab refuses root without --allow-root; the Makefile adds it for uid 0 only (dry run: nothing starts)."""
    def lab_line(*as_user: str) -> str:
        dry = subprocess.run([*as_user, "make", "-n", "lab"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                             timeout=60)
        lab = [line for line in dry.stdout.splitlines() if "jupyter lab" in line]
        assert len(lab) == 1, dry.stdout + dry.stderr
        return lab[0]

    assert ("--allow-root" in lab_line()) == (os.getuid() == 0)
    if os.getuid() == 0:  # and as an ordinary user (runuser, as the tests' PostgreSQL cluster is run)
        assert "--allow-root" not in lab_line("runuser", "-u", "nobody", "--")
