{#- Spark rewrites rows only in a table format with row-level operations
    (Delta): merge on the key there, as delete+insert does on DuckDB, and the
    post-hook's update needs it too. -#}
{{ config(
    materialized='incremental',
    incremental_strategy=('merge' if target.type == 'spark' else 'delete+insert'),
    file_format=('delta' if target.type == 'spark' else none),
    unique_key='external_id',
    full_refresh=false,
    on_schema_change='append_new_columns',
    post_hook="
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
            )"
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
    rows that changed. An erased person's ids (those their person holds, and
    those issued for one of their identifiers, stg_erasure__identifiers, which
    base models have already dropped) become tombstones (post-hook): the id and
    erased_at, every other column null. The id is a hash that names no one; it
    is kept so the deletion feed (sync_esp__deletions) can tell each ESP which
    profile to delete, and so it is never issued again.
-#}

{%- set run_at = "cast('" ~ run_started_at.strftime("%Y-%m-%d %H:%M:%S") ~ "' as timestamp)" %}

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
    {%- if is_incremental() %}
    select
        external_id,
        anchor_identifier_md5,
        issued_at,
        first_seen_at,
        customer_id,
        current_external_id,
        merged_into_external_id,
        merged_at
    from {{ this }}
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
