"""Run configuration: defaults, YAML, overrides, round trip."""

import pytest
from pydantic import ValidationError

from eureka.config import RunConfig


def test_defaults_are_the_documented_demo():
    config = RunConfig()
    assert (config.task, config.search.iterations, config.search.samples, config.search.repair_rounds) == (
        "cartpole",
        3,
        4,
        2,
    )
    assert config.llm.provider == "local" and config.sandbox.backend == "process"


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
