"""The conversation with the reward-writing model: building it from a task, and reading code out of replies."""

from __future__ import annotations

import ast
import re

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from eureka.agent.prompts import render, template
from eureka.envs.task import Task
from eureka.sandbox.guards import restricted_globals
from eureka.sandbox.restricted import ALLOWED_IMPORTS

_CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)
_UNCLOSED_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*)\Z", re.S)
_UNDEFINED = re.compile(r"NameError: name '(\w+)' is not defined")
# Names small models use for "the whole state" instead of taking each state variable as a parameter.
_STATE_NAMES = {"state", "states", "obs", "observation", "observations", "env", "self"}


def task_messages(task: Task, source: bool = True, example: bool = True) -> list[BaseMessage]:
    """System prompt (the contract, and with ``example`` an example reward for a task of its own) and the task
    prompt (goal, environment source, state variables). A repair leaves the source out: the code and its error are
    what matter then, and a small model fixes more, and sooner, without 1,500 tokens of environment before them."""
    return [
        SystemMessage(render("system") + ("\n" + template("example") if example else "")),  # code, no fields
        HumanMessage(
            render(
                "task",
                goal=task.goal,
                source=render("source", context=task.context_source.strip()) if source else _constants(task),
                state_variables=task.describe_state(),
                example=", ".join(f"{name}: torch.Tensor" for name in _example_parameters(task)),
            )
        ),
    ]


def _example_parameters(task: Task) -> list[str]:
    return list(task.state_vars)[:2]


def _constants(task: Task) -> str:
    if not task.constants:
        return ""
    listed = ", ".join(
        f"{name} = {value:.6g}" if isinstance(value, float) else f"{name} = {value!r}"
        for name, value in task.constants.items()
    )
    return f"\nThe environment's constants, available by name: {listed}.\n"


def code_message(code: str) -> AIMessage:
    """A reward the model (or the user) wrote, as the model's turn in the conversation."""
    return AIMessage(f"```python\n{code.strip()}\n```")


def proposal_messages(
    task: Task,
    best_code: str | None = None,
    reflection: str | None = None,
    errors: list[str] | None = None,
    example: bool = True,
) -> list[BaseMessage]:
    """The conversation for new candidates, bounded as in the paper: system, task, and after the first iteration
    the best code so far with its reflection. On the retry of an iteration where every candidate failed, their
    ``errors`` are added to the last turn: keeping the working code in view matters for a small model, which
    trains most candidates once it sees a reward that works. ``example``: the system prompt's example reward
    (``search.example_reward``)."""
    messages = task_messages(task, example=example)
    shown = best_code is not None and reflection is not None
    if shown:
        messages.append(code_message(best_code))
    if errors is None:
        return [*messages, HumanMessage(reflection)] if shown else messages
    failed = render("retry", errors="\n\n".join(f"{i + 1}. {e.strip()}" for i, e in enumerate(errors)))
    return [*messages, HumanMessage(f"{reflection.rstrip()}\n\n{failed}" if shown else failed)]


def repair_hints(error: str, task: Task) -> list[str]:
    """Plain advice for the errors small models repeat: a state variable used but not taken as a parameter, a
    whole-state dict, a name defined nowhere, Python's scalar functions or ``if`` applied to a batch, a 1-D tensor
    reduced over a second dimension, an empty components dict."""
    hints, torch = [], restricted_globals()["torch"]  # the curated torch: suggest only what reward code may call
    for name in dict.fromkeys(_UNDEFINED.findall(error)):
        if name in task.state_vars:
            hints.append(f"`{name}` is a state variable: add it to compute_reward's parameters.")
        elif callable(getattr(torch, name, None)):
            hints.append(f"`{name}` alone is not defined: write torch.{name}(...).")
        elif name in _STATE_NAMES:
            hints.append(
                f"There is no `{name}`: compute_reward takes each state variable as its own parameter, "
                f"e.g. def compute_reward({', '.join(_example_parameters(task))}): ..."
            )
        else:
            hints.append(
                f"`{name}` is defined nowhere: compute it inside the function from the state variables, or drop it."
            )
    if any(s in error for s in ("only one element tensors can be", "must be real number", "converted to Scalar")):
        hints.append(
            "Every state variable holds one value per environment: math.exp, math.sqrt, float(), max(), min() and "
            "abs() take one number; use torch.exp, torch.sqrt, torch.maximum, torch.minimum, torch.clamp, torch.abs."
        )
    if "Boolean value of Tensor with more than one value is ambiguous" in error:
        hints.append(
            "Every state variable holds one value per environment, so `if`, `and`, `or`, max() and min() cannot "
            "decide on it: use torch.where(condition, a, b), torch.maximum, torch.minimum, & and |."
        )
    if "Dimension out of range" in error or "too many indices for tensor of dimension 1" in error:
        hints.append("State variables of shape (num_envs) are 1-D: do not sum, index or reduce them over dim=1.")
    if "non-empty dict" in error:
        hints.append('Return the components as a dict of named tensors, e.g. {"upright": upright}.')
    return hints


def repair_messages(task: Task, code: str | None, reply: str, error: str, example: bool = True) -> list[BaseMessage]:
    """The conversation that sends a failing candidate back with its exact error (and hints for common ones)."""
    turn = code_message(code) if code is not None else AIMessage(reply)
    text = error.strip() + "".join(f"\nHint: {hint}" for hint in repair_hints(error, task))
    return [*task_messages(task, source=False, example=example), turn, HumanMessage(render("repair", error=text))]


def extract_python(reply: str) -> str | None:
    """The code of a reply: the fenced block that defines ``compute_reward`` (else the longest fenced block, else
    an unclosed trailing block when the reply was cut off), or the reply itself if it is bare code; None if none.
    Copies of the environment in it are dropped (see ``drop_environment_copy``)."""
    blocks = _CODE_BLOCK.findall(reply) or _UNCLOSED_BLOCK.findall(reply)
    if blocks:
        defining = [b for b in blocks if "def compute_reward" in b]
        return drop_environment_copy(max(defining or blocks, key=len).strip() + "\n")
    if "def compute_reward" in reply:
        return drop_environment_copy(reply[reply.index("def compute_reward") :].strip() + "\n")
    return None


def drop_environment_copy(code: str) -> str:
    """``code`` without the class definitions and non-torch/math imports that small models copy from the
    environment source above their reward (the paper's Eureka likewise keeps a reply from its first ``def``).
    The reward and its helpers run without them: torch, math and the task's constants are in scope. Code that
    does not parse is returned as it is, for the check to report."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, RecursionError):  # RecursionError: an expression thousands of operators deep
        return code
    dropped = [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        or (isinstance(node, ast.Import) and any(a.name.split(".")[0] not in ALLOWED_IMPORTS for a in node.names))
        or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] not in ALLOWED_IMPORTS)
    ]
    if not dropped:
        return code
    lines = code.splitlines(keepends=True)
    for node in reversed(dropped):
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        del lines[first - 1 : node.end_lineno]
    return re.sub(r"\n{3,}", "\n\n", "".join(lines)).lstrip("\n")
