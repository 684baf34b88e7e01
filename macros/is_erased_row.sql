{% macro is_erased_row(email=none, contact_id=none, anonymous_id=none, order_id=none) %}
    {#- True when a raw row carries an identifier of a person who asked to be
        erased (stg_erasure__identifiers). Pass the raw columns (e.g.
        'source.email'); each is normalised as stg_erasure__identifiers does.
        Base models reject such rows as 'erased' and keep nothing else of them
        (macro empty_erased_rows). -#}
    {%- set checks = [] -%}
    {%- if email -%}
        {%- do checks.append(('email', sha256_hex(erasure_email_key(email)))) -%}
    {%- endif -%}
    {%- if contact_id -%}
        {%- do checks.append(('contact_id', sha256_hex(clean_identifier(contact_id)))) -%}
    {%- endif -%}
    {%- if anonymous_id -%}
        {%- do checks.append(('anonymous_id', sha256_hex(clean_identifier(anonymous_id)))) -%}
    {%- endif -%}
    {%- if order_id -%}
        {%- do checks.append(('order_id', sha256_hex(clean_text(order_id)))) -%}
    {%- endif -%}
    coalesce(
        {%- for identifier_type, hashed in checks %}
        {{ hashed }} in (
            select erased.identifier_sha256
            from {{ ref('stg_erasure__identifiers') }} as erased
            where erased.identifier_type = '{{ identifier_type }}'
        ){{ ' or' if not loop.last }}
        {%- endfor %},
        false
    )
{% endmacro %}
