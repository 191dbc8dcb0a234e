{{ staged_by_key('commerce', 'order_items', ['order_id', 'line_no']) }}

-- Built in place, by key (macro staged_by_key): a run restages the keys of its months.

with

source as (

    {{ rows_to_stage('commerce', 'order_items', ['order_id', 'line_no']) }}

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
        _period as landed_period,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
