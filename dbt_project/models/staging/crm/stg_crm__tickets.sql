with

source as (

    select * from {{ source('crm', 'tickets') }}

),

deduplicated as (

    {{ latest_rows('source', ['ticket_id'], 'tickets') }}

),

renamed as (

    select
        ticket_id,
        customer_id,
        order_id,
        opened_at,
        first_response_at,
        resolved_at,
        category,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
