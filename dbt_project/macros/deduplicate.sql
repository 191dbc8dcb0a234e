{#- Raw tables are append-only: every landed file is a batch, and a table-month file may be sent
    again (corrected). How a batch relates to the earlier ones of its month (`semantics`):
    - 'replace' (every table today): a table-month file is the complete truth for its month; only
      the newest batch of each month counts, so a row missing from a corrected file is retracted
      and an empty (header-only) file empties its month. The newest batch comes from
      quality.landed_batches, which logs header-only files too.
    - 'upsert': a file is a delta; every batch counts.
    Then, as a key may come in several months (a lead whose status changed), the latest row per
    key is kept: latest month, then latest load, then the highest batch id as a deterministic
    tie-break. Adds column `_recency` (always 1). The table is the model's name after '__'. -#}
{% macro latest_rows(relation, key_columns, semantics='replace') -%}
    {%- if semantics not in ['replace', 'upsert'] -%}
        {{ exceptions.raise_compiler_error("latest_rows: semantics must be 'replace' or 'upsert', got '" ~ semantics ~ "'") }}
    {%- endif -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _period desc, _loaded_at desc, _batch_id desc
            ) as _recency
        from {{ relation }}
        {%- if semantics == 'replace' %}
        where _batch_id in (
            select batch_id
            from (
                select
                    batch_id,
                    row_number() over (
                        partition by period order by loaded_at desc, batch_id desc
                    ) as newest
                from {{ source('quality', 'landed_batches') }}
                where table_name = '{{ model.name.split('__')[1] }}'
            ) as batches
            where newest = 1
        )
        {%- endif %}
    ) as ranked
    where _recency = 1
{%- endmacro %}
