"""Reward code compiled and checked: a task's ``human`` and ``sparse`` rewards, a reward file, or a candidate.

A reward source is Python text defining ``compute_reward`` (the contract in ``eureka.envs.contract``; a task
resolves ``human``, ``sparse`` or a file to its text with ``Task.reward_source``). Loading it
checks, in order: it compiles under the sandbox's RestrictedPython policy, it defines ``compute_reward``, every
parameter is a state variable of the task, and a dry run on a few real env steps returns finite tensors of the
right shapes. Contract failures are ``RewardContractError``s whose message names the problem in one paragraph.
"""

from __future__ import annotations

import ast
import itertools
from types import CodeType

import torch

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import (
    RewardContractError,
    RewardFn,
    call_reward,
    check_parameter_names,
    reward_parameters,
)
from eureka.envs.task import Task
from eureka.sandbox.guards import restricted_globals
from eureka.sandbox.restricted import FILENAME, PolicyViolation, refusal_text, restricted_bytecode

ENTRY_POINT = "compute_reward"
DRY_RUN_ENVS = 16
DRY_RUN_STEPS = 8
# Random inputs around the last dry-run state, ever wider, that a reward must not map all to one value.
PROBE_WIDTHS = (1.0, 10.0, 100.0)
#: how the dry run's refusal of a constant total ends (a repair rule reads it)
CONSTANT_TOTAL = "a constant gives the policy nothing to learn from"


def _bytecode(source: str, filename: str) -> CodeType:
    try:
        return restricted_bytecode(source, filename)
    except SyntaxError as exc:
        raise RewardContractError(f"{filename}: {refusal_text(exc)}") from None
    except RecursionError:
        # A small model looping on `x // 2 // 2 ...` to max_tokens writes one expression hundreds of operators deep;
        # the policy's AST walk recurses once per level and Python stops it. That is the candidate's fault.
        raise RewardContractError(
            f"{filename}: an expression is nested too deeply to check (hundreds of operators in one chain); "
            "write it in steps"
        ) from None


def entry_function(tree: ast.Module) -> ast.FunctionDef | None:
    """The top-level ``compute_reward`` of a parsed module, or None."""
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY_POINT), None)


def own_returns(fn: ast.FunctionDef) -> list[ast.Return]:
    """The returns with a value of ``fn`` itself, not of the functions defined inside it."""
    return [node for node in own_nodes(fn) if isinstance(node, ast.Return) and node.value is not None]


def static_check(source: str, task: Task, filename: str = FILENAME) -> None:
    """The checks that run none of ``source``: it parses, the policy accepts it, it defines ``compute_reward``
    at the top level, it returns something, every parameter is a state variable of ``task``, and none of one
    value per env is read at one env (``x[0]``). Safe outside the sandbox.

    Raises:
        RewardContractError: the first problem found, in one paragraph.
    """
    _bytecode(source, filename)
    tree = ast.parse(source, filename)
    fn = entry_function(tree)
    if fn is None:
        raise RewardContractError(f"{filename} defines no top-level function named {ENTRY_POINT!r}")
    if not own_returns(fn):
        raise RewardContractError(f"{filename}: {ENTRY_POINT} has no return; it must return (total, components)")
    args = fn.args
    variadic = [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    check_parameter_names([a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]], variadic, task.state_vars)
    _refuse_one_env_reads(fn, task, filename)


def own_nodes(fn: ast.FunctionDef) -> list[ast.AST]:
    """Every node of ``fn``'s body, not of the functions defined inside it (their parameters may shadow)."""
    found, todo = [], list(fn.body)
    while todo:
        node = todo.pop()
        found.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            todo.extend(ast.iter_child_nodes(node))
    return found


def one_env_reads(fn: ast.FunctionDef, per_env: set[str]) -> list[ast.Subscript]:
    """The ``x[0]`` (any literal index) in ``fn``'s own body on a name of ``per_env`` that the body never
    reassigns: legal code that gives every env the first env's value. The check refuses them; a repair rule
    writes ``x``."""
    nodes = own_nodes(fn)
    assigned = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return [
        node
        for node in nodes
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in per_env - assigned
        and literal_index(node.slice) is not None
    ]


def _refuse_one_env_reads(fn: ast.FunctionDef, task: Task, filename: str) -> None:
    """Refuse ``x[0]`` on a parameter that holds one value per env (a bench's best reacher reward read
    ``success[0]``): the reward no longer describes each env."""
    per_env = {a.arg for a in fn.args.args if a.arg in task.state_vars and task.state_vars[a.arg].shape == ()}
    reads = one_env_reads(fn, per_env)
    if reads:
        name, index = reads[0].value.id, literal_index(reads[0].slice)
        raise RewardContractError(
            f"{filename}: line {reads[0].lineno}: {name}[{index}] is env {index}'s value of {name!r}, given to every "
            f"env; {name!r} holds one value per env: use it whole, {name}"
        )


def literal_index(node: ast.expr) -> int | None:
    """The integer a literal index such as ``0`` or ``-1`` writes, else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = literal_index(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def compile_reward(source: str, task: Task, filename: str = FILENAME) -> RewardFn:
    """Compile ``source`` under the reward policy, run its module body and return its ``compute_reward``,
    parameters checked. Runs candidate code: only inside the sandbox, or on trusted sources.

    Raises:
        RewardContractError: syntax error, a construct the policy refuses, no ``compute_reward``, a parameter
            the task does not expose, or ``x[0]`` on a parameter of one value per env.
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
    entry = entry_function(ast.parse(source, filename))
    if entry is not None:  # None: compute_reward was bound some other way, which the policy allows
        _refuse_one_env_reads(entry, task, filename)
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
    totals = []
    for _ in range(DRY_RUN_STEPS):
        actions = torch.rand(DRY_RUN_ENVS, env.action_dim, generator=generator, device=device) * 2 - 1
        totals.append(env.step(actions)[1])
    _refuse_constant(torch.cat(totals), env, actions, generator)
    return {name: acc[0] / DRY_RUN_STEPS for name, acc in env.pop_stats().components.items()}


def _refuse_constant(totals: torch.Tensor, env: BatchedEnv, actions: torch.Tensor, generator: torch.Generator) -> None:
    """Refuse a reward whose total was one value on every dry-run state and on random probes of every input.

    A constant gives PPO nothing to learn from, yet it trains and its fitness is a random policy's; in a bench one
    (`torque = 0.0; reward = torque`, broadcast by a repair rule) became an iteration's best by noise, and the model
    then copied it. The probes matter: a sparse reward such as ``10 * success`` is also constant on random-action
    states, where ``success`` is never 1, but not on inputs drawn wide around them. A probe that raises or gives
    NaN proves nothing, so it never refuses. Whole-number probes are there for tests such as ``success == 1.0``.
    """
    value = totals[0]
    if not bool((totals == value).all()):
        return
    state = env.state(actions)
    for width, whole in itertools.product(PROBE_WIDTHS, (False, True)):
        probes = {}
        for name in env.reward_args:
            x = state[name]
            if x.is_floating_point():
                noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
                x = x + noise * width * (x.abs().max() + 1)
                x = x.round() if whole else x
            probes[name] = x
        try:
            probe_total, _ = call_reward(env.reward_fn, env.reward_args, probes, env.num_envs)
        except Exception:  # noqa: BLE001 - out-of-range inputs may break a fine reward; that is no evidence
            return
        if not bool((probe_total == value).all()):
            return
    raise RewardContractError(
        f"the total reward is {value.item():.4g} for every state tried, random inputs included: {CONSTANT_TOTAL}; "
        "make it depend on the state variables"
    )


def load_reward(task: Task, spec: str, device: str = "cpu") -> tuple[RewardFn, str]:
    """Resolve, compile and dry-run a reward in this process; return it with its label.

    For trusted code (the built-in rewards, tests, benchmarks); candidates run in ``eureka.sandbox``.
    """
    source, label = task.reward_source(spec)
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
