"""The task API: a batched torch environment plus everything Eureka needs to know about it.

A *task* bundles a batched simulator (``BatchedEnv`` subclass: ``num_envs`` copies stepped together in torch, on
CPU or CUDA) with the things the reward search reads: the goal text, the context source shown to the LLM, the named
state variables a reward function may ask for, the fitness (ground-truth score), the human reward and the default
training budget. The sparse reward is the fitness signal itself, given by the env's ``success`` per step.

Reward contract (DESIGN.md): ``compute_reward(<state variables>) -> (total, components)``, ``total`` of shape
``(num_envs,)`` and each component ``(num_envs,)``. The env inspects the parameter names once and passes the
matching tensors every step.
"""

from __future__ import annotations

import inspect
import math
import reprlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import torch

RewardFn = Callable[..., tuple[torch.Tensor, dict[str, torch.Tensor]]]
#: Limits on a reward's components dict: names are printed, stored per epoch and sent back to the model.
MAX_COMPONENTS = 32
MAX_COMPONENT_NAME = 64


class RewardContractError(ValueError):
    """A reward function breaks the contract (unknown parameter, bad shape, dtype or return type)."""


class NonFiniteRewardError(RuntimeError):
    """A reward function produced NaN or inf during training.

    Attributes:
        component: name of the first non-finite component, or ``"total"``.
    """

    def __init__(self, component: str, step: int, what: str = "is not finite (NaN or inf)") -> None:
        super().__init__(f"reward component {component!r} {what} at env step {step}")
        self.component = component
        self.step = step


@dataclass(frozen=True)
class StateVar:
    """One named state tensor a reward function may take as a parameter.

    Attributes:
        shape: per-env shape; the tensor passed in is ``(num_envs, *shape)``.
        doc: meaning and unit, shown to the LLM.
    """

    shape: tuple[int, ...]
    doc: str


@dataclass(frozen=True)
class Budget:
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

    def resized(self, *, epochs: int | None = None, num_envs: int | None = None) -> Budget:
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


def reward_parameters(reward_fn: RewardFn, state_vars: dict[str, StateVar]) -> list[str]:
    """The state variables a reward function takes, checked against what the task exposes.

    Raises:
        RewardContractError: a parameter is not a state variable, or uses ``*args``/``**kwargs``.
    """
    try:
        params = inspect.signature(reward_fn).parameters.values()
    except (TypeError, ValueError) as exc:
        raise RewardContractError(f"cannot read the reward function's signature: {exc}") from exc
    variadic = [p.name for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return check_parameter_names([p.name for p in params], variadic, state_vars)


def check_parameter_names(names: list[str], variadic: list[str], state_vars: dict[str, StateVar]) -> list[str]:
    """``names`` if every one is a state variable of the task and none is ``*args``/``**kwargs``.

    Raises:
        RewardContractError: naming the first offending parameter and what is available.
    """
    if variadic:
        raise RewardContractError(
            f"compute_reward must name its inputs; *args/**kwargs ({variadic[0]!r}) are not allowed"
        )
    for name in names:
        if name not in state_vars:
            example = ", ".join(list(state_vars)[:2])
            raise RewardContractError(
                f"compute_reward parameter {name!r} is not a state variable of this task. Take the state variables "
                f"themselves as parameters, by name, e.g. `def compute_reward({example}):`; "
                f"available: {', '.join(sorted(state_vars))}"
            )
    return names


def call_reward(
    reward_fn: RewardFn, args: list[str], state: dict[str, torch.Tensor], num_envs: int
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Call the reward function on copies of ``state`` and check the shapes and types of what it returns.

    The reward gets copies: an in-place write (``reward = success; reward += ...``, a plausible slip, or a forged
    ``success``) must change neither the simulation nor the fitness, which the env computes from its own tensors.

    Raises:
        RewardContractError: the return value is not ``(tensor (num_envs,), {name: tensor (num_envs,)})``, or a
            component name is not a short string.
    """
    out = reward_fn(**{name: state[name].clone() for name in args})
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RewardContractError(
            f"compute_reward must return (total_reward, components_dict); it returned {type(out).__name__}"
        )
    total, components = out
    if not isinstance(components, dict) or not components:
        raise RewardContractError("the second return value must be a non-empty dict of named reward components")
    if len(components) > MAX_COMPONENTS:
        raise RewardContractError(f"at most {MAX_COMPONENTS} reward components, got {len(components)}")
    for name in components:
        if not (isinstance(name, str) and 0 < len(name) <= MAX_COMPONENT_NAME and name.isprintable()):
            raise RewardContractError(
                f"component names must be printable strings of 1 to {MAX_COMPONENT_NAME} characters, "
                f"got {reprlib.repr(name)}"
            )
    for name, value in (("total reward", total), *components.items()):
        if not isinstance(value, torch.Tensor):
            raise RewardContractError(f"{name!r} must be a torch.Tensor, got {type(value).__name__}")
        if value.shape != (num_envs,):
            raise RewardContractError(f"{name!r} must have shape ({num_envs},), got {tuple(value.shape)}")
        if not value.is_floating_point():
            raise RewardContractError(f"{name!r} must be a floating-point tensor, got {value.dtype}")
    return total, components
