"""The failure of a source that did not answer: not the user's input, so Dagster's retry policy
may run the step again; nothing of the table was landed."""


class SourceUnavailable(RuntimeError):
    """A database or API did not answer after the retries; the message names it, never its
    credentials."""
