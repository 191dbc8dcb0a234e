with

source as (

    select * from {{ source('commerce', 'customers') }}

),

deduplicated as (

    {{ latest_rows('source', ['customer_id'], 'customers') }}

),

renamed as (

    select
        customer_id,
        created_at,
        {{ hash_pii('email') }} as email_hash,
        {{ mask_pii_shapes('region') }} as region,
        owner_rep_id,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
