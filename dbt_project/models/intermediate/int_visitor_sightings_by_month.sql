{{ derived_by_month('touchpoints') }}

-- Per month of touches, each visitor -> customer pair its touches carried, with the first touch
-- that did. Built by month (macro derived_by_month): identity resolution reads these
-- pairs, not every touch ever landed.

with

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where customer_id is not null
    {%- if builds_in_place() %}
        and period in ({{ months_to_restage('touchpoints') }})
    {%- endif %}

),

final as (

    select
        period,
        visitor_id,
        customer_id,
        min(occurred_at) as first_seen_at
    from touchpoints
    group by
        period,
        visitor_id,
        customer_id

)

select * from final
