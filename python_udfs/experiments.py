"""Experiment statistics from sufficient statistics.

Everything works on per-arm sums (n, sum y, sum y^2, sum x, sum x^2, sum xy)
so the warehouse aggregates millions of units and Python only sees one row per
experiment, variant and metric. y is the metric in the conversion window after
exposure; x is the same metric over the same length of time before exposure
(the CUPED covariate).

The methods are the ones GrowthBook and Eppo users expect:

* Welch's t-test and interval for the absolute lift (unequal variances,
  Welch-Satterthwaite degrees of freedom);
* CUPED (Deng et al. 2013): y - theta (x - mean x), theta pooled over every unit
  of the experiment, then Welch on the adjusted arms;
* Holm's step-down adjustment across the variants and metrics of an experiment;
* chance to beat control: the posterior probability that the (unadjusted) lift
  is positive under a flat prior and a normal likelihood (GrowthBook's Bayesian
  engine with no informative prior);
* a chi-square test of units per variant against the configured weights
  (sample ratio mismatch).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

SUM_COLUMNS = ["n_units", "sum_y", "sum_y2", "sum_x", "sum_x2", "sum_xy"]


@dataclass(frozen=True)
class Arm:
    """Mean and sample variance (ddof 1) of one arm."""

    n: int
    mean: float
    var: float


@dataclass(frozen=True)
class Comparison:
    """Treatment minus control."""

    diff: float
    se: float
    df: float
    ci_lower: float
    ci_upper: float
    p_value: float


def arm_from_sums(n: int, total: float, total_sq: float) -> Arm:
    """Mean and unbiased variance from n, sum and sum of squares."""
    if n <= 0:
        return Arm(0, math.nan, math.nan)
    mean = total / n
    var = max(total_sq - total * total / n, 0.0) / (n - 1) if n > 1 else math.nan
    return Arm(n, mean, var)


def welch(treatment: Arm, control: Arm, confidence: float = 0.95) -> Comparison:
    """Welch's unequal-variance t-test and confidence interval for the difference in means."""
    diff = treatment.mean - control.mean
    if treatment.n < 2 or control.n < 2:
        return Comparison(diff, math.nan, math.nan, math.nan, math.nan, math.nan)
    vt, vc = treatment.var / treatment.n, control.var / control.n
    se = math.sqrt(vt + vc)
    if se == 0:
        return Comparison(diff, 0.0, math.nan, math.nan, math.nan, math.nan)
    df = (vt + vc) ** 2 / (vt**2 / (treatment.n - 1) + vc**2 / (control.n - 1))
    t_stat = diff / se
    p_value = float(2 * stats.t.sf(abs(t_stat), df))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Comparison(diff, se, df, diff - half, diff + half, p_value)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values; missing values stay missing and are not counted."""
    idx = [i for i, p in enumerate(p_values) if p is not None and not math.isnan(p)]
    m = len(idx)
    order = sorted(idx, key=lambda i: p_values[i])
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def cuped_theta(n: int, sum_x: float, sum_x2: float, sum_y: float, sum_xy: float) -> float:
    """theta = cov(x, y) / var(x) over all units of the experiment; 0 when x does not vary."""
    if n < 2:
        return 0.0
    var_x = sum_x2 - sum_x * sum_x / n
    if var_x <= 0:
        return 0.0
    cov_xy = sum_xy - sum_x * sum_y / n
    return cov_xy / var_x


def cuped_arm(
    n: int, sum_y: float, sum_y2: float, sum_x: float, sum_x2: float, sum_xy: float, theta: float, mean_x_all: float
) -> Arm:
    """The arm of y - theta (x - mean x over all units), from its sums."""
    y, x = arm_from_sums(n, sum_y, sum_y2), arm_from_sums(n, sum_x, sum_x2)
    if n <= 1:
        return Arm(n, y.mean - theta * (x.mean - mean_x_all), math.nan)
    cov_xy = (sum_xy - sum_x * sum_y / n) / (n - 1)
    var = max(y.var + theta * theta * x.var - 2 * theta * cov_xy, 0.0)
    return Arm(n, y.mean - theta * (x.mean - mean_x_all), var)


def chance_to_beat_control(diff: float, se: float) -> float:
    """P(lift > 0) under a flat prior and normal likelihood."""
    if se is None or math.isnan(se):
        return math.nan
    if se == 0:
        return 1.0 if diff > 0 else (0.0 if diff < 0 else 0.5)
    return float(stats.norm.cdf(diff / se))


def srm_p_value(observed: Sequence[int], expected_shares: Sequence[float]) -> float:
    """Chi-square goodness of fit of units per variant against the configured shares."""
    obs = np.asarray(observed, dtype=float)
    shares = np.asarray(expected_shares, dtype=float)
    if len(obs) < 2 or obs.sum() == 0 or shares.sum() <= 0:
        return math.nan
    expected = shares / shares.sum() * obs.sum()
    return float(stats.chisquare(obs, expected).pvalue)


def _nan_to_none(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def compute_results(
    arms: pd.DataFrame,
    min_units: int = 100,
    min_events: int = 10,
    srm_threshold: float = 0.001,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per experiment, variant and metric, control rows included.

    ``arms`` has one row per experiment, variant and metric with the columns
    experiment_id, variant, control_variant, metric, is_binary, expected_share,
    excluded_units and SUM_COLUMNS. Optional grouping columns (for instance a
    date, for daily results) are kept and treated as part of the key.
    """
    keys = ["experiment_id", "metric"]
    extra_keys = [c for c in arms.columns if c.startswith("group_")]
    rows: list[dict] = []
    for _, group in arms.groupby(keys + extra_keys, sort=True, dropna=False):
        rows.extend(_compare_group(group, min_units, min_events, confidence))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # SRM: units per variant against weights, once per experiment (and group)
    srm = (
        arms.drop_duplicates(["experiment_id", "variant", *extra_keys])
        .groupby(["experiment_id", *extra_keys], dropna=False)
        .apply(lambda g: srm_p_value(g["n_units"].tolist(), g["expected_share"].tolist()), include_groups=False)
        .rename("srm_p_value")
        .reset_index()
    )
    out = out.merge(srm, on=["experiment_id", *extra_keys], how="left")
    out["is_srm"] = out["srm_p_value"] < srm_threshold
    # Holm across every non-control variant and metric of one experiment
    out["p_value_adjusted"] = None
    for _, part in out.groupby(["experiment_id", *extra_keys], dropna=False):
        mask = ~part["is_control"]
        adjusted = holm([_nan_to_none(p) for p in part.loc[mask, "p_value"]])
        out.loc[part.index[mask], "p_value_adjusted"] = adjusted
    out["p_value_adjusted"] = out["p_value_adjusted"].astype(float)
    return out


def _compare_group(group: pd.DataFrame, min_units: int, min_events: int, confidence: float) -> list[dict]:
    control_variant = group["control_variant"].iloc[0]
    control_rows = group[group["variant"] == control_variant]
    totals = group[SUM_COLUMNS].sum()
    theta = cuped_theta(int(totals["n_units"]), totals["sum_x"], totals["sum_x2"], totals["sum_y"], totals["sum_xy"])
    mean_x_all = totals["sum_x"] / totals["n_units"] if totals["n_units"] else 0.0
    control = cuped_control = None
    control_events = 0.0
    if not control_rows.empty:
        c = control_rows.iloc[0]
        control_events = c["sum_y"]
        control = arm_from_sums(int(c["n_units"]), c["sum_y"], c["sum_y2"])
        cuped_control = cuped_arm(
            int(c["n_units"]), c["sum_y"], c["sum_y2"], c["sum_x"], c["sum_x2"], c["sum_xy"], theta, mean_x_all
        )
    out = []
    for _, r in group.iterrows():
        arm = arm_from_sums(int(r["n_units"]), r["sum_y"], r["sum_y2"])
        is_control = r["variant"] == control_variant
        row = {k: r[k] for k in group.columns if k not in SUM_COLUMNS}
        row.update(
            is_control=is_control,
            n_units=int(r["n_units"]),
            value=_nan_to_none(arm.mean),
            control_value=_nan_to_none(control.mean) if control else None,
            cuped_theta=theta,
        )
        low_events = bool(r["is_binary"]) and min(r["sum_y"], control_events) < min_events
        row["is_low_data"] = bool(arm.n < min_units or control is None or control.n < min_units or low_events)
        if is_control or control is None:
            row.update(
                absolute_lift=None, relative_lift=None, ci_lower=None, ci_upper=None, p_value=None,
                cuped_absolute_lift=None, cuped_ci_lower=None, cuped_ci_upper=None, cuped_p_value=None,
                chance_to_beat_control=None,
            )  # fmt: skip
        else:
            plain = welch(arm, control, confidence)
            adjusted = cuped_arm(
                int(r["n_units"]), r["sum_y"], r["sum_y2"], r["sum_x"], r["sum_x2"], r["sum_xy"], theta, mean_x_all
            )
            cuped = welch(adjusted, cuped_control, confidence)
            row.update(
                absolute_lift=_nan_to_none(plain.diff),
                relative_lift=_nan_to_none(plain.diff / control.mean) if control.mean else None,
                ci_lower=_nan_to_none(plain.ci_lower),
                ci_upper=_nan_to_none(plain.ci_upper),
                p_value=_nan_to_none(plain.p_value),
                cuped_absolute_lift=_nan_to_none(cuped.diff),
                cuped_ci_lower=_nan_to_none(cuped.ci_lower),
                cuped_ci_upper=_nan_to_none(cuped.ci_upper),
                cuped_p_value=_nan_to_none(cuped.p_value),
                chance_to_beat_control=_nan_to_none(chance_to_beat_control(plain.diff, plain.se)),
            )
        out.append(row)
    return out
