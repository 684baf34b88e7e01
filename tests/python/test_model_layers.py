"""Data flows one way and access follows the layers (read off the manifest of the demo build).

staging -> intermediate -> marts -> exports, with audit marts (row accounting
over every layer) allowed to read any layer below them. Only staging calls
source(). Seeds may be read anywhere.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

# the layers each layer may read (besides seeds)
MAY_READ = {
    "staging": {"staging"},
    "intermediate": {"staging", "intermediate"},
    "marts": {"intermediate", "marts"},
    "audit": {"staging", "intermediate", "marts", "audit"},
    "exports": {"marts", "exports"},
}
# The one documented exception: the deletion feed names erased people by the
# hashes made in stg_erasure__identifiers, because no mart may hold an erased person.
EXCEPTIONS = {("sync_esp__deletions", "stg_erasure__identifiers")}


def layer_of(path: str) -> str:
    parts = path.split("/")
    if parts[1] in ("staging", "intermediate"):
        return parts[1]
    if parts[1] == "marts" and parts[2] in ("audit", "exports"):
        return parts[2]
    if parts[1] == "marts":
        return "marts"
    raise AssertionError(f"model outside the layers: {path}")


def layer_violations(manifest: dict) -> list[str]:
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    found = []
    for node in models.values():
        layer = layer_of(node["original_file_path"])
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("source.") and layer != "staging":
                found.append(f"{node['name']} ({layer}) reads source {parent}")
            if parent not in models:
                continue
            parent_layer = layer_of(models[parent]["original_file_path"])
            if parent_layer not in MAY_READ[layer] and (node["name"], models[parent]["name"]) not in EXCEPTIONS:
                found.append(f"{node['name']} ({layer}) reads {models[parent]['name']} ({parent_layer})")
    return sorted(found)


def test_layer_of_knows_every_folder():
    assert layer_of("models/staging/shop/stg_shop__orders.sql") == "staging"
    assert layer_of("models/intermediate/ml/int_training_snapshots.sql") == "intermediate"
    assert layer_of("models/marts/customers/dim_customers.sql") == "marts"
    assert layer_of("models/marts/audit/audit_row_counts.sql") == "audit"
    assert layer_of("models/marts/exports/braze/sync_braze__users.sql") == "exports"


def test_a_model_reading_a_layer_above_its_own_is_found():
    def model(name, path, parents):
        return {"resource_type": "model", "name": name, "original_file_path": path, "depends_on": {"nodes": parents}}

    manifest = {
        "nodes": {
            "model.p.dim_x": model("dim_x", "models/marts/customers/dim_x.sql", ["model.p.int_x"]),
            "model.p.int_x": model("int_x", "models/intermediate/a/int_x.sql", ["model.p.dim_y"]),
            "model.p.dim_y": model("dim_y", "models/marts/customers/dim_y.sql", ["model.p.stg_y"]),
            "model.p.stg_y": model("stg_y", "models/staging/s/stg_y.sql", ["source.p.s.y"]),
            "model.p.sync_z": model("sync_z", "models/marts/exports/z/sync_z.sql", ["model.p.int_x", "source.p.s.y"]),
        }
    }
    assert layer_violations(manifest) == [
        "dim_y (marts) reads stg_y (staging)",
        "int_x (intermediate) reads dim_y (marts)",
        "sync_z (exports) reads int_x (intermediate)",
        "sync_z (exports) reads source source.p.s.y",
    ]


def test_no_model_reads_a_layer_above_its_own(built):
    manifest = json.loads((built.work_dir / "target" / "manifest.json").read_text())
    assert layer_violations(manifest) == []


def access_problems(manifest: dict) -> list[str]:
    """Public models are exactly the contracted marts; a private model belongs to a group."""
    found = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        layer = layer_of(node["original_file_path"])
        contracted = node["config"]["contract"]["enforced"]
        access = node["access"]
        if access == "public" and not contracted:
            found.append(f"{node['name']} is public without an enforced contract")
        if layer in ("marts", "audit", "exports") and node["language"] == "sql" and access != "public":
            found.append(f"{node['name']} is a SQL mart that is not public")
        if layer in ("staging", "intermediate") and access == "public":
            found.append(f"{node['name']} is public below the marts")
        if access == "private" and not node["group"]:
            found.append(f"{node['name']} is private without a group")
    return sorted(found)


def test_public_models_are_the_contracted_marts_and_private_ones_have_an_owner(built):
    manifest = json.loads((built.work_dir / "target" / "manifest.json").read_text())
    assert access_problems(manifest) == []
    groups = {group["name"]: group for group in manifest["groups"].values()}
    assert {"customers", "ml", "activation", "experiments", "exports", "data_quality"} <= set(groups)
    assert all(group["owner"].get("name") or group["owner"].get("email") for group in groups.values())
    # the Python models' own outputs are private steps in intermediate, published by contracted marts
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    for name in ML_OUTPUTS:
        assert models[name]["access"] == "private", name
        assert layer_of(models[name]["original_file_path"]) == "intermediate", name


# the Python models' own outputs, registries included
ML_OUTPUTS = ("ml_customer_scores", "ml_customer_recommendations", "ml_feature_drift", "ml_predictive_model_runs",
              "ml_recommender_runs")  # fmt: skip


def test_the_recommendation_pipeline_has_one_folder_per_layer(built):
    """Interactions, the recommender's registry and output in intermediate/recommendations; what templates read
    in marts/recommendations."""
    manifest = json.loads((built.work_dir / "target" / "manifest.json").read_text())
    paths = {n["name"]: n["original_file_path"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for name in ("int_recommendation_events", "ml_recommender_runs", "ml_customer_recommendations"):
        assert paths[name].startswith("models/intermediate/recommendations/"), paths[name]
    assert paths["fct_customer_recommendations"].startswith("models/marts/recommendations/")
