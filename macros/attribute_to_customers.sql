{% macro attribute_to_customers(relation, contact_id=none, email=none, anonymous_id=none, keep_unattributed=false) %}
    {#- Selects every column of `relation` (a CTE name) plus customer_id, looked
        up in int_identities_stitched by contact id, then email, then anonymous
        id: the most specific identifier wins. A quarantined identifier (a CRM
        contact id seen with too many people, int_identifiers_quarantined) is
        skipped, so the row falls back on its next identifier. A row whose every
        identifier is quarantined (a kiosk's anonymous visit, a guest order
        carrying only the shop's shared contact id) belongs to nobody and is
        left out; audit_quarantined_identifiers counts it (rows_unattributed).
        keep_unattributed keeps the rows nobody is found for, with a null
        customer_id (an incremental run deletes their old version). -#}
    {%- set lookups = [] -%}
    {%- if contact_id -%}{%- do lookups.append(('contact_id', contact_id)) -%}{%- endif -%}
    {%- if email -%}{%- do lookups.append(('email', email)) -%}{%- endif -%}
    {%- if anonymous_id -%}{%- do lookups.append(('anonymous_id', anonymous_id)) -%}{%- endif -%}
    select
        {{ relation }}.*,
        coalesce(
            {%- for identifier_type, column in lookups %}
            by_{{ identifier_type }}.customer_id{{ ',' if not loop.last }}
            {%- endfor %}
        ) as customer_id
    from {{ relation }}
    {%- for identifier_type, column in lookups %}
    left join {{ ref('int_identities_stitched') }} as by_{{ identifier_type }}
        on by_{{ identifier_type }}.identifier_type = {{ quote_literal(identifier_type) }}
        and {{ relation }}.{{ column }} = by_{{ identifier_type }}.identifier_value
        and by_{{ identifier_type }}.is_quarantined is not true
    {%- endfor %}
    {%- if not keep_unattributed %}
    where coalesce(
        {%- for identifier_type, column in lookups %}
        by_{{ identifier_type }}.customer_id{{ ',' if not loop.last }}
        {%- endfor %}
    ) is not null
    {%- endif %}
{% endmacro %}
