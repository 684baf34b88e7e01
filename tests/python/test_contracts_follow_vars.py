"""The contracts and the var that sizes them cannot disagree.

The personalised fields and the exports loop over var export_recommendations
(one group of columns per recommendation slot), while each enforced contract
lists its slots by hand. Reads the YAML and dbt_project.yml: no build.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2]
# a recommendation slot's column, in each export's naming: rec_1_name, REC1NAME
SLOT = re.compile(r"^(?:rec_(\d+)_|REC(\d+)[A-Z]+$)")


def _slots_by_model() -> dict[str, set[int]]:
    slots: dict[str, set[int]] = {}
    for path in (PROJECT / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            if not (model.get("config") or {}).get("contract", {}).get("enforced"):
                continue
            found = {int(m.group(1) or m.group(2)) for c in model.get("columns") or [] if (m := SLOT.match(c["name"]))}
            if found:
                slots[model["name"]] = found
    return slots


def test_every_contract_lists_exactly_the_slots_the_var_builds():
    configured = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]["export_recommendations"]
    slots = _slots_by_model()
    # the personalised fields and every profile export carry recommendations
    assert {"fct_customer_personalization", "sync_mailchimp__members", "sync_hubspot__contacts"} <= set(slots)
    wrong = {name: sorted(found) for name, found in slots.items() if found != set(range(1, configured + 1))}
    assert wrong == {}, f"var export_recommendations is {configured}; change these contracts with it: {wrong}"


def test_the_slot_pattern_reads_every_naming():
    assert [SLOT.match(n) is not None for n in ["rec_2_url", "REC3IMG", "REC1PRICE", "recency_days", "RECENT"]] == [
        True,
        True,
        True,
        False,
        False,
    ]
