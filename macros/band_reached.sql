{% macro band_reached(bands, label, minimum, value) %}
    {#- The label of the highest band whose minimum the value reaches; null when it reaches none (or is null). -#}
    (
        select {{ bands }}.{{ label }}
        from {{ bands }}
        where {{ bands }}.{{ minimum }} <= {{ value }}
        order by {{ bands }}.{{ minimum }} desc
        limit 1
    )
{%- endmacro %}
