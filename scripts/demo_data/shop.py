"""The shop: the product catalogue, orders and order items (guest and ghost buyers included)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .context import DAY, Context, far_future
from .dirt import Dirt, plant
from .experiments import PlannedTest
from .world import ADJECTIVES, BRANDS, CATEGORIES, CURRENCIES, DOMAINS, PURCHASE_RATE


@dataclass
class Catalogue:
    """Products by position: id, category index, price in GBP, and whether still on sale."""

    ids: np.ndarray
    category: np.ndarray
    price: np.ndarray
    active: np.ndarray
    by_cat: dict[int, np.ndarray]
    active_by_cat: dict[int, np.ndarray]

    def pick(self, rng: np.random.Generator, cats: np.ndarray, active_only: bool = True) -> np.ndarray:
        """A random product of each given category (an active one unless the category has none)."""
        out = np.empty(len(cats), dtype=np.int64)
        pools = self.active_by_cat if active_only else self.by_cat
        for c in np.unique(cats):
            where = np.flatnonzero(cats == c)
            pool = pools[c] if len(pools[c]) else self.by_cat[c]
            out[where] = pool[rng.integers(0, len(pool), len(where))]
        return out


@dataclass
class OrderHistory:
    """What the web source needs from the shop: who ordered which product when, and the ghost buyers."""

    who: np.ndarray
    t: np.ndarray
    product: np.ndarray
    ghost_ids: np.ndarray
    ghost_t: np.ndarray


def make_products(ctx: Context) -> Catalogue:
    n = ctx.cfg.products
    rng = ctx.rng
    cat_idx = np.arange(n) % len(CATEGORIES)
    rng.shuffle(cat_idx)
    medians = np.array([c[3] for c in CATEGORIES])[cat_idx]
    price = np.round(medians * np.exp(rng.normal(0, 0.35, n)), 2)
    brand = rng.choice(BRANDS, n)
    adj = rng.choice(ADJECTIVES, n)
    cats = np.array([c[0] for c in CATEGORIES], dtype=object)[cat_idx]
    nouns = np.array([c[0].rstrip("s").split()[-1] for c in CATEGORIES], dtype=object)[cat_idx]
    ids = np.array([f"P{i:05d}" for i in range(n)], dtype=object)
    active = rng.random(n) > 0.05
    catalogue = Catalogue(
        ids=ids,
        category=cat_idx,
        price=price,
        active=active,
        by_cat={c: np.flatnonzero(cat_idx == c) for c in range(len(CATEGORIES))},
        active_by_cat={c: np.flatnonzero((cat_idx == c) & active) for c in range(len(CATEGORIES))},
    )
    df = pd.DataFrame(
        {
            "product_id": ids,
            "name": [f"{b} {a} {w} {i}" for b, a, w, i in zip(brand, adj, nouns, range(n), strict=True)],
            "category": cats,
            "brand": brand,
            "price": price,
            "currency": np.where(rng.random(n) < 0.9, "GBP", None),
            "url": [f"https://shop.example.com/p/{i}" for i in ids],
            "image_url": [f"https://cdn.example.com/img/{i}.jpg" for i in ids],
            "is_active": np.where(active, "true", "false"),
        }
    )
    df.loc[rng.random(n) < 0.03, "brand"] = None
    ctx.tables["products"], ctx.truth.dirty_rows["products"] = plant(
        df, [Dirt("duplicate", at=(0,)), Dirt("missing_product_id", at=(1,), changes={"product_id": None})]
    )
    ctx.truth.complements = {name: acc for name, acc, _, _ in CATEGORIES if acc}
    ctx.truth.repeat_categories = [c[0] for c in CATEGORIES if c[2]]
    return catalogue


def make_orders(ctx: Context, people: pd.DataFrame, catalogue: Catalogue, planted: PlannedTest | None) -> OrderHistory:
    """Orders and their items; the planted test's units convert at its planted rates inside its window."""
    p, rng = people, ctx.rng
    n_people = len(p)
    arche = p["archetype_idx"].to_numpy()
    lo = np.maximum(p["created"].to_numpy(), ctx.start)
    rate = PURCHASE_RATE[arche] * p["mult"].to_numpy()
    who, t = ctx.rate_events(rate, rate * 0.03, lo, p["dropout"].to_numpy(), np.full(n_people, ctx.end - 60))
    # planted experiment: no organic orders inside the test window for its units
    exp = planted
    in_window = np.zeros(len(who), dtype=bool)
    if exp is not None:
        unit_at = np.full(n_people, -1, dtype=np.int64)
        unit_at[exp.idx] = exp.assigned_at
        ua = unit_at[who]
        in_window = (ua >= 0) & (t >= ua) & (t < ua + exp.window_days * DAY)
        who, t = who[~in_window], t[~in_window]
        conv = rng.random(len(exp.idx)) < np.where(exp.treated, exp.p_treatment, exp.p_control)
        extra_who = exp.idx[conv]
        window_s = exp.window_days * DAY - 3600
        extra_t = exp.assigned_at[conv] + (rng.random(conv.sum()) * window_s).astype(np.int64) + 600
        who = np.concatenate([who, extra_who])
        t = np.concatenate([t, extra_t])
        forced = np.concatenate([np.zeros(len(who) - len(extra_who), bool), np.ones(len(extra_who), bool)])
        order = np.lexsort((t, who))
        who, t, forced = who[order], t[order], forced[order]
    else:
        forced = np.zeros(len(who), dtype=bool)
    n_orders = len(who)
    # primary category: favourites, the accessory of the previous main item, or anything
    fav = np.where(rng.random(n_orders) < 0.6, p["fav1"].to_numpy()[who], p["fav2"].to_numpy()[who])
    anyc = rng.integers(0, len(CATEGORIES), n_orders)
    cat = np.where(rng.random(n_orders) < 0.8, fav, anyc)
    acc_of = np.array([next((j for j, c in enumerate(CATEGORIES) if c[0] == cc[1]), -1) for cc in CATEGORIES])
    prev_same = np.r_[False, who[1:] == who[:-1]]
    prev_cat = np.r_[-1, cat[:-1]]
    follow = prev_same & (acc_of[np.maximum(prev_cat, 0)] >= 0) & (prev_cat >= 0) & (rng.random(n_orders) < 0.65)
    cat = np.where(follow, acc_of[np.maximum(prev_cat, 0)], cat)
    prod = catalogue.pick(rng, cat)
    # consumables: most re-buy the same favourite product of that category
    consumable = np.array([c[2] for c in CATEGORIES])[cat]
    fav_prod_seed = who * 7919 + cat * 104729
    for c in np.flatnonzero([c[2] for c in CATEGORIES]):
        pool = catalogue.active_by_cat[c]
        m = (cat == c) & (rng.random(n_orders) < 0.75)
        if len(pool):
            prod[m] = pool[fav_prod_seed[m] % len(pool)]
    status = rng.choice(["completed", "cancelled", "refunded"], n_orders, p=[0.92, 0.05, 0.03])
    status[forced] = "completed"
    currency = rng.choice(["GBP", "EUR", "USD", None], n_orders, p=[0.8, 0.1, 0.05, 0.05])
    order_ids = np.array([f"O{ctx.base.orders + i:08d}" for i in range(n_orders)], dtype=object)
    contact = p["contact_id"].to_numpy(dtype=object)[who]
    valid = p["has_valid_email"].to_numpy()[who]
    email = np.where(valid, p["email"].to_numpy(dtype=object)[who], None)
    # most orders carry the contact id; some only the (messy) email, like a guest checkout
    email_only = valid & (rng.random(n_orders) < 0.15)
    contact = np.where(email_only, None, contact)
    email = ctx.messy_email(np.where(rng.random(n_orders) < 0.7, email, None), 0.3)
    email = np.where(email_only, ctx.messy_email(p["email"].to_numpy(dtype=object)[who], 0.3), email)
    orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "contact_id": contact,
            "email": email,
            "ordered_at": t,
            "status": status,
            "currency": currency,
        }
    )
    # items: first the primary product, then 0+ more from the favourites
    n_extra = rng.poisson(0.5, n_orders)
    extra_o = np.repeat(np.arange(n_orders), n_extra)
    extra_cat = np.where(
        rng.random(len(extra_o)) < 0.5, p["fav1"].to_numpy()[who[extra_o]], p["fav2"].to_numpy()[who[extra_o]]
    )
    item_o = np.concatenate([np.arange(n_orders), extra_o])
    item_p = np.concatenate([prod, catalogue.pick(rng, extra_cat)])
    qty = rng.choice([1, 2, 3], len(item_o), p=[0.85, 0.12, 0.03])
    qty[consumable[item_o] & (rng.random(len(item_o)) < 0.5)] += 1
    rate_map = {"GBP": 1.0, "EUR": CURRENCIES["EUR"], "USD": CURRENCIES["USD"], None: 1.0}
    fx = np.array([rate_map[c] for c in currency])
    unit_price = np.round(catalogue.price[item_p] * fx[item_o], 2)
    # returns: a negative line for the first item of some completed orders
    ret = np.flatnonzero((status == "completed") & (rng.random(n_orders) < 0.04) & ~forced)
    item_o = np.concatenate([item_o, ret])
    item_p = np.concatenate([item_p, prod[ret]])
    qty = np.concatenate([qty, -np.ones(len(ret), dtype=np.int64)])
    unit_price = np.concatenate([unit_price, np.round(catalogue.price[prod[ret]] * fx[ret], 2)])
    items = pd.DataFrame(
        {
            "order_id": order_ids[item_o],
            "product_id": catalogue.ids[item_p],
            "quantity": qty,
            "unit_price": unit_price,
        }
    )
    ghost_ids, ghost_t = _add_guests_and_ghosts(ctx, n_people, catalogue, orders, items)
    return OrderHistory(who=who, t=t, product=prod, ghost_ids=ghost_ids, ghost_t=ghost_t)


def _add_guests_and_ghosts(
    ctx: Context, n_people: int, catalogue: Catalogue, orders: pd.DataFrame, items: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Guest checkouts and orders under contact ids the CRM lacks, then the dirt; writes both tables.

    Guests, ghosts and order ids are numbered after the earlier chunks' (``ctx.base``).
    """
    rng = ctx.rng
    n_guest = max(2, n_people // 30)
    n_ghost = max(1, n_people // 200)
    base = ctx.base.orders + len(orders)
    g_orders = 1 + rng.poisson(0.4, n_guest)
    g_who = np.repeat(np.arange(n_guest), g_orders)
    g_t = ctx.uniform_times(np.full(len(g_who), ctx.start), np.full(len(g_who), ctx.end - 60))
    g_email = np.array([f"guest.{i}@{DOMAINS[i % 4]}" for i in ctx.base.guests + g_who], dtype=object)
    h_who = ctx.base.ghosts + np.arange(n_ghost)
    h_t = ctx.uniform_times(np.full(n_ghost, ctx.start), np.full(n_ghost, ctx.end - 60))
    n_new = len(g_who) + n_ghost
    new_ids = np.array([f"O{base + i:08d}" for i in range(n_new)], dtype=object)
    extra = pd.DataFrame(
        {
            "order_id": new_ids,
            "contact_id": np.r_[
                np.full(len(g_who), None, dtype=object), np.array([f"X{i:06d}" for i in h_who], dtype=object)
            ],
            "email": np.r_[ctx.messy_email(g_email, 0.3), np.full(n_ghost, None, dtype=object)],
            "ordered_at": np.r_[g_t, h_t],
            "status": "completed",
            "currency": "GBP",
        }
    )
    pidx = catalogue.pick(rng, rng.integers(0, len(CATEGORIES), n_new))
    extra_items = pd.DataFrame(
        {
            "order_id": new_ids,
            "product_id": catalogue.ids[pidx],
            "quantity": 1,
            "unit_price": catalogue.price[pidx],
        }
    )
    ctx.truth.n_guest_people = len(np.unique(g_who))
    ctx.truth.n_ghost_people = n_ghost
    ctx.used.update(orders=len(orders) + n_new, guests=n_guest, ghosts=n_ghost)
    orders = pd.concat([orders, extra], ignore_index=True)
    items = pd.concat([items, extra_items], ignore_index=True)
    # dirt
    k = max(2, len(orders) // 100)
    some, few = max(1, k // 4), max(1, k // 8)
    orders, ctx.truth.dirty_rows["orders"] = plant(
        orders,
        [
            Dirt("duplicate", k),
            Dirt("invalid_status", some, {"status": rng.choice(["on_hold", "PENDING??"], some)}, tag="-S"),
            Dirt("missing_order_id", few, {"order_id": None}),
            Dirt("no_identity", few, {"contact_id": None, "email": None}, tag="-N"),
            Dirt("future", few, {"ordered_at": far_future(6)}, tag="-F"),
            Dirt("unknown_currency", few, {"currency": "XYZ"}, tag="-C"),
            Dirt("mixed_case_status", some, {"status": lambda d: d["status"].str.upper() + " "}, in_place=True),
        ],
        seed=ctx.cfg.seed,
        key="order_id",
    )
    orders["ordered_at"] = ctx.iso(orders["ordered_at"].to_numpy())
    ctx.tables["orders"] = orders.sample(frac=1.0, random_state=ctx.cfg.seed).reset_index(drop=True)
    ctx.tables["order_items"], ctx.truth.dirty_rows["order_items"] = plant(
        items,
        [
            Dirt("unknown_order", few, {"order_id": "O-missing"}),
            Dirt("zero_quantity", few, {"quantity": 0}),
            Dirt("missing_unit_price", few, {"unit_price": np.nan}),
        ],
        seed=1,
    )
    return np.array([f"X{i:06d}" for i in h_who], dtype=object), h_t
