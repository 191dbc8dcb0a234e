{#- sha256 hex of lower(trim(value)): the same digest on every warehouse, so hashed emails join
    across DuckDB and PostgreSQL. Raw PII never leaves staging. A missing value (NULL, or blank)
    stays NULL: the hash of an empty string would make every customer without an email one. -#}
{% macro hash_pii(expression) -%}
    {{ return(adapter.dispatch('hash_pii')(expression)) }}
{%- endmacro %}

{% macro duckdb__hash_pii(expression) -%}
    sha256(lower(nullif(trim({{ expression }}), '')))
{%- endmacro %}

{% macro postgres__hash_pii(expression) -%}
    encode(sha256(convert_to(lower(nullif(trim({{ expression }}), '')), 'UTF8')), 'hex')
{%- endmacro %}

{% macro default__hash_pii(expression) -%}
    {{ exceptions.raise_compiler_error("hash_pii has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}
