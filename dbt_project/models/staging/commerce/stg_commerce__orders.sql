with

source as (

    select * from {{ source('commerce', 'orders') }}

),

deduplicated as (

    {{ latest_rows('source', ['order_id'], 'orders') }}

),

renamed as (

    select
        order_id,
        customer_id,
        ordered_at,
        status,
        currency,
        gross_amount,
        discount_amount,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
