{{ staged_by_key('commerce', 'orders', ['order_id']) }}

-- Built in place, by key (macro staged_by_key): a run restages the keys of its months.

with

source as (

    {{ rows_to_stage('commerce', 'orders', ['order_id']) }}

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
        _period as landed_period,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
