"""The HTTP service: Starlette routes behind one pure-ASGI guard (bounds, auth, rate limit, access log).

Every request reads `state.snapshot` once and answers from it, so a request that
started on one build finishes on it while a newer build is swapped in. A
background task polls the published file every `reload_interval` seconds; a
new build is read in a worker thread and swapped in only when complete, and a
build that fails to load is logged while the old one keeps serving. Another
task re-reads the keys file on the same interval, so a revocation takes effect
even while a big build is loading. Neither task dies on an error: each step is
logged and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from personalization_api.exposures import ExposureLog
from personalization_api.keys import KeyStore
from personalization_api.ratelimit import RateLimiter
from personalization_api.snapshot import KEY_FIELDS, Limits, Snapshot, dismantle, file_signature, load_snapshot

log = logging.getLogger("personalization_api")
access_log = logging.getLogger("personalization_api.access")

SETTINGS_ENV = "PERSONALIZATION_API_SETTINGS"


@dataclass
class Settings:
    warehouse: str = "data/warehouse.published.duckdb"
    keys_file: str = "data/api_keys.json"
    reload_interval: float = 2.0
    cache_max_age: int = 300
    rate_limit: float = 20000.0  # requests per second per key (per worker process); see docs/api.md
    rate_burst: float = 20000.0
    exposure_dir: str | None = None
    experiment_id: str = "global_holdout"
    default_limit: int = 3
    max_limit: int = 10
    default_send_hour: int = 10
    max_url_length: int = 2048  # path + query string, bytes
    max_value_length: int = 320  # one query value (an email is at most 254)
    max_header_bytes: int = 8192

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Settings:
        return cls(**json.loads(os.environ[SETTINGS_ENV]))


def project_vars(project_file: Path = Path("dbt_project.yml")) -> dict:
    """The dbt vars the API shares with the exports, when run from the project (else {})."""
    try:
        import yaml

        return yaml.safe_load(project_file.read_text()).get("vars", {}) or {}
    except (OSError, ValueError, AttributeError, ImportError):
        return {}


class State:
    """What requests read: the current snapshot (swapped whole), the keys, the limiter, the exposure log."""

    def __init__(self, settings: Settings, snapshot: Snapshot | None = None):
        self.settings = settings
        self.snapshot = snapshot
        self.keys = KeyStore(Path(settings.keys_file))
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_burst)
        self.exposures = (
            ExposureLog(Path(settings.exposure_dir), settings.experiment_id) if settings.exposure_dir else None
        )
        self.failed_signature = None
        self.cache_control = f"private, max-age={int(settings.cache_max_age)}".encode()

    def load(self) -> bool:
        """Load the published build if it changed (blocking; run it in a thread). True when swapped.

        The load shares the GIL with the event loop, so it is written not to stall the requests served
        meanwhile: it works a few thousand rows at a time (see snapshot.let_others_run); the cyclic garbage
        collector is off while it runs (each automatic full collection would walk the whole growing heap under
        the GIL); the new snapshot is frozen out of the collector's reach once swapped in (gc.freeze: later
        full collections skip its hundreds of thousands of objects); and the replaced snapshot is freed a few
        thousand recipients at a time once no request reads it.
        """
        path = Path(self.settings.warehouse)
        signature = file_signature(path)
        current = self.snapshot.signature if self.snapshot is not None else None
        if signature is None or signature == current or signature == self.failed_signature:
            return False
        started = time.perf_counter()
        # let the loop take the GIL back every 1 ms (not 5) when the load does not give it up by itself
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, 0.001))
        gc_was_enabled = gc.isenabled()
        gc.disable()
        loaded = False
        try:
            snapshot = load_snapshot(
                path,
                Limits(self.settings.default_limit, self.settings.max_limit),
                self.settings.default_send_hour,
            )
            loaded = True
        except Exception as exc:
            self.failed_signature = signature
            log.error("could not load the published build at %s (%s); still serving %s", path, exc, self.build_id())
            return False
        finally:
            if loaded:
                # freeze before the collector is back on: with it off, everything the load made sits in the
                # youngest generation, and the first collection after would walk all of it
                gc.freeze()
            if gc_was_enabled:
                gc.enable()
            sys.setswitchinterval(switch_interval)
        replaced = [self.snapshot]  # held in a list so that retire() can hold the only reference
        self.snapshot = snapshot
        self.failed_signature = None
        log.info(
            "serving build %s (%d recipients, %d products), loaded in %.2fs",
            snapshot.build_id,
            len(snapshot.recipients),
            len(snapshot.products),
            time.perf_counter() - started,
        )
        del snapshot
        retire(replaced)
        release_free_memory()
        return True

    def build_id(self) -> str | None:
        return self.snapshot.build_id if self.snapshot is not None else None

    def refresh_keys(self) -> None:
        try:
            if self.keys.refresh():
                log.info("API keys (re)loaded from %s: %d active", self.keys.path, len(self.keys.keys.entries))
        except Exception as exc:  # a broken file keeps the previous keys; never the reloader's end
            log.error(
                "could not read API keys from %s (%s); keeping the previous keys",
                self.keys.path,
                type(exc).__name__,
            )


def retire(replaced: list, wait: float = 1.0) -> None:
    """Free a replaced snapshot (the one item of `replaced`, taken out) in small steps once no request reads it.

    A request holds the snapshot it started on until it has its answer; the refcount says when the last one
    is done (left: this function's own reference and getrefcount's argument). A snapshot still referenced
    after `wait` seconds (a test, a debugger) is left to Python to free whole, never emptied under a reader.
    """
    old = replaced.pop()
    if old is None:
        return
    deadline = time.monotonic() + wait
    while sys.getrefcount(old) > 2:
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)
    dismantle(old)


def release_free_memory() -> None:
    """Hand the load's freed memory (DuckDB's result buffers, the rows, the replaced snapshot) back to the OS
    (glibc; else nothing). No gc.collect(): a full collection over a loaded snapshot holds the GIL for a tenth
    of a second and more, and what the load frees is freed by reference counting (its rows hold no cycles).
    malloc_trim runs without the GIL (ctypes releases it)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# ---- responses ----------------------------------------------------------------------------------

NO_STORE = {"Cache-Control": "no-store"}


def error(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(
        orjson.dumps({"error": message}),
        status_code=status,
        media_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag or candidate == "*":
            return True
    return False


def cached(request: Request, state: State, body: bytes, etag: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": state.cache_control.decode()}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


class BadRequestError(Exception):
    pass


def parse_limit(params) -> int | None:
    values = params.getlist("limit")
    if not values:
        return None
    if len(values) > 1:
        raise BadRequestError("give limit once")
    try:
        return int(values[0])
    except ValueError:
        raise BadRequestError("limit must be an integer") from None


def parse_key(params) -> tuple[str, str]:
    given = [(name, params.getlist(name)) for name in KEY_FIELDS if name in params]
    if len(given) != 1 or len(given[0][1]) != 1:
        raise BadRequestError("give exactly one of email, contact_id, external_id, customer_id")
    name, (value,) = given[0]
    if not value.strip():
        raise BadRequestError(f"{name} is empty")
    return name, value


def create_app(settings: Settings, snapshot: Snapshot | None = None, poll: bool = True) -> Starlette:
    """The ASGI app. With poll, its lifespan loads the build and starts the reloader."""
    state = State(settings, snapshot)

    def unavailable() -> Response:
        return error(503, "no build is published yet", {"Retry-After": str(max(1, int(settings.reload_interval)))})

    async def health(request: Request) -> Response:
        snapshot = state.snapshot
        if snapshot is None:
            body = {
                "status": "no_build",
                "build_id": None,
                "built_at": None,
                "published_at": None,
                "loaded_at": None,
                "recipients": 0,
                "products": 0,
            }
            return Response(orjson.dumps(body), status_code=503, media_type="application/json", headers=NO_STORE)
        return Response(orjson.dumps(snapshot.health()), media_type="application/json", headers=NO_STORE)

    def expose(request: Request, snapshot: Snapshot, recipient, endpoint: str) -> None:
        if request.method == "HEAD":  # nothing was shown to anyone
            return
        if state.exposures is not None and recipient is not None and recipient.external_id:
            state.exposures.record(recipient.external_id, recipient.variant, endpoint, snapshot.build_id)

    async def personalization(request: Request) -> Response:
        snapshot = state.snapshot
        if snapshot is None:
            return unavailable()
        params = request.query_params
        try:
            key, value = parse_key(params)
            limit = parse_limit(params)
        except BadRequestError as exc:
            return error(400, str(exc))
        recipient = snapshot.find(key, value)
        body, etag = snapshot.personalization(recipient, limit)
        expose(request, snapshot, recipient, "personalization")
        return cached(request, state, body, etag)

    async def recommendations(request: Request) -> Response:
        snapshot = state.snapshot
        if snapshot is None:
            return unavailable()
        params = request.query_params
        try:
            key, value = parse_key(params)
            limit = parse_limit(params)
            categories = params.getlist("category")
            if len(categories) > 1:
                raise BadRequestError("give category once")
        except BadRequestError as exc:
            return error(400, str(exc))
        category = categories[0].strip() if categories and categories[0].strip() else None
        recipient = snapshot.find(key, value)
        body, etag = snapshot.recommendations(recipient, limit, category)
        expose(request, snapshot, recipient, "recommendations")
        return cached(request, state, body, etag)

    async def similar(request: Request) -> Response:
        snapshot = state.snapshot
        if snapshot is None:
            return unavailable()
        try:
            limit = parse_limit(request.query_params)
        except BadRequestError as exc:
            return error(400, str(exc))
        body, etag = snapshot.similar_products(request.path_params["product_id"], limit)
        return cached(request, state, body, etag)

    async def reloader() -> None:
        while True:
            await asyncio.sleep(settings.reload_interval)
            try:
                await asyncio.to_thread(state.load)
            except Exception:  # never let the reloader die
                log.exception("reload failed")

    async def key_watcher() -> None:
        # its own task: a revocation must not wait for a build load that takes a minute
        while True:
            await asyncio.sleep(settings.reload_interval)
            try:
                state.refresh_keys()
            except Exception:  # never let the watcher die
                log.exception("keys reload failed")

    async def flusher() -> None:
        while True:
            await asyncio.sleep(0.5)
            try:
                await asyncio.to_thread(state.exposures.flush)
            except Exception:  # never let the flusher die: the buffer would grow until the process does
                log.exception("exposure flush failed")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        tasks = []
        if poll:
            await asyncio.to_thread(state.load)
            if state.snapshot is None:
                log.warning("no published build at %s yet: /v1/health says no_build", settings.warehouse)
            tasks.append(asyncio.create_task(reloader()))
            tasks.append(asyncio.create_task(key_watcher()))
        if not state.keys.keys.entries:
            log.warning("no active API key in %s: every /v1 request but /v1/health gets 401", settings.keys_file)
        if state.exposures is not None:
            tasks.append(asyncio.create_task(flusher()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            if state.exposures is not None:
                try:
                    state.exposures.close()
                except Exception:
                    log.exception("last exposure flush failed")
            gc.unfreeze()  # the loaded builds back in the collector's reach, to be freed at exit

    routes = [
        Route("/v1/health", health, methods=["GET"]),
        Route("/v1/personalization", personalization, methods=["GET"]),
        Route("/v1/recommendations", recommendations, methods=["GET"]),
        Route("/v1/products/{product_id}/similar", similar, methods=["GET"]),
    ]
    inner = Starlette(routes=routes, lifespan=lifespan)
    app = Guard(inner, state)
    app.state_ = state  # for tests and the CLI
    return app


# ---- the guard ------------------------------------------------------------------------------------

ROUTE_NAMES = {
    "/v1/health": "/v1/health",
    "/v1/personalization": "/v1/personalization",
    "/v1/recommendations": "/v1/recommendations",
}
OPEN_PATHS = {"/v1/health"}
# The non-personal routes: the only ones a `feed` key opens, and the only ones that take a key as ?api_key= (a
# `feed` key only), for clients that cannot send headers (a Klaviyo web feed). Never the per-recipient routes: a
# URL with a key and a recipient would sit in every log on the way, and a key that sits in a feed URL must not
# read anyone's personal fields.
URL_KEY_PATHS = {"/v1/products/{product_id}/similar"}
FEED_PATHS = URL_KEY_PATHS


def route_name(path: str) -> str:
    """The path as logged: a known route or its template, never free text a caller chose."""
    name = ROUTE_NAMES.get(path)
    if name is not None:
        return name
    if path.startswith("/v1/products/") and path.endswith("/similar"):
        return "/v1/products/{product_id}/similar"
    return "<other>"


async def _send_plain(send, status: int, message: str, headers: list | None = None) -> None:
    body = orjson.dumps({"error": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Pure ASGI: size bounds, no bodies, API key, rate limit per key, and a query-free access log."""

    def __init__(self, app, state: State):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_box = [0]
        key_name = "-"

        async def send_recording(message):
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
            await send(message)

        try:
            problem = self.check(scope)
            if problem is not None:
                await _send_plain(send_recording, *problem)
                return
            path = scope["path"]
            if path not in OPEN_PATHS:
                route = route_name(path)
                key = api_key(scope["headers"])
                from_url = False
                if key is None and route in URL_KEY_PATHS:
                    key = query_api_key(scope.get("query_string", b""))
                    from_url = key is not None
                found = self.state.keys.identify(key)
                if found is None:
                    await _send_plain(
                        send_recording, 401, "missing or invalid API key", [(b"www-authenticate", b"Bearer")]
                    )
                    return
                name, key_scope = found
                key_name = name
                if key_scope == "feed" and route not in FEED_PATHS:
                    await _send_plain(send_recording, 403, "this key opens only the non-personal routes")
                    return
                if from_url and key_scope != "feed":
                    await _send_plain(
                        send_recording, 403, "a full key is never accepted in the URL: send it as a header"
                    )
                    return
                wait = self.state.limiter.take(name)
                if wait > 0:
                    await _send_plain(
                        send_recording,
                        429,
                        "rate limit exceeded",
                        [(b"retry-after", RateLimiter.retry_after(wait).encode())],
                    )
                    return
            await self.app(scope, receive, send_recording)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                # makeRecord + handle, not access_log.info: the same record and handlers, without the stack
                # walk (findCaller) that info() does for every record to fill in a file and line nobody logs
                access_log.handle(
                    access_log.makeRecord(
                        access_log.name,
                        logging.INFO,
                        __file__,
                        0,
                        "%s %s %s %.1fms key=%s",
                        (
                            scope.get("method", "-"),
                            route_name(scope.get("path", "")),
                            status_box[0] or "-",
                            (time.perf_counter() - started) * 1000,
                            key_name,
                        ),
                        None,
                    )
                )

    def check(self, scope) -> tuple | None:
        s = self.state.settings
        if scope["method"] not in ("GET", "HEAD"):
            return (405, "only GET", [(b"allow", b"GET, HEAD")])
        query = scope.get("query_string", b"")
        if len(scope.get("raw_path") or scope["path"].encode()) + len(query) > s.max_url_length:
            return (414, "URL too long")
        header_bytes = 0
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == b"content-length" and value.strip() not in (b"", b"0"):
                return (413, "requests carry no body")
            if name == b"transfer-encoding":
                return (413, "requests carry no body")
        if header_bytes > s.max_header_bytes:
            return (431, "headers too large")
        if query:
            try:
                pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, max_num_fields=20)
            except ValueError:
                return (400, "too many query parameters")
            for name, value in pairs:
                if len(name) > 64 or len(value) > s.max_value_length:
                    return (400, "query value too long")
        return None


def api_key(headers) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"x-api-key":
            return value.decode("latin-1").strip()
    return None


def query_api_key(query: bytes) -> str | None:
    for name, value in parse_qsl(query.decode("latin-1"), max_num_fields=20):
        if name == "api_key":
            return value.strip() or None
    return None


def app_from_env():
    """uvicorn factory for --workers > 1: each worker builds its app from the settings the CLI exported."""
    from personalization_api.__main__ import configure_logging

    configure_logging()
    return create_app(Settings.from_env())
