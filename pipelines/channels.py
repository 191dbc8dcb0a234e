"""Channel names and the channel grouping: raw channel labels mapped to canonical channels.

A canonical channel name is a plain lower-case identifier: it becomes a SQL literal in dbt and a
token of an attribution path ("paid_search > email"), so the one rule below is what config
validation, the attribution code and the dbt macros (which keep their own copy) all check.
Sources label channels their own way (`Paid Search`, `cpc`, `google / cpc`); the rules of
config/pipeline.yaml `channel_mapping` map each label to a canonical channel at landing, like an
analytics tool's default channel grouping: first matching rule wins."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator, model_validator

CHANNEL_NAME_PATTERN = "^[a-z][a-z0-9_]*$"
CHANNEL_NAME = re.compile(CHANNEL_NAME_PATTERN)
OTHER_CHANNEL = "other"


def check_channel_name(name: str) -> str:
    """`name` itself when it is a canonical channel name, else ValueError saying the rule."""
    if not CHANNEL_NAME.fullmatch(name):
        raise ValueError(
            f"'{name}' is not a channel name: lower-case letters, digits and '_', starting with "
            f"a letter ({CHANNEL_NAME_PATTERN})"
        )
    return name


# A configuration field holding a channel name, checked by the one rule when the file loads.
ChannelName = Annotated[str, AfterValidator(check_channel_name)]


class ChannelRule(BaseModel):
    """One grouping rule: a raw `label` (exact, or ignoring case) or a regex `pattern`
    (`re.search`; add `(?i)` to ignore case, anchors to match whole labels) -> `channel`."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = None
    ignore_case: bool = False
    pattern: str | None = None
    channel: ChannelName

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(
                    f"pattern {value!r} is not a valid regular expression: {error}"
                ) from None
        return value

    @model_validator(mode="after")
    def _one_matcher(self) -> ChannelRule:
        if (self.label is None) == (self.pattern is None):
            raise ValueError("a rule has exactly one of label or pattern")
        if self.ignore_case and self.label is None:
            raise ValueError("ignore_case applies to a label rule; give a pattern (?i)")
        return self

    def matches(self, label: str) -> bool:
        if self.pattern is not None:
            return re.search(self.pattern, label) is not None
        if self.ignore_case:
            return label.casefold() == (self.label or "").casefold()
        return label == self.label


class ChannelMapping(BaseModel):
    """The grouping rules and what becomes of a label no rule maps: the channel `other`, or
    quarantine of its rows (the reason names the label and how to map it)."""

    model_config = ConfigDict(extra="forbid")

    unmapped: Literal["other", "quarantine"] = "quarantine"
    rules: list[ChannelRule] = []


def map_labels(
    labels: Iterable[str], mapping: ChannelMapping, channels: Collection[str]
) -> dict[str, str | None]:
    """Each raw label's canonical channel: itself when it is one of `channels`, else the first
    matching rule's, else `other` or None (quarantine) by the mapping's policy."""
    fallback = OTHER_CHANNEL if mapping.unmapped == "other" else None
    return {
        label: label
        if label in channels
        else next((rule.channel for rule in mapping.rules if rule.matches(label)), fallback)
        for label in labels
    }
