"""People: the latent population (archetypes, time zones, favourites, devices) and the CRM that records them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import DAY, Context, far_future
from .dirt import Dirt, plant
from .world import (
    ARCHETYPE_SHARE,
    ARCHETYPES,
    CATEGORIES,
    DOMAINS,
    DROPOUT_MEAN_DAYS,
    FIRST_NAMES,
    LAST_NAMES,
    PREFERRED_HOURS,
    ZONE_SHARE,
    ZONES,
)

INVALID_EMAILS = ["n/a", "john.doe@", "foo at bar.com", "x@y", "@example.com"]


def make_people(ctx: Context) -> pd.DataFrame:
    """One row per CRM person, with everything about them the other sources draw on (never written as is)."""
    rng = ctx.rng
    n = ctx.contacts
    first_id = ctx.base.contacts
    arche = rng.choice(4, n, p=ARCHETYPE_SHARE)
    created = ctx.uniform_times(np.full(n, ctx.start - 365 * DAY), np.full(n, ctx.end - DAY))
    mult = np.exp(rng.normal(0, 0.35, n))
    dropout = created + (rng.exponential(DROPOUT_MEAN_DAYS[arche]) * DAY).astype(np.int64)
    zone = rng.choice(len(ZONES), n, p=ZONE_SHARE)
    pref_hour = rng.choice(PREFERRED_HOURS, n)
    n_cat = len(CATEGORIES)
    fav1 = rng.integers(0, n_cat, n)
    fav2 = (fav1 + rng.integers(1, n_cat, n)) % n_cat
    email_kind = rng.choice(3, n, p=[0.96, 0.02, 0.02])  # valid, invalid, null
    ids = range(first_id, first_id + n)
    emails = np.array([f"{FIRST_NAMES[i % 20].lower()}.{i}@{DOMAINS[i % 4]}" for i in ids], dtype=object)
    web_signup = (rng.random(n) < 0.3) & (created > ctx.start + 30 * DAY) & (email_kind == 0)
    mpp = rng.random(n) < 0.15
    second_device = rng.random(n) < 0.4
    p = pd.DataFrame(
        {
            "person_id": [f"person_{i:07d}" for i in ids],
            "contact_id": [f"C{i:07d}" for i in ids],
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
    p["anon1"] = [f"a{rng_id:012x}" for rng_id in rng.integers(0, 2**48, n)]
    p["anon2"] = [f"a{rng_id:012x}" for rng_id in rng.integers(0, 2**48, n)]
    p["has_valid_email"] = email_kind == 0
    p["subscribed_at"] = np.where((email_kind == 0) & (rng.random(n) < 0.82), created + 60, -1)
    return p


def make_crm(ctx: Context, people: pd.DataFrame) -> None:
    """crm_contacts: one record per person, older and future versions, and a second record sharing an email.

    The record sharing an email is planted once, in the first chunk; its contact id follows every chunk's.
    """
    rng, p = ctx.rng, people
    n = len(p)
    first = np.array(FIRST_NAMES, dtype=object)[(ctx.base.contacts + np.arange(n)) % 20]
    last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
    email = p["email"].to_numpy(dtype=object).copy()
    kind = p["email_kind"].to_numpy()
    email[kind == 1] = rng.choice(INVALID_EMAILS, int((kind == 1).sum()))
    email[kind == 2] = None
    email = ctx.messy_email(email, 0.2)
    country = np.array([ZONES[z][1][rng.integers(0, len(ZONES[z][1]))] for z in p["zone"]], dtype=object)
    country[rng.random(n) < 0.05] = None
    tz = np.array([ZONES[z][0] for z in p["zone"]], dtype=object)
    tz[rng.random(n) < 0.10] = None
    created = p["created"].to_numpy()
    updated = created + (rng.random(n) * DAY * 30).astype(np.int64)
    updated = np.minimum(updated, ctx.end - 60)
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
    dirt = [
        # an older version of 10% of contacts (latest updated_at must win)
        Dirt(
            "older_versions",
            round(0.10 * n),
            {
                "updated_at": lambda d: d["created_at"] - 1,
                "first_name": lambda d: "Old-" + d["first_name"].fillna("x"),
            },
        ),
        Dirt("future_versions", max(1, n // 500), {"updated_at": far_future(1), "first_name": "Future"}),
        Dirt("missing_contact_id", max(1, n // 1000), {"contact_id": None}),
    ]
    if ctx.chunk.index == 0:
        # one email shared by two CRM records: a duplicate CRM record of one person
        valid_idx = np.flatnonzero(kind == 0)
        shared_person = int(valid_idx[len(valid_idx) // 2])
        second_record = f"C{ctx.total_contacts + 1:07d}"
        ctx.truth.shared_email = str(p.at[shared_person, "email"])
        ctx.truth.shared_email_contact_ids = [str(p.at[shared_person, "contact_id"]), second_record]
        dirt.append(
            Dirt(
                "shared_email_records",
                at=(shared_person,),
                changes={
                    "contact_id": second_record,
                    "email": ctx.truth.shared_email.upper(),
                    "created_at": lambda d: d["created_at"] + DAY * 3,
                    "updated_at": lambda d: d["created_at"] + 10,
                },
            )
        )
    out, ctx.truth.dirty_rows["crm_contacts"] = plant(crm, dirt, seed=ctx.cfg.seed)
    out["created_at"] = ctx.iso(out["created_at"].to_numpy())
    out["updated_at"] = ctx.iso(out["updated_at"].to_numpy())
    ctx.tables["crm_contacts"] = out.sample(frac=1.0, random_state=ctx.cfg.seed).reset_index(drop=True)


def people_truth(people: pd.DataFrame) -> pd.DataFrame:
    """What tests check the models against: each person's archetype, zone, open hour, favourite, devices."""
    p = people
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
