{#- No value of the columns is NaN or infinite (NULL is fine: a KPI without a denominator). The
    rows returned are the whole offending rows, so a stored sample shows where they are. -#}
{% test finite_values(model, columns) %}

select *
from {{ model }}
where
{%- for column in columns %}
    {{ column }} in (
        cast('NaN' as double precision),
        cast('Infinity' as double precision),
        cast('-Infinity' as double precision)
    ){{ " or" if not loop.last }}
{%- endfor %}

{% endtest %}
