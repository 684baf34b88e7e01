"""The demo generator's one dirt helper: copies that are counted, keys that are tagged, changes in place."""

import pandas as pd
import pytest
from demo_data.dirt import Dirt, plant


@pytest.fixture
def clean() -> pd.DataFrame:
    return pd.DataFrame({"id": [f"r{i}" for i in range(20)], "status": "ok", "amount": range(20)})


def test_copies_are_appended_changed_and_counted(clean):
    out, counts = plant(
        clean,
        [
            Dirt("duplicate", 3),
            Dirt("bad_status", 2, {"status": "??"}, tag="-S"),
            Dirt("doubled", 1, {"amount": lambda d: d["amount"] * 2}, tag="-D"),
            Dirt("first_row_without_id", at=(0,), changes={"id": None}),
        ],
        seed=5,
        key="id",
    )
    assert counts == {"duplicate": 3, "bad_status": 2, "doubled": 1, "first_row_without_id": 1}
    assert len(out) == len(clean) + sum(counts.values())
    pd.testing.assert_frame_equal(out.iloc[: len(clean)], clean, check_dtype=False)  # a None key makes ids object
    extra = out.iloc[len(clean) :]
    assert extra["id"].iloc[:3].isin(clean["id"]).all(), "exact duplicates keep their key"
    bad = extra[extra["status"] == "??"]
    assert len(bad) == 2
    assert bad["id"].str.endswith("-S").all()
    doubled = extra[extra["id"].fillna("").str.endswith("-D")]
    original = clean.set_index("id").loc[doubled["id"].str.removesuffix("-D"), "amount"].to_numpy()
    assert (doubled["amount"].to_numpy() == 2 * original).all()
    assert pd.isna(extra["id"].iloc[-1])


def test_each_kind_samples_by_seed_plus_its_position(clean):
    out, _ = plant(clean, [Dirt("a", 4), Dirt("b", 4)], seed=9)
    extra = out.iloc[len(clean) :]
    assert list(extra["id"].iloc[:4]) == list(clean.sample(n=4, random_state=9)["id"])
    assert list(extra["id"].iloc[4:]) == list(clean.sample(n=4, random_state=10)["id"])
    again, _ = plant(clean, [Dirt("a", 4), Dirt("b", 4)], seed=9)
    pd.testing.assert_frame_equal(out, again)


def test_in_place_changes_add_no_rows_and_are_not_counted_nor_copied(clean):
    out, counts = plant(
        clean,
        [Dirt("duplicate", 20), Dirt("shouting", 5, {"status": lambda d: d["status"].str.upper()}, in_place=True)],
        seed=1,
    )
    assert counts == {"duplicate": 20}
    assert (out["status"].iloc[: len(clean)] == "OK").sum() == 5
    assert (out["status"].iloc[len(clean) :] == "ok").all(), "copies are taken from the clean rows"
    assert (clean["status"] == "ok").all(), "the input frame is left alone"


def test_sampling_without_a_seed_or_tagging_without_a_key_is_refused(clean):
    with pytest.raises(ValueError, match="needs a seed"):
        plant(clean, [Dirt("a", 1)])
    with pytest.raises(ValueError, match="needs the key"):
        plant(clean, [Dirt("a", 1, tag="-X")], seed=1)
