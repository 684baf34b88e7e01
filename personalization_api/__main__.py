"""Command line: `python -m personalization_api serve|keys ...`.

python -m personalization_api serve --host 127.0.0.1 --port 8000 [--warehouse PATH] [--workers 1]
    [--reload-interval 2] [--exposure-dir DIR]
python -m personalization_api keys add NAME [--scope full|feed]  # prints the new key once
python -m personalization_api keys revoke NAME
python -m personalization_api keys list
"""

from __future__ import annotations

import argparse
import atexit
import logging
import logging.handlers
import os
import queue
import sys
import time
from pathlib import Path

from personalization_api.app import SETTINGS_ENV, Settings, create_app, project_vars
from personalization_api.keys import DEFAULT_SCOPE, SCOPES, add_key, list_keys, revoke_key


class ServerFormatter(logging.Formatter):
    """The server's log lines, with the timestamp's date and time formatted once a second, not once a record
    (the access log writes a record per request)."""

    _second = None
    _text = ""

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        second = int(record.created)
        if second != self._second:
            self._text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._second = second
        return f"{self._text},{int(record.msecs):03d}"


class HandOff(logging.handlers.QueueHandler):
    """Hands each record to the writer thread as it is: formatting and writing happen there, not on the event
    loop. (QueueHandler.prepare formats and copies the record, for queues to other processes; the records
    here stay in this process and nothing changes them after they are logged.)"""

    def prepare(self, record):
        return record


def configure_logging() -> logging.handlers.QueueListener:
    """Log lines to stderr, written by a thread of their own. A write to a log file or pipe can block (the
    kernel throttles writers while a publish copies a 1.5 GB warehouse, and a log shipper can stall): on the
    event loop that would stall every request, in the writer thread it holds back only the log."""
    # a record per request: skip what no line of ours prints (thread, process and multiprocessing names)
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ServerFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    records = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, handler, respect_handler_level=True)
    listener.start()
    atexit.register(listener.stop)  # writes what is still queued
    logging.basicConfig(level=logging.INFO, handlers=[HandOff(records)])
    return listener


def default_keys_file() -> Path:
    return Path(os.environ.get("API_KEYS_FILE", "data/api_keys.json"))


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m personalization_api", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    dbt_vars = project_vars()

    serve = sub.add_parser("serve", help="serve the published build over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--warehouse",
        default=os.environ.get("DUCKDB_PUBLISHED_PATH", "data/warehouse.published.duckdb"),
        help="the published copy (DUCKDB_PUBLISHED_PATH), never the build's own file",
    )
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--reload-interval", type=float, default=2.0, help="seconds between checks for a new build")
    serve.add_argument("--exposure-dir", default=None, help="write exposure JSONL files here (off by default)")
    serve.add_argument("--keys-file", default=str(default_keys_file()), help="API_KEYS_FILE")
    serve.add_argument("--cache-max-age", type=int, default=300, help="Cache-Control max-age, seconds")
    serve.add_argument(
        "--rate-limit", type=float, default=20000.0, help="requests/s per key and worker (0: off); see docs/api.md"
    )
    serve.add_argument("--rate-burst", type=float, default=20000.0, help="burst size per key and worker")
    serve.add_argument(
        "--default-limit",
        type=int,
        default=int(dbt_vars.get("export_recommendations", 3)),
        help="recommendations without ?limit (var export_recommendations)",
    )
    serve.add_argument(
        "--max-limit",
        type=int,
        default=int(dbt_vars.get("recommendations_top_n", 10)),
        help="largest ?limit (var recommendations_top_n)",
    )
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* from --forwarded-allow-ips")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")

    keys = sub.add_parser("keys", help="manage API keys (API_KEYS_FILE)")
    keys.add_argument("--keys-file", default=str(default_keys_file()))
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    add = keys_sub.add_parser("add", help="create a key and print it once")
    add.add_argument("name")
    add.add_argument(
        "--scope",
        choices=SCOPES,
        default=DEFAULT_SCOPE,
        help="full: every route, header only; feed: only the non-personal routes, header or ?api_key=",
    )
    keys_sub.add_parser("revoke", help="revoke a key (servers stop accepting it within seconds)").add_argument("name")
    keys_sub.add_parser("list", help="names, scopes, creation and revocation times (never the keys)")
    return ap


def serve(a: argparse.Namespace) -> None:
    import uvicorn

    vars_ = project_vars()
    settings = Settings(
        warehouse=str(Path(a.warehouse).resolve()),
        keys_file=str(Path(a.keys_file).resolve()),
        reload_interval=a.reload_interval,
        cache_max_age=a.cache_max_age,
        rate_limit=a.rate_limit,
        rate_burst=a.rate_burst,
        exposure_dir=str(Path(a.exposure_dir).resolve()) if a.exposure_dir else None,
        experiment_id=str(vars_.get("global_holdout_experiment_id", "global_holdout")),
        default_limit=max(1, min(a.default_limit, a.max_limit)),
        max_limit=max(1, a.max_limit),
        default_send_hour=int(vars_.get("send_time_default_hour", 10)),
    )
    common = {
        "host": a.host,
        "port": a.port,
        "access_log": False,  # ours logs the route, never the query string
        "log_config": None,
        "server_header": False,
        "proxy_headers": a.proxy_headers,
        "forwarded_allow_ips": a.forwarded_allow_ips,
        "timeout_keep_alive": 30,
    }
    configure_logging()
    if a.workers > 1:
        os.environ[SETTINGS_ENV] = settings.to_env()
        uvicorn.run("personalization_api.app:app_from_env", factory=True, workers=a.workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)


def keys(a: argparse.Namespace) -> None:
    path = Path(a.keys_file)
    try:
        if a.keys_command == "add":
            key = add_key(path, a.name, a.scope)
            print(key)
            print(f"key {a.name!r} (scope {a.scope}) added to {path}; it is shown only now", file=sys.stderr)
        elif a.keys_command == "revoke":
            revoke_key(path, a.name)
            print(f"key {a.name!r} revoked", file=sys.stderr)
        else:
            for entry in list_keys(path):
                if entry["problem"]:
                    print(f"{entry['name']}\tmalformed: {entry['problem']} (the server skips it)")
                    continue
                status = f"revoked {entry['revoked_at']}" if entry["revoked_at"] else "active"
                print(f"{entry['name']}\tscope {entry['scope']}\tcreated {entry['created_at']}\t{status}")
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def main(argv: list[str] | None = None) -> None:
    a = parser().parse_args(argv)
    if a.command == "serve":
        serve(a)
    else:
        keys(a)


if __name__ == "__main__":
    main()
