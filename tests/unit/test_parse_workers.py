"""How many processes parse a fetch's DER when the caller does not say (FetchOptions.parse_workers=None)."""

from analysis import crtsh
from analysis.crtsh.steps import PARALLEL_PARSE_MIN_ROWS, parse_workers_for


def test_two_processes_for_a_large_ca_on_two_cores_or_more():
    assert parse_workers_for(PARALLEL_PARSE_MIN_ROWS, cpus=2) == 2
    assert parse_workers_for(10_000_000, cpus=64) == 2


def test_the_client_process_alone_for_a_small_ca_or_one_core():
    assert parse_workers_for(PARALLEL_PARSE_MIN_ROWS - 1, cpus=2) == 1
    assert parse_workers_for(2_796, cpus=8) == 1
    assert parse_workers_for(10_000_000, cpus=1) == 1


def test_the_default_is_the_automatic_choice():
    assert crtsh.FetchOptions().parse_workers is None
    assert crtsh.FetchOptions(parse_workers=3).parse_workers == 3
