-- Every conversion's path: the touches of its identity (its customer, a visitor mapped to that
-- customer, or its own visitor) before it and within its type's lookback window, in time order. A
-- conversion without any touch gets one synthetic touch on the no-touch channel, so that credit
-- always adds up.

with

conversions as (

    select * from {{ ref('int_conversions_unioned') }}

),

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where occurred_at >= {{ touch_window_start() }}
        and occurred_at < {{ period_range_end() }}

),

visitors_mapped as (

    select * from {{ ref('int_visitors_mapped') }}

),

identified_touches as (

    select
        touchpoints.touchpoint_id,
        touchpoints.visitor_id,
        coalesce(touchpoints.customer_id, visitors_mapped.customer_id) as customer_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        touchpoints.campaign_id
    from touchpoints
    left join visitors_mapped
        on touchpoints.visitor_id = visitors_mapped.visitor_id

),

-- Two equi-joins (cheap) rather than one join on "customer or visitor"; `union` drops a touch
-- matched both ways.
matched_touches as (

    select
        conversions.conversion_id,
        identified_touches.touchpoint_id,
        identified_touches.occurred_at,
        identified_touches.channel,
        identified_touches.campaign_id
    from conversions
    inner join identified_touches
        on conversions.customer_id = identified_touches.customer_id
    where {{ in_lookback_window('identified_touches.occurred_at', 'conversions.converted_at', 'conversions.lookback_days') }}

    union

    select
        conversions.conversion_id,
        identified_touches.touchpoint_id,
        identified_touches.occurred_at,
        identified_touches.channel,
        identified_touches.campaign_id
    from conversions
    inner join identified_touches
        on conversions.visitor_id = identified_touches.visitor_id
    where {{ in_lookback_window('identified_touches.occurred_at', 'conversions.converted_at', 'conversions.lookback_days') }}

),

numbered_touches as (

    select
        conversion_id,
        touchpoint_id,
        occurred_at,
        channel,
        campaign_id,
        row_number() over (
            partition by conversion_id
            order by occurred_at, touchpoint_id
        ) as touch_position,
        count(*) over (partition by conversion_id) as path_length
    from matched_touches

),

no_touch_paths as (

    select
        conversions.conversion_id,
        cast(null as varchar) as touchpoint_id,
        cast(null as timestamp) as occurred_at,
        cast('{{ no_touch_channel() }}' as varchar) as channel,
        cast(null as varchar) as campaign_id,
        1 as touch_position,
        1 as path_length
    from conversions
    where not exists (
        select 1
        from numbered_touches
        where numbered_touches.conversion_id = conversions.conversion_id
    )

),

paths as (

    select * from numbered_touches
    union all
    select * from no_touch_paths

),

final as (

    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.period,
        conversions.converted_at,
        conversions.conversion_value,
        conversions.is_new_customer,
        conversions.lead_created_at,
        conversions.lookback_days,
        paths.touchpoint_id,
        paths.occurred_at,
        paths.channel,
        paths.campaign_id,
        cast(paths.touch_position as integer) as touch_position,
        cast(paths.path_length as integer) as path_length,
        cast({{ dbt.datediff('paths.occurred_at', 'conversions.converted_at', 'second') }} as double precision)
            / 86400 as touch_age_days
    from conversions
    inner join paths
        on conversions.conversion_id = paths.conversion_id

)

select * from final
