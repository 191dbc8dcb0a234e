with

source as (

    select * from {{ source('commerce', 'refunds') }}

),

deduplicated as (

    {{ latest_rows('source', ['refund_id'], 'refunds') }}

),

renamed as (

    select
        refund_id,
        order_id,
        refunded_at,
        amount,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
