{#- Raw tables are append-only: the same key can arrive in several batches (a re-landed file, a
    lead whose status changed). Keep the latest row per key: latest month file, then latest load,
    then the highest batch id as a deterministic tie-break. Adds column `_recency` (always 1). -#}
{% macro latest_rows(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _period desc, _loaded_at desc, _batch_id desc
            ) as _recency
        from {{ relation }}
    ) as ranked
    where _recency = 1
{%- endmacro %}
