"""The reward search as a LangGraph state machine: every node and edge, declared in one place.

START -> load_task -> (propose | check)
propose -> check -> (repair -> check)* -> evaluate -> (repair -> check -> evaluate)* -> tune -> reflect
reflect -> (propose: next iteration, or the one retry of a failed one | finalize) -> END
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from eureka.agent import nodes
from eureka.agent.context import Context
from eureka.agent.state import RunState

#: Types the checkpoint may rebuild when a run resumes (anything else in a state.sqlite is refused).
CHECKPOINT_TYPES = [
    ("eureka.agent.state", "Attempt"),
    ("eureka.agent.state", "Candidate"),
    ("eureka.agent.state", "FinalScore"),
    ("eureka.agent.state", "Stage"),
    ("eureka.agent.tuning", "TuningStudy"),
    ("eureka.agent.tuning", "Trial"),
    ("eureka.sandbox.protocol", "Result"),
    ("eureka.sandbox.protocol", "Status"),
    ("eureka.sandbox.protocol", "ComponentSummary"),
]
#: One thread per run folder: the run's checkpoints are the only ones in its state.sqlite.
THREAD = {"configurable": {"thread_id": "run"}}


def build_graph(checkpointer: SqliteSaver | None = None) -> CompiledStateGraph:
    """The compiled reward-search graph; ``checkpointer`` makes it resumable."""
    graph = StateGraph(RunState, context_schema=Context)
    graph.add_node("load_task", nodes.load_task)
    graph.add_node("propose", nodes.propose)
    graph.add_node("check", nodes.check)
    graph.add_node("repair", nodes.repair)
    graph.add_node("evaluate", nodes.evaluate)
    graph.add_node("tune", nodes.tune)
    graph.add_node("reflect", nodes.reflect)
    graph.add_node("finalize", nodes.finalize)

    graph.add_edge(START, "load_task")
    graph.add_conditional_edges("load_task", nodes.route_start, {"check": "check", "propose": "propose"})
    graph.add_edge("propose", "check")
    graph.add_conditional_edges(
        "check", nodes.route_check, {"repair": "repair", "evaluate": "evaluate", "tune": "tune"}
    )
    graph.add_edge("repair", "check")
    graph.add_conditional_edges("evaluate", nodes.route_evaluate, {"repair": "repair", "tune": "tune"})
    graph.add_edge("tune", "reflect")
    graph.add_conditional_edges("reflect", nodes.route_reflect, {"propose": "propose", "finalize": "finalize"})
    graph.add_edge("finalize", END)
    return graph.compile(checkpointer=checkpointer)


def open_checkpointer(path: Path) -> SqliteSaver:
    """A checkpointer on ``path`` (created if missing) that rebuilds only this package's state types."""
    conn = sqlite3.connect(path, check_same_thread=False)
    return SqliteSaver(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=CHECKPOINT_TYPES))
