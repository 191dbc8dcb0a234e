{{
    config(
        materialized='insert_in_place',
        on_schema_change='fail',
        pre_hook="{{ delete_period_range() }}",
        tags=['period'],
    )
}}

-- The tidy KPI fact: one row per month x entity x KPI with the value and the numerator and
-- denominator it came from, by the KPI catalogue (pipelines/scoring/kpi_catalogue.yaml, var
-- kpis). A KPI has no value (value, numerator and denominator NULL, never 0) when a source it
-- needs is not provided for the month, or when it needs costs and an order item of the window
-- it reads has none; null_reason says which. Rebuilds exactly the months of the run's range.

with

measures as (

    select * from {{ ref('int_kpi_measures_rolled_up') }}

),

sources_provided as (

    select * from {{ ref('int_sources_provided') }}

),

cost_coverage as (

    select * from {{ ref('int_order_cost_coverage') }}

),

kpi_sources as (

    {% for definition in kpi_definitions() %}
    {%- set outer_loop = loop %}
    {%- for needed in definition.sources %}
    select
        cast('{{ definition.kpi }}' as varchar) as kpi,
        cast('{{ needed }}' as varchar) as source
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {%- endfor %}
    {% endfor %}

),

missing_sources as (

    select
        sources_provided.period,
        kpi_sources.kpi,
        {{ dbt.listagg('sources_provided.source', "', '", 'order by sources_provided.source') }} as sources
    from kpi_sources
    inner join sources_provided
        on kpi_sources.source = sources_provided.source
    where not sources_provided.is_provided
    group by
        sources_provided.period,
        kpi_sources.kpi

),

kpis as (

    {% for definition in kpi_definitions() %}
    select
        period,
        entity_type,
        entity_id,
        cast('{{ definition.kpi }}' as varchar) as kpi,
        {%- if definition.denominator %}
        {{ safe_divide(definition.scale ~ ' * (' ~ definition.numerator ~ ')', definition.denominator) }} as value,
        cast({{ definition.numerator }} as double precision) as numerator,
        cast({{ definition.denominator }} as double precision) as denominator,
        case
            when coalesce({{ definition.denominator }}, 0) = 0 then '{{ definition.null_reason }}'
        end as null_reason,
        {%- else %}
        cast({{ definition.numerator }} as double precision) as value,
        cast({{ definition.numerator }} as double precision) as numerator,
        cast(null as double precision) as denominator,
        {%- if definition.null_reason %}
        case
            when {{ definition.numerator }} is null then '{{ definition.null_reason }}'
        end as null_reason,
        {%- else %}
        cast(null as varchar) as null_reason,
        {%- endif %}
        {%- endif %}
        cast('{{ definition.unit }}' as varchar) as unit,
        cast({{ "'" ~ definition.cost_window ~ "'" if definition.cost_window else 'null' }} as varchar) as cost_window
    from measures
    where entity_type in ('{{ definition.entity_types | join("', '") }}')
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- why a KPI has no value at all: a source not provided, else an order item without a cost in
-- the window a margin KPI reads
gaps as (

    select
        kpis.*,
        missing_sources.sources as missing_sources,
        case kpis.cost_window
            when 'month' then cost_coverage.uncosted_order_items
            when 'ltv_horizon' then cost_coverage.ltv_uncosted_order_items
        end as uncosted_items,
        case kpis.cost_window
            when 'month' then cost_coverage.order_items
            when 'ltv_horizon' then cost_coverage.ltv_order_items
        end as items
    from kpis
    left join missing_sources
        on kpis.period = missing_sources.period
        and kpis.kpi = missing_sources.kpi
    left join cost_coverage
        on kpis.period = cost_coverage.period

),

final as (

    select
        period,
        entity_type,
        entity_id,
        kpi,
        case when missing_sources is null and coalesce(uncosted_items, 0) = 0 then value end as value,
        case when missing_sources is null and coalesce(uncosted_items, 0) = 0 then numerator end as numerator,
        case when missing_sources is null and coalesce(uncosted_items, 0) = 0 then denominator end as denominator,
        unit,
        cast(
            case
                when missing_sources is not null then 'source not provided: ' || missing_sources
                when uncosted_items > 0
                    then 'unit_cost missing on ' || cast(uncosted_items as varchar)
                        || ' of ' || cast(items as varchar) || ' order items'
                else null_reason
            end as varchar
        ) as null_reason
    from gaps

)

select * from final
