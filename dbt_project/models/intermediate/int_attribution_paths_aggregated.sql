-- The input of the data-driven models (Markov, Shapley), aggregated in the warehouse: per month
-- and conversion type, every distinct channel path with how many journeys took it and converted
-- or did not. A path is its channels in time order joined by ' > ' (the models collapse
-- consecutive repeats themselves).
-- Converting: each conversion's path (a conversion without touch: the no-touch channel).
-- Not converting: an identity's touches of the month when that identity had no conversion of the
-- type in the month. Both read only the run's months, so a month gives the same result however
-- it is run.

with

conversion_paths as (

    select * from {{ ref('int_conversion_paths_built') }}

),

conversions as (

    select * from {{ ref('int_conversions_unioned') }}

),

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where {{ in_period_range('occurred_at') }}

),

visitor_sightings as (

    select * from {{ ref('int_visitor_sightings') }}

),

months as (

    {{ period_spine() }}

),

-- Per month, the customer each visitor was most recently identified as before the month ended.
visitor_identities as (

    select
        period,
        visitor_id,
        customer_id
    from (
        select
            months.period,
            visitor_sightings.visitor_id,
            visitor_sightings.customer_id,
            row_number() over (
                partition by months.period, visitor_sightings.visitor_id
                order by visitor_sightings.first_seen_at desc, visitor_sightings.customer_id
            ) as recency
        from visitor_sightings
        inner join months
            on visitor_sightings.first_seen_at < {{ dbt.dateadd('month', 1, 'months.period') }}
    ) as ranked
    where recency = 1

),

-- One identity per person: the customer when known (directly or through the visitor), else
-- the visitor; prefixed so that customer and visitor ids cannot collide.
identified_touches as (

    select
        touchpoints.touchpoint_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        {{ month_of('touchpoints.occurred_at') }} as period,
        coalesce(
            'c:' || coalesce(touchpoints.customer_id, visitor_identities.customer_id),
            'v:' || touchpoints.visitor_id
        ) as identity_id
    from touchpoints
    left join visitor_identities
        on touchpoints.visitor_id = visitor_identities.visitor_id
        and {{ month_of('touchpoints.occurred_at') }} = visitor_identities.period

),

converted_identities as (

    select distinct
        conversions.period,
        conversions.conversion_type,
        coalesce(
            'c:' || coalesce(conversions.customer_id, visitor_identities.customer_id),
            'v:' || conversions.visitor_id
        ) as identity_id
    from conversions
    left join visitor_identities
        on conversions.visitor_id = visitor_identities.visitor_id
        and conversions.period = visitor_identities.period

),

converting as (

    select
        period,
        conversion_type,
        {{ channel_sequence('channel', ['touch_position']) }} as path
    from conversion_paths
    group by
        conversion_id,
        conversion_type,
        period

),

journeys as (

    select
        period,
        identity_id,
        {{ channel_sequence('channel', ['occurred_at', 'touchpoint_id']) }} as path
    from identified_touches
    group by
        period,
        identity_id

),

identity_conversions as (

    select
        period,
        identity_id,
        max(case when conversion_type = 'order' then 1 else 0 end) as has_order,
        max(case when conversion_type = 'lead' then 1 else 0 end) as has_lead,
        max(case when conversion_type = 'won_deal' then 1 else 0 end) as has_won_deal
    from converted_identities
    group by
        period,
        identity_id

),

-- Per month and path, the journeys without a conversion of each type.
journey_outcomes as (

    select
        journeys.period,
        journeys.path,
        sum(1 - coalesce(identity_conversions.has_order, 0)) as orders_missed,
        sum(1 - coalesce(identity_conversions.has_lead, 0)) as leads_missed,
        sum(1 - coalesce(identity_conversions.has_won_deal, 0)) as won_deals_missed
    from journeys
    left join identity_conversions
        on journeys.period = identity_conversions.period
        and journeys.identity_id = identity_conversions.identity_id
    group by
        journeys.period,
        journeys.path

),

outcomes as (

    select period, conversion_type, path, 1 as conversions, 0 as non_conversions
    from converting
    union all
    select period, 'order', path, 0, orders_missed from journey_outcomes where orders_missed > 0
    union all
    select period, 'lead', path, 0, leads_missed from journey_outcomes where leads_missed > 0
    union all
    select period, 'won_deal', path, 0, won_deals_missed
    from journey_outcomes
    where won_deals_missed > 0

),

final as (

    select
        period,
        cast(conversion_type as varchar) as conversion_type,
        {{ channel_path('path') }} as path,
        cast(sum(conversions) as bigint) as conversions,
        cast(sum(non_conversions) as bigint) as non_conversions
    from outcomes
    group by
        period,
        conversion_type,
        path

)

select * from final
