{#- The columns together identify a row (a composite grain or key). NULLs count as equal, like
    the deduplication in staging. -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(',\n    ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
