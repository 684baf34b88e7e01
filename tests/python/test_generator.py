from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from generate_demo_data import Generator, GeneratorConfig

PROJECT_DIR = Path(__file__).resolve().parents[2]


def contract_columns() -> dict[str, list[str]]:
    """Required columns per raw table, as the project's sources YAML declares them."""
    out = {}
    for path in (PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                # the project's own files (the API's exposure log) are no raw contract table
                if table.get("config", {}).get("meta", {}).get("raw_contract", True):
                    out[table["name"]] = [c["name"] for c in table["columns"]]
    return out


@pytest.fixture(scope="module")
def small() -> Generator:
    gen = Generator(GeneratorConfig(contacts=800, days=200, products=120, seed=3, end_date="2026-01-01"))
    gen.run()
    return gen


def test_every_contract_table_and_column_is_generated(small):
    contract = contract_columns()
    assert set(contract) == set(small.tables)
    for table, columns in contract.items():
        missing = set(columns) - set(small.tables[table].columns)
        assert not missing, f"{table} lacks {missing}"


def test_same_seed_same_data_and_another_seed_differs():
    cfg = GeneratorConfig(contacts=300, days=120, products=60, seed=11, end_date="2026-01-01")
    a, b = Generator(cfg).run(), Generator(cfg).run()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    other = Generator(GeneratorConfig(contacts=300, days=120, products=60, seed=12, end_date="2026-01-01")).run()
    assert not a["orders"].equals(other["orders"])


def test_sizes_follow_the_parameters(small):
    crm = small.tables["crm_contacts"]
    # the planted second CRM record of one person has its own contact id
    assert crm["contact_id"].dropna().nunique() == 800 + 1
    assert small.tables["products"]["product_id"].dropna().nunique() == 120
    assert small.truth.n_people == 800 + small.truth.n_anonymous_people + small.truth.n_guest_people + (
        small.truth.n_ghost_people
    )


def test_every_kind_of_dirt_is_present(small):
    t = small.tables
    emails = t["crm_contacts"]["email"].dropna()
    assert (emails != emails.str.strip().str.lower()).any(), "messy emails"
    assert emails.isin(["n/a", "john.doe@", "foo at bar.com", "x@y", "@example.com"]).any(), "invalid emails"
    assert t["crm_contacts"]["email"].isna().any(), "null emails"
    assert t["web_events"]["event_id"].duplicated().any(), "duplicated web event ids"
    assert t["email_events"]["event_id"].duplicated().any(), "duplicated email event ids"
    assert t["crm_contacts"]["country"].isin(["United Kingdom", "Germany", "UK", "EIRE", "USA"]).any()
    assert (t["order_items"]["quantity"] < 0).any(), "returns"
    assert (t["orders"]["status"] == "cancelled").any()
    assert t["orders"]["contact_id"].fillna("").str.startswith("X").any(), "orders under contact ids the CRM lacks"
    assert t["crm_contacts"]["updated_at"].astype(str).str.startswith("2099").any(), "future timestamps"
    assert t["crm_contacts"]["contact_id"].duplicated().any(), "repeated contact ids (versions)"
    assert t["crm_contacts"]["contact_id"].isna().any()


def test_planted_truth_is_consistent(small):
    truth = small.truth
    crm = small.tables["crm_contacts"]
    shared = crm[crm["email"].fillna("").str.strip().str.lower() == truth.shared_email]
    assert set(shared["contact_id"]) == set(truth.shared_email_contact_ids)
    assert truth.complements["Cameras"] == "Camera Accessories"
    assert set(truth.repeat_categories) == {"Coffee Pods", "Skincare"}
    exp = {e["experiment_id"]: e for e in truth.experiments}
    assert exp["exp_past_hero_banner"]["planted_srm"]
    assigned = small.tables["experiment_assignments"]
    assert assigned["experiment_id"].value_counts().sum() == sum(e["units"] for e in truth.experiments) + 1


def test_archetypes_drive_purchases(small):
    """Highly engaged buyers buy more than the inactive: the signal the models must find."""
    people = small.people_truth()
    orders = small.tables["orders"].dropna(subset=["contact_id"])
    per_contact = orders.groupby("contact_id").size()
    people["orders"] = people["contact_id"].map(per_contact).fillna(0)
    means = people.groupby("archetype")["orders"].mean()
    assert means["highly_engaged_buyer"] > 3 * means["inactive"]
    assert np.isfinite(means).all()
