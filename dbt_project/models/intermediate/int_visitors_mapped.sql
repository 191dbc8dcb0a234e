-- A visitor's touches count for the customer it was identified as. When a visitor was seen as
-- several customers (a shared device), the most recent sighting wins.

with

touchpoints as (

    select * from {{ ref('stg_marketing__touchpoints') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

sightings as (

    select
        visitor_id,
        customer_id,
        occurred_at as seen_at
    from touchpoints
    where customer_id is not null

    union all

    select
        visitor_id,
        customer_id,
        created_at as seen_at
    from leads
    where visitor_id is not null
        and customer_id is not null

),

ranked as (

    select
        visitor_id,
        customer_id,
        row_number() over (
            partition by visitor_id
            order by seen_at desc, customer_id
        ) as recency
    from sightings

),

final as (

    select
        visitor_id,
        customer_id
    from ranked
    where recency = 1

)

select * from final
