"""The personalisation API as deployed: the real server (a subprocess on a free loopback port) over the
published demo build, then a hot swap to a rebuilt build, published while clients keep calling, in which one
of the served people asked to be erased.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import PROJECT_DIR, first_served_people
from publish_warehouse import publish

from personalization_api.keys import add_key

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, port: int, key: str):
        self.port = port
        self.key = key

    def get(self, path: str, params: dict | None = None, key: str | bool | None = True, conn=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {}
        if key is True:
            headers["Authorization"] = f"Bearer {self.key}"
        elif key:
            headers["X-API-Key"] = key
        try:
            conn.request("GET", path + ("?" + urlencode(params) if params else ""), headers=headers)
            response = conn.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            if own:
                conn.close()

    def json(self, path: str, params: dict | None = None):
        status, _, body = self.get(path, params)
        assert status == 200, body
        return json.loads(body)


def published_copy(build, target: Path) -> Path:
    return publish(build.db_path, target, build.work_dir / "target" / "run_results.json")


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    published = published_copy(built, root / "published" / "warehouse.duckdb")
    keys_file = root / "api_keys.json"
    key = add_key(keys_file, "e2e")
    port = free_port()
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "personalization_api",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--warehouse",
                str(published),
                "--keys-file",
                str(keys_file),
                "--reload-interval",
                "0.2",
                "--exposure-dir",
                str(root / "exposures"),
            ],
            cwd=PROJECT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    api = Api(port, key)
    deadline = time.monotonic() + 60
    while True:
        try:
            if api.get("/v1/health", key=None)[0] == 200:
                break
        except OSError:
            pass
        assert proc.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.1)
    try:
        yield api, published, root, log_path
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def people(built) -> dict:
    """One served person per case, from the build itself."""
    personalised = first_served_people(built)
    holdout = built.query(
        "select email from main.fct_customer_personalization where is_global_holdout order by email limit 1"
    )
    unsubscribed = built.query(
        """
        select c.email, x.external_id
        from main.fct_contactability as c
        inner join main.dim_customer_external_ids as x on c.customer_id = x.customer_id and x.is_active
        where c.subscription_status = 'unsubscribed' and c.is_primary_email
        order by c.email
        limit 1
        """
    )
    return {"personalised": personalised, "holdout": holdout[0][0], "unsubscribed": unsubscribed[0]}


def test_each_key_auth_and_the_consent_rules_over_the_demo_build(server, built):
    api, _, _, log_path = server
    who = people(built)
    email, contact_id, external_id, customer_id, first_name, rec_1 = who["personalised"][0]
    health = api.json("/v1/health")
    assert health["status"] == "ok"
    assert health["recipients"] == built.scalar(
        "select count(*) from main.fct_customer_personalization where subscription_status = 'subscribed'"
    )
    expected_build = json.loads((built.work_dir / "target" / "run_results.json").read_text())["metadata"]
    assert health["build_id"] == expected_build["invocation_id"]

    answers = [
        api.json("/v1/personalization", {"email": f"  {email.upper()} "}),
        api.json("/v1/personalization", {"contact_id": contact_id}),
        api.json("/v1/personalization", {"external_id": external_id}),
        api.json("/v1/personalization", {"customer_id": customer_id}),
    ]
    assert all(answer == answers[0] for answer in answers)
    recipient = answers[0]["recipient"]
    assert (recipient["variant"], recipient["first_name"]) == ("personalized", first_name)
    # the same first recommendation the exports carry
    assert answers[0]["recommendations"][0]["product_id"] == rec_1

    status, headers, _ = api.get("/v1/personalization", {"email": email}, key=None)
    assert status == 401
    assert api.get("/v1/personalization", {"email": email}, key="pak_not-a-key")[0] == 401
    assert api.get("/v1/personalization", {"email": email}, key=api.key)[0] == 200  # X-API-Key

    status, headers, _ = api.get("/v1/recommendations", {"contact_id": contact_id, "limit": 5})
    assert status == 200
    assert headers["cache-control"] == "private, max-age=300"
    assert (
        api.get("/v1/recommendations", {"contact_id": contact_id, "limit": 5}, conn=None)[1]["etag"]
        == (headers["etag"])
    )

    unsubscribed_email, unsubscribed_external_id = who["unsubscribed"]
    for params in ({"email": unsubscribed_email}, {"external_id": unsubscribed_external_id}):
        assert api.json("/v1/personalization", params)["recipient"]["variant"] == "fallback"
    unknown = api.json("/v1/personalization", {"email": "nobody.at.all@example.com"})
    assert unknown["recipient"]["found"] is False
    assert all(item["name"] and item["url"] and item["image_url"] for item in unknown["recommendations"])
    holdout = api.json("/v1/personalization", {"email": who["holdout"]})["recipient"]
    assert (holdout["variant"], holdout["segment"], holdout["trigger_audiences"]) == ("holdout", "default", [])

    similar = api.json("/v1/products/" + rec_1 + "/similar", {"limit": 3})
    assert len(similar["recommendations"]) == 3
    assert rec_1 not in [item["product_id"] for item in similar["recommendations"]]

    time.sleep(1.5)  # the exposure log flushes at least every second
    exposures = [
        json.loads(line)
        for part in (server[2] / "exposures").glob("exposures-*.jsonl")
        for line in part.read_text().splitlines()
    ]
    assert {"personalized", "holdout"} <= {e["variant"] for e in exposures}
    assert external_id in {e["external_id"] for e in exposures}
    log = log_path.read_text()
    assert "GET /v1/personalization 200" in log
    assert email not in log
    assert email.split("@")[0] not in log


def test_a_new_build_is_served_without_a_restart_or_a_failed_request(server, built, erasure_request_build):
    api, published, _, log_path = server
    who = people(built)
    (email, contact_id, external_id, customer_id, _, _), other = who["personalised"]
    # the next build: the same data, in which this person asked to be erased (with the activation test's person:
    # one build for both, see conftest)
    erased_build = erasure_request_build
    sha = hashlib.sha256(email.encode()).hexdigest()
    assert sha in erased_build.result.args[erased_build.result.args.index("--vars") + 1], "the build erases them"
    assert erased_build.scalar(f"select count(*) from main.fct_customer_personalization where email = '{email}'") == 0
    old_build = api.json("/v1/health")["build_id"]

    keys = [{"email": email}, {"contact_id": other[1]}, {"external_id": other[2]}, {"email": "x@unknown.example"}]
    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
        while not stop.is_set():
            params = rng.choice(keys)
            path = rng.choice(["/v1/personalization", "/v1/recommendations"])
            try:
                status, _, body = api.get(path, params, conn=conn)
                results.append((status, json.loads(body)["build_id"]))
            except Exception as exc:  # a refused or broken request is a failure too
                results.append((0, repr(exc)))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
        conn.close()

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        published_copy(erased_build, published)
        deadline = time.monotonic() + 30
        while api.json("/v1/health")["build_id"] == old_build:
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.1)
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    new_build = json.loads((erased_build.work_dir / "target" / "run_results.json").read_text())["metadata"]
    assert api.json("/v1/health")["build_id"] == new_build["invocation_id"] != old_build
    failed = [result for result in results if result[0] != 200]
    assert failed == []
    served = {build_id for _, build_id in results}
    assert served == {old_build, new_build["invocation_id"]}  # both builds answered, nothing else
    assert len(results) > 100

    # the erased person: every key now gets the non-personal fallback
    for params in (
        {"email": email},
        {"contact_id": contact_id},
        {"external_id": external_id},
        {"customer_id": customer_id},
    ):
        assert api.json("/v1/personalization", params)["recipient"]["variant"] == "fallback", params
    assert api.json("/v1/personalization", {"contact_id": other[1]})["recipient"]["found"] is True
    assert "serving build " + new_build["invocation_id"] in log_path.read_text()
