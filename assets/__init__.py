"""The Dagster code location: assets, checks, jobs, schedules, sensors, resources and the runner;
all Dagster glue lives here, the domain code it runs in pipelines/."""

import warnings

from dagster import BetaWarning

# Every partitioned asset uses the single-run backfill policy on purpose (one run per range);
# Dagster flags that parameter as beta on each definition, which only clutters the terminal.
warnings.filterwarnings("ignore", category=BetaWarning)
