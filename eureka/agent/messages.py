"""The conversation with the reward-writing model: building it from a task, and reading code out of replies."""

from __future__ import annotations

import re

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from eureka.agent.prompts import render
from eureka.envs.task import Task

_CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)
_UNCLOSED_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*)\Z", re.S)
_UNDEFINED = re.compile(r"NameError: name '(\w+)' is not defined")


def task_messages(task: Task) -> list[BaseMessage]:
    """System prompt (the contract) and the task prompt (goal, environment source, state variables)."""
    return [
        SystemMessage(render("system")),
        HumanMessage(
            render(
                "task",
                goal=task.goal,
                context=task.context_source.strip(),
                state_variables=task.describe_state(),
                example=", ".join(f"{name}: torch.Tensor" for name in list(task.state_vars)[:2]),
            )
        ),
    ]


def code_message(code: str) -> AIMessage:
    """A reward the model (or the user) wrote, as the model's turn in the conversation."""
    return AIMessage(f"```python\n{code.strip()}\n```")


def proposal_messages(task: Task, best_code: str | None = None, reflection: str | None = None) -> list[BaseMessage]:
    """The conversation for new candidates, bounded as in the paper: system, task, and after the first iteration
    the best code so far with its reflection."""
    messages = task_messages(task)
    if best_code is not None and reflection is not None:
        messages += [code_message(best_code), HumanMessage(reflection)]
    return messages


def repair_hints(error: str, task: Task) -> list[str]:
    """Plain advice for the errors small models repeat: a state variable used but not taken as a parameter, a
    name defined nowhere, a 1-D tensor reduced over a second dimension, an empty components dict."""
    hints = []
    for name in dict.fromkeys(_UNDEFINED.findall(error)):
        if name in task.state_vars:
            hints.append(f"`{name}` is a state variable: add it to compute_reward's parameters.")
        else:
            hints.append(
                f"`{name}` is defined nowhere: compute it inside the function from the state variables, or drop it."
            )
    if "Dimension out of range" in error:
        hints.append("State variables of shape (num_envs) are 1-D: do not sum, index or reduce them over dim=1.")
    if "non-empty dict" in error:
        hints.append('Return the components as a dict of named tensors, e.g. {"upright": upright}.')
    return hints


def repair_messages(task: Task, code: str | None, reply: str, error: str) -> list[BaseMessage]:
    """The conversation that sends a failing candidate back with its exact error (and hints for common ones)."""
    turn = code_message(code) if code is not None else AIMessage(reply)
    text = error.strip() + "".join(f"\nHint: {hint}" for hint in repair_hints(error, task))
    return [*task_messages(task), turn, HumanMessage(render("repair", error=text))]


def retry_messages(task: Task, errors: list[str]) -> list[BaseMessage]:
    """The conversation after every candidate of an iteration failed: the task again, with all their errors."""
    listed = "\n\n".join(f"{i + 1}. {e.strip()}" for i, e in enumerate(errors))
    return [*task_messages(task), HumanMessage(render("retry", errors=listed))]


def extract_python(reply: str) -> str | None:
    """The code of a reply: the fenced block that defines ``compute_reward`` (else the longest fenced block, else
    an unclosed trailing block when the reply was cut off), or the reply itself if it is bare code; None if none."""
    blocks = _CODE_BLOCK.findall(reply) or _UNCLOSED_BLOCK.findall(reply)
    if blocks:
        defining = [b for b in blocks if "def compute_reward" in b]
        return max(defining or blocks, key=len).strip() + "\n"
    if "def compute_reward" in reply:
        return reply[reply.index("def compute_reward") :].strip() + "\n"
    return None
