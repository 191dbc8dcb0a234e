{#- sha256 hex of lower(trim(value)): the same digest on every warehouse, so hashed emails join
    across DuckDB and PostgreSQL. Raw PII never leaves staging. -#}
{% macro hash_pii(expression) -%}
    {{ return(adapter.dispatch('hash_pii')(expression)) }}
{%- endmacro %}

{% macro duckdb__hash_pii(expression) -%}
    sha256(lower(trim({{ expression }})))
{%- endmacro %}

{% macro postgres__hash_pii(expression) -%}
    encode(sha256(convert_to(lower(trim({{ expression }})), 'UTF8')), 'hex')
{%- endmacro %}

{% macro default__hash_pii(expression) -%}
    {{ exceptions.raise_compiler_error("hash_pii has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}
