"""The experiment statistics pinned to values computed independently with scipy and statsmodels.

There is one implementation (vectorised, what the dbt Python models call): these tests call
``compute_results`` and the array functions it is built from.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from python_udfs.experiments import arm_moments, chance_to_beat_control, compute_results, holm, welch

RNG = np.random.default_rng(20261122)
# fixed data: a revenue-like metric with a pre-period covariate, two arms
PRE_T = RNG.gamma(2.0, 10.0, 900)
PRE_C = RNG.gamma(2.0, 10.0, 1100)
Y_T = 0.6 * PRE_T + RNG.normal(3.0, 8.0, 900)
Y_C = 0.6 * PRE_C + RNG.normal(2.0, 8.0, 1100)


def sums(y, x=None):
    x = np.zeros_like(y) if x is None else x
    return {
        "n_units": len(y),
        "sum_y": y.sum(),
        "sum_y2": (y * y).sum(),
        "sum_x": x.sum(),
        "sum_x2": (x * x).sum(),
        "sum_xy": (x * y).sum(),
    }


def binary_sums(successes, n):
    """Sums of a 0/1 metric without a covariate: y * y = y."""
    return {"n_units": n, "sum_y": successes, "sum_y2": successes, "sum_x": 0, "sum_x2": 0, "sum_xy": 0}


def treatment_vs_control(treatment, control, is_binary=False, shares=(0.5, 0.5)):
    """compute_results on one experiment and metric with two arms; the treatment's row.

    ``shares`` are the configured weights of (treatment, control).
    """
    base = {"experiment_id": "e", "control_variant": "c", "excluded_units": 0, "metric": "m", "is_binary": is_binary}
    arms = pd.DataFrame(
        [
            {**base, "variant": "c", "expected_share": shares[1], **control},
            {**base, "variant": "t", "expected_share": shares[0], **treatment},
        ]
    )
    return compute_results(arms).set_index("variant").loc["t"]


def test_arm_moments_match_numpy():
    mean, var = arm_moments(len(Y_T), Y_T.sum(), (Y_T**2).sum())
    assert float(mean) == pytest.approx(Y_T.mean(), rel=1e-12)
    assert float(var) == pytest.approx(Y_T.var(ddof=1), rel=1e-9)


def test_arm_moments_are_missing_without_enough_units():
    mean, var = arm_moments([0, 1, 2], [0.0, 5.0, 6.0], [0.0, 25.0, 20.0])
    assert np.isnan(mean[0])
    assert mean[1:].tolist() == [5.0, 3.0]
    assert np.isnan(var[:2]).all()
    assert var[2] == pytest.approx(2.0)


def test_welch_matches_scipy_and_statsmodels():
    mean_t, var_t = arm_moments(len(Y_T), Y_T.sum(), (Y_T**2).sum())
    mean_c, var_c = arm_moments(len(Y_C), Y_C.sum(), (Y_C**2).sum())
    got = welch(mean_t, var_t, len(Y_T), mean_c, var_c, len(Y_C))
    ref = stats.ttest_ind(Y_T, Y_C, equal_var=False)
    assert float(got["p_value"]) == pytest.approx(ref.pvalue, rel=1e-9)
    assert float(got["df"]) == pytest.approx(ref.df, rel=1e-9)
    lo, hi = CompareMeans(DescrStatsW(Y_T), DescrStatsW(Y_C)).tconfint_diff(alpha=0.05, usevar="unequal")
    assert float(got["ci_lower"]) == pytest.approx(lo, rel=1e-9)
    assert float(got["ci_upper"]) == pytest.approx(hi, rel=1e-9)
    assert float(got["diff"]) == pytest.approx(Y_T.mean() - Y_C.mean(), rel=1e-12)
    # compute_results reports the same interval
    row = treatment_vs_control(sums(Y_T), sums(Y_C))
    assert row["ci_lower"] == pytest.approx(lo, rel=1e-9)
    assert row["ci_upper"] == pytest.approx(hi, rel=1e-9)
    assert row["absolute_lift"] == pytest.approx(Y_T.mean() - Y_C.mean(), rel=1e-12)


def test_welch_is_missing_for_tiny_or_constant_arms():
    got = welch([1.0, 1.0, 1.0], [2.0, 2.0, 0.0], [1, 10, 10], [0.0, 0.0, 1.0], [2.0, 2.0, 0.0], [10, 1, 10])
    for column in ["df", "p_value", "ci_lower", "ci_upper"]:
        assert np.isnan(got[column]).all(), column
    assert got["diff"].tolist() == [1.0, 1.0, 0.0]


def test_welch_on_proportions_matches_scipy():
    yt = (RNG.random(5000) < 0.13).astype(float)
    yc = (RNG.random(5000) < 0.10).astype(float)
    row = treatment_vs_control(binary_sums(yt.sum(), 5000), binary_sums(yc.sum(), 5000), is_binary=True)
    assert row["p_value"] == pytest.approx(stats.ttest_ind(yt, yc, equal_var=False).pvalue, rel=1e-9)


def test_holm_matches_statsmodels():
    p = [0.01, 0.04, 0.03, 0.20, 0.005, 0.5]
    assert holm(pd.Series(p)).tolist() == pytest.approx(list(multipletests(p, method="holm")[1]), rel=1e-12)
    # step-down: a larger p-value is never adjusted below a smaller one's (0.011 * 2 < 0.01 * 3)
    p = [0.011, 0.5, 0.01]
    assert holm(pd.Series(p)).tolist() == pytest.approx(list(multipletests(p, method="holm")[1]), rel=1e-12)


def test_holm_skips_missing_values():
    got = holm(pd.Series([0.01, None, 0.04, math.nan]))
    ref = multipletests([0.01, 0.04], method="holm")[1]
    assert got[0] == pytest.approx(ref[0])
    assert got[2] == pytest.approx(ref[1])
    assert np.isnan(got[1])
    assert np.isnan(got[3])


def test_holm_adjusts_each_family_on_its_own():
    p = pd.Series([0.01, 0.04, 0.03, 0.20, 0.005], index=[10, 11, 12, 13, 14])
    family = pd.DataFrame({"experiment_id": ["a", "b", "a", "b", "a"]}, index=p.index)
    got = holm(p, by=family)
    ref_a = multipletests([0.01, 0.03, 0.005], method="holm")[1]
    ref_b = multipletests([0.04, 0.20], method="holm")[1]
    assert got[[10, 12, 14]].tolist() == pytest.approx(list(ref_a), rel=1e-12)
    assert got[[11, 13]].tolist() == pytest.approx(list(ref_b), rel=1e-12)


def test_cuped_equals_welch_on_unit_level_adjusted_values():
    x_all = np.concatenate([PRE_T, PRE_C])
    y_all = np.concatenate([Y_T, Y_C])
    theta_ref = np.cov(x_all, y_all, ddof=1)[0, 1] / x_all.var(ddof=1)
    row = treatment_vs_control(sums(Y_T, PRE_T), sums(Y_C, PRE_C))
    assert row["cuped_theta"] == pytest.approx(theta_ref, rel=1e-9)
    mean_x = x_all.mean()
    adj_t = Y_T - theta_ref * (PRE_T - mean_x)
    adj_c = Y_C - theta_ref * (PRE_C - mean_x)
    ref = stats.ttest_ind(adj_t, adj_c, equal_var=False)
    assert row["cuped_absolute_lift"] == pytest.approx(adj_t.mean() - adj_c.mean(), rel=1e-9)
    assert row["cuped_p_value"] == pytest.approx(ref.pvalue, rel=1e-7)
    # the covariate explains variance, so CUPED narrows the interval
    assert row["cuped_ci_upper"] - row["cuped_ci_lower"] < 0.8 * (row["ci_upper"] - row["ci_lower"])


def test_chance_to_beat_control_is_the_normal_posterior():
    assert float(chance_to_beat_control(0.02, 0.01)) == pytest.approx(stats.norm.cdf(2.0), rel=1e-12)
    assert float(chance_to_beat_control(0.0, 0.01)) == pytest.approx(0.5)


def test_chance_to_beat_control_without_spread_or_standard_error():
    got = chance_to_beat_control([0.1, -0.1, 0.0, 0.1], [0.0, 0.0, 0.0, math.nan])
    assert got[:3].tolist() == [1.0, 0.0, 0.5]
    assert np.isnan(got[3])


def test_chance_to_beat_control_agrees_with_exact_beta_posteriors_on_proportions():
    """Evan Miller's closed form for P(p_B > p_A) with Beta(1 + s, 1 + f) posteriors."""
    sa, na, sb, nb = 120, 1000, 150, 1000
    a_a, b_a, a_b, b_b = 1 + sa, 1 + na - sa, 1 + sb, 1 + nb - sb
    i = np.arange(a_b)
    exact = np.exp(
        special.betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - special.betaln(1 + i, b_b) - special.betaln(a_a, b_a)
    ).sum()
    row = treatment_vs_control(binary_sums(sb, nb), binary_sums(sa, na), is_binary=True)
    assert row["chance_to_beat_control"] == pytest.approx(exact, abs=0.01)


def test_srm_matches_scipy_chisquare():
    row = treatment_vs_control(binary_sums(500, 5200), binary_sums(500, 4800))
    assert row["srm_p_value"] == pytest.approx(stats.chisquare([5200, 4800]).pvalue, rel=1e-12)
    ref = stats.chisquare([180, 820], [200, 800]).pvalue
    row = treatment_vs_control(binary_sums(50, 180), binary_sums(50, 820), shares=(20, 80))
    assert row["srm_p_value"] == pytest.approx(ref, rel=1e-12)


def test_compute_results_end_to_end_on_fixed_arms():
    base = {"experiment_id": "e", "control_variant": "control", "excluded_units": 0}
    arms = pd.DataFrame(
        [
            {**base, "variant": "control", "metric": "revenue", "is_binary": False, "expected_share": 0.5,
             **sums(Y_C, PRE_C)},
            {**base, "variant": "treatment", "metric": "revenue", "is_binary": False, "expected_share": 0.5,
             **sums(Y_T, PRE_T)},
            {**base, "variant": "control", "metric": "conversion", "is_binary": True, "expected_share": 0.5,
             **sums((Y_C > 20).astype(float))},
            {**base, "variant": "treatment", "metric": "conversion", "is_binary": True, "expected_share": 0.5,
             **sums((Y_T > 20).astype(float))},
        ]
    )  # fmt: skip
    out = compute_results(arms).set_index(["metric", "variant"])
    control = out.loc[("revenue", "control")]
    assert bool(control["is_control"])
    assert pd.isna(control["p_value"])
    assert control["value"] == pytest.approx(Y_C.mean())
    treat = out.loc[("revenue", "treatment")]
    ref = stats.ttest_ind(Y_T, Y_C, equal_var=False)
    assert treat["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert treat["relative_lift"] == pytest.approx((Y_T.mean() - Y_C.mean()) / Y_C.mean())
    conv = out.loc[("conversion", "treatment")]
    holm_ref = multipletests([treat["p_value"], conv["p_value"]], method="holm")[1]
    assert treat["p_value_adjusted"] == pytest.approx(holm_ref[0])
    assert conv["p_value_adjusted"] == pytest.approx(holm_ref[1])
    assert treat["srm_p_value"] == pytest.approx(stats.chisquare([1100, 900]).pvalue)
    assert bool(treat["is_srm"])  # 1100 vs 900 of a 50/50 split: p < 0.001
    assert not bool(treat["is_low_data"])


def test_zero_variance_and_tiny_arms_give_missing_statistics_not_errors():
    base = {"experiment_id": "e", "control_variant": "c", "excluded_units": 0, "metric": "conversion",
            "is_binary": True, "expected_share": 0.5}  # fmt: skip
    zeros = np.zeros(50)
    arms = pd.DataFrame([{**base, "variant": "c", **sums(zeros)}, {**base, "variant": "t", **sums(zeros)}])
    out = compute_results(arms).set_index("variant")
    assert out.loc["t", "absolute_lift"] == 0
    assert pd.isna(out.loc["t", "p_value"])
    assert bool(out.loc["t", "is_low_data"])


def test_srm_is_missing_when_a_variant_share_is_unknown():
    """A variant the data has but the configuration does not declare has no expected share:
    the sample ratio test is not computed (rather than tested on the declared arms alone),
    while the variant still gets its lift against control."""
    base = {"experiment_id": "e", "control_variant": "c", "excluded_units": 0, "metric": "revenue", "is_binary": False}
    arms = pd.DataFrame(
        [
            {**base, "variant": "c", "expected_share": 0.5, **sums(Y_C, PRE_C)},
            {**base, "variant": "t", "expected_share": 0.5, **sums(Y_T, PRE_T)},
            {**base, "variant": "undeclared", "expected_share": None, **sums(Y_T[:300], PRE_T[:300])},
            {**base, "experiment_id": "known", "variant": "c", "expected_share": 0.5, **sums(Y_C, PRE_C)},
            {**base, "experiment_id": "known", "variant": "t", "expected_share": 0.5, **sums(Y_T, PRE_T)},
        ]
    )
    out = compute_results(arms).set_index(["experiment_id", "variant"])
    assert out.loc[("e", "c"), "srm_p_value"] != out.loc[("e", "c"), "srm_p_value"]  # NaN
    assert not out.loc[("e", "undeclared"), "is_srm"]
    ref = stats.ttest_ind(Y_T[:300], Y_C, equal_var=False)
    assert out.loc[("e", "undeclared"), "p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert out.loc[("known", "t"), "srm_p_value"] == pytest.approx(stats.chisquare([1100, 900]).pvalue)
