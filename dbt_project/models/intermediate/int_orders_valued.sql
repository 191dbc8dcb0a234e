-- Every non-cancelled order with its net revenue (gross - discount - all refunds of the order),
-- its cost of goods (unit_cost x quantity of its items that have a cost), its items and how many
-- of them lack a cost (a margin is known only when none does: int_order_cost_coverage), whether
-- it is its customer's first one and whether it falls in the month of that first one (from
-- int_customer_first_orders, over all history). Only the orders its readers use: the run's months
-- and the customer history before them (customer_history_months), so a run's cost does not grow
-- with the history.

with

orders as (

    select * from {{ ref('stg_commerce__orders') }}
    where status <> 'cancelled'
        and ordered_at >= {{ months_before_range_start(customer_history_months()) }}
        and ordered_at < {{ period_range_end() }}

),

refunds as (

    select * from {{ ref('stg_commerce__refunds') }}
    where order_id in (select order_id from orders)

),

customers as (

    select * from {{ ref('stg_commerce__customers') }}

),

order_items as (

    select * from {{ ref('stg_commerce__order_items') }}
    where order_id in (select order_id from orders)

),

first_orders as (

    select * from {{ ref('int_customer_first_orders') }}

),

order_costs as (

    select
        order_id,
        sum(quantity * unit_cost) as cost_of_goods,
        count(*) as items,
        count(*) - count(unit_cost) as uncosted_items
    from order_items
    group by order_id

),

order_refunds as (

    select
        order_id,
        sum(amount) as refund_amount
    from refunds
    group by order_id

),

valued as (

    select
        orders.order_id,
        orders.customer_id,
        customers.owner_rep_id,
        orders.ordered_at,
        {{ month_of('orders.ordered_at') }} as period,
        orders.status,
        orders.gross_amount,
        orders.discount_amount,
        coalesce(order_refunds.refund_amount, 0) as refund_amount,
        cast(
            orders.gross_amount - orders.discount_amount - coalesce(order_refunds.refund_amount, 0)
            as {{ amount_type() }}
        ) as net_revenue,
        cast(coalesce(order_costs.cost_of_goods, 0) as {{ amount_type() }}) as cost_of_goods,
        coalesce(order_costs.items, 0) as items,
        coalesce(order_costs.uncosted_items, 0) as uncosted_items
    from orders
    left join order_costs
        on orders.order_id = order_costs.order_id
    left join order_refunds
        on orders.order_id = order_refunds.order_id
    left join customers
        on orders.customer_id = customers.customer_id

),

final as (

    select
        valued.*,
        valued.order_id = first_orders.first_order_id as is_first_order,
        valued.period = first_orders.first_order_period as is_new_customer_order
    from valued
    inner join first_orders
        on valued.customer_id = first_orders.customer_id

)

select * from final
