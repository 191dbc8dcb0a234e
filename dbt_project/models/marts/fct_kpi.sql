{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_period_range() }}",
    )
}}

-- The tidy KPI fact: one row per month x entity x KPI with the value and the numerator and
-- denominator it came from. Definitions live in macro kpi_definitions. Rebuilds exactly the
-- months of the run's range.

with

measures as (

    select * from {{ ref('int_kpi_measures_rolled_up') }}

),

kpis as (

    {% for definition in kpi_definitions() %}
    {%- set scale = definition.get('scale', 1) %}
    select
        period,
        entity_type,
        entity_id,
        cast('{{ definition.kpi }}' as varchar) as kpi,
        {%- if definition.get('denominator') %}
        {{ safe_divide(scale ~ ' * (' ~ definition.numerator ~ ')', definition.denominator) }} as value,
        cast({{ definition.numerator }} as double precision) as numerator,
        cast({{ definition.denominator }} as double precision) as denominator,
        case
            when coalesce({{ definition.denominator }}, 0) = 0 then '{{ definition.null_reason }}'
        end as null_reason,
        {%- else %}
        cast({{ definition.numerator }} as double precision) as value,
        cast({{ definition.numerator }} as double precision) as numerator,
        cast(null as double precision) as denominator,
        {%- if definition.get('null_reason') %}
        case
            when {{ definition.numerator }} is null then '{{ definition.null_reason }}'
        end as null_reason,
        {%- else %}
        cast(null as varchar) as null_reason,
        {%- endif %}
        {%- endif %}
        cast('{{ definition.unit }}' as varchar) as unit
    from measures
    where entity_type in ('{{ definition.entity_types | join("', '") }}')
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        period,
        entity_type,
        entity_id,
        kpi,
        value,
        numerator,
        denominator,
        unit,
        cast(null_reason as varchar) as null_reason
    from kpis

)

select * from final
