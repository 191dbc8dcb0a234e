-- Every visitor -> customer pair seen (a touch or a lead carrying both ids) before the end of the
-- run's range, with when it was first seen. The touches come as pairs per month
-- (int_visitor_sightings_by_month): a pair's earliest touch before the range's end is the earliest
-- of its months' first touches, where that is before the end. Attribution links a visitor's
-- touches to a customer only as known at the time (a conversion uses the sightings before it, a
-- month's journeys those before the month's end), so a month gives the same result whether it
-- runs alone, in order, or in a backfill.

with

touch_pairs as (

    select * from {{ ref('int_visitor_sightings_by_month') }}
    where first_seen_at < {{ period_range_end() }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}
    where visitor_id is not null
        and customer_id is not null
        and created_at < {{ period_range_end() }}

),

sightings as (

    select
        visitor_id,
        customer_id,
        first_seen_at as seen_at
    from touch_pairs

    union all

    select
        visitor_id,
        customer_id,
        created_at as seen_at
    from leads

),

final as (

    select
        visitor_id,
        customer_id,
        min(seen_at) as first_seen_at
    from sightings
    group by
        visitor_id,
        customer_id

)

select * from final
