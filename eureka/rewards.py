"""Reward sources: the built-in ``human`` and ``sparse`` rewards of a task, or a reward file, compiled and checked.

A reward source is Python text defining ``compute_reward`` (the contract in ``eureka.envs.base``). Loading it
checks, in order: it parses, it defines ``compute_reward``, every parameter is a state variable of the task, and a
dry run on a few real env steps returns finite tensors of the right shapes. Each failure is a
``RewardContractError`` whose message names the problem in one paragraph.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import torch

from eureka.envs.base import NonFiniteRewardError, RewardContractError, RewardFn, reward_parameters
from eureka.envs.task import Task

ENTRY_POINT = "compute_reward"
DRY_RUN_ENVS = 16
DRY_RUN_STEPS = 8


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
        return path.read_text(), str(path)
    except OSError as exc:
        raise RewardContractError(
            f"cannot read the reward file {spec!r} ({exc.strerror or exc}); pass 'human', 'sparse' or a .py file"
        ) from exc


def compile_reward(source: str, task: Task, filename: str = "<reward>") -> RewardFn:
    """Compile ``source`` and return its ``compute_reward``, with its parameters checked against the task.

    Raises:
        RewardContractError: syntax error, no ``compute_reward``, or a parameter the task does not expose.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise RewardContractError(
            f"{filename}, line {exc.lineno}: the reward does not parse: {exc.msg}: {(exc.text or '').strip()!r}"
        ) from exc
    if not any(isinstance(node, ast.FunctionDef) and node.name == ENTRY_POINT for node in tree.body):
        raise RewardContractError(f"{filename} defines no top-level function named {ENTRY_POINT!r}")
    namespace: dict[str, object] = {"torch": torch, "math": math, "__name__": "eureka_reward"}
    try:
        exec(compile(tree, filename, "exec"), namespace)  # trusted files only; candidates go through the sandbox
    except Exception as exc:
        raise RewardContractError(f"{filename}: running the module body failed: {type(exc).__name__}: {exc}") from exc
    fn = namespace[ENTRY_POINT]
    if not callable(fn):
        raise RewardContractError(f"{filename}: {ENTRY_POINT!r} is not a function")
    reward_parameters(fn, task.state_vars)
    return fn


def dry_run(fn: RewardFn, task: Task, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Step a small batch of the task with random actions and ``fn`` as reward; return the last components.

    Raises:
        RewardContractError: bad return type, shape or dtype, non-finite values, or an exception in ``fn``.
    """
    try:
        env = task.make_env(DRY_RUN_ENVS, device, fn, seed=0)
        generator = torch.Generator(device=device).manual_seed(0)
        for _ in range(DRY_RUN_STEPS):
            actions = torch.rand(DRY_RUN_ENVS, env.action_dim, generator=generator, device=device) * 2 - 1
            env.step(actions)
    except (RewardContractError, NonFiniteRewardError) as exc:
        raise RewardContractError(f"dry run on {DRY_RUN_ENVS} envs: {exc}") from exc
    except Exception as exc:
        raise RewardContractError(
            f"dry run on {DRY_RUN_ENVS} envs: compute_reward raised {type(exc).__name__}: {exc}"
        ) from exc
    return {name: acc[0] for name, acc in env.pop_stats().components.items()}


def load_reward(task: Task, spec: str, device: str = "cpu") -> tuple[RewardFn, str]:
    """Resolve, compile and dry-run a reward; return it with its label."""
    source, label = reward_source(task, spec)
    fn = compile_reward(source, task, filename=label)
    dry_run(fn, task, device)
    return fn, label
