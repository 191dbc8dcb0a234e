"""Quality gates: great-expectations suites on raw tables and the record of every check verdict."""
