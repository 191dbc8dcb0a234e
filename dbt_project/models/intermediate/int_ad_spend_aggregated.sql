-- Ad spend of the run's range per month (the spend row's own date), channel and campaign.

with

ad_spend as (

    select * from {{ ref('stg_marketing__ad_spend') }}
    where {{ in_period_range('spend_date') }}

),

final as (

    select
        {{ month_of('spend_date') }} as period,
        channel,
        campaign_id,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from ad_spend
    group by
        {{ month_of('spend_date') }},
        channel,
        campaign_id

)

select * from final
