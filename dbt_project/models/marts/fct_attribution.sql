{{
    config(
        materialized='insert_in_place',
        on_schema_change='fail',
        pre_hook="{{ delete_period_range() }}",
        tags=['period'],
    )
}}

-- One row per conversion x touch x attribution model with the touch's share of the credit.
-- Rebuilds exactly the months of the run's range (see macro delete_period_range).

with

credits as (

    select * from {{ ref('int_attribution_credits_allocated') }}

),

final as (

    select
        cast(conversion_id as varchar) as conversion_id,
        conversion_type,
        period,
        converted_at,
        cast(conversion_value as double precision) as conversion_value,
        touchpoint_id,
        touch_position,
        path_length,
        channel,
        campaign_id,
        model,
        credit,
        credit as credited_conversions,
        credit * cast(conversion_value as double precision) as credited_revenue
    from credits

)

select * from final
