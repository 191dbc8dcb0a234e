{#- Pre-hook of the incremental marts: delete the months of the run's range, so the insert that
    follows (same transaction) rebuilds exactly those months and leaves every other month as it
    was. Running a range twice therefore gives identical rows. On the first run, or under
    --full-refresh, there is nothing to delete. -#}
{% macro delete_period_range() -%}
    {%- if builds_in_place() -%}
        delete from {{ this }} where {{ in_period_range('period') }}
    {%- endif -%}
{%- endmacro %}

{#- Incremental strategy `replace`: the model's whole content, swapped in one transaction by a
    delete and an insert. dbt's table materialization renames a new table over the old one, an
    ACCESS EXCLUSIVE lock on PostgreSQL that waits behind any BI transaction reading the table and
    queues every new BI query behind itself; delete and insert take a lock readers never wait for,
    and readers see the previous content until the commit. -#}
{% macro get_incremental_replace_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
