{#- numerator / denominator as a double; NULL (never 0 or infinity) when the denominator is 0 or
    NULL. Casting first also avoids integer division on PostgreSQL. -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0)
{%- endmacro %}
