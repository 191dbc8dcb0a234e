with

source as (

    select * from {{ source('marketing', 'touchpoints') }}

),

deduplicated as (

    {{ latest_rows('source', ['touchpoint_id']) }}

),

renamed as (

    select
        touchpoint_id,
        visitor_id,
        customer_id,
        occurred_at,
        channel,
        campaign_id,
        touch_type,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
