{{ derived_by_month('touchpoints') }}

-- Per month of touches, each visitor -> customer pair its touches carried, with the first touch
-- that did. Built by month (macro derived_by_month): identity resolution reads these
-- pairs, not every touch ever landed.

with

touchpoints as (

    {{ touches_to_derive('customer_id') }}

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
