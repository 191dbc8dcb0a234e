-- Which of the sources the KPIs need (the catalogue's `sources`) a business provides, per month
-- of the run's range. A table is in use from the first month it landed a batch (any file, a
-- header-only one too) on; a column source (`table.column`) from the first month a non-null value
-- of it landed, and never before its table. Cheap: one aggregate of the landing log and one per
-- column source, whatever the range.

with

periods as (

    {{ period_spine() }}

),

landed_batches as (

    select * from {{ source('quality', 'landed_batches') }}

),

table_sources as (

    select
        table_name as source,
        min(period) as first_landed_period
    from landed_batches
    group by table_name

),

column_sources as (

    {% for column_source in kpi_sources() if "." in column_source %}
    {%- set table, column = column_source.split(".") %}
    select
        cast('{{ column_source }}' as varchar) as source,
        min(_period) as first_landed_period
    from {{ source(contract_source(table), table) }}
    where {{ column }} is not null
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select
        cast(null as varchar) as source,
        cast(null as date) as first_landed_period
    where false
    {% endfor %}

),

needed_sources as (

    {% for needed in kpi_sources() %}
    select
        cast('{{ needed }}' as varchar) as source,
        cast('{{ needed.split(".")[0] }}' as varchar) as table_name
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

first_landed as (

    select
        needed_sources.source,
        case
            when needed_sources.source = needed_sources.table_name then table_sources.first_landed_period
            when column_sources.first_landed_period < table_sources.first_landed_period
                then table_sources.first_landed_period
            else column_sources.first_landed_period
        end as first_landed_period
    from needed_sources
    left join table_sources
        on needed_sources.table_name = table_sources.source
    left join column_sources
        on needed_sources.source = column_sources.source

),

final as (

    select
        periods.period,
        first_landed.source,
        first_landed.first_landed_period,
        coalesce(first_landed.first_landed_period <= periods.period, false) as is_provided
    from periods
    cross join first_landed

)

select * from final
