"""What the graph's nodes are given at run time (services, never stored in the state) and what they report."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from eureka.config import RunConfig
from eureka.envs.task import Task
from eureka.plugins.manager import Plugins
from eureka.report.run_folder import RunFolder
from eureka.sandbox.executor import Executor


@dataclass(frozen=True)
class Context:
    """The runtime services of one run (LangGraph passes it to every node as ``runtime.context``)."""

    task: Task
    config: RunConfig
    llm: BaseChatModel
    executor: Executor
    folder: RunFolder
    plugins: Plugins


@dataclass(frozen=True)
class Event:
    """Progress a node reports while it works (``graph.stream(..., stream_mode="custom")``), for live views.

    ``subject`` is a candidate id, or ``<label>-s<seed>`` for a final re-training job.
    """

    subject: str
    stage: str
    detail: str = ""
    epoch: int | None = None
    fitness: float | None = None
