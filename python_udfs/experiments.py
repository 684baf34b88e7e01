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
  (sample ratio mismatch); missing when any variant's weight is unknown (a
  variant in the data that the configuration does not declare).
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


def _welch_arrays(
    mean_t: np.ndarray,
    var_t: np.ndarray,
    n_t: np.ndarray,
    mean_c: np.ndarray,
    var_c: np.ndarray,
    n_c: np.ndarray,
    confidence: float,
) -> dict[str, np.ndarray]:
    """``welch`` over arrays: NaN where an arm has fewer than two units or no variance."""
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = mean_t - mean_c
        a, b = var_t / n_t, var_c / n_c
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n_t - 1) + b**2 / (n_c - 1))
        valid = (n_t >= 2) & (n_c >= 2) & (se > 0)
        t_stat = np.where(valid, diff / np.where(valid, se, 1.0), np.nan)
        df = np.where(valid, df, np.nan)
        p_value = 2 * stats.t.sf(np.abs(t_stat), df)
        half = stats.t.ppf(0.5 + confidence / 2, df) * se
    return {"diff": diff, "se": se, "p_value": p_value, "ci_lower": diff - half, "ci_upper": diff + half}


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
    excluded_units and SUM_COLUMNS. Columns named ``group_*`` (for instance a
    date, for daily results) are kept and are part of the key. Vectorised: the
    same formulas as ``welch``, ``cuped_arm``, ``holm`` and ``srm_p_value``.
    """
    df = arms.reset_index(drop=True).copy()
    df[SUM_COLUMNS] = df[SUM_COLUMNS].astype(float)
    extra = [c for c in df.columns if c.startswith("group_")]
    key = ["experiment_id", "metric", *extra]
    experiment_key = ["experiment_id", *extra]
    n = df["n_units"].to_numpy(dtype=float)
    sy, sy2, sx, sx2, sxy = (df[c].to_numpy(dtype=float) for c in SUM_COLUMNS[1:])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_y = np.where(n > 0, sy / n, np.nan)
        mean_x = np.where(n > 0, sx / n, np.nan)
        var_y = np.where(n > 1, np.maximum(sy2 - sy * sy / n, 0) / (n - 1), np.nan)
        var_x = np.where(n > 1, np.maximum(sx2 - sx * sx / n, 0) / (n - 1), np.nan)
        cov_xy = np.where(n > 1, (sxy - sx * sy / n) / (n - 1), np.nan)
        # CUPED: theta pooled over every unit of the experiment and metric
        totals = df.groupby(key, dropna=False)[SUM_COLUMNS].transform("sum")
        tn = totals["n_units"].to_numpy(dtype=float)
        var_x_all = totals["sum_x2"].to_numpy() - totals["sum_x"].to_numpy() ** 2 / tn
        cov_all = totals["sum_xy"].to_numpy() - totals["sum_x"].to_numpy() * totals["sum_y"].to_numpy() / tn
        theta = np.where((tn >= 2) & (var_x_all > 0), cov_all / var_x_all, 0.0)
        mean_x_all = np.where(tn > 0, totals["sum_x"].to_numpy() / tn, 0.0)
        adj_mean = mean_y - theta * (mean_x - mean_x_all)
        adj_var = np.maximum(var_y + theta * theta * var_x - 2 * theta * cov_xy, 0)
    df = df.assign(
        value=mean_y, var_y=var_y, adj_mean=adj_mean, adj_var=adj_var, cuped_theta=theta,
        is_control=df["variant"] == df["control_variant"],
    )  # fmt: skip
    control = df.loc[df["is_control"], [*key, "n_units", "value", "var_y", "adj_mean", "adj_var", "sum_y"]]
    control = control.rename(columns={c: f"control_{c}" for c in control.columns if c not in key})
    df = df.merge(control, on=key, how="left")
    nc = df["control_n_units"].to_numpy(dtype=float)
    plain = _welch_arrays(
        df["value"].to_numpy(float), df["var_y"].to_numpy(float), n,
        df["control_value"].to_numpy(float), df["control_var_y"].to_numpy(float), nc, confidence,
    )  # fmt: skip
    cuped = _welch_arrays(
        df["adj_mean"].to_numpy(float), df["adj_var"].to_numpy(float), n,
        df["control_adj_mean"].to_numpy(float), df["control_adj_var"].to_numpy(float), nc, confidence,
    )  # fmt: skip
    compared = (~df["is_control"]) & df["control_n_units"].notna()
    with np.errstate(divide="ignore", invalid="ignore"):
        chance = np.where(
            plain["se"] > 0,
            stats.norm.cdf(plain["diff"] / np.where(plain["se"] > 0, plain["se"], 1.0)),
            np.where(plain["diff"] > 0, 1.0, np.where(plain["diff"] < 0, 0.0, 0.5)),
        )
        relative = np.where(df["control_value"].to_numpy(float) != 0, plain["diff"] / df["control_value"], np.nan)
    stat_columns = {
        "absolute_lift": plain["diff"],
        "relative_lift": relative,
        "ci_lower": plain["ci_lower"],
        "ci_upper": plain["ci_upper"],
        "p_value": plain["p_value"],
        "cuped_absolute_lift": cuped["diff"],
        "cuped_ci_lower": cuped["ci_lower"],
        "cuped_ci_upper": cuped["ci_upper"],
        "cuped_p_value": cuped["p_value"],
        "chance_to_beat_control": np.where(np.isnan(plain["se"]), np.nan, chance),
    }
    for column, values in stat_columns.items():
        df[column] = np.where(compared, values, np.nan)
    events = np.minimum(df["sum_y"].to_numpy(float), df["control_sum_y"].fillna(0).to_numpy(float))
    df["is_low_data"] = (
        (n < min_units)
        | (df["control_n_units"].fillna(0).to_numpy(float) < min_units)
        | (df["is_binary"].astype(bool).to_numpy() & (events < min_events))
    )
    # sample ratio mismatch: units per variant against the configured shares (chi-square);
    # not computed (missing) when a variant's share is unknown, e.g. a variant the data
    # has but the configuration does not declare: testing the others alone would hide it
    variants = df.drop_duplicates([*experiment_key, "variant"])[[*experiment_key, "n_units", "expected_share"]]
    variants = variants.assign(expected_share=pd.to_numeric(variants["expected_share"], errors="coerce"))
    share_total = variants.groupby(experiment_key, dropna=False)["expected_share"].transform("sum")
    unit_total = variants.groupby(experiment_key, dropna=False)["n_units"].transform("sum")
    expected = variants["expected_share"] / share_total * unit_total
    variants = variants.assign(
        chi=(variants["n_units"] - expected) ** 2 / expected, k=1, unknown=variants["expected_share"].isna().astype(int)
    )
    srm = variants.groupby(experiment_key, dropna=False).agg(
        chi=("chi", "sum"), k=("k", "sum"), units=("n_units", "sum"), unknown=("unknown", "sum")
    )
    computable = (srm["k"] >= 2) & (srm["units"] > 0) & (srm["unknown"] == 0)
    srm["srm_p_value"] = np.where(computable, stats.chi2.sf(srm["chi"], srm["k"] - 1), np.nan)
    df = df.merge(srm[["srm_p_value"]].reset_index(), on=experiment_key, how="left")
    df["is_srm"] = df["srm_p_value"] < srm_threshold
    # Holm across every compared variant and metric of one experiment
    tested = df.loc[df["p_value"].notna(), [*experiment_key, "p_value"]].sort_values([*experiment_key, "p_value"])
    grouped = tested.groupby(experiment_key, dropna=False)
    m = grouped["p_value"].transform("size")
    rank = grouped.cumcount()
    tested["p_value_adjusted"] = np.minimum(1.0, (m - rank) * tested["p_value"])
    tested["p_value_adjusted"] = tested.groupby(experiment_key, dropna=False)["p_value_adjusted"].cummax()
    df["p_value_adjusted"] = tested["p_value_adjusted"].reindex(df.index)
    drop = [c for c in df.columns if c.startswith("control_") and c != "control_variant"]
    drop += ["var_y", "adj_mean", "adj_var", *SUM_COLUMNS[1:]]
    return df.drop(columns=drop).assign(control_value=df["control_value"])
