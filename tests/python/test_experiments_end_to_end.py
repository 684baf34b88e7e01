"""Experiments on generated data: the planted truth is recovered and the marts agree with scipy."""

import pandas as pd
import pytest
from scipy import stats

pytestmark = pytest.mark.e2e


def results(built) -> pd.DataFrame:
    with_cols = built.query("select * from main.rpt_experiment_results")
    names = [r[0] for r in built.query("describe main.rpt_experiment_results")]
    return pd.DataFrame(with_cols, columns=names)


def planted(truth, experiment_id):
    return next(e for e in truth["experiments"] if e["experiment_id"] == experiment_id)


def test_planted_lift_lies_inside_the_reported_interval(built, demo_data):
    _, _, truth = demo_data
    exp = planted(truth, "exp_past_free_shipping")
    res = results(built).set_index(["experiment_id", "variant", "metric"])
    row = res.loc[(exp["experiment_id"], exp["treatment_variant"], "conversion")]
    assert row["ci_lower"] <= exp["absolute_lift"] <= row["ci_upper"], (row["ci_lower"], row["ci_upper"])
    assert row["cuped_ci_lower"] <= exp["absolute_lift"] <= row["cuped_ci_upper"]
    assert not row["is_srm"]
    # every assigned unit counts, active or not
    assert row["n_units"] == exp["units_treatment"]
    control = res.loc[(exp["experiment_id"], exp["control_variant"], "conversion")]
    assert control["n_units"] == exp["units"] - exp["units_treatment"]
    assert bool(control["is_control"])
    assert pd.isna(control["p_value"])


def test_planted_sample_ratio_mismatch_is_flagged(built, demo_data):
    _, _, truth = demo_data
    exp = planted(truth, "exp_past_hero_banner")
    res = results(built)
    rows = res[res["experiment_id"] == exp["experiment_id"]]
    assert rows["is_srm"].all()
    assert (rows["srm_p_value"] < 0.001).all()


def test_reported_statistics_match_scipy_on_the_unit_level_data(built):
    """Recompute one comparison from fct_experiment_unit_metrics with scipy: the mart must agree."""
    units = pd.DataFrame(
        built.query(
            """
            select variant, metric_value
            from main.fct_experiment_unit_metrics
            where experiment_id = 'exp_past_free_shipping' and metric = 'revenue'
            """
        ),
        columns=["variant", "value"],
    )
    treat = units.loc[units["variant"] == "free_shipping", "value"].to_numpy()
    control = units.loc[units["variant"] == "control", "value"].to_numpy()
    ref = stats.ttest_ind(treat, control, equal_var=False)
    row = (
        results(built)
        .set_index(["experiment_id", "variant", "metric"])
        .loc[("exp_past_free_shipping", "free_shipping", "revenue")]
    )
    assert row["value"] == pytest.approx(treat.mean(), rel=1e-12)
    assert row["control_value"] == pytest.approx(control.mean(), rel=1e-12)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    ci = ref.confidence_interval(0.95)
    assert row["ci_lower"] == pytest.approx(ci.low, rel=1e-9)
    assert row["ci_upper"] == pytest.approx(ci.high, rel=1e-9)


def test_project_assignment_is_sticky_weighted_and_honours_the_holdout(built):
    shares = dict(
        built.query(
            """
            select variant, count(*) * 1.0 / sum(count(*)) over ()
            from main.fct_experiment_assignments
            where experiment_id = 'global_holdout'
            group by variant
            """
        )
    )
    assert shares["holdout"] == pytest.approx(0.05, abs=0.015)
    in_both = built.scalar(
        """
        select count(*)
        from main.fct_experiment_assignments as exp
        inner join main.fct_experiment_assignments as holdout
            on exp.customer_id = holdout.customer_id
        where holdout.experiment_id = 'global_holdout' and holdout.variant = 'holdout'
            and exp.assignment_source = 'project'
        """
    )
    assert in_both == 0, "holdout customers must get no project experiment"
    split = dict(
        built.query(
            """
            select variant, count(*) from main.fct_experiment_assignments
            where experiment_id = 'exp_recommendation_block' group by variant
            """
        )
    )
    assert abs(split["control"] - split["recommendations"]) < 4 * (sum(split.values()) ** 0.5)


def test_assignments_are_identical_across_independent_builds(built, tmp_path):
    """Sticky: the same data built into another warehouse assigns every customer the same way."""
    from conftest import E2E_END_DATE, assert_ok, run_dbt

    other = assert_ok(
        run_dbt(
            ["build", "--select", "+fct_experiment_assignments", "--indirect-selection", "cautious"],
            built.raw_dir,
            tmp_path / "build",
            {"as_of_date": E2E_END_DATE},
        )
    )
    query = "select experiment_id, customer_id, variant from main.fct_experiment_assignments order by 1, 2"
    assert other.query(query) == built.query(query)


def test_daily_results_end_on_the_overall_numbers(built):
    last = built.query(
        """
        select d.n_units, r.n_units, d.value, r.value
        from main.rpt_experiment_daily as d
        inner join main.rpt_experiment_results as r
            on d.experiment_id = r.experiment_id and d.variant = r.variant and d.metric = r.metric
        where d.result_date = (select max(result_date) from main.rpt_experiment_daily)
        """
    )
    assert last
    for daily_units, total_units, daily_value, total_value in last:
        assert daily_units == total_units
        assert daily_value == pytest.approx(total_value, rel=1e-9, nan_ok=True)


def test_demo_experiments_have_no_variant_mismatch(built):
    """No false alarm: the demo's experiments are declared and their data names exactly the declared variants."""
    rows = built.query(
        """
        select distinct experiment_id, has_variant_mismatch, variant_mismatch_reason, expected_share_source,
            srm_note, is_declared_experiment
        from main.rpt_experiment_results
        """
    )
    assert rows
    for experiment_id, mismatch, reason, share_source, srm_note, declared in rows:
        assert not mismatch, (experiment_id, reason)
        assert reason is None, experiment_id
        assert share_source == "declared", experiment_id
        assert srm_note is None, experiment_id
        assert declared, experiment_id


# ---------------------------------------------------------------------------
# Assignments made elsewhere whose variants do not match seeds/experiments.csv
# ---------------------------------------------------------------------------


def make_variants_mismatch(raw) -> dict[str, int]:
    """The demo's raw assignments as loaders deliver them after someone renamed a variant in the ESP.

    - exp_past_hero_banner: every 'new_banner' row is now 'new_banner_v2' (declared variant absent,
      undeclared one present);
    - exp_past_free_shipping: extra rows for other contacts in an undeclared 'free_shipping_v2';
    - exp_not_in_seed: an A/B test of 'baseline' and 'challenger' that the seed does not know.
    Returns the raw rows added per experiment.
    """
    path = raw / "experiment_assignments.csv"
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    hero = (rows["experiment_id"] == "exp_past_hero_banner") & (rows["variant"] == "new_banner")
    rows.loc[hero, "variant"] = "new_banner_v2"
    free = rows["experiment_id"] == "exp_past_free_shipping"
    when = rows.loc[free, "assigned_at"].iloc[0]
    taken = set(rows.loc[free, "contact_id"])
    others = [c for c in (f"C{i:07d}" for i in range(1, 2000)) if c not in taken]
    added = [
        {"experiment_id": "exp_past_free_shipping", "contact_id": c, "email": "", "variant": "free_shipping_v2",
         "assigned_at": when}
        for c in others[:40]
    ] + [
        {"experiment_id": "exp_not_in_seed", "contact_id": c, "email": "",
         "variant": "challenger" if i % 2 else "baseline", "assigned_at": when}
        for i, c in enumerate(others[40:140])
    ]  # fmt: skip
    pd.concat([rows, pd.DataFrame(added)]).to_csv(path, index=False)
    return {"exp_past_free_shipping": 40, "exp_not_in_seed": 100}


@pytest.fixture(scope="module")
def mismatched(demo_data, tmp_path_factory):
    """One build of the experiment marts (and their data tests) on the demo data with renamed variants."""
    from conftest import E2E_END_DATE, assert_ok, copy_raw, run_dbt

    work = tmp_path_factory.mktemp("variants_mismatch")
    raw = copy_raw(demo_data[0], work / "raw")
    make_variants_mismatch(raw)
    reports = ["+rpt_experiment_results", "+rpt_experiment_daily", "+fct_experiment_assignments"]
    select = ["--select", *reports, "--indirect-selection", "cautious"]
    build = assert_ok(
        run_dbt(["build", *select, "--exclude", "test_type:unit"], raw, work / "build", {"as_of_date": E2E_END_DATE})
    )
    return build, results(build).set_index(["experiment_id", "variant", "metric"])


def test_every_assigned_unit_is_counted_in_an_arm(mismatched):
    build, _ = mismatched
    lost = build.query(
        """
        with units as (
            select experiment_id, count(*) as n from main.fct_experiment_assignments group by experiment_id
        ),
        reported as (
            select experiment_id, metric, sum(n_units) as n from main.rpt_experiment_results group by all
        ),
        daily as (
            select experiment_id, metric, sum(n_units) as n from main.rpt_experiment_daily
            where result_date = (select max(result_date) from main.rpt_experiment_daily) group by all
        )
        select units.experiment_id, reported.metric, units.n, reported.n, daily.n
        from units
        left join reported on units.experiment_id = reported.experiment_id
        left join daily on reported.experiment_id = daily.experiment_id and reported.metric = daily.metric
        where reported.n is distinct from units.n or daily.n is distinct from units.n
        """
    )
    assert lost == [], "units missing from the results: (experiment, metric, assigned, results, daily)"
    by_variant = dict(
        build.query(
            """
            select variant, count(*) from main.fct_experiment_assignments
            where experiment_id in ('exp_past_hero_banner', 'exp_past_free_shipping') group by variant
            """
        )
    )
    assert by_variant["new_banner_v2"] > 50, by_variant
    assert by_variant["free_shipping_v2"] > 20, by_variant


def test_undeclared_variant_present_is_kept_and_flagged(mismatched):
    build, res = mismatched
    v2 = res.loc[("exp_past_free_shipping", "free_shipping_v2", "conversion")]
    units = build.scalar("select count(*) from main.fct_experiment_assignments where variant = 'free_shipping_v2'")
    assert v2["n_units"] == units > 0
    assert not v2["is_declared_variant"]
    assert v2["is_in_data"]
    assert v2["has_variant_mismatch"]
    assert pd.isna(v2["expected_share"])
    assert v2["expected_share_source"] == "unknown"
    assert v2["absolute_lift"] == pytest.approx(v2["value"] - v2["control_value"])
    assert "free_shipping_v2" in v2["variant_mismatch_reason"]
    # the weights of an undeclared variant are unknown: no SRM verdict, and the reason is given
    free = res.loc["exp_past_free_shipping"]
    assert free["srm_p_value"].isna().all()
    assert not free["is_srm"].any()
    assert free["srm_note"].str.startswith("Not computed").all()
    declared = res.loc[("exp_past_free_shipping", "free_shipping", "conversion")]
    assert declared["is_declared_variant"]
    assert declared["is_in_data"]
    assert declared["has_variant_mismatch"]


def test_declared_variant_absent_from_the_data_is_flagged(mismatched):
    _, res = mismatched
    absent = res.loc[("exp_past_hero_banner", "new_banner", "conversion")]
    assert absent["n_units"] == 0
    assert absent["is_declared_variant"]
    assert not absent["is_in_data"]
    assert absent["has_variant_mismatch"]
    reason = absent["variant_mismatch_reason"]
    assert "not in raw experiment_assignments: new_banner." in reason
    assert "not declared in the variants of seeds/experiments.csv: new_banner_v2" in reason
    renamed = res.loc[("exp_past_hero_banner", "new_banner_v2", "conversion")]
    assert renamed["n_units"] > 50
    assert not renamed["is_declared_variant"]
    # the experiment nobody renamed is untouched
    untouched = res.loc["exp_recommendation_block"]
    assert not untouched["has_variant_mismatch"].any()
    assert untouched["srm_note"].isna().all()


def test_experiment_missing_from_the_seed_comes_out_with_its_variants_from_the_data(mismatched, demo_data):
    build, res = mismatched
    exp = res.loc["exp_not_in_seed"].xs("conversion", level="metric")
    assert sorted(exp.index) == ["baseline", "challenger"]
    assert (exp["control_variant"] == "baseline").all()
    assert exp.loc["baseline", "is_control"]
    assert not exp["is_declared_experiment"].any()
    assert not exp["is_declared_variant"].any()
    assert exp["has_variant_mismatch"].all()
    assert exp["is_in_data"].all()
    assert "control guessed as 'baseline'" in exp["variant_mismatch_reason"].iloc[0]
    # equal split assumed, and said so: the SRM test runs against 50/50
    assert (exp["expected_share"] == 0.5).all()
    assert (exp["expected_share_source"] == "assumed_equal").all()
    assert exp["srm_p_value"].notna().all()
    assert exp["srm_note"].str.startswith("Expected shares assumed").all()
    assert exp["n_units"].sum() == build.scalar(
        "select count(*) from main.fct_experiment_assignments where experiment_id = 'exp_not_in_seed'"
    )
    assert exp["n_units"].sum() > 80
    assert (exp["conversion_window_days"] == 14).all()


@pytest.mark.parametrize(
    ("model", "dbt_vars", "message"),
    [
        ("int_experiment_config", {"global_holdout_share": "0.05|evil:1"}, "var global_holdout_share must be a number"),
        ("int_experiment_config", {"global_holdout_window_days": "30 or 1=1"}, "var global_holdout_window_days must"),
        (
            "fct_experiment_unit_metrics",
            {"experiment_metrics": ["conversion", "x' as metric; --"]},
            "var experiment_metrics: unknown metric x' as metric; --; use any of visit",
        ),
    ],
)
def test_experiment_vars_are_checked_before_they_reach_sql(demo_data, tmp_path, model, dbt_vars, message):
    from conftest import run_dbt

    build = run_dbt(["compile", "--select", model], demo_data[0], tmp_path / "work", dbt_vars)
    assert build.result.returncode != 0
    assert message in build.result.stdout
