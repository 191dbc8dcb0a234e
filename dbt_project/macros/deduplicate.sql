{#- Raw tables are append-only: every landed file is a batch, and a table-month file may be sent
    again (corrected). How a batch relates to the earlier ones of its month (`semantics`):
    - 'replace' (every table today): a table-month file is the complete truth for its month; only
      the newest batch of each month counts, so a row missing from a corrected file is retracted
      and an empty (header-only) file empties its month. The newest batch comes from
      quality.landed_batches, which logs header-only files too.
    - 'upsert': a file is a delta; every batch counts.
    Then, as a key may come in several months (a lead whose status changed), the latest row per
    key is kept: latest month, then latest load, then the highest batch id as a deterministic
    tie-break. Adds column `_recency` (always 1). `table`: the raw table's name.
    A key that includes `_period` can repeat only within a batch (one month's file) under
    'replace'; the raw checks already counted the repeats of each batch they checked
    (quality.landed_batches.keys_unique), so only the other batches are grouped by key again. -#}
{% macro latest_rows(relation, key_columns, table, semantics='replace') -%}
    {%- if semantics not in ['replace', 'upsert'] -%}
        {{ exceptions.raise_compiler_error("latest_rows: semantics must be 'replace' or 'upsert', got '" ~ semantics ~ "'") }}
    {%- endif -%}
    {%- set keys = key_columns | join(', ') -%}
    {%- set same_key -%}
        {%- for column in key_columns -%}
            repeated.{{ column }} = candidates.{{ column }}{{ ' and ' if not loop.last }}
        {%- endfor -%}
    {%- endset -%}
    {%- set checked_unique = semantics == 'replace' and '_period' in key_columns -%}
    {#- Only keys that come more than once are ranked: a window over every row cost 3x more. -#}
    with candidates as (
        select * from {{ relation }}
        {%- if semantics == 'replace' %}
        where _batch_id in (select batch_id from ({{ newest_batches(table) }}) as newest)
        {%- endif %}
    ),

    {%- if checked_unique %}

    unique_batches as (
        select batch_id from {{ source('quality', 'landed_batches') }}
        where table_name = '{{ table }}' and keys_unique
    ),

    {%- endif %}

    repeated as (
        select {{ keys }} from candidates
        {%- if checked_unique %}
        where _batch_id not in (select batch_id from unique_batches)
        {%- endif %}
        group by {{ keys }} having count(*) > 1
    )

    select *, 1 as _recency
    from candidates
    where not exists (select 1 from repeated where {{ same_key }})

    union all

    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ keys }}
                order by _period desc, _loaded_at desc, _batch_id desc
            ) as _recency
        from candidates
        where exists (select 1 from repeated where {{ same_key }})
    ) as ranked
    where _recency = 1
{%- endmacro %}


{#- Each month's newest landed batch of the model's raw table (columns batch_id, period). -#}
{% macro newest_batches(table) -%}
    select batch_id, period
    from (
        select
            batch_id,
            period,
            row_number() over (partition by period order by loaded_at desc, batch_id desc) as newest
        from {{ source('quality', 'landed_batches') }}
        where table_name = '{{ table }}'
    ) as batches
    where newest = 1
{%- endmacro %}

{#- Staging tables of high-volume event tables (touchpoints) are built by month (config
    `staged_by_month()`), so that a run's cost follows its months, not the history: a view would
    deduplicate every month ever landed for every reader. The months a run (re)builds: its own,
    and every month whose newest landed batch the table does not hold yet (landed by a run that
    stopped before dbt, or re-sent). Their rows are deleted first (pre-hook), then inserted again
    from raw; a key is unique within its month (`latest_rows` over (_period, key)). The same
    subquery, evaluated after the delete, names the same months. -#}
{% macro months_to_stage(table) -%}
    select period
    from ({{ newest_batches(table) }}) as newest
    where {{ in_period_range('period') }}
    {%- if builds_in_place() %}
        or batch_id not in (select distinct batch_id from {{ this }})
    {%- endif %}
{%- endmacro %}

{% macro delete_months_to_stage(table) -%}
    {%- if builds_in_place() -%}
        delete from {{ this }} where period in ({{ months_to_stage(table) }})
    {%- endif -%}
{%- endmacro %}

{#- The config of a staging table built by month (see months_to_stage). -#}
{% macro staged_by_month(table) -%}
    {{ config(
        materialized='insert_in_place',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_months_to_stage('" ~ table ~ "') }}",
        tags=['staged_by_month'],
    ) }}
{%- endmacro %}


{#- Staging tables of tables keyed across months (orders, their items, refunds, customers) are
    built in place too (config `staged_by_key(source, table, keys)`): a view would deduplicate every month
    ever landed, once per reader and per test. A key may come in several months (the latest month
    wins, see latest_rows), so a run restages keys, not months. The affected keys: those of the
    restaged months' newest batches, and those whose staged row came from a restaged month (a
    corrected file may have dropped them; an earlier month's row then comes back). The pre-hooks
    keep them in a temporary table and delete their rows; the model inserts them again from every
    month's newest batch. Which batches are staged is kept in staging.staged_batches: a month all
    of whose keys a later month supersedes leaves no row to tell. Keys are required columns
    (landing quarantines a row without one), so plain equality matches them. -#}
{% macro staged_by_key(source_name, table, keys) -%}
    {{ config(
        materialized='insert_in_place',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ stage_affected_keys('" ~ source_name ~ "', '" ~ table ~ "', " ~ keys ~ ") }}",
            "{{ delete_affected_keys(" ~ keys ~ ") }}",
        ],
        post_hook="{{ record_staged_batches('" ~ table ~ "') }}",
        tags=['staged_by_key'],
    ) }}
{%- endmacro %}

{% macro staged_batches_relation() -%}
    staging.staged_batches
{%- endmacro %}

{#- Created by on-run-start (dbt_project.yml), once before any model: the staging models built by
    key run side by side on PostgreSQL, where two concurrent `create table if not exists` of one
    name can fail on the catalogue's unique index. -#}
{% macro create_staged_batches() -%}
    create schema if not exists staging;
    create table if not exists {{ staged_batches_relation() }} (model varchar, batch_id varchar)
{%- endmacro %}

{% macro affected_keys_relation() -%}
    {{ this.identifier }}__affected_keys
{%- endmacro %}

{#- The months whose newest batch this model has not staged yet, and the run's own. -#}
{% macro months_to_restage(table) -%}
    select period
    from ({{ newest_batches(table) }}) as newest
    where {{ in_period_range('period') }}
        or batch_id not in (
            select batch_id from {{ staged_batches_relation() }}
            where model = '{{ this.identifier }}'
        )
{%- endmacro %}

{% macro stage_affected_keys(source_name, table, keys) -%}
    {%- if builds_in_place() %}
    drop table if exists {{ affected_keys_relation() }};
    create temporary table {{ affected_keys_relation() }} as
    select {{ keys | join(', ') }}
    from {{ source(source_name, table) }}
    where _batch_id in (
        select batch_id from ({{ newest_batches(table) }}) as newest
        where period in ({{ months_to_restage(table) }})
    )
    union
    select {{ keys | join(', ') }}
    from {{ this }}
    where landed_period in ({{ months_to_restage(table) }})
    {%- else %}
    delete from {{ staged_batches_relation() }} where model = '{{ this.identifier }}'
    {%- endif %}
{%- endmacro %}

{% macro delete_affected_keys(keys) -%}
    {%- if builds_in_place() -%}
        delete from {{ this }}
        where exists (
            select 1 from {{ affected_keys_relation() }} as affected
            where {% for key in keys -%}
                affected.{{ key }} = {{ this.identifier }}.{{ key }}{{ ' and ' if not loop.last }}
            {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}

{#- In the model: its raw rows, only those of affected keys when built in place. -#}
{% macro rows_to_stage(source_name, table, keys) -%}
    select * from {{ source(source_name, table) }} as raw_rows
    {%- if builds_in_place() %}
    where exists (
        select 1 from {{ affected_keys_relation() }} as affected
        where {% for key in keys -%}
            affected.{{ key }} = raw_rows.{{ key }}{{ ' and ' if not loop.last }}
        {%- endfor %}
    )
    {%- endif %}
{%- endmacro %}

{% macro record_staged_batches(table) -%}
    insert into {{ staged_batches_relation() }} (model, batch_id)
    select '{{ this.identifier }}', batch_id
    from ({{ newest_batches(table) }}) as newest
    where batch_id not in (
        select batch_id from {{ staged_batches_relation() }}
        where model = '{{ this.identifier }}'
    )
{%- endmacro %}


{#- An intermediate table derived by month from a table staged by month (config
    `derived_by_month(table)`, `table` the raw table it comes from): like staging, a run rebuilds
    its own months and those whose newest batch the model has not derived yet, tracked in
    staging.staged_batches, so a month that leaves no row (no identified touch) is not derived
    again by every run. A first build derives every month. -#}
{% macro derived_by_month(table) -%}
    {{ config(
        materialized='insert_in_place',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_months_to_derive('" ~ table ~ "') }}",
        post_hook="{{ record_staged_batches('" ~ table ~ "') }}",
        tags=['staged_by_month'],
    ) }}
{%- endmacro %}

{% macro delete_months_to_derive(table) -%}
    {%- if builds_in_place() -%}
        delete from {{ this }} where period in ({{ months_to_restage(table) }})
    {%- else -%}
        delete from {{ staged_batches_relation() }} where model = '{{ this.identifier }}'
    {%- endif -%}
{%- endmacro %}

{#- The staged touches a model derived by month reads: those with `column` set, of the months it
    derives (every month on a first build). -#}
{% macro touches_to_derive(column) -%}
    select * from {{ ref('stg_marketing__touchpoints') }}
    where {{ column }} is not null
    {%- if builds_in_place() %}
        and period in ({{ months_to_restage('touchpoints') }})
    {%- endif %}
{%- endmacro %}
