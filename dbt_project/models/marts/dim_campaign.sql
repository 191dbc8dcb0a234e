-- Every campaign seen anywhere (ad spend, touchpoints, leads, budgets). Name and channel come
-- from its latest ad spend row; a campaign without spend takes its channel from its latest
-- touch, lead or budget, and its id as name.

with

ad_spend as (

    select * from {{ ref('stg_marketing__ad_spend') }}

),

campaign_touches as (

    select * from {{ ref('int_campaign_touches_by_month') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

budgets as (

    select * from {{ ref('stg_marketing__budgets') }}

),

sightings as (

    select
        campaign_id,
        campaign_name,
        channel,
        1 as source_priority,
        cast(spend_date as timestamp) as seen_at
    from ad_spend

    union all

    -- Pre-aggregated by month: only each campaign and channel's latest touch can rank first, and
    -- the touches are the largest table (reading every touch ever cost seconds per run).
    select
        campaign_id,
        cast(null as varchar) as campaign_name,
        channel,
        2 as source_priority,
        max(last_touched_at) as seen_at
    from campaign_touches
    group by
        campaign_id,
        channel

    union all

    select
        campaign_id,
        cast(null as varchar) as campaign_name,
        origin_channel as channel,
        2 as source_priority,
        created_at as seen_at
    from leads
    where campaign_id is not null

    union all

    select
        campaign_id,
        cast(null as varchar) as campaign_name,
        channel,
        3 as source_priority,
        cast(period as timestamp) as seen_at
    from budgets
    where campaign_id is not null

),

ranked as (

    select
        campaign_id,
        campaign_name,
        channel,
        row_number() over (
            partition by campaign_id
            order by source_priority, seen_at desc, channel
        ) as preference
    from sightings

),

final as (

    select
        campaign_id,
        coalesce(campaign_name, campaign_id) as campaign_name,
        channel
    from ranked
    where preference = 1

)

select * from final
