{#- Pre-hook of the incremental marts: delete the months of the run's range, so the insert that
    follows (same transaction) rebuilds exactly those months and leaves every other month as it
    was. Running a range twice therefore gives identical rows. On the first run, or under
    --full-refresh, there is nothing to delete. -#}
{% macro delete_period_range() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_period_range('period') }}
    {%- endif -%}
{%- endmacro %}
