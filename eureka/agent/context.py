"""What the graph's nodes are given at run time (services, never stored in the state) and what they report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from langchain_core.language_models import BaseChatModel

from eureka.agent.run_folder import RunFolder
from eureka.agent.state import Candidate, Stage
from eureka.config import RunConfig
from eureka.envs.task import Task
from eureka.sandbox.executor import Executor
from eureka.sandbox.protocol import Result

#: Characters of an event's detail (an error, a note) that a log line keeps.
DETAIL_CHARS = 300


class Hooks(Protocol):
    """The run hooks the nodes call (``eureka.plugins.manager.Plugins`` answers them from every plugin)."""

    def metrics(self, task: Task, result: Result) -> dict[str, float]:
        """Every plugin's metrics of a finished job."""
        ...

    def feedback(self, task: Task, candidate: Candidate, metrics: dict[str, float], config: RunConfig) -> list[str]:
        """Every feedback text for the iteration's best candidate."""
        ...

    def event(self, event: Event, run: str, config: RunConfig) -> None:
        """Every observer's look at a progress event."""
        ...


@dataclass(frozen=True)
class Context:
    """The runtime services of one run (LangGraph passes it to every node as ``runtime.context``)."""

    task: Task
    config: RunConfig
    llm: BaseChatModel
    executor: Executor
    folder: RunFolder
    plugins: Hooks


class Activity(StrEnum):
    """What a node is doing, beside a candidate's ``Stage``: the other half of an event's stage."""

    WRITING = "writing"  # the model is writing a candidate
    REPAIRING = "repairing"  # a broken candidate goes back to the model
    REWRITING = "rewriting"  # the repair rules rewrote a broken candidate
    TRAINING = "training"  # a job's epoch (with its fitness)
    TUNING = "tuning"  # trials of the best reward's numbers
    FINAL = "final"  # a final re-training job ended
    REFLECTED = "reflected"  # an iteration's best was chosen and reflected on


@dataclass(frozen=True)
class Event:
    """Progress a node reports while it works (``graph.stream(..., stream_mode="custom")``), for live views.

    ``subject`` is a candidate id, or ``<label>-s<seed>`` for a final re-training job.
    """

    subject: str
    stage: Stage | Activity
    detail: str = ""
    epoch: int | None = None
    fitness: float | None = None

    def text(self) -> str:
        """The event as one plain line, for logs (``it1-c0 trained fitness 500: ...``)."""
        parts = [self.subject, str(self.stage)]
        if self.epoch is not None:
            parts.append(f"epoch {self.epoch}")
        if self.fitness is not None:
            parts.append(f"fitness {self.fitness:.4g}")
        detail = " ".join(self.detail.split())
        return " ".join(parts) + (f": {detail[:DETAIL_CHARS]}" if detail else "")
