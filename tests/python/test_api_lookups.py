"""The personalisation API's lookups and fallbacks on a tiny published build (the exports' rules)."""

from __future__ import annotations

import orjson
import pytest
from api_testkit import make_app, write_tiny_build

from personalization_api.snapshot import Limits, load_snapshot


@pytest.fixture
def client(tmp_path):
    return make_app(tmp_path)[1]


def personalization(client, **params):
    response = client.get("/v1/personalization", params)
    assert response.status == 200, response.body
    return response.json()


def product_ids(payload):
    return [item["product_id"] for item in payload["recommendations"]]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("email", "ann@example.com"),
        ("email", "  Ann@EXAMPLE.com "),  # normalised like clean_email: trimmed, lower-case
        ("contact_id", "C1"),
        ("external_id", "e1"),
        ("external_id", "e1-old"),  # merged into e1: follows it to the live id
        ("customer_id", "c1"),
    ],
)
def test_each_key_finds_the_same_personalised_recipient(client, key, value):
    payload = personalization(client, **{key: value})
    assert payload["recipient"] == {
        "found": True,
        "personalized": True,
        "variant": "personalized",
        "first_name": "Ann",
        "segment": "Champions",
        "lifecycle_stage": "active",
        "tier": "offer",
        "send_hour_utc": 9,
        "trigger_audiences": ["cart_abandonment"],  # active triggers only
    }
    # the recommender's picks (the inactive P7 skipped), then the top category's bestsellers
    assert product_ids(payload) == ["P3", "P6", "P1"]
    assert payload["recommendations"][0]["reason"] == "Because you viewed Camera One"
    assert [item["rank"] for item in payload["recommendations"]] == [1, 2, 3]
    assert payload["build_id"] == "build-1"


FALLBACK = {
    "found": False,
    "personalized": False,
    "variant": "fallback",
    "first_name": "there",
    "segment": "default",
    "lifecycle_stage": "default",
    "tier": "default",
    "send_hour_utc": 19,  # the global send hour: the mode of fct_send_times
    "trigger_audiences": [],
}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("email", "dan@example.com"),  # unsubscribed
        ("external_id", "e4"),  # the same unsubscribed person by external id
        ("customer_id", "c5"),  # in the mart but suppressed in fct_contactability
        ("email", "eve@example.com"),
        ("external_id", "e9"),  # erased
        ("email", "nobody@example.com"),  # unknown
        ("contact_id", "C999"),
        ("customer_id", "' or 1=1 --"),
    ],
)
def test_anyone_who_may_not_be_personalised_gets_the_same_non_personal_fallback(client, key, value):
    payload = personalization(client, **{key: value})
    assert payload["recipient"] == FALLBACK
    assert product_ids(payload) == ["P1", "P2", "P3"]  # bestsellers
    assert {item["reason"] for item in payload["recommendations"]} == {"Bestseller"}
    # byte for byte the same answer, whoever it is about
    assert client.get("/v1/personalization", {"email": "nobody@example.com"}).body == orjson.dumps(payload)


def test_the_global_holdout_gets_default_content_and_no_triggers(client):
    payload = personalization(client, email="bob@example.com")
    assert payload["recipient"] == {**FALLBACK, "found": True, "variant": "holdout", "first_name": "Bob"}
    assert product_ids(payload) == ["P1", "P2", "P3"]  # bestsellers, not the recommender's P6


def test_every_field_is_filled_when_the_data_has_none(client):
    recipient = personalization(client, customer_id="c3")["recipient"]
    assert recipient["first_name"] == "there"
    assert recipient["lifecycle_stage"] == "default"
    for payload in (personalization(client, customer_id="c3"), personalization(client, email="x@y.z")):
        for item in payload["recommendations"]:
            assert all(value not in (None, "") for value in item.values()), item


def test_recommendations_limit_is_bounded_and_category_filters(client):
    def recs(**params):
        response = client.get("/v1/recommendations", params)
        assert response.status == 200, response.body
        return response.json()

    assert len(recs(email="ann@example.com")["recommendations"]) == 3  # default limit
    assert len(recs(email="ann@example.com", limit=0)["recommendations"]) == 1
    assert len(recs(email="ann@example.com", limit=99)["recommendations"]) == 5  # max_limit
    assert product_ids(recs(email="ann@example.com", limit=5)) == ["P3", "P6", "P1", "P5", "P2"]
    kitchen = recs(email="ann@example.com", category="kitchen", limit=5)
    # the recommender's kitchen pick first, then the category's bestsellers; nothing from other categories
    assert product_ids(kitchen) == ["P6", "P2", "P4"]
    assert kitchen["recipient"] == {"found": True, "personalized": True, "variant": "personalized"}
    assert product_ids(recs(email="nobody@example.com", category="Cameras")) == ["P1", "P3", "P5"]
    assert product_ids(recs(email="nobody@example.com", category="Unknown")) == ["P1", "P2", "P3"]
    assert client.get("/v1/recommendations", {"email": "a@b.c", "limit": "ten"}).status == 400


@pytest.mark.parametrize(
    "params",
    [{}, {"email": "ann@example.com", "contact_id": "C1"}, {"email": ""}, {"limit": "3"}],
)
def test_exactly_one_key_parameter(client, params):
    assert client.get("/v1/personalization", params).status == 400


def test_similar_products_fall_back_to_the_category_and_the_bestsellers(tmp_path):
    _, client, _ = make_app(tmp_path)
    similar = client.get("/v1/products/P1/similar", {"limit": 3}).json()
    assert similar["source"] == "category_bestsellers"
    assert product_ids(similar) == ["P3", "P5", "P2"]  # never the product itself
    unknown = client.get("/v1/products/NOPE/similar").json()
    assert unknown["product"] == {"product_id": "NOPE", "found": False}
    assert product_ids(unknown) == ["P1", "P2", "P3"]


def test_similar_products_read_fct_similar_products_when_a_build_has_it(tmp_path):
    _, client, _ = make_app(tmp_path, similar=True)
    similar = client.get("/v1/products/P1/similar", {"limit": 3}).json()
    assert similar["source"] == "similar_products"
    assert product_ids(similar) == ["P5", "P3", "P2"]  # its pick (inactive and self skipped), then fills
    assert similar["recommendations"][0]["reason"] == "Often bought with Camera One"


def test_a_build_without_published_build_is_named_after_the_file(tmp_path):
    import duckdb

    path = write_tiny_build(tmp_path / "w.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("drop table main.published_build")
    snapshot = load_snapshot(path, Limits(3, 5))
    assert snapshot.build_id.startswith("file-")
    assert snapshot.health()["recipients"] == 3  # c1, c2, c3: the suppressed c5 is not served
