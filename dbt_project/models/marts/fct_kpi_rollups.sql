-- Quarter and year KPI values rolled up from the months of fct_kpi, by each KPI's roll-up rule in
-- the KPI catalogue (var kpis). Where parts exist nothing is averaged: counts and amounts add up,
-- a ratio is its summed numerator over its summed denominator (times its scale). A value without
-- parts that is neither a count nor an amount (a median, a rate entered by hand) is the mean of
-- its months; `method` says which rule applied.

with

monthly as (

    select * from {{ ref('fct_kpi') }}

),

rules as (

    {% for definition in kpi_definitions() %}
    select
        cast('{{ definition.kpi }}' as varchar) as kpi,
        cast('{{ definition.rollup }}' as varchar) as method,
        cast({{ definition.scale }} as double precision) as scale
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
        unit,
        null_reason
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
        max(rules.method) as method,
        max(rules.scale) as scale,
        count(distinct spans.month) as months,
        sum(
            case when spans.denominator is not null then spans.numerator end
        ) as numerator,
        sum(
            case when spans.numerator is not null then spans.denominator end
        ) as denominator,
        sum(spans.value) as value_sum,
        avg(spans.value) as value_mean,
        count(spans.value) as months_with_value,
        -- a month without a value for a reason other than a zero denominator (a source not
        -- provided, a missing cost or manual input): the first such reason, for a span that
        -- has no value at all
        min(spans.null_reason) as month_null_reason
    from spans
    inner join rules
        on spans.kpi = rules.kpi
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
            when method = 'ratio of sums' then {{ safe_divide('scale * numerator', 'denominator') }}
            when method = 'sum' then value_sum
            else value_mean
        end as value,
        case when method = 'ratio of sums' then numerator end as numerator,
        case when method = 'ratio of sums' then denominator end as denominator,
        unit,
        months,
        method,
        case
            when months_with_value = 0 and numerator is null then month_null_reason
            when method = 'ratio of sums' and coalesce(denominator, 0) = 0
                then 'zero denominator over the span'
            when method <> 'ratio of sums' and months_with_value = 0 then month_null_reason
        end as null_reason
    from rolled_up

)

select * from final
