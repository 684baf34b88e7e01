{% macro attribute_to_customers(relation, contact_id=none, email=none, anonymous_id=none) %}
    {#- Selects every column of `relation` (a CTE name) plus customer_id, looked
        up in int_identities_stitched by contact id, then email, then anonymous
        id: the most specific identifier wins. -#}
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
    {%- endfor %}
{% endmacro %}
