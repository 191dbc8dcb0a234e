"""Dagster asset definitions: extraction per source table, dbt models, the scored snapshot."""

import warnings

from dagster import BetaWarning

# Every partitioned asset uses the single-run backfill policy on purpose (one run per range);
# Dagster flags that parameter as beta on each definition, which only clutters the terminal.
warnings.filterwarnings("ignore", category=BetaWarning)
