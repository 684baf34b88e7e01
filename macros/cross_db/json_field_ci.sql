{#- The text of a JSON object's field named `name` whatever its case or padding
    in the object ('EMAIL', ' Email '): the first such key's value (a string as
    itself, a number or object as its JSON text); null when there is none or
    the text is no object. `name` is a lowercase, trimmed literal. -#}
{% macro json_field_ci(json, name) -%}
    {{ return(adapter.dispatch('json_field_ci', 'email_personalization')(json, name)) }}
{%- endmacro %}

{% macro default__json_field_ci(json, name) -%}
    list_extract(list_transform(list_filter(json_keys({{ json }}), lambda k: lower(trim(k)) = '{{ name }}'), lambda k: json_extract_string({{ json }}, '$."' || k || '"')), 1)
{%- endmacro %}

{% macro spark__json_field_ci(json, name) -%}
    element_at(map_values(map_filter(from_json({{ json }}, 'map<string,string>'), (k, v) -> lower(trim(k)) = '{{ name }}')), 1)
{%- endmacro %}
