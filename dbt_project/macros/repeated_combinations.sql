{#- The rows of the generic test unique_combination (tests/generic): each combination of `columns`
    that occurs more than once in `model`, with its occurrences. -#}
{% macro default__repeated_combinations(model, columns) %}
select
    {{ columns | join(',\n    ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endmacro %}


{#- DuckDB: rows are first grouped by one 64-bit hash of their columns (about twice as fast as
    grouping the columns themselves on a fact of 22M rows keyed by strings); only rows whose
    hash repeats, none in a passing test, are then grouped by their values, so a hash collision
    can never fail the test. -#}
{% macro duckdb__repeated_combinations(model, columns) %}
with

keyed as (

    select
        {{ columns | join(',\n        ') }},
        hash({{ columns | join(', ') }}) as _combination_hash
    from {{ model }}

),

repeated_hashes as (

    select _combination_hash
    from keyed
    group by _combination_hash
    having count(*) > 1

)

select
    {{ columns | join(',\n    ') }},
    count(*) as occurrences
from keyed
where _combination_hash in (select _combination_hash from repeated_hashes)
group by {{ columns | join(', ') }}
having count(*) > 1
{% endmacro %}
