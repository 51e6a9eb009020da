"""The reward contract: what a reward function may take and must return, checked the same way everywhere.

``compute_reward(<state variables>) -> (total, components)``: the parameters are named state variables of the task
(``StateVar``), ``total`` has shape ``(num_envs,)`` and so does each named component. The env inspects the
parameter names once (``reward_parameters``) and calls the reward on copies of its state every step
(``call_reward``).
"""

from __future__ import annotations

import inspect
import reprlib
from collections.abc import Callable
from dataclasses import dataclass

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
