-- Customers with hashed email only: raw PII never reaches the marts.

with

customers as (

    select * from {{ ref('stg_commerce__customers') }}

),

first_orders as (

    select * from {{ ref('int_customer_first_orders') }}

),

final as (

    select
        customers.customer_id,
        cast(customers.email_hash as varchar) as email_hash,
        customers.region,
        customers.owner_rep_id,
        customers.created_at,
        first_orders.first_order_at
    from customers
    left join first_orders
        on customers.customer_id = first_orders.customer_id

)

select * from final
