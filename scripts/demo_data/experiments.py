"""Experiments: a past A/B test with a planted lift, a second with a planted sample ratio mismatch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .context import DAY, Context
from .dirt import Dirt, plant


@dataclass
class PlannedTest:
    """Units of one test (positions in the people frame), their arm and assignment time.

    The conversion fields are set for the test whose lift is planted in the orders.
    """

    idx: np.ndarray
    treated: np.ndarray
    assigned_at: np.ndarray
    window_days: int = 0
    p_control: float = 0.0
    p_treatment: float = 0.0


@dataclass
class ExperimentPlan:
    free_shipping: PlannedTest
    hero_banner: PlannedTest


def plan_experiments(ctx: Context, people: pd.DataFrame) -> ExperimentPlan:
    """Choose units before orders are drawn, so the planted lift shapes the orders."""
    p, rng = people, ctx.rng
    window = 14
    t_a = ctx.end - 100 * DAY
    eligible = np.flatnonzero((p["subscribed_at"].to_numpy() >= 0) & (p["created"].to_numpy() < t_a - DAY))
    units = eligible[rng.random(len(eligible)) < 0.4]
    treated = rng.random(len(units)) < 0.5
    assigned = t_a + rng.integers(0, 3 * 3600, len(units))
    free_shipping = PlannedTest(
        idx=units, treated=treated, assigned_at=assigned, window_days=window, p_control=0.10, p_treatment=0.13
    )
    t_b = ctx.end - 60 * DAY
    eligible_b = np.flatnonzero((p["subscribed_at"].to_numpy() >= 0) & (p["created"].to_numpy() < t_b - DAY))
    units_b = eligible_b[rng.random(len(eligible_b)) < 0.3]
    treated_b = rng.random(len(units_b)) < 0.35  # configured 50/50: a planted sample ratio mismatch
    assigned_b = t_b + rng.integers(0, 3 * 3600, len(units_b))
    hero_banner = PlannedTest(idx=units_b, treated=treated_b, assigned_at=assigned_b)
    ctx.truth.experiments = [
        {
            "experiment_id": "exp_past_free_shipping",
            "control_variant": "control",
            "treatment_variant": "free_shipping",
            "metric": "conversion",
            "conversion_window_days": window,
            "p_control": 0.10,
            "p_treatment": 0.13,
            "absolute_lift": 0.03,
            "relative_lift": 0.30,
            "configured_weights": {"control": 0.5, "free_shipping": 0.5},
            "planted_srm": False,
            "units": len(units),
            "units_treatment": int(treated.sum()),
        },
        {
            "experiment_id": "exp_past_hero_banner",
            "control_variant": "control",
            "treatment_variant": "new_banner",
            "metric": "conversion",
            "conversion_window_days": window,
            "absolute_lift": 0.0,
            "configured_weights": {"control": 0.5, "new_banner": 0.5},
            "planted_srm": True,
            "share_treatment": 0.35,
            "units": len(units_b),
            "units_treatment": int(treated_b.sum()),
        },
    ]
    return ExperimentPlan(free_shipping=free_shipping, hero_banner=hero_banner)


def make_assignments(ctx: Context, people: pd.DataFrame, plan: ExperimentPlan) -> None:
    """experiment_assignments: each unit by contact id or (messy) email, and one row naming nobody (first chunk)."""
    p, rng = people, ctx.rng
    frames = []
    tests = ((plan.free_shipping, ctx.truth.experiments[0]), (plan.hero_banner, ctx.truth.experiments[1]))
    for exp, spec in tests:
        idx = exp.idx
        by_email = rng.random(len(idx)) < 0.3
        frames.append(
            pd.DataFrame(
                {
                    "experiment_id": spec["experiment_id"],
                    "contact_id": np.where(by_email, None, p["contact_id"].to_numpy(dtype=object)[idx]),
                    "email": np.where(by_email, ctx.messy_email(p["email"].to_numpy(dtype=object)[idx], 0.3), None),
                    "variant": np.where(exp.treated, spec["treatment_variant"], spec["control_variant"]),
                    "assigned_at": exp.assigned_at,
                }
            )
        )
    df, ctx.truth.dirty_rows["experiment_assignments"] = plant(
        pd.concat(frames, ignore_index=True),
        [Dirt("no_identity", at=(0,), changes={"contact_id": None, "email": None})] if ctx.chunk.index == 0 else [],
    )
    df["assigned_at"] = ctx.iso(df["assigned_at"].to_numpy())
    ctx.tables["experiment_assignments"] = df
