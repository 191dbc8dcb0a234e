-- Every month from the configured first period to the current one, with labels for BI:
-- 'YYYY-MM' and 'YYYY-Qn'. A calendar, independent of the facts, so it can be built before them.

with recursive

months as (

    select cast('{{ var("first_period") }}' as date) as period

    union all

    select cast({{ dbt.dateadd('month', 1, 'period') }} as date) as period
    from months
    where period < cast({{ dbt.date_trunc('month', dbt.current_timestamp()) }} as date)

),

final as (

    select
        period,
        cast(substr(cast(period as varchar), 1, 7) as varchar) as period_label,
        cast(
            substr(cast(period as varchar), 1, 4)
            || '-Q'
            || cast(cast(extract(quarter from period) as integer) as varchar)
            as varchar
        ) as quarter_label,
        cast(extract(year from period) as integer) as year,
        cast(extract(month from period) as integer) as month
    from months

)

select * from final
