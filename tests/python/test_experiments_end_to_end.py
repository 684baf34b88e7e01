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
