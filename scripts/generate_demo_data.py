"""Deterministic demo-data generator for the raw contract (shared/raw-contract.md).

It simulates a shop with an email programme and plants a known truth that the
tests check the models against:

* people of four latent archetypes (highly engaged buyers, engaged browsers,
  infrequent buyers, inactive) whose engagement drives purchases and who drop
  out at a random time, so that recency and engagement predict purchases;
* per-person category preferences, complementary products (buyers of a main
  item tend to buy its accessories next) and consumables that are re-bought;
* time zones that shift the hour people open emails, and privacy-proxy opens a
  few seconds after delivery;
* anonymous browsing that is linked to an email by a signup event and then to a
  CRM record, second devices linked by logging in, one email shared by two CRM
  records (one person), guest buyers and orders under contact ids the CRM lacks;
* a past A/B test with a known lift and a second test with a planted sample
  ratio mismatch;
* every kind of dirt the contract lists, always on extra rows, so that the
  number of people is known exactly.

Raw tables go to ``--out`` (the project's RAW_DATA_DIR); the ground truth goes to
``--truth-out``, which only tests read.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

DAY = 86_400
ARCHETYPES = ["highly_engaged_buyer", "engaged_browser", "infrequent_buyer", "inactive"]
ARCHETYPE_SHARE = [0.15, 0.25, 0.30, 0.30]
# Purchases per day while active, campaign open probability, click given open,
# web sessions per day, mean days before dropping out.
PURCHASE_RATE = np.array([1 / 15, 1 / 300, 1 / 75, 1 / 1500])
OPEN_PROB = np.array([0.6, 0.5, 0.12, 0.02])
CLICK_PROB = np.array([0.35, 0.25, 0.10, 0.05])
SESSION_RATE = np.array([1 / 20, 1 / 8, 1 / 120, 1 / 1000])
DROPOUT_MEAN_DAYS = np.array([3000, 2500, 1500, 120])

# (category, accessory category or "", is consumable, price median in base currency)
CATEGORIES = [
    ("Cameras", "Camera Accessories", False, 450.0),
    ("Camera Accessories", "", False, 35.0),
    ("Laptops", "Laptop Accessories", False, 900.0),
    ("Laptop Accessories", "", False, 40.0),
    ("Coffee Machines", "Coffee Pods", False, 220.0),
    ("Coffee Pods", "", True, 9.0),
    ("Bikes", "Cycling Gear", False, 650.0),
    ("Cycling Gear", "", False, 45.0),
    ("Skincare", "", True, 18.0),
    ("Books", "", False, 14.0),
    ("Kitchen", "", False, 30.0),
    ("Toys", "", False, 25.0),
]
BRANDS = ["Acme", "Nordlys", "Kestrel", "Umbra", "Vantage", "Halcyon", "Pico", "Orrin"]
ADJECTIVES = ["Classic", "Pro", "Lite", "Max", "Eco", "Urban", "Trail", "Studio", "Mini", "Plus"]
FIRST_NAMES = [
    "Ava",
    "Ben",
    "Chloe",
    "Dan",
    "Ella",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kai",
    "Lena",
    "Max",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Brown",
    "Müller",
    "Garcia",
    "Tanaka",
    "Wilson",
    "Taylor",
    "Nguyen",
    "Martin",
    "Rossi",
    "Kowalski",
    "Evans",
    "Walker",
    "Khan",
    "Silva",
]
DOMAINS = ["example.com", "mail.example.org", "shopper.example.net", "inbox.example.co.uk"]
# IANA zone, country spellings as a messy CRM holds them (ISO-2, ISO-3, names, aliases)
ZONES = [
    ("Europe/London", ["GB", "GBR", "United Kingdom", "UK", " uk ", "Great Britain"]),
    ("Europe/Berlin", ["DE", "DEU", "Germany", "Deutschland", "de"]),
    ("America/New_York", ["US", "USA", "United States", "U.S.A.", "United States of America"]),
    ("America/Los_Angeles", ["US", "usa", "United States"]),
    ("Europe/Dublin", ["IE", "IRL", "Ireland", "EIRE"]),
    ("Asia/Tokyo", ["JP", "JPN", "Japan"]),
    ("Australia/Sydney", ["AU", "AUS", "Australia"]),
]
ZONE_SHARE = [0.40, 0.12, 0.18, 0.10, 0.06, 0.07, 0.07]
PREFERRED_HOURS = np.array([7, 8, 12, 13, 18, 19, 20, 21])
CURRENCIES = {"GBP": 1.0, "EUR": 1.17, "USD": 1.27}  # units per 1 GBP, matches seeds/exchange_rates.csv


@dataclass
class GeneratorConfig:
    contacts: int = 5_000
    days: int = 365
    products: int = 200
    seed: int = 42
    end_date: str = field(default_factory=lambda: datetime.now(UTC).date().isoformat())
    campaign_every_days: int = 14
    fmt: str = "mixed"  # mixed, csv or parquet


@dataclass
class Truth:
    n_people: int = 0
    n_crm_people: int = 0
    n_anonymous_people: int = 0
    n_guest_people: int = 0
    n_ghost_people: int = 0
    shared_email: str = ""
    shared_email_contact_ids: list = field(default_factory=list)
    complements: dict = field(default_factory=dict)
    repeat_categories: list = field(default_factory=list)
    experiments: list = field(default_factory=list)
    raw_rows: dict = field(default_factory=dict)
    dirty_rows: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)


class Generator:
    """Builds every raw table as a pandas frame; ``write`` saves them."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.end = int(datetime.fromisoformat(cfg.end_date).replace(tzinfo=UTC).timestamp())
        self.start = self.end - cfg.days * DAY
        self.truth = Truth(config=asdict(cfg))
        self.tables: dict[str, pd.DataFrame] = {}

    # ------------------------------------------------------------------ helpers
    def _uniform_times(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return (lo + self.rng.random(len(lo)) * np.maximum(hi - lo, 0)).astype(np.int64)

    def _messy_email(self, emails: np.ndarray, share: float) -> np.ndarray:
        """Uppercase or pad a share of emails, as ESP exports and forms do."""
        out = emails.astype(object).copy()
        pick = (self.rng.random(len(out)) < share) & pd.notna(out)
        styles = self.rng.integers(0, 3, len(out))
        for i in np.flatnonzero(pick):
            e = out[i]
            out[i] = e.upper() if styles[i] == 0 else (f"  {e} " if styles[i] == 1 else e.title())
        return out

    def _iso(self, ts: np.ndarray) -> np.ndarray:
        """ISO-8601 strings: UTC 'Z', an explicit offset, or no offset (UTC)."""
        dt = pd.to_datetime(ts, unit="s", utc=True)
        out = dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)
        kind = self.rng.integers(0, 3, len(ts))
        z = kind == 1
        out[z] = (dt[z].strftime("%Y-%m-%dT%H:%M:%S") + "Z").to_numpy(dtype=object)
        off = kind == 2
        shifted = (dt[off] + pd.Timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
        out[off] = shifted.to_numpy(dtype=object)
        return out

    def _native(self, ts: np.ndarray) -> pd.Series:
        return pd.Series(pd.to_datetime(ts, unit="s"))  # naive UTC, a native timestamp column

    # ------------------------------------------------------------------ catalogue
    def make_products(self) -> None:
        n = self.cfg.products
        rng = self.rng
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
        self.product_ids = ids
        self.product_cat = cat_idx
        self.product_price = price
        self.product_active = active
        self.by_cat = {c: np.flatnonzero(cat_idx == c) for c in range(len(CATEGORIES))}
        self.active_by_cat = {c: np.flatnonzero((cat_idx == c) & active) for c in range(len(CATEGORIES))}
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
        # dirt: one duplicated product row and one row without a product id
        dirt = pd.concat([df.iloc[[0]], df.iloc[[1]].assign(product_id=None)])
        self.truth.dirty_rows["products"] = {"duplicate": 1, "missing_product_id": 1}
        self.tables["products"] = pd.concat([df, dirt], ignore_index=True)
        comps = {}
        for name, acc, _, _ in CATEGORIES:
            if acc:
                comps[name] = acc
        self.truth.complements = comps
        self.truth.repeat_categories = [c[0] for c in CATEGORIES if c[2]]

    def _pick_products(self, cats: np.ndarray, active_only: bool = True) -> np.ndarray:
        out = np.empty(len(cats), dtype=np.int64)
        pools = self.active_by_cat if active_only else self.by_cat
        for c in np.unique(cats):
            where = np.flatnonzero(cats == c)
            pool = pools[c] if len(pools[c]) else self.by_cat[c]
            out[where] = pool[self.rng.integers(0, len(pool), len(where))]
        return out

    # ------------------------------------------------------------------ people
    def make_people(self) -> None:
        cfg, rng = self.cfg, self.rng
        n = cfg.contacts
        self.n = n
        arche = rng.choice(4, n, p=ARCHETYPE_SHARE)
        created = self._uniform_times(np.full(n, self.start - 365 * DAY), np.full(n, self.end - DAY))
        mult = np.exp(rng.normal(0, 0.35, n))
        dropout = created + (rng.exponential(DROPOUT_MEAN_DAYS[arche]) * DAY).astype(np.int64)
        zone = rng.choice(len(ZONES), n, p=ZONE_SHARE)
        pref_hour = rng.choice(PREFERRED_HOURS, n)
        n_cat = len(CATEGORIES)
        fav1 = rng.integers(0, n_cat, n)
        fav2 = (fav1 + rng.integers(1, n_cat, n)) % n_cat
        email_kind = rng.choice(3, n, p=[0.96, 0.02, 0.02])  # valid, invalid, null
        emails = np.array([f"{FIRST_NAMES[i % 20].lower()}.{i}@{DOMAINS[i % 4]}" for i in range(n)], dtype=object)
        web_signup = (rng.random(n) < 0.3) & (created > self.start + 30 * DAY) & (email_kind == 0)
        mpp = rng.random(n) < 0.15
        second_device = rng.random(n) < 0.4
        self.p = pd.DataFrame(
            {
                "person_id": [f"person_{i:07d}" for i in range(n)],
                "contact_id": [f"C{i:07d}" for i in range(n)],
                "email": emails,
                "email_kind": email_kind,
                "archetype_idx": arche,
                "created": created,
                "mult": mult,
                "dropout": dropout,
                "zone": zone,
                "pref_hour": pref_hour,
                "fav1": fav1,
                "fav2": fav2,
                "web_signup": web_signup,
                "mpp": mpp,
                "second_device": second_device,
            }
        )
        self.p["anon1"] = [f"a{rng_id:012x}" for rng_id in rng.integers(0, 2**48, n)]
        self.p["anon2"] = [f"a{rng_id:012x}" for rng_id in rng.integers(0, 2**48, n)]
        self.p["has_valid_email"] = email_kind == 0
        self.p["subscribed_at"] = np.where((email_kind == 0) & (rng.random(n) < 0.82), created + 60, -1)

    def make_crm(self) -> None:
        rng, p = self.rng, self.p
        n = self.n
        first = np.array(FIRST_NAMES, dtype=object)[np.arange(n) % 20]
        last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
        email = p["email"].to_numpy(dtype=object).copy()
        kind = p["email_kind"].to_numpy()
        email[kind == 1] = rng.choice(
            ["n/a", "john.doe@", "foo at bar.com", "x@y", "@example.com"], int((kind == 1).sum())
        )
        email[kind == 2] = None
        email = self._messy_email(email, 0.2)
        country = np.array([ZONES[z][1][rng.integers(0, len(ZONES[z][1]))] for z in p["zone"]], dtype=object)
        country[rng.random(n) < 0.05] = None
        tz = np.array([ZONES[z][0] for z in p["zone"]], dtype=object)
        tz[rng.random(n) < 0.10] = None
        created = p["created"].to_numpy()
        updated = created + (rng.random(n) * DAY * 30).astype(np.int64)
        updated = np.minimum(updated, self.end - 60)
        first_out = first.copy()
        first_out[rng.random(n) < 0.03] = None
        crm = pd.DataFrame(
            {
                "contact_id": p["contact_id"].to_numpy(dtype=object),
                "email": email,
                "first_name": first_out,
                "last_name": last,
                "country": country,
                "timezone": tz,
                "created_at": created,
                "updated_at": updated,
            }
        )
        # an older version of 10% of contacts (latest updated_at must win)
        old = crm.sample(frac=0.10, random_state=self.cfg.seed).copy()
        old["updated_at"] = old["created_at"]
        old["first_name"] = "Old-" + old["first_name"].fillna("x")
        old["updated_at"] = old["updated_at"] - 1
        # a version dated in the far future (dirt) for a few contacts
        fut = crm.sample(n=max(1, n // 500), random_state=self.cfg.seed + 1).copy()
        fut["updated_at"] = int(datetime(2099, 1, 1, tzinfo=UTC).timestamp())
        fut["first_name"] = "Future"
        # rows without a contact id
        nokey = crm.sample(n=max(1, n // 1000), random_state=self.cfg.seed + 2).copy()
        nokey["contact_id"] = None
        # one email shared by two CRM records: a duplicate CRM record of one person
        valid_idx = np.flatnonzero(kind == 0)
        shared_person = int(valid_idx[len(valid_idx) // 2])
        dup = crm.iloc[[shared_person]].copy()
        dup["contact_id"] = f"C{n + 1:07d}"
        dup["email"] = str(p.at[shared_person, "email"]).upper()
        dup["created_at"] = dup["created_at"] + 86400 * 3
        dup["updated_at"] = dup["created_at"] + 10
        self.truth.shared_email = str(p.at[shared_person, "email"])
        self.truth.shared_email_contact_ids = [str(p.at[shared_person, "contact_id"]), dup.iloc[0]["contact_id"]]
        self.truth.dirty_rows["crm_contacts"] = {
            "older_versions": len(old),
            "future_versions": len(fut),
            "missing_contact_id": len(nokey),
            "shared_email_records": 1,
        }
        out = pd.concat([crm, old, fut, nokey, dup], ignore_index=True)
        out["created_at"] = self._iso(out["created_at"].to_numpy())
        out["updated_at"] = self._iso(out["updated_at"].to_numpy())
        self.tables["crm_contacts"] = out.sample(frac=1.0, random_state=self.cfg.seed).reset_index(drop=True)

    # ------------------------------------------------------------------ orders
    def _person_rate_events(
        self, rate_alive: np.ndarray, rate_dead: np.ndarray, lo: np.ndarray, dropout: np.ndarray, hi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Poisson event times per person: one rate while active, another after dropping out."""
        rng = self.rng
        alive_end = np.clip(dropout, lo, hi)
        alive_days = (alive_end - lo) / DAY
        dead_days = (hi - alive_end) / DAY
        n_alive = rng.poisson(rate_alive * np.maximum(alive_days, 0))
        n_dead = rng.poisson(rate_dead * np.maximum(dead_days, 0))
        who = np.concatenate([np.repeat(np.arange(len(lo)), n_alive), np.repeat(np.arange(len(lo)), n_dead)])
        t_lo = np.concatenate([np.repeat(lo, n_alive), np.repeat(alive_end, n_dead)])
        t_hi = np.concatenate([np.repeat(alive_end, n_alive), np.repeat(hi, n_dead)])
        t = self._uniform_times(t_lo, t_hi)
        order = np.lexsort((t, who))
        return who[order], t[order]

    def make_orders(self) -> None:
        p, rng = self.p, self.rng
        arche = p["archetype_idx"].to_numpy()
        lo = np.maximum(p["created"].to_numpy(), self.start)
        rate = PURCHASE_RATE[arche] * p["mult"].to_numpy()
        who, t = self._person_rate_events(
            rate, rate * 0.03, lo, p["dropout"].to_numpy(), np.full(self.n, self.end - 60)
        )
        # planted experiment: no organic orders inside the test window for its units
        exp = self.exp_a
        in_window = np.zeros(len(who), dtype=bool)
        if exp is not None:
            unit_at = np.full(self.n, -1, dtype=np.int64)
            unit_at[exp["idx"]] = exp["assigned_at"]
            ua = unit_at[who]
            in_window = (ua >= 0) & (t >= ua) & (t < ua + exp["window_days"] * DAY)
            who, t = who[~in_window], t[~in_window]
            conv = rng.random(len(exp["idx"])) < np.where(exp["treated"], exp["p_treatment"], exp["p_control"])
            extra_who = exp["idx"][conv]
            window_s = exp["window_days"] * DAY - 3600
            extra_t = exp["assigned_at"][conv] + (rng.random(conv.sum()) * window_s).astype(np.int64) + 600
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
        prod = self._pick_products(cat)
        # consumables: most re-buy the same favourite product of that category
        consumable = np.array([c[2] for c in CATEGORIES])[cat]
        fav_prod_seed = who * 7919 + cat * 104729
        for c in np.flatnonzero([c[2] for c in CATEGORIES]):
            pool = self.active_by_cat[c]
            m = (cat == c) & (rng.random(n_orders) < 0.75)
            if len(pool):
                prod[m] = pool[fav_prod_seed[m] % len(pool)]
        status = rng.choice(["completed", "cancelled", "refunded"], n_orders, p=[0.92, 0.05, 0.03])
        status[forced] = "completed"
        currency = rng.choice(["GBP", "EUR", "USD", None], n_orders, p=[0.8, 0.1, 0.05, 0.05])
        order_ids = np.array([f"O{i:08d}" for i in range(n_orders)], dtype=object)
        contact = p["contact_id"].to_numpy(dtype=object)[who]
        valid = p["has_valid_email"].to_numpy()[who]
        email = np.where(valid, p["email"].to_numpy(dtype=object)[who], None)
        # most orders carry the contact id; some only the (messy) email, like a guest checkout
        email_only = valid & (rng.random(n_orders) < 0.15)
        contact = np.where(email_only, None, contact)
        email = self._messy_email(np.where(rng.random(n_orders) < 0.7, email, None), 0.3)
        email = np.where(email_only, self._messy_email(p["email"].to_numpy(dtype=object)[who], 0.3), email)
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
        self.order_who, self.order_t, self.order_prod = who, t, prod
        # items: first the primary product, then 0+ more from the favourites
        n_extra = rng.poisson(0.5, n_orders)
        extra_o = np.repeat(np.arange(n_orders), n_extra)
        extra_cat = np.where(
            rng.random(len(extra_o)) < 0.5, p["fav1"].to_numpy()[who[extra_o]], p["fav2"].to_numpy()[who[extra_o]]
        )
        item_o = np.concatenate([np.arange(n_orders), extra_o])
        item_p = np.concatenate([prod, self._pick_products(extra_cat)])
        qty = rng.choice([1, 2, 3], len(item_o), p=[0.85, 0.12, 0.03])
        qty[consumable[item_o] & (rng.random(len(item_o)) < 0.5)] += 1
        rate_map = {"GBP": 1.0, "EUR": CURRENCIES["EUR"], "USD": CURRENCIES["USD"], None: 1.0}
        fx = np.array([rate_map[c] for c in currency])
        unit_price = np.round(self.product_price[item_p] * fx[item_o], 2)
        # returns: a negative line for the first item of some completed orders
        ret = np.flatnonzero((status == "completed") & (rng.random(n_orders) < 0.04) & ~forced)
        item_o = np.concatenate([item_o, ret])
        item_p = np.concatenate([item_p, prod[ret]])
        qty = np.concatenate([qty, -np.ones(len(ret), dtype=np.int64)])
        unit_price = np.concatenate([unit_price, np.round(self.product_price[prod[ret]] * fx[ret], 2)])
        items = pd.DataFrame(
            {
                "order_id": order_ids[item_o],
                "product_id": self.product_ids[item_p],
                "quantity": qty,
                "unit_price": unit_price,
            }
        )
        self._add_guests_and_ghosts(orders, items)

    def _add_guests_and_ghosts(self, orders: pd.DataFrame, items: pd.DataFrame) -> None:
        rng = self.rng
        n_guest = max(2, self.n // 30)
        n_ghost = max(1, self.n // 200)
        base = len(orders)
        g_orders = 1 + rng.poisson(0.4, n_guest)
        g_who = np.repeat(np.arange(n_guest), g_orders)
        g_t = self._uniform_times(np.full(len(g_who), self.start), np.full(len(g_who), self.end - 60))
        g_email = np.array([f"guest.{i}@{DOMAINS[i % 4]}" for i in g_who], dtype=object)
        h_who = np.arange(n_ghost)
        h_t = self._uniform_times(np.full(n_ghost, self.start), np.full(n_ghost, self.end - 60))
        n_new = len(g_who) + n_ghost
        new_ids = np.array([f"O{base + i:08d}" for i in range(n_new)], dtype=object)
        extra = pd.DataFrame(
            {
                "order_id": new_ids,
                "contact_id": np.r_[
                    np.full(len(g_who), None, dtype=object), np.array([f"X{i:06d}" for i in h_who], dtype=object)
                ],
                "email": np.r_[self._messy_email(g_email, 0.3), np.full(n_ghost, None, dtype=object)],
                "ordered_at": np.r_[g_t, h_t],
                "status": "completed",
                "currency": "GBP",
            }
        )
        pidx = self._pick_products(rng.integers(0, len(CATEGORIES), n_new))
        extra_items = pd.DataFrame(
            {
                "order_id": new_ids,
                "product_id": self.product_ids[pidx],
                "quantity": 1,
                "unit_price": self.product_price[pidx],
            }
        )
        self.guest_emails = np.array([f"guest.{i}@{DOMAINS[i % 4]}" for i in range(n_guest)], dtype=object)
        self.ghost_ids = np.array([f"X{i:06d}" for i in h_who], dtype=object)
        self.ghost_t = h_t
        self.truth.n_guest_people = len(np.unique(g_who))
        self.truth.n_ghost_people = n_ghost
        orders = pd.concat([orders, extra], ignore_index=True)
        items = pd.concat([items, extra_items], ignore_index=True)
        # dirt
        k = max(2, len(orders) // 100)
        dup = orders.sample(n=k, random_state=self.cfg.seed)
        bad_status = orders.sample(n=max(1, k // 4), random_state=self.cfg.seed + 1).assign(
            order_id=lambda d: d["order_id"] + "-S", status=rng.choice(["on_hold", "PENDING??"], max(1, k // 4))
        )
        no_id = orders.sample(n=max(1, k // 8), random_state=self.cfg.seed + 2).assign(order_id=None)
        no_who = orders.sample(n=max(1, k // 8), random_state=self.cfg.seed + 3).assign(
            order_id=lambda d: d["order_id"] + "-N", contact_id=None, email=None
        )
        future = orders.sample(n=max(1, k // 8), random_state=self.cfg.seed + 4).assign(
            order_id=lambda d: d["order_id"] + "-F", ordered_at=int(datetime(2099, 6, 1, tzinfo=UTC).timestamp())
        )
        bad_cur = orders.sample(n=max(1, k // 8), random_state=self.cfg.seed + 5).assign(
            order_id=lambda d: d["order_id"] + "-C", currency="XYZ"
        )
        status_case = orders.sample(n=max(1, k // 4), random_state=self.cfg.seed + 6)
        orders.loc[status_case.index, "status"] = orders.loc[status_case.index, "status"].str.upper() + " "
        dirt = pd.concat([dup, bad_status, no_id, no_who, future, bad_cur], ignore_index=True)
        self.truth.dirty_rows["orders"] = {
            "duplicate": len(dup),
            "invalid_status": len(bad_status),
            "missing_order_id": len(no_id),
            "no_identity": len(no_who),
            "future": len(future),
            "unknown_currency": len(bad_cur),
        }
        orders = pd.concat([orders, dirt], ignore_index=True)
        orders["ordered_at"] = self._iso(orders["ordered_at"].to_numpy())
        item_dirt = pd.concat(
            [
                items.sample(n=max(1, k // 8), random_state=1).assign(order_id="O-missing"),
                items.sample(n=max(1, k // 8), random_state=2).assign(quantity=0),
                items.sample(n=max(1, k // 8), random_state=3).assign(unit_price=np.nan),
            ],
            ignore_index=True,
        )
        self.truth.dirty_rows["order_items"] = {
            "unknown_order": max(1, k // 8),
            "zero_quantity": max(1, k // 8),
            "missing_unit_price": max(1, k // 8),
        }
        self.tables["orders"] = orders.sample(frac=1.0, random_state=self.cfg.seed).reset_index(drop=True)
        self.tables["order_items"] = pd.concat([items, item_dirt], ignore_index=True)

    # ------------------------------------------------------------------ web events
    def make_web_events(self) -> None:
        p, rng = self.p, self.rng
        arche = p["archetype_idx"].to_numpy()
        created = p["created"].to_numpy()
        lo = np.maximum(created, self.start)
        rate = SESSION_RATE[arche] * p["mult"].to_numpy()
        who, t = self._person_rate_events(rate, rate * 0.1, lo, p["dropout"].to_numpy(), np.full(self.n, self.end))
        # anonymous browsing before a web signup
        ws = np.flatnonzero(p["web_signup"].to_numpy())
        n_pre = 1 + rng.poisson(2, len(ws))
        pre_who = np.repeat(ws, n_pre)
        pre_t = self._uniform_times(created[pre_who] - 30 * DAY, created[pre_who] - 3600)
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
        prod = self.product_ids[self._pick_products(cat, active_only=False)].astype(object)
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
                "email": self._messy_email(
                    np.where(p["has_valid_email"].to_numpy()[ws], p["email"].to_numpy(dtype=object)[ws], None), 0.3
                ),
                "event_type": "signup",
                "product_id": None,
                "occurred_at": created[ws],
            }
        )
        # the browse-to-buy path before each order: product view, cart, checkout
        ow, ot, op = self.order_who, self.order_t, self.order_prod
        path = []
        for et, lag in (("product_view", 1500), ("add_to_cart", 900), ("checkout_started", 300)):
            path.append(
                pd.DataFrame(
                    {
                        "anonymous_id": p["anon1"].to_numpy(dtype=object)[ow],
                        "contact_id": p["contact_id"].to_numpy(dtype=object)[ow],
                        "email": None,
                        "event_type": et,
                        "product_id": self.product_ids[op],
                        "occurred_at": ot - lag,
                    }
                )
            )
        # ghosts browse logged in under a contact id the CRM does not have
        ghost = pd.DataFrame(
            {
                "anonymous_id": [f"g{i:011d}" for i in range(len(self.ghost_ids))],
                "contact_id": self.ghost_ids,
                "email": None,
                "event_type": "page_view",
                "product_id": None,
                "occurred_at": self.ghost_t - 600,
            }
        )
        # anonymous-only visitors who never identify themselves
        n_anon = max(1, self.n // 4)
        a_sess = 1 + rng.poisson(1.0, n_anon)
        a_who = np.repeat(np.arange(n_anon), a_sess)
        anon_only = pd.DataFrame(
            {
                "anonymous_id": np.array([f"v{i:011d}" for i in range(n_anon)], dtype=object)[a_who],
                "contact_id": None,
                "email": None,
                "event_type": rng.choice(["page_view", "product_view"], len(a_who)),
                "product_id": None,
                "occurred_at": self._uniform_times(np.full(len(a_who), self.start), np.full(len(a_who), self.end)),
            }
        )
        pv = anon_only["event_type"].to_numpy() == "product_view"
        anon_only.loc[pv, "product_id"] = self.product_ids[rng.integers(0, len(self.product_ids), pv.sum())]
        self.truth.n_anonymous_people = n_anon
        ev = pd.concat([ev, signup, *path, ghost, anon_only], ignore_index=True)
        ev = ev[ev["occurred_at"] < self.end].reset_index(drop=True)
        ev["event_id"] = [f"w{i:09d}" for i in range(len(ev))]
        k = max(3, len(ev) // 100)
        dup = ev.sample(n=k, random_state=11)
        bad_type = ev.sample(n=max(1, k // 10), random_state=12).assign(
            event_id=lambda d: d["event_id"] + "-T", event_type="scroll_depth", anonymous_id="junk-device"
        )
        no_ts = ev.sample(n=max(1, k // 10), random_state=13).assign(
            event_id=lambda d: d["event_id"] + "-Z", occurred_at=-1, anonymous_id="junk-device"
        )
        future = ev.sample(n=max(1, k // 10), random_state=14).assign(
            event_id=lambda d: d["event_id"] + "-F", occurred_at=int(datetime(2099, 2, 1, tzinfo=UTC).timestamp())
        )
        no_who = ev.sample(n=max(1, k // 10), random_state=15).assign(
            event_id=lambda d: d["event_id"] + "-N", anonymous_id=None, contact_id=None, email=None
        )
        self.truth.dirty_rows["web_events"] = {
            "duplicate": k,
            "invalid_event_type": len(bad_type),
            "missing_timestamp": len(no_ts),
            "future": len(future),
            "no_identity": len(no_who),
        }
        ev = pd.concat([ev, dup, bad_type, no_ts, future, no_who], ignore_index=True)
        ts = self._native(ev["occurred_at"].to_numpy())
        ts[ev["occurred_at"].to_numpy() < 0] = pd.NaT
        ev["occurred_at"] = ts
        # event types arrive in mixed case sometimes
        mc = rng.random(len(ev)) < 0.02
        ev.loc[mc, "event_type"] = ev.loc[mc, "event_type"].str.upper()
        cols = ["event_id", "anonymous_id", "contact_id", "email", "event_type", "product_id", "occurred_at"]
        self.tables["web_events"] = ev[cols]

    # ------------------------------------------------------------------ email
    def make_email(self) -> None:
        p, rng = self.p, self.rng
        n = self.n
        arche = p["archetype_idx"].to_numpy()
        created = p["created"].to_numpy()
        dropout = p["dropout"].to_numpy()
        mult = p["mult"].to_numpy()
        offsets = self._zone_offsets()
        pref = p["pref_hour"].to_numpy()
        mpp = p["mpp"].to_numpy()
        emails = p["email"].to_numpy(dtype=object)
        sub_at = p["subscribed_at"].to_numpy()
        active = sub_at >= 0
        left_at = np.full(n, -1, dtype=np.int64)  # when unsubscribed/cleaned
        left_status = np.full(n, None, dtype=object)
        campaigns = []
        events = []
        n_camp = self.cfg.days // self.cfg.campaign_every_days
        for k in range(n_camp):
            sent = self.start + (k * self.cfg.campaign_every_days + 1) * DAY + 9 * 3600
            cid = f"cmp_{k:04d}"
            campaigns.append((cid, f"Weekly newsletter #{k + 1}", "broadcast", sent))
            rec = np.flatnonzero(active & (sub_at < sent) & (left_at < 0))
            if len(rec) == 0:
                continue
            self._campaign_events(
                cid,
                sent + rng.integers(0, 600, len(rec)),
                rec,
                arche,
                dropout,
                mult,
                offsets,
                pref,
                mpp,
                emails,
                left_at,
                left_status,
                events,
            )
        # a triggered welcome email to every new subscriber
        rec = np.flatnonzero(active & (sub_at > self.start) & (sub_at < self.end - 3600))
        campaigns.append(("cmp_welcome", "Welcome series", "triggered", self.start))
        self._campaign_events(
            "cmp_welcome",
            sub_at[rec] + 300,
            rec,
            arche,
            dropout,
            mult,
            offsets,
            pref,
            mpp,
            emails,
            left_at,
            left_status,
            events,
        )
        ev = pd.concat(events, ignore_index=True)
        ev = ev[ev["occurred_at"] < self.end].reset_index(drop=True)
        ev["event_id"] = [f"e{i:010d}" for i in range(len(ev))]
        ev["email"] = self._messy_email(ev["email"].to_numpy(dtype=object), 0.1)
        k = max(3, len(ev) // 100)
        dup = ev.sample(n=k, random_state=21)
        bad_email = ev.sample(n=max(1, k // 10), random_state=22).assign(
            event_id=lambda d: d["event_id"] + "-E", email="not-an-email"
        )
        bad_type = ev.sample(n=max(1, k // 10), random_state=23).assign(
            event_id=lambda d: d["event_id"] + "-T", event_type="forward"
        )
        future = ev.sample(n=max(1, k // 10), random_state=24).assign(
            event_id=lambda d: d["event_id"] + "-F", occurred_at=int(datetime(2099, 3, 1, tzinfo=UTC).timestamp())
        )
        self.truth.dirty_rows["email_events"] = {
            "duplicate": k,
            "invalid_email": len(bad_email),
            "invalid_event_type": len(bad_type),
            "future": len(future),
        }
        ev = pd.concat([ev, dup, bad_email, bad_type, future], ignore_index=True)
        ev["occurred_at"] = self._native(ev["occurred_at"].to_numpy())
        self.tables["email_events"] = ev[["event_id", "email", "campaign_id", "event_type", "occurred_at", "url"]]
        camp = pd.DataFrame(campaigns, columns=["campaign_id", "name", "campaign_type", "sent_at"])
        camp = pd.concat([camp, camp.iloc[[0]]], ignore_index=True)  # a duplicated campaign row
        camp["sent_at"] = self._iso(camp["sent_at"].to_numpy())
        self.tables["campaigns"] = camp
        # subscription history: initial status, later unsubscribes and cleaned bounces
        valid = np.flatnonzero(p["has_valid_email"].to_numpy())
        pending = valid[(sub_at[valid] < 0) & (rng.random(len(valid)) < 0.3)]
        rows = [
            pd.DataFrame({"email": emails[active], "status": "subscribed", "updated_at": sub_at[active]}),
            pd.DataFrame({"email": emails[pending], "status": "pending", "updated_at": created[pending] + 60}),
        ]
        left = np.flatnonzero(left_at >= 0)
        rows.append(pd.DataFrame({"email": emails[left], "status": left_status[left], "updated_at": left_at[left] + 5}))
        subs = pd.concat(rows, ignore_index=True)
        subs = subs[subs["updated_at"] < self.end]
        bad = subs.sample(n=max(1, len(subs) // 500), random_state=31).assign(status="maybe")
        self.truth.dirty_rows["email_subscriptions"] = {"invalid_status": len(bad)}
        subs = pd.concat([subs, bad], ignore_index=True)
        subs["email"] = self._messy_email(subs["email"].to_numpy(dtype=object), 0.1)
        subs["updated_at"] = self._iso(subs["updated_at"].to_numpy())
        self.tables["email_subscriptions"] = subs

    def _zone_offsets(self) -> np.ndarray:
        """UTC offset in seconds of each person's zone at the middle of the history."""
        mid = pd.Timestamp(self.start + (self.end - self.start) // 2, unit="s", tz="UTC")
        offs = np.array([mid.tz_convert(z[0]).utcoffset().total_seconds() for z in ZONES], dtype=np.int64)
        return offs[self.p["zone"].to_numpy()]

    def _campaign_events(
        self, cid, sent, rec, arche, dropout, mult, offsets, pref, mpp, emails, left_at, left_status, events
    ) -> None:
        rng = self.rng
        m = len(rec)
        delivered_ok = rng.random(m) > 0.012
        deliver_t = sent + rng.integers(1, 30, m)
        frames = [
            pd.DataFrame(
                {"email": emails[rec], "campaign_id": cid, "event_type": "sent", "occurred_at": sent, "url": None}
            )
        ]
        d = rec[delivered_ok]
        frames.append(
            pd.DataFrame(
                {
                    "email": emails[d],
                    "campaign_id": cid,
                    "event_type": "delivered",
                    "occurred_at": deliver_t[delivered_ok],
                    "url": None,
                }
            )
        )
        b = rec[~delivered_ok]
        frames.append(
            pd.DataFrame(
                {
                    "email": emails[b],
                    "campaign_id": cid,
                    "event_type": "bounce",
                    "occurred_at": deliver_t[~delivered_ok],
                    "url": None,
                }
            )
        )
        left_at[b] = deliver_t[~delivered_ok]
        left_status[b] = "cleaned"
        dt = deliver_t[delivered_ok]
        # privacy proxies open every delivered email within seconds
        proxy = mpp[d]
        frames.append(
            pd.DataFrame(
                {
                    "email": emails[d[proxy]],
                    "campaign_id": cid,
                    "event_type": "open",
                    "occurred_at": dt[proxy] + rng.integers(1, 15, proxy.sum()),
                    "url": None,
                }
            )
        )
        alive = dt < dropout[d]
        p_open = np.clip(OPEN_PROB[arche[d]] * mult[d] * np.where(alive, 1.0, 0.1), 0, 0.95)
        opened = rng.random(len(d)) < p_open
        o = d[opened]
        local = (dt[opened] + offsets[o]) % DAY / 3600.0
        wait_h = (pref[o] - local) % 24 + 24 * rng.geometric(0.75, len(o)) - 24
        open_t = dt[opened] + (wait_h * 3600).astype(np.int64) + rng.normal(0, 1800, len(o)).astype(np.int64)
        open_t = np.maximum(open_t, dt[opened] + 120)
        frames.append(
            pd.DataFrame(
                {"email": emails[o], "campaign_id": cid, "event_type": "open", "occurred_at": open_t, "url": None}
            )
        )
        clicked = rng.random(len(o)) < CLICK_PROB[arche[o]]
        c = o[clicked]
        cat = self.p["fav1"].to_numpy()[c]
        prods = self._pick_products(cat)
        frames.append(
            pd.DataFrame(
                {
                    "email": emails[c],
                    "campaign_id": cid,
                    "event_type": "click",
                    "occurred_at": open_t[clicked] + rng.integers(5, 300, len(c)),
                    "url": [f"https://shop.example.com/p/{pid}?utm_campaign={cid}" for pid in self.product_ids[prods]],
                }
            )
        )
        p_unsub = np.where(arche[d] == 3, 0.006, 0.0015)
        unsub = (rng.random(len(d)) < p_unsub) & (left_at[d] < 0)
        spam = unsub & (rng.random(len(d)) < 0.15)
        u = d[unsub]
        ut = dt[unsub] + rng.integers(600, 20000, len(u))
        frames.append(
            pd.DataFrame(
                {
                    "email": emails[u],
                    "campaign_id": cid,
                    "event_type": np.where(spam[unsub], "spam_report", "unsubscribe"),
                    "occurred_at": ut,
                    "url": None,
                }
            )
        )
        left_at[u] = ut
        left_status[u] = "unsubscribed"
        events.extend(frames)

    # ------------------------------------------------------------------ experiments
    def plan_experiments(self) -> None:
        """Choose units before orders are drawn, so the planted lift shapes the orders."""
        p, rng = self.p, self.rng
        window = 14
        t_a = self.end - 100 * DAY
        eligible = np.flatnonzero((p["subscribed_at"].to_numpy() >= 0) & (p["created"].to_numpy() < t_a - DAY))
        units = eligible[rng.random(len(eligible)) < 0.4]
        treated = rng.random(len(units)) < 0.5
        assigned = t_a + rng.integers(0, 3 * 3600, len(units))
        self.exp_a = {
            "idx": units,
            "treated": treated,
            "assigned_at": assigned,
            "window_days": window,
            "p_control": 0.10,
            "p_treatment": 0.13,
        }
        t_b = self.end - 60 * DAY
        eligible_b = np.flatnonzero((p["subscribed_at"].to_numpy() >= 0) & (p["created"].to_numpy() < t_b - DAY))
        units_b = eligible_b[rng.random(len(eligible_b)) < 0.3]
        treated_b = rng.random(len(units_b)) < 0.35  # configured 50/50: a planted sample ratio mismatch
        assigned_b = t_b + rng.integers(0, 3 * 3600, len(units_b))
        self.exp_b = {"idx": units_b, "treated": treated_b, "assigned_at": assigned_b}
        self.truth.experiments = [
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

    def make_assignments(self) -> None:
        p, rng = self.p, self.rng
        frames = []
        for exp, spec in ((self.exp_a, self.truth.experiments[0]), (self.exp_b, self.truth.experiments[1])):
            idx = exp["idx"]
            by_email = rng.random(len(idx)) < 0.3
            frames.append(
                pd.DataFrame(
                    {
                        "experiment_id": spec["experiment_id"],
                        "contact_id": np.where(by_email, None, p["contact_id"].to_numpy(dtype=object)[idx]),
                        "email": np.where(
                            by_email, self._messy_email(p["email"].to_numpy(dtype=object)[idx], 0.3), None
                        ),
                        "variant": np.where(exp["treated"], spec["treatment_variant"], spec["control_variant"]),
                        "assigned_at": exp["assigned_at"],
                    }
                )
            )
        df = pd.concat(frames, ignore_index=True)
        bad = df.iloc[[0]].assign(contact_id=None, email=None)
        self.truth.dirty_rows["experiment_assignments"] = {"no_identity": 1}
        df = pd.concat([df, bad], ignore_index=True)
        df["assigned_at"] = self._iso(df["assigned_at"].to_numpy())
        self.tables["experiment_assignments"] = df

    # ------------------------------------------------------------------ run
    def run(self) -> dict[str, pd.DataFrame]:
        self.make_products()
        self.make_people()
        self.make_crm()
        self.plan_experiments()
        self.make_orders()
        self.make_web_events()
        self.make_email()
        self.make_assignments()
        t = self.truth
        t.n_crm_people = self.n
        t.n_people = self.n + t.n_anonymous_people + t.n_guest_people + t.n_ghost_people
        t.raw_rows = {k: len(v) for k, v in self.tables.items()}
        return self.tables

    def people_truth(self) -> pd.DataFrame:
        p = self.p
        zone = p["zone"].to_numpy()
        return pd.DataFrame(
            {
                "person_id": p["person_id"],
                "contact_id": p["contact_id"],
                "email": p["email"],
                "has_valid_email": p["has_valid_email"],
                "archetype": np.array(ARCHETYPES)[p["archetype_idx"]],
                "timezone": np.array([z[0] for z in ZONES])[zone],
                "preferred_open_hour_local": p["pref_hour"],
                "favourite_category": np.array([c[0] for c in CATEGORIES])[p["fav1"]],
                "anonymous_id_1": p["anon1"],
                "anonymous_id_2": np.where(p["second_device"], p["anon2"], None),
                "created_at": pd.to_datetime(p["created"], unit="s"),
                "dropout_at": pd.to_datetime(p["dropout"], unit="s"),
            }
        )


PARQUET_TABLES = {"orders", "order_items", "web_events", "email_events"}


def write(tables: dict[str, pd.DataFrame], out: Path, fmt: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        for old in out.glob(f"{name}.*"):
            old.unlink()
        as_parquet = fmt == "parquet" or (fmt == "mixed" and name in PARQUET_TABLES)
        if as_parquet:
            df.to_parquet(out / f"{name}.parquet", index=False)
        else:
            df.to_csv(out / f"{name}.csv", index=False)


def generate(cfg: GeneratorConfig, out: Path, truth_out: Path | None) -> Truth:
    gen = Generator(cfg)
    tables = gen.run()
    write(tables, out, cfg.fmt)
    if truth_out is not None:
        truth_out.mkdir(parents=True, exist_ok=True)
        gen.people_truth().to_parquet(truth_out / "people.parquet", index=False)
        (truth_out / "truth.json").write_text(json.dumps(asdict(gen.truth), indent=2, default=str))
    return gen.truth


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=GeneratorConfig.contacts)
    ap.add_argument("--days", type=int, default=GeneratorConfig.days, help="days of history")
    ap.add_argument("--products", type=int, default=None, help="default: 200, or contacts/20 up to 5000")
    ap.add_argument("--seed", type=int, default=GeneratorConfig.seed)
    ap.add_argument("--end-date", default=None, help="last day of history (default: today, UTC)")
    ap.add_argument("--format", dest="fmt", choices=["mixed", "csv", "parquet"], default="mixed")
    ap.add_argument("--out", type=Path, default=Path("data/raw"))
    ap.add_argument("--truth-out", type=Path, default=Path("data/truth"))
    a = ap.parse_args(argv)
    products = a.products or max(200, min(5000, a.contacts // 20))
    end = a.end_date or datetime.now(UTC).date().isoformat()
    cfg = GeneratorConfig(contacts=a.contacts, days=a.days, products=products, seed=a.seed, end_date=end, fmt=a.fmt)
    truth = generate(cfg, a.out, a.truth_out)
    total = sum(truth.raw_rows.values())
    print(f"wrote {total:,} raw rows to {a.out} ({', '.join(f'{k}={v:,}' for k, v in truth.raw_rows.items())})")
    print(f"planted people: {truth.n_people:,}; truth in {a.truth_out}")


if __name__ == "__main__":
    main()
