{% macro export_recommendation_columns(name_pattern, image_field='image_url', max_length=none, quote=false) %}
    {#- The recommendation columns of an export, one group per slot up to var
        export_recommendations, named by the destination's convention:
        name_pattern with {slot} and {field} ({FIELD} for upper case; field is
        name, url, the image_field, price). Text is cut to max_length when given; prices are
        formatted. quote keeps the name's case (the engine's quoting). Ends with a comma. -#}
    {%- for slot in range(1, number_var('export_recommendations') | int + 1) %}
        {%- for field, source in [('name', 'name'), ('url', 'url'), (image_field, 'image_url'), ('price', 'price')] %}
            {%- set alias = name_pattern.replace('{slot}', slot | string).replace('{field}', field).replace('{FIELD}', field | upper) %}
            {%- set alias = adapter.quote(alias) if quote else alias %}
            {%- if source == 'price' %}
        {{ format_price('rec_' ~ slot ~ '_price', 'currency') }} as {{ alias }},
            {%- elif max_length %}
        left(rec_{{ slot }}_{{ source }}, {{ max_length }}) as {{ alias }},
            {%- else %}
        rec_{{ slot }}_{{ source }} as {{ alias }},
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
{% endmacro %}
