"""The benchmark's helpers, on a small fake database (the benchmark itself is not a test)."""

import pytest

from bench.dbtime import page_statements, time_statements
from bench.load import parse_wrk
from bench.subjects import RARE_READER, add_rare_reader, bench_pages

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:5000/
  2 threads and 8 connections
BENCH requests=1200 duration_us=2000000 not_ok=3 socket_errors=1 p50_us=5250 p99_us=20125
"""


def test_parse_wrk():
    load = parse_wrk(WRK_OUTPUT)
    assert load.per_second == 600
    assert load.not_ok == 4
    assert (load.p50_ms, load.p99_ms) == (5.25, 20.125)


def test_parse_wrk_refuses_other_output():
    with pytest.raises(RuntimeError, match="unexpected wrk output"):
        parse_wrk("Running 2s test\n")


def test_pages_and_their_statements(app, runner):
    assert (
        runner.invoke(args=["fake", "--users", "40", "--posts", "500", "--follows", "6"]).exit_code
        == 0
    )
    add_rare_reader()
    add_rare_reader()  # once only
    pages = bench_pages(per_page=3)
    assert [p.url.split("?")[0] for p in pages] == [
        "/healthz",
        "/healthz",
        "/",
        "/",
        "/",
        "/",
        "/explore",
        pages[-1].url,
    ]
    assert any(p.username == RARE_READER for p in pages)
    for page in pages:
        statements = page_statements(app, page.url, page.username)
        timing = time_statements(app, statements, runs=2)
        assert timing.statements == len(statements)
        assert timing.median_ms >= timing.worst_statement_ms >= 0
    assert page_statements(app, "/healthz", None) == []
