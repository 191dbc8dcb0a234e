with

source as (

    select * from {{ source('commerce', 'order_items') }}

),

deduplicated as (

    {{ latest_rows('source', ['order_id', 'line_no'], 'order_items') }}

),

renamed as (

    select
        order_id,
        line_no,
        product_id,
        quantity,
        unit_price,
        unit_cost,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
