"""The agent's pure parts: routers, candidate bookkeeping, static checks, the score, the checkpoint round trip."""

from __future__ import annotations

import pytest

from eureka.agent import nodes
from eureka.agent.graph import THREAD, build_graph, open_checkpointer
from eureka.agent.state import Attempt, Candidate, FinalScore, Stage, add_values, fittest, human_normalised
from eureka.envs import RewardContractError
from eureka.plugins.manager import get_task
from eureka.sandbox.protocol import ComponentSummary, EpochRecord, Result, Status
from eureka.sandbox.rewards import static_check

CARTPOLE = get_task("cartpole")


def _candidate(index: int, stage: Stage, iteration: int = 1, repairs: int = 0) -> Candidate:
    attempts = [Attempt(reply="r", code="def compute_reward(pole_angle): ...") for _ in range(repairs + 1)]
    return Candidate(id=f"it{iteration}-c{index}", iteration=iteration, index=index, attempts=attempts, stage=stage)


def _state(*stages: Stage, iteration: int = 1, **extra) -> dict:
    candidates = {c.id: c for c in (_candidate(i, s, iteration) for i, s in enumerate(stages))}
    return {"iteration": iteration, "candidates": candidates, "last_iteration": 3, **extra}


@pytest.mark.parametrize(
    ("stages", "route"),
    [
        ((Stage.VALID, Stage.BROKEN), "repair"),
        ((Stage.VALID, Stage.DROPPED), "evaluate"),
        ((Stage.DROPPED, Stage.DROPPED), "tune"),  # tune finds nothing trained and passes on to reflect
        ((), "tune"),
    ],
)
def test_route_check(stages, route):
    assert nodes.route_check(_state(*stages)) == route


def test_routes_look_only_at_the_current_iteration():
    state = _state(Stage.TRAINED, Stage.TRAINED, iteration=2)
    state["candidates"]["it1-c0"] = _candidate(0, Stage.BROKEN, iteration=1)
    assert nodes.route_evaluate(state) == "tune"
    assert nodes.route_evaluate(_state(Stage.TRAINED, Stage.BROKEN)) == "repair"


def test_route_start_and_reflect():
    assert nodes.route_start({"iteration": 0}) == "check"
    assert nodes.route_start({"iteration": 1}) == "propose"
    assert nodes.route_reflect({"iteration": 3, "last_iteration": 3}) == "propose"
    assert nodes.route_reflect({"iteration": 4, "last_iteration": 3}) == "finalize"


def test_failed_candidate_is_broken_until_its_rounds_are_used():
    once = _candidate(0, Stage.VALID).failed("boom", Status.RUNTIME_ERROR, repair_rounds=1)
    assert once.stage is Stage.BROKEN and once.attempts[-1].error == "boom"
    repaired = _candidate(0, Stage.VALID, repairs=1)
    assert repaired.model_repairs == 1
    # out of model rounds, the repair rules may still try it (they cost no model call)...
    assert repaired.failed("boom again", Status.INVALID, repair_rounds=1).stage is Stage.BROKEN
    # ...but not a version they wrote themselves
    by_rules = repaired.repaired(Attempt(reply="rules", code="x", rules=["math_on_tensors"]))
    assert by_rules.model_repairs == 1 and by_rules.repairs == 2
    dropped = by_rules.failed("boom again", Status.INVALID, repair_rounds=1)
    assert dropped.stage is Stage.DROPPED and dropped.attempts[-1].status is Status.INVALID


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def compute_reward(pole_angle):\n    return (\n", "SyntaxError"),
        ("import os\ndef compute_reward(pole_angle):\n    return pole_angle, {}\n", "import of 'os' is not allowed"),
        ("def reward(pole_angle):\n    return pole_angle, {}\n", "no top-level function named 'compute_reward'"),
        ("def compute_reward(pole_angle):\n    r = pole_angle\n", "compute_reward has no return"),
        ("def compute_reward(state):\n    return state, {}\n", "'state' is not a state variable"),
        ("def compute_reward(*args):\n    return args, {}\n", "*args/**kwargs"),
        ("def compute_reward(pole_angle):\n    return pole_angle.__class__, {}\n", "__class__"),
    ],
)
def test_static_check_names_the_problem_without_running_anything(source, message):
    with pytest.raises(RewardContractError, match=message.replace("*", r"\*")):
        static_check(source, CARTPOLE)


def test_an_expression_hundreds_of_operators_deep_is_refused_not_a_crash():
    """A small model looping on `x // 2 // 2 ...` to max_tokens once killed a bench run with a RecursionError in the
    policy's AST walk. The check refuses it; the rules, the environment-copy filter and the tuner pass it by."""
    from eureka.agent.messages import drop_environment_copy
    from eureka.agent.rewrites import rewrite
    from eureka.agent.tuning import constants

    for depth in (500, 5000):  # 500: what 1,024 tokens can hold; 5000: too deep even for Python's parser
        source = f"def compute_reward(pole_angle):\n    r = pole_angle{' // 2' * depth}\n    return r, {{'r': r}}\n"
        with pytest.raises(RewardContractError, match="nested too deeply"):
            static_check(source, CARTPOLE)
        assert rewrite(source, CARTPOLE, "RewardContractError: nested too deeply") is None
        assert drop_environment_copy(source) == source
        assert isinstance(constants(source), list)  # it returns, whatever it finds


def test_static_check_runs_none_of_the_code(tmp_path):
    marker = tmp_path / "ran"
    source = (
        f"open({str(marker)!r}, 'w')\ndef compute_reward(pole_angle):\n    return pole_angle, {{'a': pole_angle}}\n"
    )
    static_check(source, CARTPOLE)
    assert not marker.exists()


def _final(label, values):
    return FinalScore(label=label, seeds=list(range(len(values))), max_fitness=values)


def test_human_normalised_score():
    pendulum = get_task("pendulum")
    finals = {
        "eureka": _final("eureka", [0.9, 1.0]),
        "human": _final("human", [1.0, 1.0]),
        "sparse": _final("sparse", [0.0, 0.1]),
    }
    assert human_normalised(finals, pendulum) == pytest.approx((0.95 - 0.05) / 0.95)
    tie = {"eureka": _final("eureka", [500.0]), "human": _final("human", [500.0]), "sparse": _final("sparse", [499.0])}
    assert human_normalised(tie, CARTPOLE) is None
    assert human_normalised({"human": finals["human"], "sparse": finals["sparse"]}, pendulum) is None
    assert _final("eureka", [None, 1.0]).mean == 0.5  # a failed seed counts as an untrained policy


def test_add_values_accumulates():
    assert add_values({"llm": 1.0, "check": 0.5}, {"llm": 2.0, "evaluate": 3.0}) == {
        "llm": 3.0,
        "check": 0.5,
        "evaluate": 3.0,
    }


def _trained(index: int, curve: list[float | None]) -> Candidate:
    history = [EpochRecord(epoch=e, fitness=f, env_steps=0, wall_time=0.0) for e, f in enumerate(curve, 1)]
    return _candidate(index, Stage.VALID).trained(Result(job_id=str(index), status=Status.OK, history=history))


def test_fittest_is_by_max_fitness_then_by_how_long_the_policy_held_it():
    touched_once = _trained(0, [None, 1.0, 0.0, 0.0])  # a bench's mountain car: success once, then collapse
    held = _trained(1, [None, 0.0, 1.0, 1.0])
    higher = _trained(2, [0.0, 0.0, 0.0, 0.9, None])
    assert fittest([touched_once, held]) is held
    assert fittest([held, touched_once]) is held
    assert fittest([touched_once, _trained(3, [1.0, 0.0, 0.0])]) is touched_once  # exact equals: the first
    assert fittest([_trained(4, [0.9] * 4), higher]).id == "it1-c4"  # max first: 0.9 everywhere vs 0.9 once
    assert fittest([_trained(5, [0.5] * 4), higher]) is higher


def test_state_survives_the_checkpoint_round_trip(tmp_path):
    result = Result(
        job_id="j",
        status=Status.OK,
        history=[
            EpochRecord(
                epoch=1,
                fitness=1.0,
                env_steps=8,
                wall_time=0.1,
                components={"a": ComponentSummary(mean=1.0, min=0.0, max=2.0)},
            ),
            EpochRecord(epoch=2, fitness=None, env_steps=16, wall_time=0.2),
        ],
    )
    candidate = _candidate(0, Stage.VALID).trained(result)
    checkpointer = open_checkpointer(tmp_path / "state.sqlite")
    graph = build_graph(checkpointer)
    graph.update_state(THREAD, {"iteration": 1, "candidates": {candidate.id: candidate}}, as_node="evaluate")
    checkpointer.conn.close()
    again = build_graph(open_checkpointer(tmp_path / "state.sqlite")).get_state(THREAD).values
    restored = again["candidates"][candidate.id]
    assert restored == candidate and restored.stage is Stage.TRAINED and restored.result.status is Status.OK
