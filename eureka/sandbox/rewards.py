"""Reward sources: the built-in ``human`` and ``sparse`` rewards of a task, or a reward file, compiled and checked.

A reward source is Python text defining ``compute_reward`` (the contract in ``eureka.envs.base``). Loading it
checks, in order: it compiles under the sandbox's RestrictedPython policy, it defines ``compute_reward``, every
parameter is a state variable of the task, and a dry run on a few real env steps returns finite tensors of the
right shapes. Contract failures are ``RewardContractError``s whose message names the problem in one paragraph.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import CodeType

import torch

from eureka.envs.base import RewardContractError, RewardFn, check_parameter_names, reward_parameters
from eureka.envs.task import Task
from eureka.sandbox.guards import restricted_globals
from eureka.sandbox.policy import FILENAME, PolicyViolation, refusal_text, restricted_bytecode

ENTRY_POINT = "compute_reward"
DRY_RUN_ENVS = 16
DRY_RUN_STEPS = 8
MAX_SOURCE_BYTES = 256 << 10


def reward_source(task: Task, spec: str) -> tuple[str, str]:
    """Resolve ``human``, ``sparse`` or a file path to ``(source text, label)``.

    Raises:
        RewardContractError: the file does not exist or cannot be read.
    """
    if spec == "human":
        return task.human_reward_source, "human"
    if spec == "sparse":
        return task.sparse_reward_source, "sparse"
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


def _bytecode(source: str, filename: str) -> CodeType:
    try:
        return restricted_bytecode(source, filename)
    except SyntaxError as exc:
        raise RewardContractError(f"{filename}: {refusal_text(exc)}") from None


def static_check(source: str, task: Task, filename: str = FILENAME) -> None:
    """The checks that run none of ``source``: it parses, the policy accepts it, it defines ``compute_reward``
    at the top level, and every parameter is a state variable of ``task``. Safe outside the sandbox.

    Raises:
        RewardContractError: the first problem found, in one paragraph.
    """
    _bytecode(source, filename)
    tree = ast.parse(source, filename)
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY_POINT), None)
    if fn is None:
        raise RewardContractError(f"{filename} defines no top-level function named {ENTRY_POINT!r}")
    args = fn.args
    variadic = [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    check_parameter_names([a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]], variadic, task.state_vars)


def compile_reward(source: str, task: Task, filename: str = FILENAME) -> RewardFn:
    """Compile ``source`` under the reward policy, run its module body and return its ``compute_reward``,
    parameters checked. Runs candidate code: only inside the sandbox, or on trusted sources.

    Raises:
        RewardContractError: syntax error, a construct the policy refuses, no ``compute_reward``, or a parameter
            the task does not expose.
    """
    namespace = restricted_globals() | task.constants
    try:
        exec(_bytecode(source, filename), namespace)  # noqa: S102 - restricted bytecode
    except PolicyViolation as exc:
        raise RewardContractError(f"{filename}: the module body was refused: {exc}") from None
    fn = namespace.get(ENTRY_POINT)
    if not callable(fn):
        raise RewardContractError(f"{filename} defines no top-level function named {ENTRY_POINT!r}")
    reward_parameters(fn, task.state_vars)
    return fn


def dry_run(fn: RewardFn, task: Task, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Step a small batch of the task with random actions and ``fn`` as reward; return the mean components.

    Raises:
        RewardContractError: bad return type, shape or dtype.
        NonFiniteRewardError: NaN or inf in the reward.
        Exception: whatever ``fn`` itself raised.
    """
    env = task.make_env(DRY_RUN_ENVS, device, fn, seed=0)
    generator = torch.Generator(device=device).manual_seed(0)
    for _ in range(DRY_RUN_STEPS):
        actions = torch.rand(DRY_RUN_ENVS, env.action_dim, generator=generator, device=device) * 2 - 1
        env.step(actions)
    return {name: acc[0] / DRY_RUN_STEPS for name, acc in env.pop_stats().components.items()}


def load_reward(task: Task, spec: str, device: str = "cpu") -> tuple[RewardFn, str]:
    """Resolve, compile and dry-run a reward in this process; return it with its label.

    For trusted code (the built-in rewards, tests, benchmarks); candidates run in ``eureka.sandbox``.
    """
    source, label = reward_source(task, spec)
    fn = compile_reward(source, task, filename=label)
    try:
        dry_run(fn, task, device)
    except RewardContractError as exc:
        raise RewardContractError(f"dry run on {DRY_RUN_ENVS} envs: {exc}") from exc
    except Exception as exc:
        raise RewardContractError(
            f"dry run on {DRY_RUN_ENVS} envs: compute_reward raised {type(exc).__name__}: {exc}"
        ) from exc
    return fn, label
