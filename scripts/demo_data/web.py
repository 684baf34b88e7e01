"""Web events: sessions by archetype, anonymous browsing before signup, second devices, browse-to-buy paths."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import DAY, Context, far_future
from .dirt import Dirt, plant
from .shop import Catalogue, OrderHistory
from .world import CATEGORIES, SESSION_RATE


def make_web_events(ctx: Context, people: pd.DataFrame, catalogue: Catalogue, orders: OrderHistory) -> None:
    p, rng = people, ctx.rng
    n_people = len(p)
    arche = p["archetype_idx"].to_numpy()
    created = p["created"].to_numpy()
    lo = np.maximum(created, ctx.start)
    rate = SESSION_RATE[arche] * p["mult"].to_numpy()
    who, t = ctx.rate_events(rate, rate * 0.1, lo, p["dropout"].to_numpy(), np.full(n_people, ctx.end))
    # anonymous browsing before a web signup
    ws = np.flatnonzero(p["web_signup"].to_numpy())
    n_pre = 1 + rng.poisson(2, len(ws))
    pre_who = np.repeat(ws, n_pre)
    pre_t = ctx.uniform_times(created[pre_who] - 30 * DAY, created[pre_who] - 3600)
    sess_who = np.concatenate([who, pre_who])
    sess_t = np.concatenate([t, pre_t])
    is_pre = np.r_[np.zeros(len(who), bool), np.ones(len(pre_who), bool)]
    # device: second device for some sessions after signup
    dev2 = p["second_device"].to_numpy()[sess_who] & ~is_pre & (rng.random(len(sess_who)) < 0.3)
    anon = np.where(dev2, p["anon2"].to_numpy(dtype=object)[sess_who], p["anon1"].to_numpy(dtype=object)[sess_who])
    # the first session on each device after signup is logged in, later ones sometimes
    order = np.lexsort((sess_t, anon))
    first_on_device = np.r_[True, anon[order][1:] != anon[order][:-1]]
    first_flag = np.zeros(len(anon), bool)
    first_flag[order] = first_on_device
    logged = (~is_pre) & (first_flag | (rng.random(len(anon)) < 0.4))
    # events per session
    n_ev = 1 + rng.poisson(1.5, len(sess_who))
    e_s = np.repeat(np.arange(len(sess_who)), n_ev)
    pos = np.arange(len(e_s)) - np.repeat(np.cumsum(n_ev) - n_ev, n_ev)
    e_t = sess_t[e_s] + pos * rng.integers(20, 240, len(e_s))
    kind = rng.choice(
        ["product_view", "page_view", "search", "add_to_cart", "remove_from_cart"],
        len(e_s),
        p=[0.55, 0.25, 0.08, 0.10, 0.02],
    )
    kind[pos == 0] = "page_view"
    pw = sess_who[e_s]
    cat = np.where(
        rng.random(len(e_s)) < 0.7,
        p["fav1"].to_numpy()[pw],
        np.where(rng.random(len(e_s)) < 0.5, p["fav2"].to_numpy()[pw], rng.integers(0, len(CATEGORIES), len(e_s))),
    )
    prod = catalogue.ids[catalogue.pick(rng, cat, active_only=False)].astype(object)
    prod[np.isin(kind, ["page_view", "search"])] = None
    ev = pd.DataFrame(
        {
            "anonymous_id": anon[e_s],
            "contact_id": np.where(logged[e_s], p["contact_id"].to_numpy(dtype=object)[pw], None),
            "email": None,
            "event_type": kind,
            "product_id": prod,
            "occurred_at": e_t,
        }
    )
    # signup events link the first device to the email
    signup = pd.DataFrame(
        {
            "anonymous_id": p["anon1"].to_numpy(dtype=object)[ws],
            "contact_id": None,
            "email": ctx.messy_email(
                np.where(p["has_valid_email"].to_numpy()[ws], p["email"].to_numpy(dtype=object)[ws], None), 0.3
            ),
            "event_type": "signup",
            "product_id": None,
            "occurred_at": created[ws],
        }
    )
    # the browse-to-buy path before each order: product view, cart, checkout
    ow, ot, op = orders.who, orders.t, orders.product
    path = []
    for et, lag in (("product_view", 1500), ("add_to_cart", 900), ("checkout_started", 300)):
        path.append(
            pd.DataFrame(
                {
                    "anonymous_id": p["anon1"].to_numpy(dtype=object)[ow],
                    "contact_id": p["contact_id"].to_numpy(dtype=object)[ow],
                    "email": None,
                    "event_type": et,
                    "product_id": catalogue.ids[op],
                    "occurred_at": ot - lag,
                }
            )
        )
    # ghosts browse logged in under a contact id the CRM does not have
    ghost = pd.DataFrame(
        {
            "anonymous_id": [f"g{ctx.base.ghosts + i:011d}" for i in range(len(orders.ghost_ids))],
            "contact_id": orders.ghost_ids,
            "email": None,
            "event_type": "page_view",
            "product_id": None,
            "occurred_at": orders.ghost_t - 600,
        }
    )
    # anonymous-only visitors who never identify themselves
    n_anon = max(1, n_people // 4)
    a_sess = 1 + rng.poisson(1.0, n_anon)
    a_who = np.repeat(np.arange(n_anon), a_sess)
    anon_only = pd.DataFrame(
        {
            "anonymous_id": np.array([f"v{ctx.base.visitors + i:011d}" for i in range(n_anon)], dtype=object)[a_who],
            "contact_id": None,
            "email": None,
            "event_type": rng.choice(["page_view", "product_view"], len(a_who)),
            "product_id": None,
            "occurred_at": ctx.uniform_times(np.full(len(a_who), ctx.start), np.full(len(a_who), ctx.end)),
        }
    )
    pv = anon_only["event_type"].to_numpy() == "product_view"
    anon_only.loc[pv, "product_id"] = catalogue.ids[rng.integers(0, len(catalogue.ids), pv.sum())]
    ctx.truth.n_anonymous_people = n_anon
    ev = pd.concat([ev, signup, *path, ghost, anon_only], ignore_index=True)
    ev = ev[ev["occurred_at"] < ctx.end].reset_index(drop=True)
    ev["event_id"] = [f"w{ctx.base.web_events + i:09d}" for i in range(len(ev))]
    ctx.used.update(visitors=n_anon, web_events=len(ev))
    k = max(3, len(ev) // 100)
    few = max(1, k // 10)
    ev, ctx.truth.dirty_rows["web_events"] = plant(
        ev,
        [
            Dirt("duplicate", k),
            Dirt("invalid_event_type", few, {"event_type": "scroll_depth", "anonymous_id": "junk-device"}, tag="-T"),
            Dirt("missing_timestamp", few, {"occurred_at": -1, "anonymous_id": "junk-device"}, tag="-Z"),
            Dirt("future", few, {"occurred_at": far_future(2)}, tag="-F"),
            Dirt("no_identity", few, {"anonymous_id": None, "contact_id": None, "email": None}, tag="-N"),
        ],
        seed=11,
        key="event_id",
    )
    ts = ctx.native(ev["occurred_at"].to_numpy())
    ts[ev["occurred_at"].to_numpy() < 0] = pd.NaT
    ev["occurred_at"] = ts
    # event types arrive in mixed case sometimes
    mc = rng.random(len(ev)) < 0.02
    ev.loc[mc, "event_type"] = ev.loc[mc, "event_type"].str.upper()
    cols = ["event_id", "anonymous_id", "contact_id", "email", "event_type", "product_id", "occurred_at"]
    ctx.tables["web_events"] = ev[cols]
