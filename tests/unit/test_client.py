"""analysis.crtsh without a server of its own: the fetch parser's hook, and an unreachable server in one clear line.
fetch_ca against a real local PostgreSQL is in tests/integration/test_client.py."""

from __future__ import annotations

import time

import pytest

from analysis import crtsh
from tests.population import AS_OF, fetch_ca_all


def test_unreachable_server_is_one_clear_line(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    client = crtsh.Client(f"host=127.0.0.1 port={port} dbname=certwatch user=guest", connect_timeout=2,
                          retry=crtsh.RetryPolicy(stall=1.0, base_delay=0.01, max_delay=0.1))
    t0 = time.monotonic()
    with pytest.raises(crtsh.CrtshUnavailable) as err:
        fetch_ca_all("00" * 32, as_of=AS_OF, client=client, cache_dir=tmp_path)
    assert time.monotonic() - t0 < 5
    msg = str(err.value)
    assert "\n" not in msg and f"gave up on resolve_ca at 127.0.0.1:{port}/certwatch" in msg
    assert "no statement succeeded for 1 s (last error: connection" in msg and client.progress.retries >= 3
    # nothing was fetched, so nothing is kept; the message gives the command that runs the same fetch again
    assert msg.endswith(f"fetched so far: nothing; nothing is kept; run again: distrust-impact fetch --ca "
                        f"{'00' * 32} --as-of 2019-05-17T00:00:00 --dsn 'host=127.0.0.1 port={port} dbname=certwatch "
                        f"user=guest' --cache-dir {tmp_path} --aggregates --stall-timeout 1")
    assert not list(tmp_path.iterdir())
    # the CLI prints it as one line (analysis.cli.main catches every exception)
    assert isinstance(err.value, crtsh.CrtshError)
    with pytest.raises(crtsh.CrtshUnavailable, match="cannot connect"):
        crtsh.Client("host=no-such-host.invalid dbname=certwatch user=guest", connect_timeout=2).run(
            "root_trust_records", {"root_ca_id": 1})


def test_fetch_parser_hook():
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    crtsh.add_fetch_parser(sub)
    args = parser.parse_args(["fetch", "--ca", "2A99F5BC", "--as-of", "2019-05-17", "--dsn", "x=y"])
    assert (args.ca, args.as_of, args.dsn, args.method, args.func) == \
        ("2A99F5BC", "2019-05-17", "x=y", crtsh.DEFAULT_METHOD, crtsh.command.run_fetch)
    with pytest.raises(SystemExit):
        parser.parse_args(["fetch", "--as-of", "2019-05-17"])  # --ca is required
