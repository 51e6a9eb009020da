"""The conversation with the reward-writing model: building it from a task, and reading code out of replies."""

from __future__ import annotations

import re

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from eureka.agent.prompts import render
from eureka.envs.task import Task

_CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)
_UNCLOSED_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*)\Z", re.S)


def task_messages(task: Task) -> list[BaseMessage]:
    """System prompt (the contract) and the task prompt (goal, environment source, state variables)."""
    return [
        SystemMessage(render("system")),
        HumanMessage(
            render("task", goal=task.goal, context=task.context_source.strip(), state_variables=task.describe_state())
        ),
    ]


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
