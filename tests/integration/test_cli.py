"""The command line: every argument documented, and bad input refused in one line before anything is queried or
written (a real process each time, as a user runs it)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True,
                          timeout=timeout)


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("distrust-impact: error: "), proc.stderr
    return lines[0].removeprefix("distrust-impact: error: ")


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


