"""docs/plugins.md is enough to write a task: a minimal one built from the documented attributes and methods only
loads, checks its rewards and trains; and the page names every attribute, method and Task field there is."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path

from eureka.envs import BatchedEnv, PPOSettings, Task
from eureka.policies.ppo import train
from eureka.sandbox.rewards import load_reward

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
MODULE = '''
"""A point on a line that must reach the origin (a task written from docs/plugins.md alone)."""

import torch

from eureka.envs import BatchedEnv, StateVar

MAX_SPEED = 1.0  # m/s at action +-1
DT = 0.1  # s per control step


class PointEnv(BatchedEnv):
    state_dim = 1
    obs_dim = 1
    action_dim = 1
    max_episode_steps = 20

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "position": StateVar((), "position on the line, m (the goal is 0)"),
            "success": StateVar((), "1.0 while within 0.1 m of the origin, else 0.0"),
        }

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        self.s[env_ids] = self.rand(len(env_ids), -1.0, 1.0, 1)

    def physics_step(self, actions: torch.Tensor) -> None:
        self.s = self.s + DT * MAX_SPEED * actions

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        position = self.s[:, 0]
        return {"position": position, "success": (position.abs() < 0.1).float()}

    def observations(self) -> torch.Tensor:
        return self.s.clone()


# ----- human reward: below this line is never shown to the LLM


def human_reward(position: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    near = -position.abs()
    return near, {"near": near}
'''


def test_a_task_written_from_the_docs_loads_checks_and_trains(tmp_path, monkeypatch):
    (tmp_path / "point_task.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("point_task")
    try:
        task = Task(
            name="point",
            goal="Move the point to the origin and keep it there.",
            env_cls=module.PointEnv,
            human_reward=module.human_reward,
            success_threshold=0.9,
            budget=PPOSettings(num_envs=64, epochs=3, horizon=16, minibatch_size=1024),
        )
        assert "MAX_SPEED" in task.context_source and "human_reward" not in task.context_source
        assert task.constants == {"MAX_SPEED": 1.0, "DT": 0.1}
        assert "- position: shape (num_envs)" in task.describe_state()
        for reward in ("human", "sparse"):
            load_reward(task, reward)  # compiled under the policy and dry-run, as a candidate would be
        result = train(task, load_reward(task, "human")[0], out_dir=tmp_path / "train", budget=task.budget)
        assert len(result.fitness_curve) == 3
    finally:
        sys.modules.pop("point_task", None)


def test_the_docs_name_every_attribute_method_and_task_field():
    docs = DOCS.read_text()
    for name in ("state_dim", "obs_dim", "action_dim", "max_episode_steps", "fitness_kind"):
        assert f"`{name}`" in docs, name
    for name in (*BatchedEnv.__abstractmethods__, "terminated"):
        assert f"`{name}(" in docs, name
    for field in dataclasses.fields(Task):
        assert f"`{field.name}`" in docs, field.name
