"""The command line: every argument documented, and bad input refused in one line before anything is queried or
written (a real process each time, as a user runs it)."""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import build_parser
from analysis.config import NOTEBOOKS_DIR, PROJECT_ROOT


def _cli(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True,
                          timeout=timeout)


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("distrust-impact: error: "), proc.stderr
    return lines[0].removeprefix("distrust-impact: error: ")


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


@pytest.mark.parametrize("args, message", [
    (["--max-rows", "-5"], "max rows: -5 is not a whole number of rows (0 or more)"),
    (["--date", "9999-01-01"], "distrust date: 9999-01-01 is too far in the future (the last date handled is "
                               "2262-04-11)"),
    (["--option", "allowlist:9999-12-31"], "option 'allowlist:9999-12-31': 9999-12-31 is too far in the future "
                                           "(the last date handled is 2262-04-11)"),
])
def test_out_of_range_numbers_and_dates_are_one_line_errors(args, message, tmp_path):
    proc = _cli("report", "--ca", "demo", "--as-of", "2019-05-17", "--out", str(tmp_path), *(
        ["--date", "2019-09-03"] if "--date" not in args else []), *args)
    assert _one_line_error(proc) == message
    assert not any(tmp_path.iterdir())


def test_an_unknown_root_program_is_a_one_line_error_before_any_fetch(tmp_path):
    proc = _cli("report", "--demo", "--out", str(tmp_path), "--programs", "mozilla,netscape")
    assert _one_line_error(proc) == ("programs: unknown root program 'netscape'; choose from all, mozilla, chrome, "
                                     "apple, microsoft")
    assert not any(tmp_path.iterdir())


def test_verify_of_a_folder_without_a_manifest_says_so(tmp_path):
    message = _one_line_error(_cli("verify", str(tmp_path)))
    assert message == f"{tmp_path / 'reproduce.json'}: no reproduce.json here (was the report written with a " \
                      f"reproduce manifest?)"


def test_make_report_compares_every_program():
    assert "distrust-impact report --demo --force --programs all" in (PROJECT_ROOT / "Makefile").read_text()


def test_output_folders_are_checked_before_any_fetch(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    base = ["report", "--ca", "demo", "--demo", "--date", "2019-09-03"]
    assert _one_line_error(_cli(*base, "--out", str(a_file))) == \
        f"output folder {a_file}: {a_file} is a file, not a folder"
    assert _one_line_error(_cli(*base, "--out", str(a_file / "below"))) == \
        f"output folder {a_file / 'below'}: {a_file} is a file, not a folder"
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "demo-root-ca").write_text("a file where the CA's folder goes")
    assert _one_line_error(_cli(*base, "--out", str(tmp_path / "out"))) == \
        f"output folder {tmp_path / 'out'}: {tmp_path / 'out' / 'demo-root-ca'} is a file, not a folder"
    message = _one_line_error(_cli(*base, "--out", "/proc/distrust-impact-reports"))
    assert message.startswith("output folder /proc/distrust-impact-reports is not writable (")
    assert not Path("/proc/distrust-impact-reports").exists()


def test_db_start_on_a_port_in_use_says_so():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert _one_line_error(_cli("db", "start", "--port", str(port))) == (
            f"port {port} on 127.0.0.1 is in use; pick another --port or leave it out (a free one is chosen)")


def test_db_schema_as_a_read_only_user_says_it_lacks_rights(empty_db):
    guest = empty_db.replace("user=postgres", "user=guest")
    message = _one_line_error(_cli("db", "schema", "--dsn", guest))
    assert message.startswith("the user of --dsn lacks the rights to create crt.sh's schema there (")
    assert message.endswith("use a role that may create tables, types and functions in that database")


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
