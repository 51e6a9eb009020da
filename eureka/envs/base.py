"""The batched torch environment a task is built on (``BatchedEnv``: ``num_envs`` copies stepped together in
torch, on CPU or CUDA), its per-episode fitness telemetry, and helpers for writing one.

The env reads its reward function's parameter names once (``eureka.envs.contract``) and passes the matching state
tensors every step; the fitness (ground-truth score) comes from the env's own ``success`` signal, never from the
reward. What a task adds around an env (goal, context, human reward, budget) is ``eureka.envs.task``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

import torch

from eureka.envs.contract import (
    NonFiniteRewardError,
    RewardFn,
    StateVar,
    call_reward,
    reward_parameters,
)

FitnessKind = Literal["success_rate", "episode_length"]


@dataclass
class EpisodeStats:
    """Running sums over one logging window (an epoch), kept as tensors so the step loop never syncs.

    Attributes:
        fitness_sum: sum of the fitness of episodes that ended in the window.
        episodes: number of episodes that ended in the window.
        components: name -> (sum of per-step means, min, max) over steps in the window, in float64: a finite
            float32 component near its largest value (3e38) would overflow a float32 sum.
        steps: env steps (batched) in the window.
    """

    fitness_sum: torch.Tensor
    episodes: torch.Tensor
    components: dict[str, list[torch.Tensor]] = field(default_factory=dict)
    steps: int = 0


def wrap_angle(angle: torch.Tensor) -> torch.Tensor:
    """Angle in radians wrapped to [-pi, pi)."""
    return torch.remainder(angle + torch.pi, 2 * torch.pi) - torch.pi


class BatchedEnv(ABC):
    """``num_envs`` copies of one system, stepped together; auto-resets finished episodes.

    Subclasses keep their whole physical state (targets included) in ``self.s``, ``(num_envs, state_dim)``, and
    implement the physics (``reset_idx``,
    ``physics_step``), the named ``state`` and ``observations``, and ``terminated`` / ``success``.

    Args:
        num_envs: number of parallel environments.
        device: torch device, e.g. ``"cpu"`` or ``"cuda:0"``.
        reward_fn: the reward function, following the contract above.
        seed: seed of this env's random generator (resets, targets).
    """

    #: width of the physical state ``self.s``
    state_dim: int
    #: observation width
    obs_dim: int
    #: action width; actions arrive in [-1, 1] and the task scales them to physical units
    action_dim: int
    #: episode time limit, in env steps
    max_episode_steps: int
    #: what one finished episode contributes to the fitness
    fitness_kind: FitnessKind = "success_rate"

    def __init__(self, num_envs: int, device: str | torch.device, reward_fn: RewardFn, seed: int = 0) -> None:
        self.num_envs = num_envs
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.progress = torch.zeros(num_envs, dtype=torch.long, device=self.device)
        self.total_steps = 0
        self.s = torch.zeros(num_envs, self.state_dim, device=self.device)
        self.reward_fn = reward_fn
        self.reward_args = reward_parameters(reward_fn, self.state_vars())
        self.reference: tuple[RewardFn, list[str]] | None = None
        # sum x, sum y, sum x^2, sum y^2, sum xy of (reward, reference reward) over every env step, in float64: a
        # million steps of float32 squares would lose the variance to cancellation
        self.agreement = torch.zeros(5, dtype=torch.float64, device=self.device)
        self.compared = 0
        self.stats = self._empty_stats()
        #: the reward's components at the last step, per env (what ``policies.episode_return`` adds up)
        self.last_components: dict[str, torch.Tensor] = {}
        self.reset_idx(torch.arange(num_envs, device=self.device))

    # ----- what subclasses provide -------------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def state_vars(cls) -> dict[str, StateVar]:
        """The state variables a reward function may ask for, with shapes and units."""

    @abstractmethod
    def reset_idx(self, env_ids: torch.Tensor) -> None:
        """Draw new initial states for ``env_ids`` (a 1-D long tensor)."""

    @abstractmethod
    def physics_step(self, actions: torch.Tensor) -> None:
        """Advance the physical state by one control step; ``actions`` is ``(num_envs, action_dim)`` in [-1, 1]."""

    @abstractmethod
    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        """The named state variables after the step (see ``state_vars``)."""

    @abstractmethod
    def observations(self) -> torch.Tensor:
        """The policy's observation, ``(num_envs, obs_dim)``."""

    def terminated(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        """Episodes that end before the time limit (failure or goal reached), ``(num_envs,)`` bool.

        By default none do: the episode runs to its time limit.
        """
        return torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)

    def success(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        """Per-env success indicator at this step, ``(num_envs,)`` float in {0, 1}: the ``success`` state variable.

        For ``success_rate`` tasks the fitness of an episode is this indicator at its last step; it is also the
        sparse reward (the fitness signal, and nothing else).
        """
        return state["success"]

    # ----- the step loop ------------------------------------------------------------------------------------------

    def compare_with(self, reference_fn: RewardFn) -> None:
        """Also compute ``reference_fn`` (e.g. the human reward) on every step's state, for ``correlation``; it
        never reaches the policy."""
        self.reference = (reference_fn, reward_parameters(reference_fn, self.state_vars()))

    def correlation(self) -> float | None:
        """Pearson correlation of the reward with the reference reward over every env step so far; None without a
        reference, before two steps, or when either reward is constant."""
        n = self.compared
        sx, sy, sxx, syy, sxy = self.agreement.tolist()
        if n < 2:
            return None
        cov, var_x, var_y = sxy - sx * sy / n, sxx - sx * sx / n, syy - sy * sy / n
        if var_x <= 1e-12 * max(sxx, 1.0) or var_y <= 1e-12 * max(syy, 1.0):
            return None
        return max(-1.0, min(1.0, cov / (var_x * var_y) ** 0.5))

    def reset(self) -> dict[str, torch.Tensor]:
        """Observations of the current states (rl_games' vec-env API; episodes reset themselves)."""
        return {"obs": self.observations()}

    def step(
        self, actions: torch.Tensor
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Step every env once, compute the reward, reset finished episodes.

        Args:
            actions: ``(num_envs, action_dim)``; clipped to [-1, 1].

        Returns:
            ``({"obs": obs}, reward (num_envs,), done (num_envs,) bool, {"time_outs": (num_envs,) bool})``.
        """
        actions = actions.to(self.device).clamp(-1.0, 1.0)
        self.physics_step(actions)
        self.progress += 1
        self.total_steps += 1
        state = self.state(actions)
        reward = self._reward(state)

        terminated = self.terminated(state)
        time_outs = (self.progress >= self.max_episode_steps) & ~terminated
        done = terminated | time_outs
        episode_fitness = self.progress.float() if self.fitness_kind == "episode_length" else self.success(state)
        self.stats.fitness_sum += (episode_fitness * done).sum()
        self.stats.episodes += done.sum()
        done_ids = done.nonzero(as_tuple=False).squeeze(-1)
        if done_ids.numel() > 0:
            self.reset_idx(done_ids)
            self.progress[done_ids] = 0
        return {"obs": self.observations()}, reward, done, {"time_outs": time_outs}

    def _reward(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        total, components = call_reward(self.reward_fn, self.reward_args, state, self.num_envs)
        # What PPO gets is float32: a finite float64 total beyond 3.4e38 becomes inf there, so check that.
        total = total.detach().float()
        named = [*components.items(), ("total", total)]
        # One device sync per step; the per-tensor search runs only once something is wrong.
        if bool(sum((~torch.isfinite(value)).sum() for _, value in named)):
            first = next(name for name, value in named if not bool(torch.isfinite(value).all()))
            raise NonFiniteRewardError(first, self.total_steps)
        self.last_components = {name: value.detach() for name, value in components.items()}
        for name, value in components.items():
            value = value.detach().double()
            acc = self.stats.components.get(name)
            if acc is None:
                self.stats.components[name] = [value.mean(), value.min(), value.max()]
            else:
                acc[0] = acc[0] + value.mean()
                acc[1] = torch.minimum(acc[1], value.min())
                acc[2] = torch.maximum(acc[2], value.max())
        self.stats.steps += 1
        if self.reference is not None:
            reference, _ = call_reward(*self.reference, state, self.num_envs)
            x, y = total.double(), reference.detach().double()
            self.agreement += torch.stack([x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum()])
            self.compared += self.num_envs
        return total

    def pop_stats(self) -> EpisodeStats:
        """Return the statistics of the window that just ended and start a new one."""
        stats, self.stats = self.stats, self._empty_stats()
        return stats

    def _empty_stats(self) -> EpisodeStats:
        zero = torch.zeros((), device=self.device)
        return EpisodeStats(fitness_sum=zero.clone(), episodes=zero.clone())

    def rand(self, n: int, low: float, high: float, *shape: int) -> torch.Tensor:
        """``n`` uniform samples in [low, high) from this env's generator, shape ``(n, *shape)``."""
        u = torch.rand((n, *shape), generator=self.generator, device=self.device)
        return low + (high - low) * u
