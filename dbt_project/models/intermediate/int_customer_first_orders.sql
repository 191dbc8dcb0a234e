-- Each customer's first non-cancelled order (by ordered_at, then order_id), over all history:
-- "first order" and "new customer" need it, and it is three columns of the orders, so a run that
-- values only the months it reads (int_orders_valued) still knows them.

with

orders as (

    select * from {{ ref('stg_commerce__orders') }}
    where status <> 'cancelled'

),

first_order_times as (

    select
        customer_id,
        min(ordered_at) as first_order_at
    from orders
    group by customer_id

),

-- Ties at the first timestamp go to the lowest order_id.
final as (

    select
        orders.customer_id,
        first_order_times.first_order_at,
        {{ month_of('first_order_times.first_order_at') }} as first_order_period,
        min(orders.order_id) as first_order_id
    from orders
    inner join first_order_times
        on orders.customer_id = first_order_times.customer_id
        and orders.ordered_at = first_order_times.first_order_at
    group by
        orders.customer_id,
        first_order_times.first_order_at

)

select * from final
