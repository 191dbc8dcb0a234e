-- Every time a visitor was seen as a customer (a touch or a lead carrying both ids), up to the end
-- of the run's range. Attribution links a visitor's touches to a customer only as known at the
-- time (a conversion uses the sightings before it, a month's journeys those before the month's
-- end), so a month gives the same result whether it runs alone, in order, or in a backfill.

with

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}
    where customer_id is not null
        and occurred_at < {{ period_range_end() }}

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
        occurred_at as seen_at
    from touchpoints

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
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from sightings
    group by
        visitor_id,
        customer_id

)

select * from final
