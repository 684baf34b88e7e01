{% macro experiment_moment_sums(y='metric_value', x='pre_exposure_value') %}
    {#- The sufficient statistics of Welch and CUPED per group: count, sums, sums of squares and cross-products. #}
    count(*) as n_units,
    sum({{ y }}) as sum_y,
    sum({{ y }} * {{ y }}) as sum_y2,
    sum({{ x }}) as sum_x,
    sum({{ x }} * {{ x }}) as sum_x2,
    sum({{ y }} * {{ x }}) as sum_xy
{%- endmacro %}
