"""Helpers for the personalisation API tests: a tiny published build, and calling the ASGI app in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import orjson

from personalization_api.app import Settings, create_app
from personalization_api.keys import add_key
from personalization_api.snapshot import Limits, load_snapshot

# A person per rule: personalised, holdout, merged id, unsubscribed, suppressed-but-still-in-the-mart, erased.
TINY_BUILD = """
create table main.published_build as
    select 'build-1' as build_id, timestamptz '2026-11-30 10:00:00+00' as built_at,
        timestamptz '2026-11-30 10:05:00+00' as published_at, '1.11.16' as dbt_version;

create table main.dim_products as select * from (values
    ('P1', 'Camera One', 'Cameras', 'Acme', 'https://s/p/P1', 'https://i/P1.jpg', 100.00::decimal(18,2), 'GBP', true, 50.0, 1, 1),
    ('P2', 'Pan Two', 'Kitchen', 'Acme', 'https://s/p/P2', 'https://i/P2.jpg', 20.50::decimal(18,2), 'GBP', true, 40.0, 2, 1),
    ('P3', 'Camera Three', 'Cameras', 'Acme', 'https://s/p/P3', 'https://i/P3.jpg', 300.00::decimal(18,2), 'GBP', true, 30.0, 3, 2),
    ('P4', 'Pot Four', 'Kitchen', 'Acme', 'https://s/p/P4', 'https://i/P4.jpg', 15.00::decimal(18,2), 'GBP', true, 20.0, 4, 2),
    ('P5', 'Lens Five', 'Cameras', 'Acme', 'https://s/p/P5', 'https://i/P5.jpg', 80.00::decimal(18,2), 'GBP', true, 10.0, 5, 3),
    ('P6', 'Kettle Six', 'Kitchen', 'Acme', 'https://s/p/P6', 'https://i/P6.jpg', 30.00::decimal(18,2), 'GBP', true, 5.0, 6, 3),
    ('P7', 'Old Seven', 'Kitchen', 'Acme', 'https://s/p/P7', 'https://i/P7.jpg', 9.00::decimal(18,2), 'GBP', false, 0.0, null, null)
) as t(product_id, product_name, category, brand, product_url, image_url, price, currency, is_active,
       units_sold, overall_rank, category_rank);

create table main.fct_contactability as select * from (values
    ('ann@example.com', 'c1', true, 'subscribed', null, true),
    ('bob@example.com', 'c2', true, 'subscribed', null, true),
    ('cat@example.com', 'c3', true, 'subscribed', null, true),
    ('dan@example.com', 'c4', true, 'unsubscribed', 'unsubscribed', false),
    ('eve@example.com', 'c5', true, 'subscribed', 'bounced', false)
) as t(email, customer_id, is_primary_email, subscription_status, suppression_reason, is_contactable);

create table main.fct_customer_personalization as select * from (values
    ('c1', 'ann@example.com', 'C1', 'Ann', false, 'subscribed', 'Champions', 'active', 'engaged', 'offer',
     'Cameras', 9),
    ('c2', 'bob@example.com', 'C2', 'Bob', true, 'subscribed', 'default', 'default', 'default', 'default',
     'Bestsellers', 19),
    ('c3', 'cat@example.com', 'C3', null, false, 'subscribed', 'Prospect', null, 'new', 're-engage',
     'Kitchen', 7),
    -- a suppressed person the mart still holds (a stale build): fct_contactability says no, the API says no
    ('c5', 'eve@example.com', 'C5', 'Eve', false, 'subscribed', 'Champions', 'active', 'engaged', 'offer',
     'Cameras', 8)
) as t(customer_id, email, contact_id, first_name, is_global_holdout, subscription_status, rfm_segment,
       lifecycle_stage, engagement_tier, action_tier, top_category, send_hour_utc);

create table main.dim_customer_external_ids as select * from (values
    ('e1', 'c1', 'e1', null, null::timestamp, true),
    ('e1-old', 'c1', 'e1', 'e1', null::timestamp, false),
    ('e2', 'c2', 'e2', null, null::timestamp, true),
    ('e3', 'c3', 'e3', null, null::timestamp, true),
    ('e4', 'c4', 'e4', null, null::timestamp, true),
    ('e9', null, null, null, timestamp '2026-10-01', false)
) as t(external_id, customer_id, current_external_id, merged_into_external_id, erased_at, is_active);

create table main.fct_customer_recommendations as select * from (values
    ('c1', 1, 'P3', 'Because you viewed Camera One'),
    ('c1', 2, 'P7', 'Inactive, never shown'),
    ('c1', 3, 'P6', 'Goes with your Camera One'),
    ('c2', 1, 'P6', 'A holdout never sees this'),
    ('c4', 1, 'P6', 'An unsubscribed person never sees this'),
    ('c5', 1, 'P5', 'A suppressed person never sees this')
) as t(customer_id, rank, product_id, reason);

create table main.fct_trigger_audiences as select * from (values
    ('c1', 'cart_abandonment', true, 1),
    ('c1', 'win_back', false, 2),
    ('c2', 'welcome', true, 1)
) as t(customer_id, trigger_type, is_active, priority);

create table main.fct_send_times as select * from (values ('c1', 9), ('c2', 19), ('c3', 19), ('c5', 19))
    as t(customer_id, best_hour_utc);
"""  # noqa: E501

SIMILAR = """
create table main.fct_similar_products as select * from (values
    ('P1', 1, 'P5', 0.9, 'Often bought with Camera One'),
    ('P1', 2, 'P7', 0.8, 'inactive'),
    ('P1', 3, 'P1', 0.7, 'itself')
) as t(product_id, rank, similar_product_id, score, reason);
"""


def write_tiny_build(path: Path, similar: bool = False, build_id: str = "build-1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(TINY_BUILD.replace("'build-1'", f"'{build_id}'"))
        if similar:
            con.execute(SIMILAR)
    return path


class Client:
    """Calls the ASGI app in-process, as an HTTP server would."""

    def __init__(self, app, key: str | None = None):
        self.app = app
        self.key = key

    def get(self, path: str, params: dict | None = None, headers: dict | None = None, raw_query: bytes = b""):
        query = raw_query or urlencode(params or {}).encode()
        hdrs = dict(headers or {})
        if self.key and "authorization" not in {k.lower() for k in hdrs}:
            hdrs.setdefault("Authorization", f"Bearer {self.key}")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": hdrs.pop("__method__", "GET"),
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": [(k.lower().encode(), str(v).encode()) for k, v in hdrs.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        messages = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            messages.append(message)

        asyncio.run(self.app(scope, receive, send))
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        return Response(start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body)


class Response:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return orjson.loads(self.body)


def make_app(tmp_path: Path, similar: bool = False, **settings):
    """An app over the tiny build, with one key: (app, client with that key, keys file)."""
    build = write_tiny_build(tmp_path / "published.duckdb", similar=similar)
    keys_file = tmp_path / "api_keys.json"
    key = add_key(keys_file, "esp")
    opts = {"warehouse": str(build), "keys_file": str(keys_file), "default_limit": 3, "max_limit": 5, **settings}
    s = Settings(**opts)
    snapshot = load_snapshot(build, Limits(s.default_limit, s.max_limit))
    app = create_app(s, snapshot, poll=False)
    return app, Client(app, key), keys_file
