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

company_measures as (

    select
        period,
        cast('company' as varchar) as entity_type,
        cast('company' as varchar) as entity_id,
        sum(is_session) as sessions,
        count(distinct visitor_id) as visitors
    from touches
    group by period

),

channel_measures as (

    select
        period,
        cast('channel' as varchar) as entity_type,
        channel as entity_id,
        sum(is_session) as sessions,
        count(distinct visitor_id) as visitors
    from touches
    group by
        period,
        channel

),

campaign_measures as (

    select
        period,
        cast('campaign' as varchar) as entity_type,
        campaign_id as entity_id,
        sum(is_session) as sessions,
        count(distinct visitor_id) as visitors
    from touches
    where campaign_id is not null
    group by
        period,
        campaign_id

),

final as (

    select * from company_measures
    union all
    select * from channel_measures
    union all
    select * from campaign_measures

)

select * from final
