"""Running the reward search: the services a run needs, and the loop that drives (and resumes) the graph."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langgraph.types import Command

from eureka.agent.context import Activity, Context, Event
from eureka.agent.graph import THREAD, build_graph, open_checkpointer
from eureka.agent.run_folder import RunFolder
from eureka.agent.state import RunState
from eureka.config import RunConfig
from eureka.envs.task import Task
from eureka.plugins.manager import get_backend, get_chat_model, get_plugins, get_task
from eureka.report.board import RunBoard
from eureka.report.html import write_report
from eureka.report.summary import write_summary

#: The run's progress lines: always to ``run.log`` in the run folder; the CLI adds the console when it has no
#: terminal for the live table (nohup, a batch scheduler).
LOGGER = logging.getLogger("eureka.run")
#: A training job's progress goes to the log every this many epochs (its progress.jsonl has every epoch).
LOG_EVERY_EPOCHS = 10


def check_config(config: RunConfig, new: bool = True) -> Task:
    """Check what a run needs before anything is made for it; return its task.

    Args:
        new: a run about to start (its initial reward is read at its start only, so a resumed run does not need
            the file any more).

    Raises:
        KeyError: an unknown task.
        RewardContractError: an ``init_reward`` file that cannot be read.
        ValueError: a ``from_checkpoint`` that is not a file (every job would fail on it).
    """
    task = get_task(config.task)
    if new and config.init_reward:
        task.reward_source(config.init_reward)
    if config.from_checkpoint and not Path(config.from_checkpoint).is_file():
        raise ValueError(
            f"from_checkpoint {config.from_checkpoint!r} is not a file; give a policy.pth written by training "
            "(eureka train writes it under <out>/train/)"
        )
    return task


def make_context(config: RunConfig, folder: RunFolder, llm: BaseChatModel | None = None) -> Context:
    """The services of a run from its config (``llm`` replaces the configured model, e.g. scripted replies).

    Raises:
        what ``check_config`` raises.
        KeyError: unknown executor.
        SandboxUnavailable: the sandbox backend cannot run here.
        LLMError: the model cannot be reached or configured.
    """
    task = check_config(config, new=False)
    plugins = get_plugins()
    executor = plugins.lookup("executor", config.executor.kind)
    backend = get_backend(config.sandbox.backend, config.sandbox.unsafe_no_sandbox)
    return Context(
        task=task,
        config=config,
        llm=llm if llm is not None else get_chat_model(config.llm),
        executor=executor(backend, config.executor),
        folder=folder,
        plugins=plugins,
    )


def write_results(context: Context, state: RunState) -> None:
    """``summary.json`` and ``report.html`` of a finished run (written again when a finished run is resumed, so a
    run killed between its last node and these files still gets them)."""
    write_summary(context.folder, context.task, context.config, state)
    write_report(context.folder, context.task, context.config, state)


def run_search(
    context: Context,
    resume: bool = False,
    on_event: Callable[[Event], None] | None = None,
    answer: Callable[[str], str] | None = None,
) -> RunState:
    """Drive the graph to its end and return the final state; checkpoints go to the run's ``state.sqlite``.

    Args:
        resume: continue from the last checkpoint (a finished run just returns its state).
        on_event: receives every node's progress events, for a live view.
        answer: asked when a feedback source pauses the graph for a person's text; without it the run continues
            with no text.
    """
    checkpointer = open_checkpointer(context.folder.state_db)
    board = RunBoard(context.folder.root)
    log = logging.FileHandler(context.folder.log, encoding="utf-8")
    log.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    LOGGER.addHandler(log)
    LOGGER.setLevel(logging.INFO)
    try:
        config = context.config
        LOGGER.info(
            f"{'resumed' if resume else 'started'} {context.folder.id}: {config.task}, "
            f"{config.search.iterations} iterations x {config.search.samples} samples, model {config.llm.provider}"
        )
        graph = build_graph(checkpointer)
        pending: dict | Command | None = None if resume else {"candidates": {}}
        while True:
            question = None
            for mode, chunk in graph.stream(pending, THREAD, context=context, stream_mode=["custom", "updates"]):
                if mode == "custom":
                    if chunk.stage is not Activity.TRAINING or (chunk.epoch or 0) % LOG_EVERY_EPOCHS == 0:
                        LOGGER.info(chunk.text())
                    context.plugins.event(chunk, context.folder.id, config)
                    if on_event is not None:
                        on_event(chunk)
                elif "__interrupt__" in chunk:
                    question = str(chunk["__interrupt__"][0].value)
                elif "iteration" in (chunk.get("reflect") or {}):  # an iteration ended (not its retry)
                    board.iteration(graph.get_state(THREAD).values, chunk["reflect"]["iteration"] - 1)
            if question is None:
                state = graph.get_state(THREAD).values
                if "finals" in state:
                    write_results(context, state)
                    LOGGER.info(
                        f"finished: human-normalised score {state.get('score')}, report {context.folder.report}"
                    )
                return state
            LOGGER.info(f"waiting for feedback: {question}")
            pending = Command(resume=answer(question) if answer else "")
    finally:
        LOGGER.removeHandler(log)
        log.close()
        board.close()
        checkpointer.conn.close()
