with

source as (

    select * from {{ source('plans', 'manual_kpis') }}

),

deduplicated as (

    {{ latest_rows('source', ['period', 'entity_type', 'entity_id', 'kpi'], 'manual_kpis') }}

),

renamed as (

    select
        {{ period_label_start('period') }} as period,
        {{ period_label_grain('period') }} as period_grain,
        period as period_label,
        entity_type,
        entity_id,
        kpi,
        value,
        _batch_id as batch_id

    from deduplicated

)

select * from renamed
