"""The personalisation API's HTTP rules: keys, caching headers, bounds, rate limit, logs, exposures, reloads."""

from __future__ import annotations

import gc
import json
import logging
import os

import pytest
from api_testkit import Client, make_app, write_tiny_build

from personalization_api.keys import add_key, list_keys, revoke_key


def test_health_needs_no_key_and_says_which_build(tmp_path):
    app, _client, _ = make_app(tmp_path)
    health = Client(app).get("/v1/health")
    assert health.status == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["build_id"] == "build-1"
    assert body["built_at"] == "2026-11-30T10:00:00Z"
    assert body["published_at"] == "2026-11-30T10:05:00Z"
    assert (body["recipients"], body["products"]) == (3, 6)
    assert set(body) == {"status", "build_id", "built_at", "published_at", "loaded_at", "recipients", "products"}


def test_no_build_yet_is_503_no_build(tmp_path):
    from personalization_api.app import Settings, create_app

    settings = Settings(warehouse=str(tmp_path / "none.duckdb"), keys_file=str(tmp_path / "k.json"))
    client = Client(create_app(settings, None, poll=False))
    health = client.get("/v1/health")
    assert (health.status, health.json()["status"]) == (503, "no_build")
    assert client.get("/v1/personalization", {"email": "a@b.c"}).status == 401  # still no key, no data


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": "pak_" + "x" * 43},
        {"X-API-Key": "k" * 5000},
    ],
)
def test_401_without_a_valid_key(tmp_path, headers):
    app, _, _ = make_app(tmp_path)
    response = Client(app).get("/v1/personalization", {"email": "ann@example.com"}, headers=headers)
    assert response.status == 401
    assert b"Ann" not in response.body


def test_bearer_and_x_api_key_both_work_and_revocation_needs_no_restart(tmp_path):
    app, client, keys_file = make_app(tmp_path)
    key = client.key
    assert Client(app).get("/v1/recommendations", {"contact_id": "C1"}, {"X-API-Key": key}).status == 200
    other = add_key(keys_file, "braze")
    app.state_.refresh_keys()  # what the reloader does every interval
    assert Client(app, other).get("/v1/recommendations", {"contact_id": "C1"}).status == 200
    revoke_key(keys_file, "esp")
    app.state_.refresh_keys()
    assert client.get("/v1/recommendations", {"contact_id": "C1"}).status == 401
    assert Client(app, other).get("/v1/recommendations", {"contact_id": "C1"}).status == 200
    # the file holds hashes only
    stored = keys_file.read_text()
    assert key not in stored
    assert other not in stored
    assert oct(os.stat(keys_file).st_mode & 0o777) == "0o600"
    assert [(k["name"], k["revoked_at"] is not None) for k in list_keys(keys_file)] == [
        ("braze", False),
        ("esp", True),
    ]
    with pytest.raises(ValueError, match="exists and is active"):
        add_key(keys_file, "braze")


def test_etag_and_cache_control_and_304(tmp_path):
    _, client, _ = make_app(tmp_path, cache_max_age=120)
    first = client.get("/v1/personalization", {"email": "ann@example.com"})
    assert first.headers["cache-control"] == "private, max-age=120"
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    again = client.get("/v1/personalization", {"email": "ann@example.com"}, {"If-None-Match": etag})
    assert (again.status, again.body, again.headers["etag"]) == (304, b"", etag)
    weak = client.get("/v1/personalization", {"email": "ann@example.com"}, {"If-None-Match": f'"x", W/{etag}'})
    assert weak.status == 304
    other = client.get("/v1/personalization", {"email": "bob@example.com"}, {"If-None-Match": etag})
    assert other.status == 200
    assert other.headers["etag"] != etag
    # a different limit is a different body, so a different tag; computed ones are stable too
    five = client.get("/v1/personalization", {"email": "ann@example.com", "limit": 5})
    assert five.headers["etag"] != etag
    assert (
        client.get("/v1/personalization", {"email": "ann@example.com", "limit": 5}).headers["etag"]
        == (five.headers["etag"])
    )


def test_rate_limit_per_key_answers_429_with_retry_after(tmp_path):
    app, client, keys_file = make_app(tmp_path, rate_limit=0.5, rate_burst=2)
    statuses = [client.get("/v1/personalization", {"email": "a@b.c"}).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.get("/v1/personalization", {"email": "a@b.c"})
    assert limited.status == 429
    assert limited.headers["retry-after"] == "2"
    # another key has its own bucket
    other = add_key(keys_file, "klaviyo")
    app.state_.refresh_keys()
    assert Client(app, other).get("/v1/personalization", {"email": "a@b.c"}).status == 200


def test_bounded_requests(tmp_path):
    _, client, _ = make_app(tmp_path)
    assert client.get("/v1/personalization", {"email": "a" * 400 + "@b.c"}).status == 400
    assert client.get("/v1/personalization", raw_query=b"email=a@b.c&pad=" + b"x" * 300 * 8).status == 414
    assert client.get("/v1/personalization", raw_query=b"&".join([b"a=1"] * 50)).status == 400
    with_body = client.get("/v1/personalization", {"email": "a@b.c"}, {"Content-Length": "10"})
    assert with_body.status == 413
    assert client.get("/v1/personalization", {"email": "a@b.c"}, {"X-Pad": "y" * 9000}).status == 431
    assert client.get("/v1/personalization", {"email": "a@b.c"}, {"__method__": "POST"}).status == 405


def test_logs_carry_no_personal_data(tmp_path, caplog):
    _, client, _ = make_app(tmp_path)
    with caplog.at_level(logging.DEBUG):
        for params in ({"email": "ann@example.com"}, {"email": "secret.person@example.com"}, {"contact_id": "C1"}):
            client.get("/v1/personalization", params)
        client.get("/v1/personalization", {"email": "ann@example.com"}, {"Authorization": "Bearer nope"})
        client.get("/v1/ann@example.com")
    text = caplog.text
    assert "GET /v1/personalization 200" in text
    assert "key=esp" in text
    assert "GET /v1/personalization 401" in text
    assert "GET <other> 404" in text
    for personal in ("ann@example.com", "secret.person", "C1", "Ann", client.key):
        assert personal not in text


def test_exposures_are_logged_for_personalised_and_holdout_responses_only(tmp_path):
    app, client, _ = make_app(tmp_path, exposure_dir=str(tmp_path / "exposures"))
    client.get("/v1/personalization", {"email": "ann@example.com"})
    client.get("/v1/recommendations", {"contact_id": "C2"})
    client.get("/v1/personalization", {"email": "nobody@example.com"})
    client.get("/v1/personalization", {"email": "dan@example.com"})
    assert app.state_.exposures.flush() == 2
    (part,) = (tmp_path / "exposures").glob("exposures-*.jsonl")
    assert part.name.startswith(f"exposures-{os.getpid()}-")
    lines = [json.loads(line) for line in part.read_text().splitlines()]
    assert [(e["external_id"], e["variant"], e["endpoint"]) for e in lines] == [
        ("e1", "personalized", "personalization"),
        ("e2", "holdout", "recommendations"),
    ]
    assert {e["experiment_id"] for e in lines} == {"global_holdout"}
    assert all(e["exposed_at"].endswith("Z") and e["build_id"] == "build-1" for e in lines)
    assert "example.com" not in part.read_text()


def test_a_new_build_is_swapped_in_and_a_broken_one_keeps_the_old(tmp_path, caplog):
    app, client, _ = make_app(tmp_path)
    state = app.state_
    published = tmp_path / "published.duckdb"
    assert state.load() is False  # unchanged file: nothing to do
    write_tiny_build(tmp_path / "next.duckdb", build_id="build-2")
    os.replace(tmp_path / "next.duckdb", published)
    assert state.load() is True
    assert client.get("/v1/health").json()["build_id"] == "build-2"
    (tmp_path / "broken.duckdb").write_bytes(b"not a database")
    os.replace(tmp_path / "broken.duckdb", published)
    with caplog.at_level(logging.ERROR):
        assert state.load() is False
    assert "could not load the published build" in caplog.text
    assert client.get("/v1/health").json()["build_id"] == "build-2"
    assert client.get("/v1/personalization", {"email": "ann@example.com"}).json()["recipient"]["found"] is True
    gc.unfreeze()  # the load froze the collector's generations (see test_api_reload.py)


def test_a_key_in_the_url_opens_only_the_non_personal_route(tmp_path):
    app, client, keys_file = make_app(tmp_path)
    feed = add_key(keys_file, "klaviyo-feed", scope="feed")
    app.state_.refresh_keys()
    anonymous = Client(app)
    assert anonymous.get("/v1/products/P1/similar", {"api_key": feed}).status == 200
    assert anonymous.get("/v1/products/P1/similar", {"api_key": "nope"}).status == 401
    # a full key is never taken from a URL, not even on the non-personal route
    assert anonymous.get("/v1/products/P1/similar", {"api_key": client.key}).status == 403
    for key in (client.key, feed):
        for path, params in (
            ("/v1/personalization", {"email": "ann@example.com"}),
            ("/v1/recommendations", {"contact_id": "C1"}),
        ):
            assert anonymous.get(path, {**params, "api_key": key}).status == 401
