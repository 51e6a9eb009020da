"""The plugin manager: built-ins through the hooks, entry points, and problems reported without breaking others."""

from __future__ import annotations

import importlib.metadata
import inspect
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eureka.agent.llm import LLMError, chat_model
from eureka.config import LLMConfig
from eureka.plugins import hookspecs
from eureka.plugins.manager import Plugins, get_backend, get_chat_model, get_plugins, get_task
from eureka.sandbox.backends import SandboxUnavailable

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
PLUGIN_SOURCE = """
from eureka.envs.registry import builtin_tasks
from eureka.plugins import hookimpl


@hookimpl
def eureka_tasks():
    pendulum = builtin_tasks()["pendulum"]
    return [pendulum, type(pendulum)(**{**vars(pendulum), "name": "pendulum_copy"})]


@hookimpl
def eureka_metrics(task, result):
    return {"curve_length": float(len(result.fitness_curve))}


@hookimpl
def eureka_feedback(task, candidate, metrics, config):
    return "from the test plugin"


SEEN = []


@hookimpl
def eureka_event(event, run, config):
    if event.stage == "tuning":
        raise RuntimeError("the observer broke")
    SEEN.append((run, event.subject, event.stage, config.task))
"""


def test_builtins_come_through_the_hooks():
    plugins = Plugins(entry_points=False)
    assert set(plugins.tasks()) == {"cartpole", "pendulum", "acrobot", "mountain_car", "quadrotor", "reacher"}
    assert set(plugins.sandbox_backends()) == {"process", "docker"}
    assert set(plugins.llm_backends()) == {"local", "openai", "azure", "anthropic", "compatible"}
    assert set(plugins.executors()) == {"local", "ray"}
    assert all(not info.problems and info.source == "built-in" for info in plugins.plugins())
    plugins.pm.check_pending()


def test_every_hookspec_is_documented():
    text = DOCS.read_text()
    specs = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("eureka_")]
    assert len(specs) == 7
    for name in specs:
        assert f"`{name}" in text, f"{name} is missing from docs/plugins.md"


@pytest.fixture
def entry_points(monkeypatch, tmp_path):
    """Entry points of the group ``eureka``: a working plugin module and one that cannot be imported."""
    (tmp_path / "eureka_test_plugin.py").write_text(PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = [
        importlib.metadata.EntryPoint(name="good", value="eureka_test_plugin", group="eureka"),
        importlib.metadata.EntryPoint(name="broken", value="eureka_no_such_module", group="eureka"),
    ]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: found if group == "eureka" else [])


def test_entry_point_plugins_load_and_their_problems_are_reported(entry_points):
    plugins = Plugins()
    info = {i.name: i for i in plugins.plugins()}
    assert "failed to import" in info["broken"].problems[0] and "eureka_no_such_module" in info["broken"].problems[0]
    assert info["good"].provides == {"tasks": ["pendulum", "pendulum_copy"]}
    assert "pendulum_copy" in plugins.tasks()
    # the plugin is asked before the built-ins, so its 'pendulum' wins and the built-in one is the duplicate
    assert any("'pendulum' is already given by good" in p for p in info["default_tasks"].problems)
    assert info["good"].hooks == ["eureka_event", "eureka_feedback", "eureka_metrics", "eureka_tasks"]
    assert info["good"].source == "eureka_test_plugin"


def test_metrics_and_feedback_reach_the_reflection_built_ins_first(entry_points):
    from eureka.agent.state import Attempt, Candidate, Stage
    from eureka.config import RunConfig
    from eureka.sandbox.protocol import EpochRecord, Result, Status

    plugins = Plugins()
    task = plugins.tasks()["cartpole"]
    history = [EpochRecord(epoch=i, fitness=f, env_steps=0, wall_time=0.0) for i, f in ((1, 10.0), (2, 20.0))]
    result = Result(job_id="j", status=Status.OK, history=history)
    candidate = Candidate(
        id="it1-c0", iteration=1, index=0, attempts=[Attempt(reply="r", code="c")], stage=Stage.TRAINED, result=result
    )
    metrics = plugins.metrics(task, result)
    assert metrics == {"curve_length": 2.0}
    texts = plugins.feedback(task, candidate, metrics, RunConfig())
    assert "curve_length: 2" in texts[0] and "fitness: [10, 20]" in texts[0]
    assert texts[-1] == "from the test plugin"


def test_unknown_names_list_what_is_known():
    with pytest.raises(LLMError, match="known model providers: anthropic, azure, compatible"):
        get_chat_model(LLMConfig(provider="nope"))
    with pytest.raises(LLMError, match="unknown model provider 'nope'; built in: anthropic, azure, compatible"):
        chat_model(LLMConfig(provider="nope"))
    with pytest.raises(KeyError, match="unknown task 'nope'; known tasks: acrobot, .*cartpole"):
        get_task("nope")
    with pytest.raises(KeyError, match="unknown executor 'nope'; known executors: local"):
        get_plugins().lookup("executor", "nope")
    with pytest.raises(SandboxUnavailable, match="unknown sandbox backend 'nope'; known sandbox backends: docker"):
        get_backend("nope")


def test_eureka_plugins_lists_the_built_ins():
    from eureka.cli import app

    result = CliRunner().invoke(app, ["plugins"], terminal_width=200)
    assert result.exit_code == 0
    for name in ("default_tasks", "default_sandboxes", "default_llms", "default_executors", "default_feedback"):
        assert name in result.output
    assert "process, docker" in result.output


def test_observers_see_every_event_and_one_that_raises_is_recorded(entry_points):
    import eureka_test_plugin

    from eureka.agent.context import Activity, Event
    from eureka.agent.state import Stage
    from eureka.config import RunConfig

    plugins = Plugins()
    plugins.event(Event("it1-c0", Stage.TRAINED, fitness=12.0), "cartpole-1", RunConfig())
    plugins.event(Event("it1-c1", Activity.TUNING), "cartpole-1", RunConfig())
    assert eureka_test_plugin.SEEN == [("cartpole-1", "it1-c0", "trained", "cartpole")]
    assert any("eureka_event raised RuntimeError('the observer broke')" in p for p in plugins.info["good"].problems)
