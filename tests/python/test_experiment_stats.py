"""The experiment statistics pinned to values computed independently with scipy and statsmodels."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from python_udfs.experiments import (
    arm_from_sums,
    chance_to_beat_control,
    compute_results,
    cuped_arm,
    cuped_theta,
    holm,
    srm_p_value,
    welch,
)

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


def test_arm_from_sums_matches_numpy():
    arm = arm_from_sums(len(Y_T), Y_T.sum(), (Y_T**2).sum())
    assert arm.mean == pytest.approx(Y_T.mean(), rel=1e-12)
    assert arm.var == pytest.approx(Y_T.var(ddof=1), rel=1e-9)


def test_welch_matches_scipy_and_statsmodels():
    t = arm_from_sums(len(Y_T), Y_T.sum(), (Y_T**2).sum())
    c = arm_from_sums(len(Y_C), Y_C.sum(), (Y_C**2).sum())
    got = welch(t, c)
    ref = stats.ttest_ind(Y_T, Y_C, equal_var=False)
    assert got.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert got.df == pytest.approx(ref.df, rel=1e-9)
    lo, hi = CompareMeans(DescrStatsW(Y_T), DescrStatsW(Y_C)).tconfint_diff(alpha=0.05, usevar="unequal")
    assert got.ci_lower == pytest.approx(lo, rel=1e-9)
    assert got.ci_upper == pytest.approx(hi, rel=1e-9)
    assert got.diff == pytest.approx(Y_T.mean() - Y_C.mean(), rel=1e-12)


def test_welch_on_proportions_matches_scipy():
    yt = (RNG.random(5000) < 0.13).astype(float)
    yc = (RNG.random(5000) < 0.10).astype(float)
    got = welch(arm_from_sums(5000, yt.sum(), yt.sum()), arm_from_sums(5000, yc.sum(), yc.sum()))
    assert got.p_value == pytest.approx(stats.ttest_ind(yt, yc, equal_var=False).pvalue, rel=1e-9)


def test_holm_matches_statsmodels():
    p = [0.01, 0.04, 0.03, 0.20, 0.005, 0.5]
    assert holm(p) == pytest.approx(list(multipletests(p, method="holm")[1]), rel=1e-12)


def test_holm_skips_missing_values():
    p = [0.01, None, 0.04, math.nan]
    ref = multipletests([0.01, 0.04], method="holm")[1]
    got = holm(p)
    assert got[0] == pytest.approx(ref[0])
    assert got[2] == pytest.approx(ref[1])
    assert got[1] is None
    assert got[3] is None


def test_cuped_equals_welch_on_unit_level_adjusted_values():
    x_all = np.concatenate([PRE_T, PRE_C])
    y_all = np.concatenate([Y_T, Y_C])
    theta_ref = np.cov(x_all, y_all, ddof=1)[0, 1] / x_all.var(ddof=1)
    st, sc = sums(Y_T, PRE_T), sums(Y_C, PRE_C)
    n = st["n_units"] + sc["n_units"]
    theta = cuped_theta(n, st["sum_x"] + sc["sum_x"], st["sum_x2"] + sc["sum_x2"], st["sum_y"] + sc["sum_y"],
                        st["sum_xy"] + sc["sum_xy"])  # fmt: skip
    assert theta == pytest.approx(theta_ref, rel=1e-9)
    mean_x = x_all.mean()
    adj_t = Y_T - theta_ref * (PRE_T - mean_x)
    adj_c = Y_C - theta_ref * (PRE_C - mean_x)
    ref = stats.ttest_ind(adj_t, adj_c, equal_var=False)
    arm_t = cuped_arm(theta=theta, mean_x_all=mean_x, n=st["n_units"], **{k: st[k] for k in list(st)[1:]})
    arm_c = cuped_arm(theta=theta, mean_x_all=mean_x, n=sc["n_units"], **{k: sc[k] for k in list(sc)[1:]})
    got = welch(arm_t, arm_c)
    assert got.diff == pytest.approx(adj_t.mean() - adj_c.mean(), rel=1e-9)
    assert got.p_value == pytest.approx(ref.pvalue, rel=1e-7)
    # the covariate explains variance, so CUPED narrows the interval
    plain = welch(arm_from_sums(900, Y_T.sum(), (Y_T**2).sum()), arm_from_sums(1100, Y_C.sum(), (Y_C**2).sum()))
    assert got.ci_upper - got.ci_lower < 0.8 * (plain.ci_upper - plain.ci_lower)


def test_chance_to_beat_control_is_the_normal_posterior():
    assert chance_to_beat_control(0.02, 0.01) == pytest.approx(stats.norm.cdf(2.0), rel=1e-12)
    assert chance_to_beat_control(0.0, 0.01) == pytest.approx(0.5)


def test_chance_to_beat_control_agrees_with_exact_beta_posteriors_on_proportions():
    """Evan Miller's closed form for P(p_B > p_A) with Beta(1 + s, 1 + f) posteriors."""
    sa, na, sb, nb = 120, 1000, 150, 1000
    a_a, b_a, a_b, b_b = 1 + sa, 1 + na - sa, 1 + sb, 1 + nb - sb
    i = np.arange(a_b)
    exact = np.exp(
        special.betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - special.betaln(1 + i, b_b) - special.betaln(a_a, b_a)
    ).sum()
    ta, tb = arm_from_sums(na, sa, sa), arm_from_sums(nb, sb, sb)
    got = welch(tb, ta)
    assert chance_to_beat_control(got.diff, got.se) == pytest.approx(exact, abs=0.01)


def test_srm_matches_scipy_chisquare():
    assert srm_p_value([5200, 4800], [0.5, 0.5]) == pytest.approx(stats.chisquare([5200, 4800]).pvalue, rel=1e-12)
    ref = stats.chisquare([180, 820], [200, 800]).pvalue
    assert srm_p_value([180, 820], [20, 80]) == pytest.approx(ref, rel=1e-12)


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
