{#- The run's range of months (vars period_start..period_end, both 'YYYY-MM-01', inclusive).
    Boundaries are computed here once, so models compare plain date literals on every warehouse. -#}

{% macro _month_var(name) %}
    {%- set value = var(name) | string -%}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-01$', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be the first day of a month 'YYYY-MM-01', got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(modules.datetime.date(value[0:4] | int, value[5:7] | int, 1)) }}
{% endmacro %}

{% macro _add_months(month, count) %}
    {%- set index = month.year * 12 + month.month - 1 + count -%}
    {{ return(modules.datetime.date(index // 12, index % 12 + 1, 1)) }}
{% endmacro %}

{#- Every month of the range as a date, in order. -#}
{% macro period_months() %}
    {%- set first = _month_var('period_start') -%}
    {%- set last = _month_var('period_end') -%}
    {%- if last < first -%}
        {{ exceptions.raise_compiler_error("var period_end (" ~ last ~ ") is before period_start (" ~ first ~ ")") }}
    {%- endif -%}
    {%- set count = (last.year - first.year) * 12 + last.month - first.month -%}
    {%- set months = [] -%}
    {%- for offset in range(count + 1) -%}
        {%- do months.append(_add_months(first, offset)) -%}
    {%- endfor -%}
    {{ return(months) }}
{% endmacro %}

{% macro period_range_start() -%}
    cast('{{ _month_var("period_start") }}' as date)
{%- endmacro %}

{#- The first day of the month `count` months before the range: where a model that looks back over
    history starts reading, so its cost stays proportional to the range plus that lookback. -#}
{% macro months_before_range_start(count) -%}
    cast('{{ _add_months(_month_var("period_start"), -count) }}' as date)
{%- endmacro %}

{#- The first day after the range (exclusive upper bound). -#}
{% macro period_range_end() -%}
    cast('{{ _add_months(_month_var("period_end"), 1) }}' as date)
{%- endmacro %}

{% macro in_period_range(column) -%}
    {{ column }} >= {{ period_range_start() }} and {{ column }} < {{ period_range_end() }}
{%- endmacro %}

{#- One row per month of the range: column `period` (date). -#}
{% macro period_spine() -%}
    {%- for month in period_months() %}
    select cast('{{ month }}' as date) as period
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}
{%- endmacro %}

{#- The month (first day, as a date) a date or timestamp falls in. -#}
{% macro month_of(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}

{#- The earliest touch any conversion of the range can use (the longest lookback before the
    range): reading touches from here on keeps the cost of a run proportional to its range. -#}
{% macro touch_window_start() -%}
    {%- set start = _month_var('period_start') - modules.datetime.timedelta(days=max_lookback_days()) -%}
    cast('{{ start }}' as date)
{%- endmacro %}

{#- Days from one timestamp to a later one, fractional, as a double. -#}
{% macro days_between(start, end) -%}
    cast({{ dbt.datediff(start, end, 'second') }} as double precision) / 86400
{%- endmacro %}

{#- A touch counts for a conversion when it happened before it, within the conversion type's
    lookback window (`lookback_days`: a column or an expression). -#}
{% macro in_lookback_window(occurred_at, converted_at, lookback_days) -%}
    {{ occurred_at }} < {{ converted_at }}
    and {{ occurred_at }} >= {{ dbt.dateadd('day', '-1 * ' ~ lookback_days, converted_at) }}
{%- endmacro %}

{#- 'YYYY-MM' or 'YYYY-Qn' (targets, manual inputs) -> the first day of that month or quarter. -#}
{% macro period_label_start(label) -%}
    case
        when {{ label }} like '%-Q%'
            then cast(
                substr({{ label }}, 1, 4)
                || '-'
                || lpad(cast((cast(substr({{ label }}, 7, 1) as integer) - 1) * 3 + 1 as varchar), 2, '0')
                || '-01'
                as date
            )
        else cast({{ label }} || '-01' as date)
    end
{%- endmacro %}

{% macro period_label_grain(label) -%}
    case when {{ label }} like '%-Q%' then 'quarter' else 'month' end
{%- endmacro %}
