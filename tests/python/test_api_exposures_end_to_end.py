"""The HTTP API's exposure log reaches the experiments on the next build, and every line is accounted for.

The API appends JSON lines to EXPOSURE_DIR/exposures-*.jsonl (macros/register_api_exposures.sql reads them):
a valid exposure, the same exposure again, one by an id merged into another person's, one by an erased
person's id, one by an id never issued, one naming an experiment nobody declared, one with an email where
the ESP's hashed id belongs, and a line that is not JSON. The rebuild keeps the first and the merged one
(resolved to the live customer), collapses the repeat, and rejects the rest with a reason, holding no email
and nothing of the erased person; audit_row_counts adds them up.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb
import pytest
from conftest import BUILD, E2E_END_DATE

pytestmark = pytest.mark.e2e

IDS = "intermediate.int_customer_external_ids"
EXPERIMENT = "exp_recommendation_block"
# What the test reads (the row accounting, the rejected rows, the resolved exposures, the assignments) with every
# model and test upstream of them, rebuilt on the copy; the ML models and exports further down only read these.
EXPOSURES_BUILD = (
    *BUILD,
    "--indirect-selection",
    "buildable",
    "--select",
    "+audit_row_counts",
    "+audit_rejected_rows",
    "+int_experiment_exposures_resolved",
    "+fct_experiment_assignments",
)
SERVED_AT = "2026-05-20T10:00:00Z"
SERVED = datetime(2026, 5, 20, 10, 0)


def test_a_build_without_exposure_files_has_an_empty_exposure_log(built):
    # no EXPOSURE_DIR folder at all: the build passed (the session build) and counts nothing
    assert built.query(
        "select raw_rows, accepted_rows, rejected_rows, duplicate_rows, unaccounted_rows "
        "from audit.audit_row_counts where source_table = 'api_exposures'"
    ) == [(0, 0, 0, 0, 0)]
    assert built.scalar("select count(*) from fct_experiment_assignments where assignment_source = 'api'") == 0


def _people(db) -> list[tuple[str, str, str, str]]:
    """(external_id, customer_id, email, variant in EXPERIMENT) of live customers outside the global holdout."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"""
            select ids.external_id, ids.customer_id, customers.email, assignments.variant
            from {IDS} as ids
            inner join dim_customers as customers on ids.customer_id = customers.customer_id
            inner join fct_experiment_assignments as assignments
                on ids.customer_id = assignments.customer_id and assignments.experiment_id = '{EXPERIMENT}'
            where ids.is_active and customers.email is not null and not assignments.is_global_holdout
                and assignments.assigned_at < timestamp '{SERVED_AT[:10]} {SERVED_AT[11:19]}'
            order by ids.external_id
            limit 3
            """
        ).fetchall()


def _merge_an_old_id_into(db, live_external_id: str) -> str:
    """An id issued earlier that was merged into live_external_id (as int_customer_external_ids records a merge)."""
    merged = hashlib.md5(b"merged-away").hexdigest()
    with duckdb.connect(str(db)) as con:
        con.execute(
            f"""
            insert into {IDS} (external_id, anchor_identifier_md5, issued_at, first_seen_at, customer_id,
                current_external_id, merged_into_external_id, merged_at, is_active, erased_at)
            select ?, anchor_identifier_md5, issued_at - interval 1 day, first_seen_at, customer_id,
                external_id, external_id, issued_at, false, null
            from {IDS} where external_id = ?
            """,
            [merged, live_external_id],
        )
    return merged


def test_exposures_are_resolved_counted_and_rejected_with_a_reason(warehouse_copy, rebuild, tmp_path):
    work = warehouse_copy("exposures")
    (valid_id, valid_customer, _, valid_variant), (merged_into, merged_customer, _, merged_variant), erased = _people(
        work / "warehouse.duckdb"
    )
    erased_id, erased_customer, erased_email, erased_variant = erased
    merged_id = _merge_an_old_id_into(work / "warehouse.duckdb", merged_into)
    unknown_id = hashlib.md5(b"never issued").hexdigest()

    def line(external_id, variant, experiment=EXPERIMENT, **extra):
        row = {"experiment_id": experiment, "external_id": external_id, "variant": variant,
               "exposed_at": SERVED_AT, "endpoint": "/v1/personalization", **extra}  # fmt: skip
        return json.dumps(row)

    exposures = tmp_path / "exposures"
    exposures.mkdir()
    (exposures / "exposures-0001.jsonl").write_text(
        "\n".join(
            [
                line(valid_id, valid_variant),
                line(valid_id, valid_variant),  # the same append retried
                line(merged_id, merged_variant),
                line(erased_id, erased_variant),
                "",  # a blank line is no row
            ]
        )
        + "\n"
    )
    (exposures / "exposures-0002.jsonl").write_text(
        "\n".join(
            [
                line(unknown_id, "control"),
                line(valid_id, "control", experiment="exp_nobody_declared"),
                line("someone@example.com", "control"),
                '{"experiment_id": "exp_recommendation_block", "external_id": ',
            ]
        )
        + "\n"
    )
    (exposures / "exposures.txt").write_text(line(unknown_id, "control") + "\n")  # not a part file: never read

    sha = hashlib.sha256(erased_email.strip().lower().encode()).hexdigest()
    done = rebuild(
        "exposures",
        work=work,
        args=EXPOSURES_BUILD,
        env=lambda root: {"EXPOSURE_DIR": exposures},
        dbt_vars={"as_of_date": E2E_END_DATE, "erasure_email_sha256s": [sha]},
    )

    counts = done.query(
        "select raw_rows, accepted_rows, rejected_rows, duplicate_rows, unaccounted_rows, malformed_lines "
        "from audit.audit_row_counts where source_table = 'api_exposures'"
    )
    assert counts == [(8, 2, 5, 1, 0, 0)]
    rejected = done.query(
        "select rejection_reason, raw_record from audit.audit_rejected_rows "
        "where source_table = 'api_exposures' order by rejection_reason"
    )
    reasons = [reason for reason, _ in rejected]
    assert reasons == [
        "email_as_external_id",
        "erased_external_id",
        "malformed_json",
        "unknown_experiment_id",
        "unknown_external_id",
    ]
    records = dict(rejected)
    assert records["erased_external_id"] == '{"erased": true}'
    assert json.loads(records["malformed_json"]) == {
        "file_name": "exposures-0002.jsonl", "line_number": 4, "experiment_id": None, "external_id": None,
        "variant": None, "exposed_at": None, "endpoint": None,
    }  # fmt: skip
    assert json.loads(records["unknown_external_id"])["external_id"] == unknown_id
    keys = done.query(
        "select coalesce(raw_key, '') from audit.audit_rejected_rows where source_table = 'api_exposures'"
    )
    everything = " ".join([record for _, record in rejected] + [key for (key,) in keys])
    assert "@" not in everything
    assert erased_id not in everything

    # the kept exposures: the valid id and the merged one, each resolved to its live customer
    assert done.query(
        "select customer_id, variant from intermediate.int_experiment_exposures_resolved "
        "where rejection_reason is null order by customer_id"
    ) == sorted([(valid_customer, valid_variant), (merged_customer, merged_variant)])
    # and the experiment counts them as exposed when the API served them
    exposed = dict(
        done.query(
            f"select customer_id, exposed_at from fct_experiment_assignments "
            f"where experiment_id = '{EXPERIMENT}' and customer_id in ('{valid_customer}', '{merged_customer}')"
        )
    )
    # (both were assigned before it: the exposure is the first time the API served the variant)
    assert exposed == {valid_customer: SERVED, merged_customer: SERVED}
    # the erased person is gone from the experiment
    assert done.scalar(f"select count(*) from fct_experiment_assignments where customer_id = '{erased_customer}'") == 0
