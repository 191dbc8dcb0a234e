{{ derived_by_month('touchpoints') }}

-- Per month of touches, each campaign and channel touched and its latest touch. Built by month
-- (macro derived_by_month): dim_campaign reads these, not every touch ever landed.

with

touchpoints as (

    {{ touches_to_derive('campaign_id') }}

),

final as (

    select
        period,
        campaign_id,
        channel,
        max(occurred_at) as last_touched_at
    from touchpoints
    group by
        period,
        campaign_id,
        channel

)

select * from final
