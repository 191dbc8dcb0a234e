with

source as (

    select * from {{ source('crm', 'surveys') }}

),

deduplicated as (

    {{ latest_rows('source', ['response_id'], 'surveys') }}

),

renamed as (

    select
        response_id,
        customer_id,
        order_id,
        responded_at,
        score,
        scale,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
