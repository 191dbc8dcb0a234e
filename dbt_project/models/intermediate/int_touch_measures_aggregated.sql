-- Touch measures of the run's range per month for the company, each channel and each campaign:
-- sessions (touches of type visit) and distinct visitors (any touch). Distinct visitors do not
-- add up (a visitor may touch several channels), so each entity type is counted on its own.

with

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where {{ in_period_range('occurred_at') }}

),

touches as (

    select
        {{ month_of('occurred_at') }} as period,
        visitor_id,
        channel,
        campaign_id,
        case when touch_type = 'visit' then 1 else 0 end as is_session
    from touchpoints

),

entity_types as (

    select cast('company' as varchar) as entity_type
    union all
    select cast('channel' as varchar) as entity_type
    union all
    select cast('campaign' as varchar) as entity_type

),

-- each touch once for the company, once for its channel and once for its campaign (if any)
entity_touches as (

    select
        touches.period,
        entity_types.entity_type,
        case entity_types.entity_type
            when 'company' then 'company'
            when 'channel' then touches.channel
            else touches.campaign_id
        end as entity_id,
        touches.visitor_id,
        touches.is_session
    from touches
    cross join entity_types

),

final as (

    select
        period,
        entity_type,
        entity_id,
        sum(is_session) as sessions,
        count(distinct visitor_id) as visitors
    from entity_touches
    where entity_id is not null
    group by
        period,
        entity_type,
        entity_id

)

select * from final
