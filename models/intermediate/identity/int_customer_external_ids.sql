{#- DuckDB merges the rows that changed into the table (delete+insert on the
    key) and tombstones erased people's ids in place (post-hook update). Spark
    without Delta has no row-level operations: there the model is a table
    rewritten whole each run, the previous state read from a copy the pre-hook
    makes (snapshot_previous_state), and the tombstones applied in the select.
    Both write the same rows. -#}
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy=('delete+insert' if target.type == 'duckdb' else none),
    unique_key='external_id',
    full_refresh=false,
    on_schema_change='append_new_columns',
    pre_hook=([] if target.type == 'duckdb' else ['{{ snapshot_previous_state() }}']),
    post_hook=(["
        update {{ this }}
        set
            anchor_identifier_md5 = null,
            first_seen_at = null,
            customer_id = null,
            current_external_id = null,
            merged_into_external_id = null,
            merged_at = null,
            is_active = false,
            erased_at = cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)
        where erased_at is null
            and (
                customer_id in (select customer_id from {{ ref('int_erased_customers') }})
                or anchor_identifier_md5 in (
                    select customer_id from {{ ref('stg_erasure__identifiers') }} where customer_id is not null
                )
            )"] if target.type == 'duckdb' else [])
) }}

-- depends_on: {{ ref('stg_erasure__identifiers') }}

{#-
    The persistent identity map for ESPs that key profiles by an id of ours
    (Braze's external_id, Klaviyo's external_id): one row per id ever issued.
    customer_id is a hash of a person's anchor identifier and changes when new
    data re-anchors the person (a guest email later gets an earlier CRM record);
    an external_id never does.
    - A person anchored by a contact or an email gets an id the first time it is
      seen: its customer_id of the day (another hash if that was ever issued).
      The id follows the identifier that anchored the person then
      (anchor_identifier_md5), whichever person holds it later.
    - A person holding several live ids (two people merged) keeps the earliest
      issued (then the earliest first seen, then the smallest id); the others
      are recorded merged into it, with merged_at, and never reused.
    - An id whose identifier left the data stays, dormant (customer_id null).
    Incremental and never rebuilt (full_refresh false): each run writes the
    rows that changed (on Spark: the whole map, the rows that did not change
    copied from the previous state). An erased person's ids (those their
    person holds, and those issued for one of their identifiers,
    stg_erasure__identifiers, which base models have already dropped) become
    tombstones (DuckDB: post-hook; Spark: in the select): the id and
    erased_at, every other column null. The id is a hash that names no one; it
    is kept so the deletion feed (sync_esp__deletions) can tell each ESP which
    profile to delete, and so it is never issued again.
-#}

{%- set run_at = "cast('" ~ run_started_at.strftime("%Y-%m-%d %H:%M:%S") ~ "' as timestamp)" %}
{#- Where the previous state is read: on DuckDB (and in unit tests) the
    incremental table itself; on a table rewritten whole, its copy -#}
{%- set rewrites_whole_map = target.type != 'duckdb' and not is_incremental() %}
{%- set previous_relation = this if is_incremental() else (previous_state() if rewrites_whole_map else none) %}

with

identities as (
    select
        customer_id,
        person_key,
        anchor_type,
        first_seen_at,
        -- the hash this identifier's person would have, were it the anchor
        md5(
            case identifier_type
                when 'contact_id' then 'contact:'
                when 'email' then 'email:'
                else 'anonymous:'
            end || identifier_value
        ) as identifier_md5
    from {{ ref('int_identities_stitched') }}
),

erased as (
    select customer_id from {{ ref('int_erased_customers') }}
),

previous as (
    {%- if previous_relation is not none %}
    select
        external_id,
        anchor_identifier_md5,
        issued_at,
        first_seen_at,
        customer_id,
        current_external_id,
        merged_into_external_id,
        merged_at
    from {{ previous_relation }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as external_id,
        cast(null as {{ dbt.type_string() }}) as anchor_identifier_md5,
        cast(null as timestamp) as issued_at,
        cast(null as timestamp) as first_seen_at,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as current_external_id,
        cast(null as {{ dbt.type_string() }}) as merged_into_external_id,
        cast(null as timestamp) as merged_at
    where false
    {%- endif %}
),

-- people who get an id: anchored by a contact or an email, not erased
people as (
    select
        identities.customer_id,
        min(identities.first_seen_at) as first_seen_at
    from identities
    anti join erased
        on identities.customer_id = erased.customer_id
    where identities.anchor_type != 'anonymous'
    group by identities.customer_id
),

-- every issued id with the person now holding the identifier it was issued for
held as (
    select
        previous.*,
        identities.customer_id as holder_customer_id
    from previous
    left join identities
        on previous.anchor_identifier_md5 = identities.identifier_md5
),

survivors as (
    select
        held.holder_customer_id as customer_id,
        min_by(
            held.external_id,
            {{ ordering_tuple(['held.issued_at', 'held.first_seen_at', 'held.external_id']) }}
        ) as external_id
    from held
    semi join people
        on held.holder_customer_id = people.customer_id
    where held.merged_into_external_id is null
    group by held.holder_customer_id
),

issued as (
    select
        case
            when previous.external_id is null then people.customer_id
            else md5(people.customer_id || ':' || cast({{ run_at }} as {{ dbt.type_string() }}))
        end as external_id,
        people.customer_id as anchor_identifier_md5,
        {{ run_at }} as issued_at,
        people.first_seen_at,
        people.customer_id
    from people
    anti join survivors
        on people.customer_id = survivors.customer_id
    left join previous
        on people.customer_id = previous.external_id
),

current_state as (
    select
        held.external_id,
        held.anchor_identifier_md5,
        held.issued_at,
        held.first_seen_at,
        held.holder_customer_id as customer_id,
        coalesce(survivors.external_id, held.current_external_id) as current_external_id,
        coalesce(
            held.merged_into_external_id,
            case when survivors.external_id != held.external_id then survivors.external_id end
        ) as merged_into_external_id,
        coalesce(
            held.merged_at,
            case when survivors.external_id != held.external_id then {{ run_at }} end
        ) as merged_at
    from held
    left join survivors
        on held.holder_customer_id = survivors.customer_id
    union all
    select
        external_id,
        anchor_identifier_md5,
        issued_at,
        first_seen_at,
        customer_id,
        external_id as current_external_id,
        cast(null as {{ dbt.type_string() }}) as merged_into_external_id,
        cast(null as timestamp) as merged_at
    from issued
),

changed as (
    select current_state.*
    from current_state
    left join previous
        on current_state.external_id = previous.external_id
    where
        previous.external_id is null
        or current_state.customer_id is distinct from previous.customer_id
        or current_state.current_external_id is distinct from previous.current_external_id
        or current_state.merged_into_external_id is distinct from previous.merged_into_external_id
)
{%- if not rewrites_whole_map %}

select
    external_id,
    anchor_identifier_md5,
    issued_at,
    first_seen_at,
    customer_id,
    current_external_id,
    merged_into_external_id,
    merged_at,
    merged_into_external_id is null and customer_id is not null as is_active,
    -- set by the post-hook when the person is erased; a tombstone never changes again
    cast(null as timestamp) as erased_at
from changed

{%- else %},

written as (
    select
        external_id,
        anchor_identifier_md5,
        issued_at,
        first_seen_at,
        customer_id,
        current_external_id,
        merged_into_external_id,
        merged_at,
        merged_into_external_id is null and customer_id is not null as is_active,
        cast(null as timestamp) as erased_at
    from changed
    {%- if previous_relation is not none %}
    union all
    -- the ids that did not change, as they were
    select
        external_id,
        anchor_identifier_md5,
        issued_at,
        first_seen_at,
        customer_id,
        current_external_id,
        merged_into_external_id,
        merged_at,
        is_active,
        erased_at
    from {{ previous_relation }} as previous_state
    where not exists (
        select 1 from changed where changed.external_id = previous_state.external_id
    )
    {%- endif %}
),

-- DuckDB's post-hook update: an erased person's ids become tombstones
erasing as (
    select
        written.*,
        written.erased_at is null
        and (erased_person.customer_id is not null or erased_identifier.customer_id is not null) as is_erased
    from written
    left join (select distinct customer_id from erased) as erased_person
        on written.customer_id = erased_person.customer_id
    left join (
        select distinct customer_id
        from {{ ref('stg_erasure__identifiers') }}
        where customer_id is not null
    ) as erased_identifier
        on written.anchor_identifier_md5 = erased_identifier.customer_id
)

select
    external_id,
    case when not is_erased then anchor_identifier_md5 end as anchor_identifier_md5,
    issued_at,
    case when not is_erased then first_seen_at end as first_seen_at,
    case when not is_erased then customer_id end as customer_id,
    case when not is_erased then current_external_id end as current_external_id,
    case when not is_erased then merged_into_external_id end as merged_into_external_id,
    case when not is_erased then merged_at end as merged_at,
    case when is_erased then false else is_active end as is_active,
    case when is_erased then {{ run_at }} else erased_at end as erased_at
from erasing
{%- endif %}
