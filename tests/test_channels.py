"""The channel grouping: raw labels mapped to canonical channels, and its config validation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipelines.channels import ChannelMapping, ChannelRule, map_labels
from pipelines.config import PROJECT_ROOT, ConfigError, load_pipeline_config

CHANNELS = ["direct", "paid_search", "email"]


def mapping(unmapped: str = "quarantine", *rules: dict[str, object]) -> ChannelMapping:
    return ChannelMapping.model_validate({"unmapped": unmapped, "rules": list(rules)})


def test_a_canonical_label_maps_to_itself_before_any_rule():
    rules = mapping("quarantine", {"pattern": ".*", "channel": "direct"})
    assert map_labels(["email", "anything"], rules, CHANNELS) == {
        "email": "email",
        "anything": "direct",
    }


def test_exact_case_insensitive_and_pattern_rules():
    rules = mapping(
        "quarantine",
        {"label": "Paid Search", "channel": "paid_search"},
        {"label": "DIRECT TRAFFIC", "ignore_case": True, "channel": "direct"},
        {"pattern": r"(?i)google\s*/\s*cpc", "channel": "paid_search"},
    )
    assert map_labels(
        ["Paid Search", "paid search", "direct traffic", "Google / CPC", "google/cpc"],
        rules,
        CHANNELS,
    ) == {
        "Paid Search": "paid_search",
        "paid search": None,  # an exact rule is exact
        "direct traffic": "direct",
        "Google / CPC": "paid_search",
        "google/cpc": "paid_search",
    }


def test_the_first_matching_rule_wins():
    rules = mapping(
        "quarantine",
        {"pattern": "(?i)^newsletter", "channel": "email"},
        {"pattern": "(?i)news", "channel": "direct"},
    )
    assert map_labels(["Newsletter June", "news site"], rules, CHANNELS) == {
        "Newsletter June": "email",
        "news site": "direct",
    }


def test_an_unmapped_label_goes_to_other_or_to_quarantine_by_policy():
    assert map_labels(["Carrier Pigeon"], mapping("other"), CHANNELS) == {"Carrier Pigeon": "other"}
    assert map_labels(["Carrier Pigeon"], mapping("quarantine"), CHANNELS) == {
        "Carrier Pigeon": None
    }


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"pattern": "(paid", "channel": "paid_search"}, "pattern '(paid' is not a valid regular"),
        ({"label": "x", "channel": "Paid Search"}, "'Paid Search' is not a channel name"),
        ({"label": "x", "pattern": "x", "channel": "direct"}, "exactly one of label or pattern"),
        ({"channel": "direct"}, "exactly one of label or pattern"),
        ({"pattern": "x", "ignore_case": True, "channel": "direct"}, "ignore_case applies"),
    ],
)
def test_a_bad_rule_is_refused(rule: dict[str, object], message: str):
    with pytest.raises(ValueError, match=re.escape(message)):
        ChannelRule.model_validate(rule)


def write_config(tmp_path: Path, **changes: object) -> Path:
    config = yaml.safe_load((PROJECT_ROOT / "config" / "pipeline.yaml").read_text())
    config.update(changes)
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_config_errors_name_the_rule_and_the_problem(tmp_path: Path):
    bad_regex = write_config(
        tmp_path,
        channel_mapping={"rules": [{"label": "cpc", "channel": "paid_search"}, {"pattern": "(?i"}]},
    )
    with pytest.raises(
        ConfigError,
        match=r"channel_mapping\.rules\.1\.pattern: .*'\(\?i' is not a valid regular expression.*"
        r"channel_mapping\.rules\.1\.channel: Field required",
    ):
        load_pipeline_config(bad_regex)

    bad_regex = write_config(
        tmp_path, channel_mapping={"rules": [{"pattern": "[cpc", "channel": "paid_search"}]}
    )
    with pytest.raises(
        ConfigError, match=r"channel_mapping\.rules\.0\.pattern: .*'\[cpc' is not a valid regular"
    ):
        load_pipeline_config(bad_regex)

    unknown = write_config(
        tmp_path, channel_mapping={"rules": [{"label": "tv", "channel": "television"}]}
    )
    with pytest.raises(ConfigError, match="rules.0: channel 'television' is not one of channels"):
        load_pipeline_config(unknown)


def test_channel_names_are_checked_with_the_one_rule(tmp_path: Path):
    config = yaml.safe_load((PROJECT_ROOT / "config" / "pipeline.yaml").read_text())
    bad = write_config(tmp_path, channels={**config["channels"], "Paid Search": {"paid": True}})
    with pytest.raises(ConfigError, match=r"'Paid Search' is not a channel name.*\^\[a-z\]"):
        load_pipeline_config(bad)


def test_the_no_touch_channel_is_checked_with_the_same_rule(tmp_path: Path):
    config = yaml.safe_load((PROJECT_ROOT / "config" / "pipeline.yaml").read_text())
    bad = write_config(
        tmp_path, attribution={**config["attribution"], "no_touch_channel": "No Touch"}
    )
    with pytest.raises(ConfigError, match="attribution.no_touch_channel: .*'No Touch' is not a"):
        load_pipeline_config(bad)


def test_unmapped_other_makes_other_a_known_unpaid_channel(tmp_path: Path):
    config = load_pipeline_config(write_config(tmp_path, channel_mapping={"unmapped": "other"}))
    assert "other" in config.channels and "other" not in config.paid_channels


def test_the_shipped_grouping_maps_common_source_labels():
    config = load_pipeline_config()
    labels = ["Paid Search", "direct_traffic", "google / cpc", "(direct) / (none)", "SEO"]
    assert map_labels(labels, config.channel_mapping, config.channels) == {
        "Paid Search": "paid_search",
        "direct_traffic": "direct",
        "google / cpc": "paid_search",
        "(direct) / (none)": "direct",
        "SEO": "organic_search",
    }
