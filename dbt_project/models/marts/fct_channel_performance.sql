{{
    config(
        materialized='insert_in_place',
        on_schema_change='fail',
        pre_hook="{{ delete_period_range() }}",
        tags=['period'],
    )
}}

-- Per month, channel, campaign ('(none)' for touches without one) and attribution model: spend
-- and credited results side by side. A campaign with spend but no credit still has a row for
-- every model. Rebuilds exactly the months of the run's range.

with

credits as (

    select * from {{ ref('int_channel_credits_aggregated') }}

),

spend as (

    select * from {{ ref('int_ad_spend_aggregated') }}

),

models as (

    {{ attribution_model_rows() }}

),

credits_by_campaign as (

    select
        period,
        channel,
        coalesce(campaign_id, '(none)') as campaign_id,
        model,
        sum(credited_orders) as credited_orders,
        sum(credited_revenue) as credited_revenue,
        sum(credited_leads) as credited_leads,
        sum(credited_won_deals) as credited_won_deals,
        sum(credited_deal_value) as credited_deal_value
    from credits
    group by
        period,
        channel,
        coalesce(campaign_id, '(none)'),
        model

),

spend_per_model as (

    select
        spend.period,
        spend.channel,
        spend.campaign_id,
        models.model,
        spend.spend,
        spend.impressions,
        spend.clicks
    from spend
    cross join models

),

joined as (

    select
        coalesce(spend_per_model.period, credits_by_campaign.period) as period,
        coalesce(spend_per_model.channel, credits_by_campaign.channel) as channel,
        coalesce(spend_per_model.campaign_id, credits_by_campaign.campaign_id) as campaign_id,
        coalesce(spend_per_model.model, credits_by_campaign.model) as model,
        coalesce(spend_per_model.spend, 0) as spend,
        coalesce(spend_per_model.impressions, 0) as impressions,
        coalesce(spend_per_model.clicks, 0) as clicks,
        coalesce(credits_by_campaign.credited_orders, 0) as credited_orders,
        coalesce(credits_by_campaign.credited_revenue, 0) as credited_revenue,
        coalesce(credits_by_campaign.credited_leads, 0) as credited_leads,
        coalesce(credits_by_campaign.credited_won_deals, 0) as credited_won_deals,
        coalesce(credits_by_campaign.credited_deal_value, 0) as credited_deal_value
    from spend_per_model
    full outer join credits_by_campaign
        on spend_per_model.period = credits_by_campaign.period
        and spend_per_model.channel = credits_by_campaign.channel
        and spend_per_model.campaign_id = credits_by_campaign.campaign_id
        and spend_per_model.model = credits_by_campaign.model

),

final as (

    select
        period,
        channel,
        campaign_id,
        model,
        cast(spend as double precision) as spend,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(credited_orders as double precision) as credited_orders,
        cast(credited_revenue as double precision) as credited_revenue,
        cast(credited_leads as double precision) as credited_leads,
        cast(credited_won_deals as double precision) as credited_won_deals,
        cast(credited_deal_value as double precision) as credited_deal_value,
        {{ safe_divide('credited_revenue', 'spend') }} as roas,
        {{ safe_divide('spend', 'credited_orders') }} as cpa
    from joined

)

select * from final
