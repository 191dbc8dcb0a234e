{{ derived_by_month('touchpoints') }}

-- Per month of touches, each campaign and channel touched and its latest touch. Built by month
-- (macro derived_by_month): dim_campaign reads these, not every touch ever landed.

with

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where campaign_id is not null
    {%- if builds_in_place() %}
        and period in ({{ months_to_restage('touchpoints') }})
    {%- endif %}

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
