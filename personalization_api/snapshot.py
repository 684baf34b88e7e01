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
import logging
import os
import time
import unicodedata
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson

FALLBACK_FIRST_NAME = "there"
DEFAULT_LABEL = "default"
BESTSELLER_REASON = "Bestseller"
KEY_FIELDS = ("email", "contact_id", "external_id", "customer_id")

log = logging.getLogger("personalization_api")


# What DuckDB's trim() strips: the Unicode space separators (category Zs), never tabs or line breaks, which
# str.strip() would also take.
SQL_TRIMMED = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
EMAIL_LOCAL_EXTRA = frozenset("._%+'-")
PUNYCODE_TAIL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _sql_lower(value: str) -> str:
    """DuckDB's lower(): each character's simple lowercase, so 'İ' is 'i' (str.lower makes two characters)
    and a final 'Σ' is 'σ' (str.lower applies the final-sigma rule)."""
    if value.isascii():
        return value.lower()
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in value)


def _letter_or_digit(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"  # \p{L} or \p{N}


def clean_email(value: str) -> str | None:
    """The project's clean_email macro (macros/clean_email.sql) in Python: lower(trim(x)) when it is a plausible
    address (the macro's regular expression, no '..'), else None."""
    email = _sql_lower(value.strip(SQL_TRIMMED))
    local, at, domain = email.partition("@")
    if not at or not local or "@" in domain or ".." in email:
        return None
    if not all(ch in EMAIL_LOCAL_EXTRA or _letter_or_digit(ch) for ch in local):
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(
        label and all(ch == "-" or _letter_or_digit(ch) for ch in label) for label in labels[:-1]
    ):
        return None
    tld = labels[-1]
    if len(tld) >= 2 and all(unicodedata.category(ch)[0] == "L" for ch in tld):
        return email
    if tld.startswith("xn--") and len(tld) > 4 and all(ch in PUNYCODE_TAIL for ch in tld[4:]):
        return email
    return None


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
    """One person the build may personalise for: compact, since a build holds one per contactable customer."""

    customer_id: str
    external_id: str | None
    variant: str  # personalized | holdout
    # first_name, segment, lifecycle_stage, tier, send_hour_utc, trigger_audiences (tuple)
    fields: tuple
    # candidate items, best first, as positions in Snapshot.catalogue and their reasons; None for the holdout
    product_positions: array | None
    reasons: tuple | None
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
    catalogue: tuple  # every product that may be shown, by position
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

    def header(self, recipient: Recipient | None) -> dict:
        """The "recipient" object of an answer."""
        if recipient is None:
            return self.fallback_header
        first_name, segment, lifecycle_stage, tier, send_hour_utc, triggers = recipient.fields
        if recipient.variant == "holdout":
            return {**self.holdout_header, "first_name": first_name}
        return {
            "found": True,
            "personalized": True,
            "variant": "personalized",
            "first_name": first_name,
            "segment": segment,
            "lifecycle_stage": lifecycle_stage,
            "tier": tier,
            "send_hour_utc": send_hour_utc,
            "trigger_audiences": list(triggers),
        }

    def items(self, recipient: Recipient | None, n: int | None = None) -> list:
        """The recipient's candidate items, best first (the first n): (Product, reason)."""
        if recipient is None or recipient.product_positions is None:
            return list(self.bestsellers[:n])
        catalogue = self.catalogue
        positions, reasons = recipient.product_positions, recipient.reasons
        if n is not None:
            positions, reasons = positions[:n], reasons[:n]
        return [(catalogue[i], reason) for i, reason in zip(positions, reasons, strict=True)]

    # ---- payloads ------------------------------------------------------------------------------
    def candidates(self, recipient: Recipient | None, category: str | None = None) -> list:
        """Items to show, best first: the recipient's (or the bestsellers), restricted to a category if given."""
        base = self.items(recipient)
        if category is None:
            return base
        wanted = category.strip().lower()
        chosen = [item for item in base if item[0].category.lower() == wanted]
        in_category = self.category_bestsellers.get(wanted)
        if in_category is None:  # a category the catalogue does not know: the bestsellers, never blank
            return chosen if chosen else list(self.bestsellers)
        return merge(chosen, in_category)

    def personalization_body(self, recipient: Recipient | None, n: int) -> bytes:
        return orjson.dumps(
            {
                "recipient": self.header(recipient),
                "recommendations": render(self.items(recipient, n), n),
                "build_id": self.build_id,
            }
        )

    def personalization(self, recipient: Recipient | None, limit: int | None) -> tuple[bytes, str]:
        n = self.clamp(limit)
        if n == self.limits.default:
            if recipient is None:
                return self.fallback_body, self.fallback_etag
            return recipient.body, recipient.etag
        body = self.personalization_body(recipient, n)
        return body, etag_of(body)

    def recommendations(self, recipient: Recipient | None, limit: int | None, category: str | None) -> tuple:
        n = self.clamp(limit)
        if recipient is None:
            short = {"found": False, "personalized": False, "variant": "fallback"}
        else:
            personalized = recipient.variant == "personalized"
            short = {"found": True, "personalized": personalized, "variant": recipient.variant}
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


def _text(value, fallback: str) -> str:
    if value is None:
        return fallback
    text = str(value).strip()
    return text or fallback


# Products that may be shown (active, every rendered field present), numbered by bestseller rank: the
# recipients' candidate lists refer to them by that position.
SHOWN_PRODUCTS = """
    select
        row_number() over (order by overall_rank nulls last, product_id) - 1 as position,
        product_id,
        trim(product_name) as product_name,
        coalesce(nullif(trim(category), ''), 'Other') as category,
        product_url,
        image_url,
        cast(price as double) as price,
        currency,
        overall_rank
    from main.dim_products
    where is_active
        and product_id is not null
        and nullif(trim(product_name), '') is not null
        and nullif(trim(product_url), '') is not null
        and nullif(trim(image_url), '') is not null
        and price is not null
        and nullif(trim(currency), '') is not null
"""

# Who may be personalised: the exports' population (fct_customer_personalization: contactable primary
# emails), re-checked against fct_contactability, subscribed only (consent fails closed).
PEOPLE = """
    select
        p.customer_id,
        p.email,
        p.contact_id,
        p.first_name,
        p.is_global_holdout,
        p.rfm_segment,
        p.lifecycle_stage,
        p.action_tier,
        p.top_category,
        p.send_hour_utc
    from main.fct_customer_personalization as p
    inner join main.fct_contactability as c
        on p.customer_id = c.customer_id and c.is_primary_email
    where c.is_contactable
        and c.subscription_status = 'subscribed'
        and p.subscription_status = 'subscribed'
"""

# Each person's row with the recommender's picks (positions in the shown products, best first, with their
# reasons) and active triggers. The bestsellers that follow them are the same for everyone and are added in
# Python (see build_snapshot), as fct_customer_personalization orders them.
RECIPIENTS = f"""
with
shown as ({SHOWN_PRODUCTS}),
people as ({PEOPLE}),
personal as (
    select
        recommendations.customer_id,
        list(shown.position order by recommendations.rank) as positions,
        list(coalesce(nullif(trim(recommendations.reason), ''), 'Picked for you') order by recommendations.rank)
            as reasons
    from main.fct_customer_recommendations as recommendations
    inner join shown
        on recommendations.product_id = shown.product_id
    group by recommendations.customer_id
),
triggers as (
    select
        customer_id,
        list(trigger_type order by priority, trigger_type) as trigger_types
    from (
        select customer_id, trigger_type, min(priority) as priority
        from main.fct_trigger_audiences
        where is_active
        group by customer_id, trigger_type
    )
    group by customer_id
)
select
    people.*,
    case when not people.is_global_holdout then personal.positions end as positions,
    case when not people.is_global_holdout then personal.reasons end as reasons,
    triggers.trigger_types
from people
left join personal
    on people.customer_id = personal.customer_id
left join triggers
    on people.customer_id = triggers.customer_id
"""


@dataclass
class Raw:
    """What a build holds for the API, as plain rows (read with the file open, indexed after closing it)."""

    build: tuple | None
    products: list
    recipients: list
    external_ids: list
    similar: list | None
    send_hour_utc: int | None


# Loading runs in a thread beside the server's event loop, and everything it does in Python holds the GIL. It
# therefore works CHUNK rows at a time and lets the loop in between (time.sleep(0) releases the GIL), so the
# requests served meanwhile wait for one chunk (a millisecond or two), never for the whole build.
CHUNK = 2000


def let_others_run(i: int) -> None:
    """Release the GIL once every CHUNK rows (i: the row's index)."""
    if i % CHUNK == CHUNK - 1:
        time.sleep(0)


def fetch_in_chunks(result, size: int = 500) -> list:
    """All rows, fetched a few hundred at a time: converting rows to Python holds the GIL, and one
    fetchall of a hundred thousand rows would keep the server's event loop waiting for a second or more."""
    rows: list = []
    while chunk := result.fetchmany(size):
        rows.extend(chunk)
        time.sleep(0)
    return rows


def materialized_rows(con, name: str, query: str) -> list:
    """The query's rows, computed into a temporary table first and then fetched in chunks. DuckDB releases the
    GIL while it executes a statement, but a streamed result computes its rows as they are fetched, GIL held
    (a stall of a few hundred milliseconds for the recipients' joins and aggregates)."""
    con.execute(f"create or replace temp table {name} as {query}")
    try:
        return fetch_in_chunks(con.execute(f"select * from {name}"))
    finally:
        con.execute(f"drop table {name}")


def free_in_chunks(rows: list) -> None:
    """Empty a big list of rows from its end, CHUNK rows at a time: dropping it whole frees every row in one
    go, with the GIL held throughout."""
    while rows:
        del rows[-CHUNK:]
        time.sleep(0)


def read_raw(path: Path, limits: Limits) -> Raw:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        build = None
        if _has_table(con, "published_build"):
            build = con.execute("select build_id, built_at, published_at from main.published_build limit 1").fetchone()
        products = con.execute(f"select * from ({SHOWN_PRODUCTS}) order by position").fetchall()
        recipients = materialized_rows(con, "api_recipients", RECIPIENTS)
        external_ids = materialized_rows(
            con,
            "api_external_ids",
            """
            select external_id, customer_id, current_external_id, merged_into_external_id, erased_at is not null
            from main.dim_customer_external_ids
            """,
        )
        similar = None
        if _has_table(con, "fct_similar_products"):
            similar = materialized_rows(
                con,
                "api_similar",
                """
                select product_id, similar_product_id, reason
                from main.fct_similar_products
                order by product_id, rank
                """,
            )
        send_hour = con.execute("select mode(best_hour_utc) from main.fct_send_times").fetchone()[0]
    finally:
        con.close()
    return Raw(build, products, recipients, external_ids, similar, send_hour)


def load_snapshot(path: Path, limits: Limits | None = None, default_send_hour: int = 10) -> Snapshot:
    """Read the published build at path (open, read, close) and index it."""
    path = Path(path)
    limits = limits or Limits()
    signature = file_signature(path)
    if signature is None:
        raise FileNotFoundError(path)
    raw = read_raw(path, limits)
    snapshot = build_snapshot(raw, signature, limits, default_send_hour)
    for rows in (raw.recipients, raw.external_ids, raw.similar or []):
        free_in_chunks(rows)
    return snapshot


def resolve_external_ids(rows: list) -> tuple[dict[str, str], dict[str, str]]:
    """(every issued id -> the live id's customer, customer -> live id).

    dim_customer_external_ids already names, for every id it issued, the id that person goes by now
    (current_external_id: itself while active, the survivor once merged, null on a tombstone), so an id
    resolves to that live id's customer; erased ids, and ids whose live id was erased, resolve to nobody."""
    active: dict[str, str] = {}
    live: dict[str, str] = {}
    for i, (external_id, customer_id, _current, merged_into, erased) in enumerate(rows):
        let_others_run(i)
        if customer_id and not erased and not merged_into:
            active[external_id] = customer_id
            live.setdefault(customer_id, external_id)
    resolved: dict[str, str] = {}
    for i, (external_id, _customer_id, current, _merged_into, erased) in enumerate(rows):
        let_others_run(i)
        if not erased and current in active:
            resolved[external_id] = active[current]
    return resolved, live


def fill(positions, reasons, in_category, overall, n: int) -> tuple[list, list]:
    """The recommender's picks, then the category's bestsellers, then the overall ones: n products, each once."""
    out_positions: list = []
    out_reasons: list = []
    seen: set = set()
    for position, reason in zip(positions, reasons, strict=True):
        if position not in seen:
            seen.add(position)
            out_positions.append(position)
            out_reasons.append(reason)
            if len(out_positions) == n:
                return out_positions, out_reasons
    for items in (in_category, overall):
        for position, reason in items:
            if position not in seen:
                seen.add(position)
                out_positions.append(position)
                out_reasons.append(reason)
                if len(out_positions) == n:
                    return out_positions, out_reasons
    return out_positions, out_reasons


def build_snapshot(raw: Raw, signature: tuple | None, limits: Limits, default_send_hour: int = 10) -> Snapshot:
    if raw.build is not None:
        build_id, built_at, published_at = str(raw.build[0]), _iso(raw.build[1]), _iso(raw.build[2])
    else:  # a copy published before builds were stamped: name it after the file version
        build_id = "file-" + hashlib.blake2b(repr(signature).encode(), digest_size=8).hexdigest()
        built_at = published_at = None
    loaded_at = _iso(datetime.now(UTC))

    catalogue = []
    bestsellers: list = []
    category_bestsellers: dict[str, list] = {}
    for _position, pid, name, category, url, image_url, price, currency, overall_rank in raw.products:
        product = Product(pid, category, (name, url, image_url, round(float(price), 2), currency))
        catalogue.append(product)
        if overall_rank is not None:
            if len(bestsellers) < limits.maximum:
                bestsellers.append((product, BESTSELLER_REASON))
            in_category = category_bestsellers.setdefault(category.lower(), [])
            if len(in_category) < limits.maximum:
                in_category.append((product, f"{BESTSELLER_REASON} in {category}"))
    catalogue_t = tuple(catalogue)
    position_of = {product.product_id: position for position, product in enumerate(catalogue_t)}
    bestseller_positions = tuple((position_of[p.product_id], reason) for p, reason in bestsellers)
    category_positions = {
        key: tuple((position_of[p.product_id], reason) for p, reason in items)
        for key, items in category_bestsellers.items()
    }
    products = {product.product_id: product for product in catalogue_t}
    bestsellers_t = tuple(bestsellers)
    category_t = {key: tuple(items) for key, items in category_bestsellers.items()}
    send_hour = int(raw.send_hour_utc) if raw.send_hour_utc is not None else int(default_send_hour)

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
    resolved, live_external_id = resolve_external_ids(raw.external_ids)

    snapshot = Snapshot(
        build_id=build_id,
        built_at=built_at,
        published_at=published_at,
        loaded_at=loaded_at,
        signature=signature,
        limits=limits,
        recipients={},
        by_email={},
        by_contact_id={},
        by_external_id={},
        catalogue=catalogue_t,
        products=products,
        bestsellers=bestsellers_t,
        category_bestsellers=category_t,
        similar=None,
        send_hour_utc=send_hour,
        fallback_header=fallback_header,
        holdout_header=holdout_header,
    )
    # one object per distinct label, reason and trigger list, however many people share it
    shared: dict = {}

    def same(value):
        return shared.setdefault(value, value)

    recipients, by_email, by_contact = snapshot.recipients, snapshot.by_email, snapshot.by_contact_id
    shared_email: set = set()
    shared_contact: set = set()
    n_default = limits.default
    for i, (
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
        positions,
        reasons,
        trigger_types,
    ) in enumerate(raw.recipients):
        let_others_run(i)
        first_name = _text(first_name, FALLBACK_FIRST_NAME)
        if not is_holdout:
            positions, reasons = fill(
                positions or (),
                reasons or (),
                category_positions.get(_text(top_category, "").lower(), ()),
                bestseller_positions,
                limits.maximum,
            )
        if is_holdout:
            variant, fields, positions_a, reasons_t = "holdout", (first_name, None, None, None, None, ()), None, None
        else:
            variant = "personalized"
            fields = (
                first_name,
                same(_text(segment, DEFAULT_LABEL)),
                same(_text(lifecycle, DEFAULT_LABEL)),
                same(_text(tier, DEFAULT_LABEL)),
                int(hour) if hour is not None else send_hour,
                same(tuple(trigger_types or ())),
            )
            positions_a = array("I", positions or ())
            reasons_t = same(tuple(map(shared.setdefault, reasons, reasons)))
        recipient = Recipient(
            customer_id, live_external_id.get(customer_id), variant, fields, positions_a, reasons_t, b"", ""
        )
        # a copy of exactly the body's size: orjson's own buffer keeps its spare capacity (4 KiB each)
        body = memoryview(snapshot.personalization_body(recipient, n_default)).tobytes()
        recipient = Recipient(
            customer_id, recipient.external_id, variant, fields, positions_a, reasons_t, body, etag_of(body)
        )
        recipients[customer_id] = recipient
        if email:
            cleaned = clean_email(email)
            if cleaned:
                index_once(by_email, cleaned, recipient, shared_email)
        if contact_id:
            index_once(by_contact, str(contact_id).strip(), recipient, shared_contact)
    # an email or contact id two customers share finds neither: the fallback, never a guess at one of them
    for index, shared_ids, what in ((by_email, shared_email, "emails"), (by_contact, shared_contact, "contact ids")):
        for value in shared_ids:
            del index[value]
        if shared_ids:
            log.warning(
                "%d %s belong to more than one customer in this build: they match nobody", len(shared_ids), what
            )

    by_external = snapshot.by_external_id
    for i, (external_id, customer_id) in enumerate(resolved.items()):
        let_others_run(i)
        recipient = recipients.get(customer_id)
        if recipient is not None:
            by_external[external_id] = recipient

    similar = None
    if raw.similar is not None:
        similar = {}
        for i, (product_id, similar_id, reason) in enumerate(raw.similar):
            let_others_run(i)
            product = products.get(similar_id)
            if product is None or similar_id == product_id:
                continue
            items = similar.setdefault(product_id, [])
            if len(items) < limits.maximum:
                items.append((product, _text(reason, "You may also like")))
        similar = {pid: tuple(items) for pid, items in similar.items()}

    fallback_body = memoryview(snapshot.personalization_body(None, n_default)).tobytes()
    # the snapshot is frozen to its readers; these last fields are set once, before anyone can see it
    object.__setattr__(snapshot, "similar", similar)
    object.__setattr__(snapshot, "fallback_body", fallback_body)
    object.__setattr__(snapshot, "fallback_etag", etag_of(fallback_body))
    return snapshot


def index_once(index: dict, value: str, recipient, shared: set) -> None:
    """index[value] = recipient, noting in `shared` a value already indexed for another customer."""
    held = index.setdefault(value, recipient)
    if held is not recipient and held.customer_id != recipient.customer_id:
        shared.add(value)


def dismantle(snapshot: Snapshot) -> None:
    """Free a snapshot nobody reads any more a few thousand recipients at a time (see let_others_run): dropping
    it whole frees its hundreds of thousands of objects in one go, with the GIL held. Only for a snapshot no
    request can still be reading: it empties the lookups in place."""
    for index in (snapshot.by_email, snapshot.by_contact_id, snapshot.by_external_id, snapshot.recipients):
        while index:
            for _ in range(min(CHUNK, len(index))):
                index.popitem()
            time.sleep(0)
