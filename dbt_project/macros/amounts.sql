{#- The type money amounts keep through staging and intermediate models: the raw tables' type
    (pipelines/extract/contract.py DECIMAL_TYPE, which tests/test_landing.py checks this against).
    Exact on DuckDB and PostgreSQL alike, so sums of amounts are exact; dbt.type_numeric() is
    numeric(28,6) and would round inputs with more decimals. -#}
{% macro amount_type() -%}
    decimal(38,9)
{%- endmacro %}
