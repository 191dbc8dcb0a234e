{{ staged_by_key('commerce', 'customers', ['customer_id']) }}

-- Built in place, by key (macro staged_by_key): a run restages the keys of its months.

with

source as (

    {{ rows_to_stage('commerce', 'customers', ['customer_id']) }}

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
        _period as landed_period,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
