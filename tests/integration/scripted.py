"""Scripted model replies for the agent tests, and a helper that runs the whole graph on them."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from eureka.agent.run import make_context, run_search
from eureka.agent.run_folder import RunFolder
from eureka.config import RunConfig

GOOD = """Here is a reward:
```python
import torch

def compute_reward(pole_angle: torch.Tensor, cart_position: torch.Tensor):
    upright_temperature = 0.5
    upright = torch.exp(-pole_angle.abs() / upright_temperature)
    centred = -0.1 * cart_position.abs()
    return upright + centred, {"upright": upright, "centred": centred}
```"""
# Pays for tilting the pole: its policy drops it at once and learns nothing of cartpole (fitness ~21 at 6 epochs).
FALLS = """```python
def compute_reward(pole_angle):
    tilt = pole_angle.abs()
    return tilt, {"tilt": tilt}
```"""
SYNTAX_ERROR = "```python\ndef compute_reward(pole_angle):\n    return pole_angle +\n```"
WRONG_SIGNATURE = "```python\ndef compute_reward(state):\n    return state, {'s': state}\n```"
NO_CODE = "I would reward the pole for staying up."
CRASHES = """```python
def compute_reward(pole_angle, cart_position):
    penalty = cart_position.abs()
    return pole_angle.cos() + penalty.undefined_method(), {"p": penalty}
```"""
MATH_ON_A_BATCH = """```python
import math

def compute_reward(pole_angle):
    upright = math.exp(-abs(pole_angle))
    return upright, {"upright": upright}
```"""
NAN = """```python
def compute_reward(pole_angle):
    bad = torch.log(pole_angle - 10.0)
    return bad, {"bad": bad}
```"""


class ScriptedModel(FakeListChatModel):
    """Replies from a list, in order, and keeps every conversation it was sent."""

    prompts: list[list[BaseMessage]] = []

    def _call(self, messages: list[BaseMessage], *args, **kwargs) -> str:
        self.prompts.append(messages)
        return super()._call(messages, *args, **kwargs)


def scripted_run(tmp_path: Path, replies: list[str], **overrides) -> tuple[dict, ScriptedModel, RunFolder]:
    """Run the whole graph on cartpole with tiny budgets and no tuning; return the final state, the model and the
    folder."""
    settings = {
        "task": "cartpole",
        "search.iterations": 1,
        "search.samples": 2,
        "search.repair_rounds": 1,
        "search.tune_trials": 0,  # the tuning test turns it on; elsewhere it would only add trainings
        "training.epochs": 3,
        "training.num_envs": 128,
        "training.final_seeds": 1,
        "training.final_epochs": 3,
        **overrides,
    }
    config = RunConfig.load(None, settings)
    folder = RunFolder.create(tmp_path / "runs", config.task)
    config.save(folder.config)
    model = ScriptedModel(responses=replies, prompts=[])
    state = run_search(make_context(config, folder, llm=model), answer=lambda question: "Keep the cart centred.")
    return state, model, folder
