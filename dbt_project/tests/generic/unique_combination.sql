{#- The columns together identify a row (a composite grain or key). NULLs count as equal, like
    the deduplication in staging. Returns each repeated combination with its occurrences. -#}
{% test unique_combination(model, columns) %}
{{ adapter.dispatch('repeated_combinations')(model, columns) }}
{% endtest %}
