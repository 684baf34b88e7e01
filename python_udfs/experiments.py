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

There is one implementation, vectorised: ``compute_results`` (what the dbt
Python models call) is built from the array functions below, and the tests pin
those functions and ``compute_results`` itself against scipy and statsmodels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

SUM_COLUMNS = ["n_units", "sum_y", "sum_y2", "sum_x", "sum_x2", "sum_xy"]


def arm_moments(n: ArrayLike, total: ArrayLike, total_sq: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased (ddof 1) variance of each arm from its n, sum and sum of squares.

    The mean is NaN for an arm without units, the variance for an arm with fewer than two.
    """
    n, total, total_sq = (np.asarray(v, dtype=float) for v in (n, total, total_sq))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        var = np.where(n > 1, np.maximum(total_sq - total * total / n, 0) / (n - 1), np.nan)
    return mean, var


def welch(
    mean_t: ArrayLike,
    var_t: ArrayLike,
    n_t: ArrayLike,
    mean_c: ArrayLike,
    var_c: ArrayLike,
    n_c: ArrayLike,
    confidence: float = 0.95,
) -> dict[str, np.ndarray]:
    """Welch's unequal-variance t-test and interval for treatment minus control, element-wise.

    Returns diff, se, df (Welch-Satterthwaite), p_value, ci_lower and ci_upper; all but
    diff and se are NaN where an arm has fewer than two units or the standard error is 0.
    """
    mean_t, var_t, n_t, mean_c, var_c, n_c = (
        np.asarray(v, dtype=float) for v in (mean_t, var_t, n_t, mean_c, var_c, n_c)
    )
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
    return {"diff": diff, "se": se, "df": df, "p_value": p_value, "ci_lower": diff - half, "ci_upper": diff + half}


def chance_to_beat_control(diff: ArrayLike, se: ArrayLike) -> np.ndarray:
    """P(lift > 0) under a flat prior and normal likelihood, element-wise.

    With a standard error of 0 it is 1, 0 or 0.5 as the lift is positive, negative or
    zero; NaN where the standard error is missing.
    """
    diff, se = np.asarray(diff, dtype=float), np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        chance = np.where(
            se > 0,
            stats.norm.cdf(diff / np.where(se > 0, se, 1.0)),
            np.where(diff > 0, 1.0, np.where(diff < 0, 0.0, 0.5)),
        )
    return np.where(np.isnan(se), np.nan, chance)


def holm(p_values: pd.Series, by: pd.DataFrame | None = None) -> pd.Series:
    """Holm's step-down adjusted p-values within each family (the rows sharing ``by``; one family without it).

    Missing p-values stay missing and are not counted in their family's size. ``by`` shares
    the index of ``p_values``; the result does too.
    """
    frame = pd.DataFrame({"p_value": pd.to_numeric(p_values, errors="coerce")}, index=p_values.index)
    if by is None:
        by = pd.DataFrame({"family": 0}, index=p_values.index)
    keys = list(by.columns)
    frame[keys] = by
    tested = frame.loc[frame["p_value"].notna()].sort_values([*keys, "p_value"])
    grouped = tested.groupby(keys, dropna=False)
    m = grouped["p_value"].transform("size")
    rank = grouped.cumcount()
    tested["p_value_adjusted"] = np.minimum(1.0, (m - rank) * tested["p_value"])
    adjusted = tested.groupby(keys, dropna=False)["p_value_adjusted"].cummax()
    return adjusted.reindex(frame.index)


def _cuped_theta(n: np.ndarray, sum_x: np.ndarray, sum_x2: np.ndarray, sum_y: np.ndarray, sum_xy: np.ndarray):
    """theta = cov(x, y) / var(x) from pooled sums; 0 when x does not vary or there are fewer than two units."""
    with np.errstate(divide="ignore", invalid="ignore"):
        var_x = sum_x2 - sum_x**2 / n
        cov_xy = sum_xy - sum_x * sum_y / n
        return np.where((n >= 2) & (var_x > 0), cov_xy / var_x, 0.0)


def _srm_p_values(df: pd.DataFrame, experiment_key: list[str]) -> pd.DataFrame:
    """Chi-square p-value of units per variant against the configured shares, per experiment.

    Not computed (missing) when a variant's share is unknown, e.g. a variant the data has
    but the configuration does not declare: testing the others alone would hide it.
    """
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
    return srm[["srm_p_value"]].reset_index()


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
    date, for daily results) are kept and are part of the key.
    """
    df = arms.reset_index(drop=True).copy()
    df[SUM_COLUMNS] = df[SUM_COLUMNS].astype(float)
    extra = [c for c in df.columns if c.startswith("group_")]
    key = ["experiment_id", "metric", *extra]
    experiment_key = ["experiment_id", *extra]
    n = df["n_units"].to_numpy(dtype=float)
    sy, sy2, sx, sx2, sxy = (df[c].to_numpy(dtype=float) for c in SUM_COLUMNS[1:])
    mean_y, var_y = arm_moments(n, sy, sy2)
    mean_x, var_x = arm_moments(n, sx, sx2)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov_xy = np.where(n > 1, (sxy - sx * sy / n) / (n - 1), np.nan)
        # CUPED: theta pooled over every unit of the experiment and metric
        totals = df.groupby(key, dropna=False)[SUM_COLUMNS].transform("sum")
        tn = totals["n_units"].to_numpy(dtype=float)
        theta = _cuped_theta(tn, *(totals[c].to_numpy() for c in ["sum_x", "sum_x2", "sum_y", "sum_xy"]))
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
    plain = welch(
        df["value"].to_numpy(float), df["var_y"].to_numpy(float), n,
        df["control_value"].to_numpy(float), df["control_var_y"].to_numpy(float), nc, confidence,
    )  # fmt: skip
    cuped = welch(
        df["adj_mean"].to_numpy(float), df["adj_var"].to_numpy(float), n,
        df["control_adj_mean"].to_numpy(float), df["control_adj_var"].to_numpy(float), nc, confidence,
    )  # fmt: skip
    compared = (~df["is_control"]) & df["control_n_units"].notna()
    with np.errstate(divide="ignore", invalid="ignore"):
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
        "chance_to_beat_control": chance_to_beat_control(plain["diff"], plain["se"]),
    }
    for column, values in stat_columns.items():
        df[column] = np.where(compared, values, np.nan)
    events = np.minimum(df["sum_y"].to_numpy(float), df["control_sum_y"].fillna(0).to_numpy(float))
    df["is_low_data"] = (
        (n < min_units)
        | (df["control_n_units"].fillna(0).to_numpy(float) < min_units)
        | (df["is_binary"].astype(bool).to_numpy() & (events < min_events))
    )
    df = df.merge(_srm_p_values(df, experiment_key), on=experiment_key, how="left")
    df["is_srm"] = df["srm_p_value"] < srm_threshold
    # Holm across every compared variant and metric of one experiment
    df["p_value_adjusted"] = holm(df["p_value"], by=df[experiment_key])
    drop = [c for c in df.columns if c.startswith("control_") and c != "control_variant"]
    drop += ["var_y", "adj_mean", "adj_var", *SUM_COLUMNS[1:]]
    return df.drop(columns=drop).assign(control_value=df["control_value"])
