"""The hooks a plugin may implement (pluggy project ``eureka``; plugins are found through the entry-point group
``eureka``). Every built-in task, backend, executor, model provider and feedback source is registered through
these same hooks, marked ``trylast``.

Collection hooks (the first group) are called once per process when a registry is built: each plugin returns
what it adds, by name; a name two plugins both give is reported and the first plugin called keeps it (plugins are
called before the built-ins). Run hooks (the second group) are called on finished jobs, once per iteration,
never per environment step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from eureka.agent.context import Event
    from eureka.agent.state import Candidate
    from eureka.config import ExecutorConfig, LLMConfig, RunConfig
    from eureka.envs.task import Task
    from eureka.sandbox.backends.base import SandboxBackend
    from eureka.sandbox.executor import Executor
    from eureka.sandbox.protocol import Result

hookspec = pluggy.HookspecMarker("eureka")


# ----- collection: what a plugin adds


@hookspec
def eureka_tasks() -> list[Task]:
    """Add tasks (simulators with a goal, context source, state variables, fitness, human and sparse rewards).

    :returns: the tasks, each with a unique ``name``. The sandboxed worker finds them through this hook too, so
        the module that defines them must import inside the sandbox (no network, read-only files).
    """


@hookspec
def eureka_sandbox_backends() -> dict[str, Callable[[bool], SandboxBackend]]:
    """Add sandbox backends, selected with ``--sandbox NAME``.

    :returns: name -> factory; the factory takes ``unsafe_no_sandbox`` and returns a ``SandboxBackend``.
    """


@hookspec
def eureka_llm_backends() -> dict[str, Callable[[LLMConfig], BaseChatModel]]:
    """Add model providers, selected with ``--llm-provider NAME``.

    :returns: name -> factory; the factory takes the run's ``LLMConfig`` and returns a LangChain chat model. It
        raises ``LLMError`` with a one-sentence reason when the model cannot be reached or configured.
    """


@hookspec
def eureka_executors() -> dict[str, Callable[[SandboxBackend, ExecutorConfig], Executor]]:
    """Add executors (where and how many jobs run at once), selected with ``executor.kind`` in the config.

    :returns: name -> factory; the factory takes the sandbox backend and the executor config.
    """


# ----- run: on finished jobs, once per iteration, and on progress


@hookspec
def eureka_metrics(task: Task, result: Result) -> dict[str, float] | None:
    """Measure extra numbers on a finished training job; they appear in the reward reflection and summary.

    :param task: the task the job trained.
    :param result: the job's result (fitness curve, component statistics, checkpoint path).
    :returns: metric name -> value, or None to add nothing.
    """


@hookspec
def eureka_feedback(task: Task, candidate: Candidate, metrics: dict[str, float], config: RunConfig) -> str | None:
    """Write text that goes back to the model with the iteration's best candidate (the reward reflection is the
    built-in one; a person's notes are another).

    :param task: the task being searched.
    :param candidate: the iteration's best trained candidate (its code, result and history).
    :param metrics: every ``eureka_metrics`` value for its job.
    :param config: the run's configuration (``config.feedback`` holds the user's feedback option).
    :returns: the text, or None to stay silent. Texts join in order: the built-ins first, then plugins.
    """


@hookspec
def eureka_event(event: Event, run: str, config: RunConfig) -> None:
    """Observe a run's progress: every event the live view shows (a candidate written, checked, training at an
    epoch, trained with its fitness, an iteration's best), as it happens. For loggers such as Weights & Biases or
    MLflow; called in the run's process, so keep it quick. An observer that raises is recorded and skipped.

    :param event: ``subject`` (a candidate id, ``it<i>`` or ``<label>-s<seed>``), ``stage``, ``detail``, ``epoch``,
        ``fitness``.
    :param run: the run's id (its folder name).
    :param config: the run's configuration.
    """
