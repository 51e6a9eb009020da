"""``Task``: one registry entry tying a batched env to its goal, context, rewards and budget."""

from __future__ import annotations

import inspect
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import torch

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import RewardContractError, RewardFn, StateVar

#: The largest reward file a task reads (a reward is one function).
MAX_SOURCE_BYTES = 256 << 10

#: A task module's source is shown to the LLM up to this line; the human reward below it stays hidden.
CONTEXT_END_MARKER = "# ----- human reward: below this line is never shown to the LLM"

#: A training whose max fitness is at most this share of the task's success threshold learned nothing of the task:
#: cartpole's untrained policy lasts ~22 steps (4.6% of 475); reacher's ends 0-0.3% of its episodes on the target,
#: and a bench's best reacher reward at 0.7% (0.3-0.4% on other seeds) taught no reach (the human reward: 94-98%).
NOTHING_LEARNED_SHARE = 0.05

#: The sparse reward: the fitness signal and nothing else (every task exposes ``success``).
SPARSE_REWARD_SOURCE = '''import torch


def compute_reward(success: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Sparse reward: 1 at every step where the task's success condition holds, else 0."""
    return success, {"success": success}
'''


@dataclass(frozen=True)
class PPOSettings:
    """PPO training budget and the few hyper-parameters that differ between tasks.

    Attributes:
        num_envs: parallel environments.
        epochs: PPO epochs (one rollout of ``horizon`` steps per env, then ``mini_epochs`` updates).
        horizon: rollout length per env per epoch.
        minibatch_size: samples per gradient step; must divide ``num_envs * horizon``.
        mini_epochs: passes over each rollout.
        learning_rate: initial Adam learning rate (adapted by the KL schedule).
        gamma: discount.
        units: hidden layer widths of the actor-critic MLP.
        entropy_coef: entropy bonus.
        center_rewards: subtract the running mean reward where episodes end only at the time limit.
    """

    num_envs: int = 1024
    epochs: int = 100
    horizon: int = 16
    minibatch_size: int = 4096
    mini_epochs: int = 4
    learning_rate: float = 3e-4
    gamma: float = 0.99
    units: tuple[int, ...] = (64, 64)
    entropy_coef: float = 0.0
    center_rewards: bool = True

    def resized(self, *, epochs: int | None = None, num_envs: int | None = None) -> PPOSettings:
        """This budget with other epochs or envs; the minibatch shrinks to keep dividing the rollout.

        Raises:
            ValueError: ``epochs`` or ``num_envs`` below 1.
        """
        if (epochs is not None and epochs < 1) or (num_envs is not None and num_envs < 1):
            raise ValueError(f"epochs and num_envs must be at least 1, got epochs={epochs}, num_envs={num_envs}")
        new = replace(
            self,
            epochs=self.epochs if epochs is None else epochs,
            num_envs=self.num_envs if num_envs is None else num_envs,
        )
        batch = new.num_envs * new.horizon
        minibatch = batch if batch <= new.minibatch_size else math.gcd(batch, new.minibatch_size)
        return replace(new, minibatch_size=minibatch)


@dataclass(frozen=True)
class Task:
    """A built-in or plugin task.

    Attributes:
        name: registry name (``eureka train --task NAME``).
        goal: one or two sentences for the LLM: what the agent must learn.
        env_cls: the batched environment class.
        human_reward: the task author's reward function (same contract as candidates).
        success_threshold: fitness a well-trained policy reaches; what the tests and benchmarks check.
        budget: default training budget.
        env_kwargs: keyword arguments for ``env_cls`` (variants are entries with other arguments).
        draw: draws one env's physical state ``s`` (``(state_dim,)``) on a matplotlib Axes, for animations of a
            policy; None if the task has no picture.
    """

    name: str
    goal: str
    env_cls: type[BatchedEnv]
    human_reward: RewardFn
    success_threshold: float
    budget: PPOSettings = field(default_factory=PPOSettings)
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    draw: Callable[[Any, torch.Tensor], None] | None = None

    def make_env(self, num_envs: int, device: str | torch.device, reward_fn: RewardFn, seed: int = 0) -> BatchedEnv:
        """Build ``num_envs`` batched copies of this task that call ``reward_fn`` every step."""
        return self.env_cls(num_envs=num_envs, device=device, reward_fn=reward_fn, seed=seed, **self.env_kwargs)

    @property
    def state_vars(self) -> dict[str, StateVar]:
        """Named state variables a reward may take, with shapes and units."""
        return self.env_cls.state_vars()

    @property
    def fitness_kind(self) -> str:
        """``success_rate`` or ``episode_length``."""
        return self.env_cls.fitness_kind

    @property
    def fitness_ceiling(self) -> float | None:
        """The most fitness can be, where the task says: an episode-length task's full episode. None for a success
        fitness (a plugin's "success" may be a distance, with no top)."""
        return float(self.env_cls.max_episode_steps) if self.fitness_kind == "episode_length" else None

    def learned_nothing(self, max_fitness: float | None) -> bool:
        """Whether a training that reached ``max_fitness`` (None: no episode ended) learned nothing of the task:
        at most ``NOTHING_LEARNED_SHARE`` of the success threshold, about what a policy acting at random gets."""
        return max_fitness is None or max_fitness <= NOTHING_LEARNED_SHARE * self.success_threshold

    @cached_property
    def context_source(self) -> str:
        """The environment code the LLM reads: the task module up to the human-reward marker."""
        source = inspect.getsource(sys.modules[self.env_cls.__module__])
        head, found, _ = source.partition(CONTEXT_END_MARKER)
        if not found:
            raise ValueError(f"task module {self.env_cls.__module__} lacks the line {CONTEXT_END_MARKER!r}")
        return head.rstrip() + "\n"

    @cached_property
    def constants(self) -> dict[str, float]:
        """The task module's upper-case numeric constants (``MAX_ANGLE = ...``): reward code may use them by name,
        as the LLM reads them in the context source (the paper's rewards run inside the environment's module)."""
        module = vars(sys.modules[self.env_cls.__module__])
        return {
            name: value
            for name, value in module.items()
            if name.isupper() and isinstance(value, int | float) and not isinstance(value, bool)
        }

    @cached_property
    def human_reward_source(self) -> str:
        """The human reward as a stand-alone reward file defining ``compute_reward``."""
        body = inspect.getsource(self.human_reward)
        body = re.sub(r"^def \w+\(", "def compute_reward(", body, count=1, flags=re.M)
        return "import torch\n\n\n" + body

    @property
    def sparse_reward_source(self) -> str:
        """The sparse reward file (fitness signal only)."""
        return SPARSE_REWARD_SOURCE

    def reward_source(self, spec: str) -> tuple[str, str]:
        """Resolve ``human``, ``sparse`` or a file path to ``(source text, label)``.

        Raises:
            RewardContractError: the file does not exist or cannot be read.
        """
        if spec == "human":
            return self.human_reward_source, "human"
        if spec == "sparse":
            return self.sparse_reward_source, "sparse"
        path = Path(spec)
        try:
            if path.stat().st_size > MAX_SOURCE_BYTES:
                raise RewardContractError(
                    f"the reward file {spec!r} is larger than {MAX_SOURCE_BYTES >> 10} KiB; a reward is one function"
                )
            source = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise RewardContractError(
                f"cannot read the reward file {spec!r} ({exc.strerror or exc}); pass 'human', 'sparse' or a .py file"
            ) from exc
        except UnicodeDecodeError as exc:
            raise RewardContractError(
                f"the reward file {spec!r} is not UTF-8 text (byte {exc.start}); pass a Python source file"
            ) from exc
        if "\x00" in source:
            raise RewardContractError(f"the reward file {spec!r} holds NUL bytes: it is not Python source")
        return source, str(path)

    def describe_state(self) -> str:
        """One line per state variable: name, shape, meaning."""
        return "\n".join(
            f"- {name}: shape (num_envs{''.join(f', {d}' for d in var.shape)}) — {var.doc}"
            for name, var in self.state_vars.items()
        )
