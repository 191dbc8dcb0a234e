{{ config(materialized='view') }}

-- Quarter and year KPI values rolled up from the months of fct_kpi. Where parts exist nothing is
-- averaged: counts and amounts add up, a ratio is its summed numerator over its summed
-- denominator (times its scale). A value without parts that is neither a count nor an amount (a
-- median, a rate entered by hand) is the mean of its months; `method` says which rule applied.

with

monthly as (

    select * from {{ ref('fct_kpi') }}

),

ratio_kpis as (

    {% for definition in kpi_definitions() if definition.get('denominator') %}
    select
        cast('{{ definition.kpi }}' as varchar) as kpi,
        cast({{ definition.get('scale', 1) }} as double precision) as scale
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

spans as (

    {% for grain in ['quarter', 'year'] %}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'period') }} as date) as period,
        period as month,
        entity_type,
        entity_id,
        kpi,
        value,
        numerator,
        denominator,
        unit
    from monthly
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

rolled_up as (

    select
        spans.period_grain,
        spans.period,
        spans.entity_type,
        spans.entity_id,
        spans.kpi,
        max(spans.unit) as unit,
        max(ratio_kpis.scale) as scale,
        count(distinct spans.month) as months,
        sum(
            case when spans.denominator is not null then spans.numerator end
        ) as numerator,
        sum(
            case when spans.numerator is not null then spans.denominator end
        ) as denominator,
        sum(spans.value) as value_sum,
        avg(spans.value) as value_mean
    from spans
    left join ratio_kpis
        on spans.kpi = ratio_kpis.kpi
    group by
        spans.period_grain,
        spans.period,
        spans.entity_type,
        spans.entity_id,
        spans.kpi

),

final as (

    select
        period_grain,
        period,
        entity_type,
        entity_id,
        kpi,
        case
            when scale is not null then {{ safe_divide('scale * numerator', 'denominator') }}
            when unit in ('count', 'currency') then value_sum
            else value_mean
        end as value,
        case when scale is not null then numerator end as numerator,
        case when scale is not null then denominator end as denominator,
        unit,
        months,
        case
            when scale is not null then 'ratio of sums'
            when unit in ('count', 'currency') then 'sum'
            else 'mean of months'
        end as method,
        case
            when scale is not null and coalesce(denominator, 0) = 0
                then 'zero denominator over the span'
        end as null_reason
    from rolled_up

)

select * from final
