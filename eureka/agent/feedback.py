"""Feedback sources: text that joins the reward reflection before the model writes the next candidates.

The paper shows that a person's few words ("the robot spins in place") steer the search as well as numbers do.
A source sees the task and the iteration's best candidate and returns text, or None to stay silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from langgraph.types import interrupt

from eureka.agent.state import Candidate
from eureka.envs.task import Task


class FeedbackSource(Protocol):
    """Called once per iteration, on a finished job, never per env step."""

    name: str

    def __call__(self, task: Task, best: Candidate) -> str | None: ...


@dataclass(frozen=True)
class FileFeedback:
    """The text of a file, read at every iteration (edit it while the run goes on to steer the next one)."""

    path: Path
    name: str = "file"

    def __call__(self, task: Task, best: Candidate) -> str | None:
        text = self.path.read_text().strip() if self.path.exists() else ""
        return f"Feedback from the user: {text}" if text else None


@dataclass(frozen=True)
class AskFeedback:
    """Asks the person running ``eureka run`` after each iteration (the graph pauses until they answer)."""

    name: str = "ask"

    def __call__(self, task: Task, best: Candidate) -> str | None:
        fitness = "no fitness" if best.fitness is None else f"max fitness {best.fitness:.3g}"
        text = str(interrupt(f"{best.id} is the best of iteration {best.iteration} ({fitness}). Feedback?")).strip()
        return f"Feedback from the user: {text}" if text else None


def feedback_sources(spec: str | None) -> list[FeedbackSource]:
    """The sources a run's ``--feedback`` option names: none, ``ask``, or a file path."""
    if not spec:
        return []
    if spec == "ask":
        return [AskFeedback()]
    return [FileFeedback(Path(spec).resolve())]
