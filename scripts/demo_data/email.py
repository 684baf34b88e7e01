"""The email programme: campaigns, their events (sends, opens at local hours, clicks, bounces, unsubscribes)
and the subscription history they leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .context import DAY, Context, far_future
from .dirt import Dirt, plant
from .shop import Catalogue
from .world import CLICK_PROB, OPEN_PROB, ZONES


@dataclass
class Audience:
    """Per-person arrays the campaigns read, and the departures (unsubscribes, bounces) they record."""

    archetype: np.ndarray
    dropout: np.ndarray
    mult: np.ndarray
    offsets: np.ndarray  # UTC offset of each person's zone, seconds
    pref_hour: np.ndarray
    mpp: np.ndarray  # opens come through a privacy proxy
    fav1: np.ndarray
    emails: np.ndarray
    left_at: np.ndarray  # when unsubscribed or cleaned, -1 while subscribed
    left_status: np.ndarray


def make_email(ctx: Context, people: pd.DataFrame, catalogue: Catalogue) -> None:
    """email_events, campaigns and email_subscriptions."""
    p, rng = people, ctx.rng
    n = len(p)
    created = p["created"].to_numpy()
    emails = p["email"].to_numpy(dtype=object)
    audience = Audience(
        archetype=p["archetype_idx"].to_numpy(),
        dropout=p["dropout"].to_numpy(),
        mult=p["mult"].to_numpy(),
        offsets=_zone_offsets(ctx, p),
        pref_hour=p["pref_hour"].to_numpy(),
        mpp=p["mpp"].to_numpy(),
        fav1=p["fav1"].to_numpy(),
        emails=emails,
        left_at=np.full(n, -1, dtype=np.int64),
        left_status=np.full(n, None, dtype=object),
    )
    left_at, left_status = audience.left_at, audience.left_status
    sub_at = p["subscribed_at"].to_numpy()
    active = sub_at >= 0
    campaigns = []
    events = []
    n_camp = ctx.cfg.days // ctx.cfg.campaign_every_days
    for k in range(n_camp):
        sent = ctx.start + (k * ctx.cfg.campaign_every_days + 1) * DAY + 9 * 3600
        cid = f"cmp_{k:04d}"
        campaigns.append((cid, f"Weekly newsletter #{k + 1}", "broadcast", sent))
        rec = np.flatnonzero(active & (sub_at < sent) & (left_at < 0))
        if len(rec) == 0:
            continue
        events.extend(_campaign_events(ctx, catalogue, audience, cid, sent + rng.integers(0, 600, len(rec)), rec))
    # a triggered welcome email to every new subscriber
    rec = np.flatnonzero(active & (sub_at > ctx.start) & (sub_at < ctx.end - 3600))
    campaigns.append(("cmp_welcome", "Welcome series", "triggered", ctx.start))
    events.extend(_campaign_events(ctx, catalogue, audience, "cmp_welcome", sub_at[rec] + 300, rec))
    ev = pd.concat(events, ignore_index=True)
    ev = ev[ev["occurred_at"] < ctx.end].reset_index(drop=True)
    ev["event_id"] = [f"e{ctx.base.email_events + i:010d}" for i in range(len(ev))]
    ctx.used["email_events"] = len(ev)
    ev["email"] = ctx.messy_email(ev["email"].to_numpy(dtype=object), 0.1)
    k = max(3, len(ev) // 100)
    few = max(1, k // 10)
    ev, ctx.truth.dirty_rows["email_events"] = plant(
        ev,
        [
            Dirt("duplicate", k),
            Dirt("invalid_email", few, {"email": "not-an-email"}, tag="-E"),
            Dirt("invalid_event_type", few, {"event_type": "forward"}, tag="-T"),
            Dirt("future", few, {"occurred_at": far_future(3)}, tag="-F"),
        ],
        seed=21,
        key="event_id",
    )
    ev["occurred_at"] = ctx.native(ev["occurred_at"].to_numpy())
    ctx.tables["email_events"] = ev[["event_id", "email", "campaign_id", "event_type", "occurred_at", "url"]]
    camp = pd.DataFrame(campaigns, columns=["campaign_id", "name", "campaign_type", "sent_at"])
    camp = pd.concat([camp, camp.iloc[[0]]], ignore_index=True)  # a duplicated campaign row
    camp["sent_at"] = ctx.iso(camp["sent_at"].to_numpy())
    ctx.tables["campaigns"] = camp
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
    subs = subs[subs["updated_at"] < ctx.end]
    subs, ctx.truth.dirty_rows["email_subscriptions"] = plant(
        subs, [Dirt("invalid_status", max(1, len(subs) // 500), {"status": "maybe"})], seed=31
    )
    subs["email"] = ctx.messy_email(subs["email"].to_numpy(dtype=object), 0.1)
    subs["updated_at"] = ctx.iso(subs["updated_at"].to_numpy())
    ctx.tables["email_subscriptions"] = subs


def _zone_offsets(ctx: Context, people: pd.DataFrame) -> np.ndarray:
    """UTC offset in seconds of each person's zone at the middle of the history."""
    mid = pd.Timestamp(ctx.start + (ctx.end - ctx.start) // 2, unit="s", tz="UTC")
    offs = np.array([mid.tz_convert(z[0]).utcoffset().total_seconds() for z in ZONES], dtype=np.int64)
    return offs[people["zone"].to_numpy()]


def _campaign_events(
    ctx: Context, catalogue: Catalogue, audience: Audience, cid: str, sent: np.ndarray, rec: np.ndarray
) -> list[pd.DataFrame]:
    """The events of one campaign sent to people ``rec`` at ``sent``; records bounces and unsubscribes."""
    rng = ctx.rng
    arche, dropout, mult, offsets = audience.archetype, audience.dropout, audience.mult, audience.offsets
    pref, mpp, emails = audience.pref_hour, audience.mpp, audience.emails
    left_at, left_status = audience.left_at, audience.left_status
    m = len(rec)
    delivered_ok = rng.random(m) > 0.012
    deliver_t = sent + rng.integers(1, 30, m)
    frames = [
        pd.DataFrame({"email": emails[rec], "campaign_id": cid, "event_type": "sent", "occurred_at": sent, "url": None})
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
        pd.DataFrame({"email": emails[o], "campaign_id": cid, "event_type": "open", "occurred_at": open_t, "url": None})
    )
    clicked = rng.random(len(o)) < CLICK_PROB[arche[o]]
    c = o[clicked]
    prods = catalogue.pick(rng, audience.fav1[c])
    frames.append(
        pd.DataFrame(
            {
                "email": emails[c],
                "campaign_id": cid,
                "event_type": "click",
                "occurred_at": open_t[clicked] + rng.integers(5, 300, len(c)),
                "url": [f"https://shop.example.com/p/{pid}?utm_campaign={cid}" for pid in catalogue.ids[prods]],
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
    return frames
