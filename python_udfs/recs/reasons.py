"""Why each product is recommended, in words: the anchor product, the rule, the purchase cycle, the trend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from python_udfs.moments import strftime_once
from python_udfs.recs.model import SOURCES

if TYPE_CHECKING:
    from python_udfs.recs.candidates import Context

ANCHORS = 5  # the customer's heaviest profile products a reason may name


def every(days: float) -> str:
    """A purchase cycle in words: "about every 5 days", "about every 3 weeks", "about every 2 months"."""
    if days < 6.5:
        n, unit = max(1, round(days)), "day"
    elif days < 60:
        n, unit = round(days / 7), "week"
    else:
        n, unit = round(days / 30), "month"
    return f"about every {n} {unit}{'s' if n > 1 else ''}" if n > 1 else f"about every {unit}"


def with_reasons(picks: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """The final lists: customer_id, rank, product_id, score, source and reason, from the picks (u, i, ...)."""
    picks = picks.sort_values(["u", "priority", "score", "i"], ascending=[True, True, False, True])
    picks["rank"] = picks.groupby("u").cumcount() + 1
    picks = picks.reset_index(drop=True)
    u, i = picks["u"].to_numpy(), picks["i"].to_numpy()
    reason = np.full(len(picks), "", dtype=object)
    src = SOURCES[picks["source"].to_numpy(np.int64)]
    anchors = None
    for kind in ("collaborative", "content"):
        rows = np.flatnonzero(src == kind)
        if len(rows):
            anchors = _Anchors.of(ctx) if anchors is None else anchors
            reason[rows] = _anchor_reasons(ctx, anchors, kind, u[rows], i[rows])
    rows = np.flatnonzero(src == "rule")
    if len(rows):
        reason[rows] = _rule_reasons(ctx, u[rows], i[rows])
    rows = np.flatnonzero(src == "repeat")
    if len(rows):
        reason[rows] = _repeat_reasons(ctx, u[rows], i[rows])
    rows = np.flatnonzero(src == "trending")
    if len(rows):
        categories, category_code = ctx.items.categories, ctx.items.category_code
        prio = picks["priority"].to_numpy()[rows]
        reason[rows] = np.where(prio == 1, "Trending in " + categories[category_code[i[rows]]], "Trending now")
    return pd.DataFrame(
        {
            "customer_id": ctx.people.ids[u],
            "rank": picks["rank"].to_numpy(),
            "product_id": ctx.items.frame["product_id"].to_numpy()[i],
            "score": picks["score"].astype(float).to_numpy(),
            "source": src,
            "reason": reason,
        }
    )


@dataclass
class _Anchors:
    """Each customer's ANCHORS heaviest profile products (-1: none), their weights and whether bought."""

    items: np.ndarray
    weight: np.ndarray
    bought: np.ndarray

    @classmethod
    def of(cls, ctx: Context) -> _Anchors:
        """Made once per chunk for its collaborative and content picks (sorting the profiles twice was about a
        fifth of the reasons' time)."""
        n_customers = len(ctx.people.ids)
        heavy = ctx.people.top_prof.sort_values(["u", "weight"], ascending=[True, False])
        heavy = heavy[heavy.groupby("u").cumcount() < ANCHORS]
        slots = heavy.groupby("u").cumcount().to_numpy()
        anchors = cls(np.full((n_customers, ANCHORS), -1), np.zeros((n_customers, ANCHORS), np.float32),
                      np.zeros((n_customers, ANCHORS), bool))  # fmt: skip
        anchors.items[heavy["u"].to_numpy(), slots] = heavy["i"].to_numpy()
        anchors.weight[heavy["u"].to_numpy(), slots] = heavy["weight"].to_numpy()
        anchors.bought[heavy["u"].to_numpy(), slots] = heavy["purchased"].to_numpy()
        return anchors


def _anchor_reasons(ctx: Context, anchors: _Anchors, kind: str, u: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Collaborative and content picks: of the customer's heaviest profile products, the one adding most to i."""
    names = ctx.items.names
    anchor_w, anchor_bought = anchors.weight, anchors.bought
    aa = anchors.items[u]
    valid = aa >= 0
    if kind == "collaborative":
        cf_lookup = ctx.cf.column
        ai, ii = cf_lookup[np.maximum(aa, 0)], cf_lookup[i][:, None]
        ok = valid & (ai >= 0) & (ii >= 0)
        contrib = np.where(ok, ctx.cf.b[np.maximum(ai, 0), np.maximum(ii, 0)], -np.inf)
    else:
        flat = np.asarray(ctx.items.content[np.maximum(aa, 0).ravel(), np.repeat(i, ANCHORS)]).reshape(aa.shape)
        contrib = np.where(valid, flat, -np.inf)
    with np.errstate(invalid="ignore"):  # -inf x 0 on padding slots, replaced right away
        contrib = np.where(valid, contrib * anchor_w[u], -np.inf)
    best = contrib.argmax(axis=1)
    anchor = aa[np.arange(len(u)), best]
    was_bought = anchor_bought[u, best]
    has = anchor >= 0
    verb = np.where(was_bought, "bought", "viewed")
    if kind == "collaborative":
        text = [f"Because you {v} {names[x]}" for v, x in zip(verb, anchor, strict=True)]
        return np.where(has, text, "Popular with customers like you")
    text = [f"Similar to {names[x]}, which you {v}" for v, x in zip(verb, anchor, strict=True)]
    return np.where(has, text, "Similar to what you looked at")


def _rule_reasons(ctx: Context, u: np.ndarray, i: np.ndarray) -> list[str]:
    """Rule picks: the customer's most recent purchase in the first rule (seed order) pointing at i's category."""
    names, categories, category_code = ctx.items.names, ctx.items.categories, ctx.items.category_code
    # stable: of a customer's purchases at the same moment, the first in profile order (the same in any chunk)
    recent = ctx.people.bought.sort_values("last_purchased_at", ascending=False, kind="stable")
    recent = pd.DataFrame({"u": recent["u"].to_numpy(), "if_cat": category_code[recent["i"].to_numpy()],
                           "anchor": recent["i"].to_numpy()}).drop_duplicates(["u", "if_cat"])  # fmt: skip
    wanted = pd.DataFrame({"row": np.arange(len(u)), "u": u, "then_cat": category_code[i]})
    found = (
        wanted.merge(ctx.rules.rows.reset_index(names="rule")[["rule", "if_cat", "then_cat"]], on="then_cat")
        .merge(recent, on=["u", "if_cat"])
        .sort_values(["row", "rule"])
        .drop_duplicates("row")
        .set_index("row")["anchor"]
    )
    anchor = found.reindex(np.arange(len(u))).to_numpy()
    return [
        f"Goes with your {names[int(a)]}" if pd.notna(a) else f"Goes with your {categories[c]}"
        for a, c in zip(anchor, wanted["then_cat"].to_numpy(), strict=True)
    ]


def _repeat_reasons(ctx: Context, u: np.ndarray, i: np.ndarray) -> list[str]:
    """Buy-again picks: the customer's own cycle with the product, or when it was last bought."""
    facts = ctx.people.bought.set_index(["u", "i"])[["last_purchased_at", "first_purchased_at", "orders"]]
    facts = facts.reindex(pd.MultiIndex.from_arrays([u, i]))
    when = _day_texts(facts["last_purchased_at"])
    orders = facts["orders"].fillna(0).to_numpy()
    span = (facts["last_purchased_at"] - facts["first_purchased_at"]).dt.total_seconds().to_numpy() / 86400
    gap = span / np.maximum(orders - 1, 1)
    return [
        f"Buy again: you buy this {every(g)}" if n >= 2 and g >= 1 else f"Buy again: you last bought it on {w}"
        for w, n, g in zip(when, orders, gap, strict=True)
    ]


def _day_texts(moments: pd.Series) -> np.ndarray:
    """Each moment's date as "%d %b %Y" (NaN where missing), what .dt.strftime gives, formatted once per distinct
    day (formatting every pick's date was most of the buy-again reasons' time)."""
    if moments.dt.tz is not None:  # the wall time strftime formats, as a plain datetime
        moments = moments.dt.tz_localize(None)
    return strftime_once(pd.Series(moments.to_numpy().astype("datetime64[D]")), "%d %b %Y")
