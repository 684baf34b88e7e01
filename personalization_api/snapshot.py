"""One published build, read into memory: who may be personalised, their payloads, and the fallbacks.

A Snapshot is immutable once built. `load_snapshot` opens the published DuckDB
file read-only, reads what the API serves, and closes it before building the
indexes, so the file is never held while requests are served. Requests are
then dictionary lookups on the snapshot the server currently points at.

The rules are the exports' (models/marts/exports, docs/exports.md):

- personalised content only for a recipient of fct_customer_personalization
  (a contactable primary email, so never suppressed, unsubscribed or erased)
  whose subscription status is `subscribed`, and not in the global holdout;
- the global holdout gets the defaults fct_customer_personalization gives it
  (segment, lifecycle stage and tier "default", the global send hour,
  bestsellers, no triggers);
- anyone else (unknown, erased, suppressed, not subscribed) gets the same
  non-personal fallback, with `found: false` whatever the reason, so the
  response says nothing about a person the API may not personalise for.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson

FALLBACK_FIRST_NAME = "there"
DEFAULT_LABEL = "default"
BESTSELLER_REASON = "Bestseller"
KEY_FIELDS = ("email", "contact_id", "external_id", "customer_id")


def clean_email(value: str) -> str:
    """The project's clean_email for lookups: trimmed, lower-case."""
    return value.strip().lower()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime_ns, size): changes whenever a publish renames a new copy over the file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    category: str
    # the rendered item without reason and rank: name, url, image_url, price, currency
    fields: tuple


@dataclass(frozen=True, slots=True)
class Recipient:
    customer_id: str
    external_id: str | None
    variant: str  # personalized | holdout
    header: dict  # the "recipient" object
    # candidate items, best first: (Product, reason)
    items: tuple
    top_category: str | None
    body: bytes  # /v1/personalization at the default limit
    etag: str


@dataclass(frozen=True)
class Limits:
    default: int = 3
    maximum: int = 10


@dataclass(frozen=True)
class Snapshot:
    build_id: str
    built_at: str | None
    published_at: str | None
    loaded_at: str
    signature: tuple | None
    limits: Limits
    recipients: dict[str, Recipient]  # customer_id -> recipient
    by_email: dict[str, Recipient]
    by_contact_id: dict[str, Recipient]
    by_external_id: dict[str, Recipient]
    products: dict[str, Product]
    bestsellers: tuple  # (Product, reason), best first
    category_bestsellers: dict[str, tuple]  # lower-case category -> (Product, reason)
    similar: dict[str, tuple] | None  # product_id -> (Product, reason); None without fct_similar_products
    send_hour_utc: int
    fallback_header: dict = field(repr=False)
    holdout_header: dict = field(repr=False)
    fallback_body: bytes = field(repr=False, default=b"")
    fallback_etag: str = ""

    # ---- lookups -------------------------------------------------------------------------------
    def find(self, key: str, value: str) -> Recipient | None:
        """The recipient a key identifies, or None (unknown, erased, not personalisable)."""
        if key == "email":
            return self.by_email.get(clean_email(value))
        if key == "contact_id":
            return self.by_contact_id.get(value.strip())
        if key == "external_id":
            return self.by_external_id.get(value.strip())
        if key == "customer_id":
            return self.recipients.get(value.strip())
        raise KeyError(key)

    def clamp(self, limit: int | None) -> int:
        if limit is None:
            return self.limits.default
        return max(1, min(self.limits.maximum, limit))

    # ---- payloads ------------------------------------------------------------------------------
    def candidates(self, recipient: Recipient | None, category: str | None = None) -> list:
        """Items to show, best first: the recipient's (or the bestsellers), restricted to a category if given."""
        base = recipient.items if recipient is not None else self.bestsellers
        if category is None:
            return list(base)
        wanted = category.strip().lower()
        chosen = [item for item in base if item[0].category.lower() == wanted]
        in_category = self.category_bestsellers.get(wanted)
        if in_category is None:  # a category the catalogue does not know: the bestsellers, never blank
            return chosen if chosen else list(self.bestsellers)
        return merge(chosen, in_category)

    def personalization(self, recipient: Recipient | None, limit: int | None) -> tuple[bytes, str]:
        n = self.clamp(limit)
        if n == self.limits.default:
            if recipient is None:
                return self.fallback_body, self.fallback_etag
            return recipient.body, recipient.etag
        header = recipient.header if recipient is not None else self.fallback_header
        items = recipient.items if recipient is not None else self.bestsellers
        body = orjson.dumps({"recipient": header, "recommendations": render(items, n), "build_id": self.build_id})
        return body, etag_of(body)

    def recommendations(self, recipient: Recipient | None, limit: int | None, category: str | None) -> tuple:
        n = self.clamp(limit)
        header = recipient.header if recipient is not None else self.fallback_header
        short = {k: header[k] for k in ("found", "personalized", "variant")}
        body = orjson.dumps(
            {
                "recipient": short,
                "category": category,
                "recommendations": render(self.candidates(recipient, category), n),
                "build_id": self.build_id,
            }
        )
        return body, etag_of(body)

    def similar_products(self, product_id: str, limit: int | None) -> tuple[bytes, str]:
        n = self.clamp(limit)
        product = self.products.get(product_id)
        if product is None:
            source, items = "bestsellers", self.bestsellers
        else:
            own = self.similar.get(product_id, ()) if self.similar is not None else ()
            same_category = tuple(
                item
                for item in self.category_bestsellers.get(product.category.lower(), ())
                if item[0].product_id != product_id
            )
            source = "similar_products" if own else "category_bestsellers" if same_category else "bestsellers"
            rest = tuple(item for item in self.bestsellers if item[0].product_id != product_id)
            items = merge(merge(list(own), same_category), rest)
        body = orjson.dumps(
            {
                "product": {"product_id": product_id, "found": product is not None},
                "source": source,
                "recommendations": render(items, n),
                "build_id": self.build_id,
            }
        )
        return body, etag_of(body)

    def health(self) -> dict:
        return {
            "status": "ok",
            "build_id": self.build_id,
            "built_at": self.built_at,
            "published_at": self.published_at,
            "loaded_at": self.loaded_at,
            "recipients": len(self.recipients),
            "products": len(self.products),
        }


ITEM_KEYS = ("product_id", "name", "url", "image_url", "price", "currency", "reason", "rank")


def render(items, n: int) -> list[dict]:
    out = []
    for rank, (product, reason) in enumerate(items[:n], start=1):
        name, url, image_url, price, currency = product.fields
        out.append(
            {
                "product_id": product.product_id,
                "name": name,
                "url": url,
                "image_url": image_url,
                "price": price,
                "currency": currency,
                "reason": reason,
                "rank": rank,
            }
        )
    return out


def merge(first, *more) -> list:
    """Concatenate item lists, keeping each product's first (best) occurrence."""
    seen: set[str] = set()
    out = []
    for items in (first, *more):
        for item in items:
            pid = item[0].product_id
            if pid not in seen:
                seen.add(pid)
                out.append(item)
    return out


# ---- loading ----------------------------------------------------------------------------------


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    return str(value)


def _has_table(con, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?", [name]
        ).fetchone()[0]
    )


@dataclass
class Raw:
    """What a build holds for the API, as plain rows (read with the file open, indexed after closing it)."""

    build: tuple | None
    recipients: list
    external_ids: list
    recommendations: list
    triggers: list
    products: list
    similar: list | None
    send_hour_utc: int | None


def read_raw(path: Path) -> Raw:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        build = None
        if _has_table(con, "published_build"):
            build = con.execute("select build_id, built_at, published_at from main.published_build limit 1").fetchone()
        recipients = con.execute(
            """
            select
                p.customer_id, p.email, p.contact_id, p.first_name, p.is_global_holdout,
                p.rfm_segment, coalesce(p.lifecycle_stage, 'default'), p.action_tier,
                p.top_category, p.send_hour_utc
            from main.fct_customer_personalization as p
            inner join main.fct_contactability as c
                on p.customer_id = c.customer_id and c.is_primary_email
            where c.is_contactable and c.subscription_status = 'subscribed'
                and p.subscription_status = 'subscribed'
            """
        ).fetchall()
        external_ids = con.execute(
            """
            select external_id, customer_id, current_external_id, merged_into_external_id, erased_at is not null
            from main.dim_customer_external_ids
            """
        ).fetchall()
        recommendations = con.execute(
            """
            select customer_id, product_id, reason
            from main.fct_customer_recommendations
            order by customer_id, rank
            """
        ).fetchall()
        triggers = con.execute(
            """
            select customer_id, trigger_type
            from main.fct_trigger_audiences
            where is_active
            group by customer_id, trigger_type
            order by customer_id, min(priority), trigger_type
            """
        ).fetchall()
        products = con.execute(
            """
            select product_id, product_name, category, product_url, image_url, cast(price as double), currency,
                is_active, overall_rank, category_rank
            from main.dim_products
            order by overall_rank nulls last, product_id
            """
        ).fetchall()
        similar = None
        if _has_table(con, "fct_similar_products"):
            similar = con.execute(
                """
                select product_id, similar_product_id, reason
                from main.fct_similar_products
                order by product_id, rank
                """
            ).fetchall()
        send_hour = con.execute("select mode(best_hour_utc) from main.fct_send_times").fetchone()[0]
    finally:
        con.close()
    return Raw(build, recipients, external_ids, recommendations, triggers, products, similar, send_hour)


def load_snapshot(
    path: Path,
    limits: Limits | None = None,
    default_send_hour: int = 10,
) -> Snapshot:
    """Read the published build at path (open, read, close) and index it."""
    path = Path(path)
    signature = file_signature(path)
    if signature is None:
        raise FileNotFoundError(path)
    raw = read_raw(path)
    return build_snapshot(raw, signature, limits or Limits(), default_send_hour)


def _text(value, fallback: str) -> str:
    if value is None:
        return fallback
    text = str(value).strip()
    return text or fallback


def build_snapshot(raw: Raw, signature: tuple | None, limits: Limits, default_send_hour: int = 10) -> Snapshot:
    if raw.build is not None:
        build_id, built_at, published_at = raw.build[0], _iso(raw.build[1]), _iso(raw.build[2])
    else:  # a copy published before builds were stamped: name it after the file version
        build_id = "file-" + hashlib.blake2b(repr(signature).encode(), digest_size=8).hexdigest()
        built_at = published_at = None
    loaded_at = _iso(datetime.now(UTC))

    # products: only complete, active ones are ever shown, so no field renders blank
    products: dict[str, Product] = {}
    bestsellers: list = []
    category_bestsellers: dict[str, list] = {}
    for pid, name, category, url, image_url, price, currency, is_active, overall_rank, _category_rank in raw.products:
        if not (is_active and pid and name and url and image_url and price is not None and currency):
            continue
        category = _text(category, "Other")
        product = Product(pid, category, (name, url, image_url, round(float(price), 2), currency))
        products[pid] = product
        if overall_rank is not None:
            bestsellers.append((product, BESTSELLER_REASON))
            category_bestsellers.setdefault(category.lower(), []).append(
                (product, f"{BESTSELLER_REASON} in {category}")
            )
    # dim_products is ordered by overall rank, so each category's list is in rank order too
    bestsellers_t = tuple(bestsellers[: limits.maximum])
    category_t = {cat: tuple(items[: limits.maximum]) for cat, items in category_bestsellers.items()}

    send_hour = int(raw.send_hour_utc) if raw.send_hour_utc is not None else int(default_send_hour)

    personal: dict[str, list] = {}
    reasons: dict[str, str] = {}
    for customer_id, product_id, reason in raw.recommendations:
        product = products.get(product_id)
        if product is None:
            continue
        reason = reasons.setdefault(reason, reason) if reason else "Picked for you"
        personal.setdefault(customer_id, []).append((product, reason))

    triggers: dict[str, list] = {}
    for customer_id, trigger_type in raw.triggers:
        triggers.setdefault(customer_id, []).append(trigger_type)

    # external ids: any id ever issued -> the live id's customer; erased ids (and ids merged into an
    # erased one) resolve to nobody
    rows = {row[0]: row for row in raw.external_ids}
    live_external_id: dict[str, str] = {}
    for external_id, customer_id, _current, merged_into, erased in raw.external_ids:
        if customer_id and not erased and not merged_into:
            live_external_id.setdefault(customer_id, external_id)

    def resolve(external_id: str) -> str | None:
        seen = set()
        while external_id not in seen:
            seen.add(external_id)
            row = rows.get(external_id)
            if row is None or row[4]:
                return None
            nxt = row[3] or (row[2] if row[2] and row[2] != external_id else None)
            if not nxt:
                return row[1]
            external_id = nxt
        return None

    fallback_header = {
        "found": False,
        "personalized": False,
        "variant": "fallback",
        "first_name": FALLBACK_FIRST_NAME,
        "segment": DEFAULT_LABEL,
        "lifecycle_stage": DEFAULT_LABEL,
        "tier": DEFAULT_LABEL,
        "send_hour_utc": send_hour,
        "trigger_audiences": [],
    }
    holdout_header = {**fallback_header, "found": True, "variant": "holdout"}

    recipients: dict[str, Recipient] = {}
    by_email: dict[str, Recipient] = {}
    by_contact: dict[str, Recipient] = {}
    n_default = limits.default
    for (
        customer_id,
        email,
        contact_id,
        first_name,
        is_holdout,
        segment,
        lifecycle,
        tier,
        top_category,
        hour,
    ) in raw.recipients:
        if is_holdout:
            header = {**holdout_header, "first_name": _text(first_name, FALLBACK_FIRST_NAME)}
            items = bestsellers_t
            variant = "holdout"
        else:
            header = {
                "found": True,
                "personalized": True,
                "variant": "personalized",
                "first_name": _text(first_name, FALLBACK_FIRST_NAME),
                "segment": _text(segment, DEFAULT_LABEL),
                "lifecycle_stage": _text(lifecycle, DEFAULT_LABEL),
                "tier": _text(tier, DEFAULT_LABEL),
                "send_hour_utc": int(hour) if hour is not None else send_hour,
                "trigger_audiences": triggers.get(customer_id, []),
            }
            in_category = category_t.get(top_category.lower(), ()) if top_category else ()
            items = tuple(merge(personal.get(customer_id, ()), in_category, bestsellers_t)[: limits.maximum])
            variant = "personalized"
        body = orjson.dumps({"recipient": header, "recommendations": render(items, n_default), "build_id": build_id})
        recipient = Recipient(
            customer_id=customer_id,
            external_id=live_external_id.get(customer_id),
            variant=variant,
            header=header,
            items=items,
            top_category=top_category,
            body=body,
            etag=etag_of(body),
        )
        recipients[customer_id] = recipient
        if email:
            by_email[clean_email(email)] = recipient
        if contact_id:
            by_contact[str(contact_id).strip()] = recipient

    by_external: dict[str, Recipient] = {}
    for external_id in rows:
        customer_id = resolve(external_id)
        if customer_id is not None and customer_id in recipients:
            by_external[external_id] = recipients[customer_id]

    similar = None
    if raw.similar is not None:
        similar = {}
        for product_id, similar_id, reason in raw.similar:
            product = products.get(similar_id)
            if product is None or similar_id == product_id:
                continue
            similar.setdefault(product_id, []).append((product, _text(reason, "You may also like")))
        similar = {pid: tuple(items[: limits.maximum]) for pid, items in similar.items()}

    fallback_body = orjson.dumps(
        {"recipient": fallback_header, "recommendations": render(bestsellers_t, n_default), "build_id": build_id}
    )
    return Snapshot(
        build_id=str(build_id),
        built_at=built_at,
        published_at=published_at,
        loaded_at=loaded_at,
        signature=signature,
        limits=limits,
        recipients=recipients,
        by_email=by_email,
        by_contact_id=by_contact,
        by_external_id=by_external,
        products=products,
        bestsellers=bestsellers_t,
        category_bestsellers=category_t,
        similar=similar,
        send_hour_utc=send_hour,
        fallback_header=fallback_header,
        holdout_header=holdout_header,
        fallback_body=fallback_body,
        fallback_etag=etag_of(fallback_body),
    )
