"""Run configuration: defaults, YAML, overrides, round trip."""

import pytest
from pydantic import ValidationError

from eureka.config import RunConfig, known_keys, parse_overrides


def test_defaults_are_the_documented_demo():
    config = RunConfig()
    assert (config.task, config.search.iterations, config.search.samples, config.search.repair_rounds) == (
        "cartpole",
        3,
        4,
        0,
    )
    assert config.llm.provider == "local" and config.sandbox.backend == "process"


def test_repair_rounds_default_to_the_model_that_writes_the_rewards(tmp_path):
    assert RunConfig.load(None, {"llm.provider": "openai"}).search.repair_rounds == 2
    assert RunConfig.load(None, {"search.repair_rounds": 3}).search.repair_rounds == 3
    config = RunConfig.load(None, {"llm.provider": "compatible"})
    config.save(tmp_path / "saved.yaml")  # a resumed run keeps the rounds it started with
    assert RunConfig.load(tmp_path / "saved.yaml").search.repair_rounds == 2


def test_yaml_with_overrides_round_trips(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("task: pendulum\nsearch:\n  samples: 8\nllm:\n  temperature: 0.7\n")
    config = RunConfig.load(path, {"search.iterations": 5, "sandbox.backend": "docker"})
    assert (config.task, config.search.samples, config.search.iterations) == ("pendulum", 8, 5)
    assert config.llm.temperature == 0.7 and config.sandbox.backend == "docker"
    config.save(tmp_path / "saved.yaml")
    assert RunConfig.load(tmp_path / "saved.yaml") == config


def test_bad_values_are_refused():
    with pytest.raises(ValidationError):
        RunConfig.load(None, {"search.samples": 0})
    with pytest.raises(ValidationError):
        RunConfig.load(None, {"llm.temperature": "hot"})


def test_key_value_overrides_are_yaml_values():
    overrides = parse_overrides(["search.samples=8", "llm.model=qwen", "executor.devices=[cpu, cuda:0]", "feedback="])
    assert overrides == {
        "search.samples": 8,
        "llm.model": "qwen",
        "executor.devices": ["cpu", "cuda:0"],
        "feedback": None,
    }
    config = RunConfig.load(None, overrides)
    assert config.search.samples == 8 and config.executor.devices == ["cpu", "cuda:0"]
    with pytest.raises(ValueError, match="an override is KEY=VALUE"):
        parse_overrides(["search.samples"])


def test_an_unknown_key_is_refused_with_the_nearest_one(tmp_path):
    """A typo is never silently ignored: on the command line, in a file, or nested in a file."""
    with pytest.raises(ValueError, match="unknown config key 'search.sample'; did you mean 'search.samples'"):
        RunConfig.load(None, {"search.sample": 8})
    path = tmp_path / "run.yaml"
    path.write_text("serch:\n  samples: 8\n")
    with pytest.raises(ValueError, match="unknown config key 'serch'; did you mean 'search'"):
        RunConfig.load(path)
    path.write_text("llm:\n  temprature: 0.5\n")
    with pytest.raises(ValueError, match="did you mean 'llm.temperature'"):
        RunConfig.load(path)
    path.write_text("- a list\n")
    with pytest.raises(ValueError, match="not a mapping"):
        RunConfig.load(path)


def test_a_section_given_a_value_is_a_clear_error():
    with pytest.raises(ValueError, match="'llm.model' sets a key of 'llm', which was given the value 'x'"):
        RunConfig.load(None, {"llm": "x", "llm.model": "y"})


def test_every_key_is_known():
    keys = known_keys()
    assert {"task", "search", "search.samples", "llm.temperature", "executor.devices"} <= set(keys)
    defaults = RunConfig().model_dump(mode="json")
    for key in keys:  # every key, set to its own default, is accepted and changes nothing
        value = defaults
        for part in key.split("."):
            value = value[part]
        if not isinstance(value, dict):
            assert RunConfig.load(None, {key: value}) == RunConfig(), key


def test_the_documented_example_config_loads():
    from pathlib import Path

    example = RunConfig.load(Path(__file__).resolve().parents[2] / "docs" / "run.example.yaml")
    assert (example.task, example.search.samples, example.llm.provider) == ("pendulum", 8, "openai")
    assert example.executor.devices == ["cuda:0", "cuda:1"]
