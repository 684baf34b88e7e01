{#- true when text is a JSON object ({...}), false for other JSON values,
    malformed text and null. Spark's parser is more lenient than DuckDB's
    (it reads '{"a": 1} trailing text' as an object). -#}
{% macro is_json_object(text) -%}
    {{ return(adapter.dispatch('is_json_object', 'email_personalization')(text)) }}
{%- endmacro %}

{% macro default__is_json_object(text) -%}
    case
            when json_valid({{ text }}) then json_type(cast({{ text }} as json)) = 'OBJECT'
            else false
        end
{%- endmacro %}

{% macro spark__is_json_object(text) -%}
    coalesce(json_object_keys({{ text }}) is not null, false)
{%- endmacro %}
