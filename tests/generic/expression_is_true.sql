{% test expression_is_true(model, expression, where=none) %}
    {#- Fails with every row for which the SQL boolean `expression` is not true. -#}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
    {%- if where %} and ({{ where }}){% endif %}
{% endtest %}
