{#- Every non-NULL value of the column lies in [min_value, max_value] (within 1e-9, so that a
    sum of floating-point shares is not flagged). -#}
{% test value_between(model, column_name, min_value, max_value) %}

select
    {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }} - 1e-9
    or {{ column_name }} > {{ max_value }} + 1e-9

{% endtest %}
