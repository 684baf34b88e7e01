"""The personalisation API's answers to an adversarial review (issue 16): key scopes, a failing exposure log,
a malformed keys file, identifiers two customers share, and clean_email exactly as the SQL macro."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import threading
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from api_testkit import Client, make_app, write_tiny_build

from personalization_api import __main__ as cli
from personalization_api.app import Settings, create_app
from personalization_api.exposures import ExposureLog
from personalization_api.keys import KeyStore, add_key, hash_key, list_keys, revoke_key
from personalization_api.snapshot import Limits, clean_email, load_snapshot

PROJECT_DIR = Path(__file__).resolve().parents[2]
PERSONAL = (("/v1/personalization", {"email": "ann@example.com"}), ("/v1/recommendations", {"contact_id": "C1"}))

# ---- 1. key scopes ------------------------------------------------------------------------------


def test_a_feed_key_opens_only_the_non_personal_routes(tmp_path):
    app, client, keys_file = make_app(tmp_path)
    feed = Client(app, add_key(keys_file, "klaviyo-feed", scope="feed"))
    app.state_.refresh_keys()
    for path, params in PERSONAL:
        for headers in ({}, {"Authorization": "", "X-API-Key": feed.key}):
            response = feed.get(path, params, headers=headers)
            assert response.status == 403, (path, headers)
            assert b"Ann" not in response.body
            assert b"C1" not in response.body
        assert client.get(path, params).status == 200  # the full key still reads them
    assert feed.get("/v1/products/P1/similar").status == 200
    assert Client(app).get("/v1/products/P1/similar", {"api_key": feed.key}).status == 200
    assert feed.get("/v1/health").status == 200


def test_a_keys_file_from_before_scopes_reads_as_full_and_keys_list_shows_scopes(tmp_path, capsys):
    keys_file = tmp_path / "api_keys.json"
    old_key = "pak_" + "o" * 43
    entry = {"sha256": hash_key(old_key), "created_at": "2026-01-01T00:00:00Z", "revoked_at": None}
    keys_file.write_text(json.dumps({"version": 1, "keys": {"old": entry}}))
    assert KeyStore(keys_file).identify(old_key) == ("old", "full")
    add_key(keys_file, "klaviyo-feed", scope="feed")
    with pytest.raises(ValueError, match="scope"):
        add_key(keys_file, "x", scope="admin")
    assert [(k["name"], k["scope"]) for k in list_keys(keys_file)] == [("klaviyo-feed", "feed"), ("old", "full")]
    cli.main(["keys", "--keys-file", str(keys_file), "add", "braze"])
    cli.main(["keys", "--keys-file", str(keys_file), "add", "feed2", "--scope", "feed"])
    capsys.readouterr()
    cli.main(["keys", "--keys-file", str(keys_file), "list"])
    listed = dict(line.split("\t", 1) for line in capsys.readouterr().out.splitlines())
    assert {name: rest.split("\t")[0] for name, rest in listed.items()} == {
        "braze": "scope full",
        "feed2": "scope feed",
        "klaviyo-feed": "scope feed",
        "old": "scope full",
    }


# ---- 2. the exposure log ------------------------------------------------------------------------


@contextlib.contextmanager
def disk_full(folder: Path):
    """A real full disk for this process's exposure files: this hour's and the next are /dev/full."""
    now = datetime.now(UTC)
    links = [folder / f"exposures-{os.getpid()}-{t:%Y%m%d%H}.jsonl" for t in (now, now + timedelta(hours=1))]
    for link in links:
        link.symlink_to("/dev/full")
    try:
        yield
    finally:
        for link in links:
            link.unlink()


def test_a_full_disk_keeps_the_lines_and_a_later_flush_writes_them(tmp_path):
    exposures = ExposureLog(tmp_path / "exp", "global_holdout")
    for i in range(3):
        exposures.record(f"e{i}", "personalized", "personalization", "build-1")
    with disk_full(tmp_path / "exp"):
        assert exposures.flush() == 0  # no exception
        assert exposures.buffered() == 3
    assert exposures.flush() == 3
    (part,) = (tmp_path / "exp").glob("exposures-*.jsonl")
    assert [json.loads(line)["external_id"] for line in part.read_text().splitlines()] == ["e0", "e1", "e2"]
    assert exposures.buffered() == 0


def test_the_buffer_is_capped_dropping_the_oldest_and_saying_how_many(tmp_path, caplog):
    exposures = ExposureLog(tmp_path / "exp", "global_holdout", max_buffered=5)
    with caplog.at_level(logging.INFO, logger="personalization_api"), disk_full(tmp_path / "exp"):
        for i in range(8):
            exposures.record(f"secret-{i}", "personalized", "personalization", "build-1")
        exposures.flush()
        exposures.close()  # at shutdown: no exception, a count of what is lost
    assert exposures.buffered() == 5
    assert exposures.dropped_total == 3
    text = caplog.text
    assert "3 dropped" in text
    assert "closed with 5 lines" in text
    assert "secret" not in text
    exposures.flush()
    (part,) = (tmp_path / "exp").glob("exposures-*.jsonl")
    assert [json.loads(line)["external_id"] for line in part.read_text().splitlines()] == [
        f"secret-{i}" for i in range(3, 8)
    ]


def test_exposure_files_are_0600_in_a_0700_folder_and_head_records_nothing(tmp_path):
    app, client, _ = make_app(tmp_path, exposure_dir=str(tmp_path / "new" / "exposures"))
    head = client.get("/v1/personalization", {"email": "ann@example.com"}, headers={"__method__": "HEAD"})
    assert head.status == 200
    assert app.state_.exposures.flush() == 0
    client.get("/v1/personalization", {"email": "ann@example.com"})
    assert app.state_.exposures.flush() == 1
    folder = tmp_path / "new" / "exposures"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (part,) = folder.glob("exposures-*.jsonl")
    assert stat.S_IMODE(part.stat().st_mode) == 0o600


async def _run_lifespan(app, seconds: float, during=None):
    inner = app.app  # the Starlette app behind the guard
    async with inner.router.lifespan_context(inner):
        if during is not None:
            await during()
        await asyncio.sleep(seconds)


def test_the_flusher_outlives_a_failing_flush(tmp_path):
    app, _client, _ = make_app(tmp_path, exposure_dir=str(tmp_path / "exp"))
    calls = []

    def broken_flush():
        calls.append(1)
        raise RuntimeError("boom")

    app.state_.exposures.flush = broken_flush
    app.state_.exposures.close = broken_flush
    asyncio.run(_run_lifespan(app, 1.3))  # the flusher runs every 0.5 s; shutdown does not raise either
    assert len(calls) >= 3  # two flushes and the one at shutdown: the task survived the first


# ---- 3. a malformed keys file -------------------------------------------------------------------


def test_a_malformed_entry_is_skipped_by_name_and_the_others_still_work(tmp_path, caplog):
    keys_file = tmp_path / "api_keys.json"
    good = add_key(keys_file, "good")
    data = json.loads(keys_file.read_text())
    data["keys"].update({"esp": "oops", "bad-hash": {"sha256": "zz" * 32}, "bad-scope": {**data["keys"]["good"]}})
    data["keys"]["bad-scope"]["scope"] = "admin"
    keys_file.write_text(json.dumps(data))
    with caplog.at_level(logging.ERROR, logger="personalization_api"):
        store = KeyStore(keys_file)
    assert store.identify(good) == ("good", "full")
    assert [e[1] for e in store.keys.entries] == ["good"]
    for name in ("'esp'", "'bad-hash'", "'bad-scope'"):
        assert name in caplog.text
    assert data["keys"]["good"]["sha256"] not in caplog.text
    with pytest.raises(ValueError, match="malformed"):
        revoke_key(keys_file, "esp")
    assert {k["name"]: k["problem"] is not None for k in list_keys(keys_file)} == {
        "bad-hash": True,
        "bad-scope": True,
        "esp": True,
        "good": False,
    }


def test_refresh_keys_never_raises(tmp_path, caplog):
    app, client, _keys_file = make_app(tmp_path)

    def broken():
        raise AttributeError("'str' object has no attribute 'get'")

    app.state_.keys.refresh = broken
    with caplog.at_level(logging.ERROR, logger="personalization_api"):
        app.state_.refresh_keys()
    assert "keeping the previous keys" in caplog.text
    assert client.get("/v1/personalization", {"email": "ann@example.com"}).status == 200


def test_a_revocation_takes_effect_while_a_build_is_loading(tmp_path):
    build = write_tiny_build(tmp_path / "published.duckdb")
    keys_file = tmp_path / "api_keys.json"
    key = add_key(keys_file, "esp")
    settings = Settings(warehouse=str(build), keys_file=str(keys_file), reload_interval=0.05)
    app = create_app(settings, load_snapshot(build, Limits(3, 5)), poll=True)
    state = app.state_
    release = threading.Event()
    loads = []

    def slow_load():
        loads.append(1)
        if len(loads) > 1:  # the start-up load returns; the reloader's next one hangs like a big build
            release.wait(10)
        return False

    state.load = slow_load

    async def revoke_during_the_load():
        await asyncio.sleep(0.3)
        assert len(loads) >= 2
        assert not release.is_set()
        assert state.keys.verify(key) == "esp"
        revoke_key(keys_file, "esp")
        await asyncio.sleep(0.5)
        revoked = state.keys.verify(key) is None
        release.set()
        assert revoked, "the revocation waited for the build load"

    try:
        asyncio.run(_run_lifespan(app, 0.0, revoke_during_the_load))
    finally:
        release.set()


# ---- 4. identifiers two customers share ---------------------------------------------------------


def test_an_email_or_contact_id_two_customers_share_matches_nobody(tmp_path, caplog):
    build = write_tiny_build(tmp_path / "published.duckdb")
    with duckdb.connect(str(build)) as con:
        con.execute(
            "update main.fct_customer_personalization set email = 'ann@example.com', contact_id = 'C1' "
            "where customer_id = 'c3'"
        )
    with caplog.at_level(logging.WARNING, logger="personalization_api"):
        snapshot = load_snapshot(build, Limits(3, 5))
    assert snapshot.find("email", "ann@example.com") is None
    assert snapshot.find("contact_id", "C1") is None
    assert snapshot.find("customer_id", "c1").customer_id == "c1"
    assert snapshot.find("customer_id", "c3").customer_id == "c3"
    assert snapshot.find("email", "bob@example.com").customer_id == "c2"
    assert "1 emails belong to more than one customer" in caplog.text
    assert "1 contact ids belong to more than one customer" in caplog.text
    assert "ann@" not in caplog.text
    assert "C1" not in caplog.text


# ---- 5. clean_email is the SQL macro ------------------------------------------------------------

EMAILS = [
    "Ann@Example.com",
    "\u00a0ann@example.com\u00a0",  # a non-breaking space: SQL trim() strips it
    "\u3000ann@example.com\u2003",
    "\tann@example.com",  # a tab: SQL trim() keeps it, so not an address
    "ann@example.com\n",
    "\x1cann@example.com",
    "\x85ann@example.com",
    " zoë@exämple.de ",
    "İNCİ@EXAMPLE.COM",
    "ΑΣ@ΠΑΡΆΔΕΙΓΜΑ.ΔΟΚΙΜΉ",
    "a@xn--exmple-cua.de",
    "a@example.xn--p1ai",
    "a@example.XN--P1AI",
    "a..b@example.com",
    "a@b.c",
    "a@example.c0m",
    "a@@example.com",
    "@example.com",
    "a@.example.com",
    "a@example..com",
    "o'neil+tag@sub.example.co.uk",
    "a b@example.com",
    "",
    "   ",
]


def macro_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """clean_email('value') as dbt compiles it for DuckDB (its dispatch macros included)."""
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "compile.duckdb"))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(PROJECT_DIR))
    result = dbtRunner().invoke(
        [
            "compile",
            "--quiet",
            "--inline",
            "select {{ clean_email('value') }} as cleaned",
            "--project-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ]
    )
    assert result.success, result.exception
    compiled = result.result.results[0].node.compiled_code.strip()
    assert compiled.startswith("select "), compiled
    assert compiled.endswith(" as cleaned"), compiled
    return compiled[len("select ") : -len(" as cleaned")]


def test_clean_email_is_the_sql_macro_exactly(tmp_path, monkeypatch):
    expression = macro_sql(tmp_path, monkeypatch)
    with duckdb.connect() as con:
        con.execute("create table emails (i integer, value varchar)")
        con.executemany("insert into emails values (?, ?)", list(enumerate(EMAILS)))
        sql = dict(con.execute(f"select i, {expression} from emails").fetchall())
    assert [clean_email(value) for value in EMAILS] == [sql[i] for i in range(len(EMAILS))]
    assert clean_email("\u00a0Ann@Example.com\u00a0") == "ann@example.com"
    assert clean_email("\tann@example.com") is None


def test_a_lookup_trims_like_the_build(tmp_path):
    _app, client, _ = make_app(tmp_path)
    found = client.get("/v1/personalization", {"email": "\u00a0ANN@example.com\u00a0"}).json()["recipient"]
    assert found["found"] is True
    assert client.get("/v1/personalization", {"email": "\tann@example.com"}).json()["recipient"]["found"] is False


def test_a_buffered_line_holds_only_its_own_bytes(tmp_path):
    # orjson's result keeps ~4 KiB of spare capacity: a capped buffer of those would be ten times its size
    exposures = ExposureLog(tmp_path / "exp", "global_holdout")
    tracemalloc.start()
    try:
        for i in range(1000):
            exposures.record(f"e{i}", "personalized", "personalization", "build-1")
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 1000 * 1000
