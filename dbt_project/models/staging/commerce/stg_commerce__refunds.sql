{{ staged_by_key('commerce', 'refunds', ['refund_id']) }}

-- Built in place, by key (macro staged_by_key): a run restages the keys of its months.

with

source as (

    {{ rows_to_stage('commerce', 'refunds', ['refund_id']) }}

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
        _period as landed_period,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
