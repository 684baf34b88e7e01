"""Swapping a new build in without stalling the requests served meanwhile (issue 16): the garbage collector, the
replaced snapshot, the chunked load, and the access log."""

from __future__ import annotations

import gc
import logging
import os

import pytest
from api_testkit import make_app, write_tiny_build

from personalization_api import snapshot as snapshot_module
from personalization_api.app import Settings, retire
from personalization_api.snapshot import dismantle


@pytest.fixture(autouse=True)
def _unfreeze():
    """A load freezes the collector's generations (gc.freeze); leave the test process as it was."""
    yield
    gc.unfreeze()


def republish(tmp_path, build_id: str) -> None:
    write_tiny_build(tmp_path / "next.duckdb", build_id=build_id)
    os.replace(tmp_path / "next.duckdb", tmp_path / "published.duckdb")


def test_a_swap_leaves_the_collector_on_and_the_new_snapshot_out_of_its_reach(tmp_path):
    app, client, _ = make_app(tmp_path)
    state = app.state_
    republish(tmp_path, "build-2")
    assert gc.isenabled()
    assert state.load() is True
    assert gc.isenabled()  # off while loading, back on after
    assert client.get("/v1/health").json()["build_id"] == "build-2"
    # frozen (gc.freeze): no collection walks the recipients again, so none stalls the loop on their account
    tracked = {id(o) for o in gc.get_objects()}
    assert gc.get_freeze_count() > 0
    assert id(state.snapshot.by_email["ann@example.com"]) not in tracked
    assert id(state.snapshot.recipients) not in tracked


def test_a_failed_load_leaves_the_collector_as_it_was(tmp_path):
    app, _, _ = make_app(tmp_path)
    state = app.state_
    (tmp_path / "broken.duckdb").write_bytes(b"not a database")
    os.replace(tmp_path / "broken.duckdb", tmp_path / "published.duckdb")
    assert state.load() is False
    assert gc.isenabled()
    republish(tmp_path, "build-3")
    gc.disable()
    try:
        assert state.load() is True
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_a_reader_of_the_replaced_snapshot_keeps_its_answers(tmp_path):
    app, client, _ = make_app(tmp_path)
    state = app.state_
    reading = state.snapshot  # a request still answering from the old build
    republish(tmp_path, "build-2")
    assert state.load() is True  # retire() waits for the reader, then leaves the old build whole
    assert reading.build_id == "build-1"
    assert reading.find("email", "ann@example.com") is not None
    assert len(reading.recipients) == 3
    assert client.get("/v1/personalization", {"email": "ann@example.com"}).json()["build_id"] == "build-2"


def test_retire_empties_a_snapshot_nobody_reads_and_never_one_that_is_read(tmp_path):
    app, _, _ = make_app(tmp_path)
    held = app.state_.snapshot
    retire([held], wait=0.05)  # held here: left alone
    assert len(held.recipients) == 3
    assert len(held.by_email) == 3
    recipients, by_email = held.recipients, held.by_email  # its lookups, without holding the snapshot itself
    replaced = [held]
    del held
    app.state_.snapshot = None
    retire(replaced, wait=1.0)
    assert recipients == {}
    assert by_email == {}


def test_dismantle_and_the_chunked_load_give_the_loop_the_gil_back(tmp_path, monkeypatch):
    make_app(tmp_path)
    monkeypatch.setattr(snapshot_module, "CHUNK", 2)
    sleeps = []
    monkeypatch.setattr(snapshot_module.time, "sleep", lambda s: sleeps.append(s))
    republish(tmp_path, "build-2")
    loaded = snapshot_module.load_snapshot(tmp_path / "published.duckdb")
    assert sleeps
    assert set(sleeps) == {0}
    assert len(loaded.recipients) == 3
    sleeps.clear()
    dismantle(loaded)
    assert (loaded.recipients, loaded.by_email, loaded.by_contact_id) == ({}, {}, {})
    assert len(sleeps) >= 2  # three recipients, two at a time


def test_the_access_log_names_its_logger_and_no_caller(tmp_path, caplog):
    _, client, _ = make_app(tmp_path)
    with caplog.at_level(logging.INFO, logger="personalization_api.access"):
        client.get("/v1/personalization", {"email": "ann@example.com"})
    (record,) = [r for r in caplog.records if r.name == "personalization_api.access"]
    assert record.getMessage().startswith("GET /v1/personalization 200 ")
    assert record.funcName is None  # no stack walk per request (Logger.findCaller)


def test_the_default_rate_limit_is_sized_for_a_big_send():
    from personalization_api.__main__ import parser

    served = parser().parse_args(["serve"])
    assert served.rate_limit == Settings().rate_limit >= 20_000
    assert served.rate_burst == Settings().rate_burst >= served.rate_limit


def test_the_server_writes_its_log_lines_from_a_thread_of_their_own(capfd):
    import atexit
    import threading

    from personalization_api.__main__ import HandOff, configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level, (logging.logThreads, logging.logProcesses, logging.logMultiprocessing)
    root.handlers[:] = []
    try:
        writer_threads = []
        listener = configure_logging()
        (handoff,) = root.handlers
        assert isinstance(handoff, HandOff)
        (stream_handler,) = listener.handlers
        real_emit = stream_handler.emit

        def emit(record):
            writer_threads.append(threading.current_thread())
            real_emit(record)

        stream_handler.emit = emit
        logging.getLogger("personalization_api.access").info("%s %s %s", "GET", "/v1/health", 200)
        listener.stop()  # drains the queue
        atexit.unregister(listener.stop)
        assert writer_threads
        assert threading.current_thread() not in writer_threads  # written off the caller's (the loop's) thread
        line = capfd.readouterr().err.strip().splitlines()[-1]
        assert line.endswith(" INFO personalization_api.access GET /v1/health 200")
        assert line[:4].isdigit()
        assert line[19] == ","  # 2026-12-01 14:00:00,123: the date once a second, the milliseconds each time
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.logThreads, logging.logProcesses, logging.logMultiprocessing = saved[2]
