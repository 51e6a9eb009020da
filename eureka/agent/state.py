"""The agent's state: what the reward search knows after each step of the graph (checkpointed after every node)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, TypedDict

from pydantic import BaseModel, Field

from eureka.agent.tuning import TuningStudy
from eureka.envs.task import Task
from eureka.sandbox.protocol import Result, Status, ranking


class Stage(StrEnum):
    """Where a candidate is in check -> repair -> evaluate."""

    PROPOSED = "proposed"  # code written (by the model, a repair, or given), not checked yet
    VALID = "valid"  # passed the static checks, waits for its training job
    BROKEN = "broken"  # failed a check or its job; goes back to the model with the error
    TRAINED = "trained"  # its job trained to the end; has a fitness
    DROPPED = "dropped"  # failed with no repair round left


class Attempt(BaseModel):
    """One version of a candidate: the first reply, then one per repair round."""

    reply: str = Field(description="the model's reply, or where the code came from when it was given")
    code: str | None = Field(description="the extracted compute_reward source; None when the reply had none")
    error: str | None = Field(None, description="why this version failed its check or its job")
    status: Status | None = Field(None, description="how its sandbox job ended, when it ran")
    rules: list[str] = Field(
        default_factory=list, description="the deterministic repair rules that wrote this version from the one before"
    )


class Candidate(BaseModel):
    """A reward function being checked, repaired, trained."""

    id: str = Field(description="'it<iteration>-c<index>', also its folder name in the run")
    iteration: int = Field(description="search iteration it belongs to (0: the initial reward)")
    index: int = Field(description="its place among the iteration's samples")
    attempts: list[Attempt] = Field(description="every version, the current one last")
    stage: Stage
    result: Result | None = Field(None, description="the training result, once trained")
    tuned_from: str | None = Field(None, description="the candidate whose numbers were tuned to write this one")

    @property
    def code(self) -> str | None:
        """The current version's code."""
        return self.attempts[-1].code

    @property
    def repairs(self) -> int:
        """Versions after the first (model repairs and rule rewrites): the round number of the current one."""
        return len(self.attempts) - 1

    @property
    def model_repairs(self) -> int:
        """Repair rounds the model spent (rule rewrites cost none)."""
        return sum(1 for a in self.attempts[1:] if not a.rules)

    @property
    def fitness(self) -> float | None:
        """Max task fitness over training (the paper's selection criterion); None before training."""
        return self.result.max_fitness if self.result is not None else None

    def trained(self, result: Result) -> Candidate:
        """A copy marked trained with its job's ``result``."""
        last = self.attempts[-1].model_copy(update={"status": result.status})
        attempts = [*self.attempts[:-1], last]
        return self.model_copy(update={"attempts": attempts, "stage": Stage.TRAINED, "result": result})

    def failed(self, error: str, status: Status | None, repair_rounds: int) -> Candidate:
        """A copy marked broken with ``error``: the repair rules may still try it (unless they wrote it), and the
        model while ``repair_rounds`` are left; else dropped."""
        last = self.attempts[-1].model_copy(update={"error": error, "status": status})
        stage = Stage.BROKEN if self.model_repairs < repair_rounds or not last.rules else Stage.DROPPED
        return self.model_copy(update={"attempts": [*self.attempts[:-1], last], "stage": stage})

    def repaired(self, attempt: Attempt) -> Candidate:
        """A copy with ``attempt`` as its new version, to be checked."""
        return self.model_copy(update={"attempts": [*self.attempts, attempt], "stage": Stage.PROPOSED})

    def dropped(self) -> Candidate:
        """A copy that is out of repairs."""
        return self.model_copy(update={"stage": Stage.DROPPED})


FinalLabel = Literal["eureka", "human", "sparse"]


class FinalScore(BaseModel):
    """One reward re-trained over several seeds at the task's budget."""

    label: FinalLabel
    seeds: list[int]
    max_fitness: list[float | None] = Field(description="per seed: the max fitness over training")
    curve_mean: list[float | None] = Field(
        default_factory=list,
        description="per seed: the mean fitness over training (the area under its fitness curve, per epoch)",
    )
    errors: list[str] = Field(default_factory=list, description="seeds whose job failed, with why")

    @property
    def values(self) -> list[float]:
        """Max fitness of the seeds that trained (a failed seed counts as 0, as an untrained policy scores)."""
        return [f if f is not None else 0.0 for f in self.max_fitness]

    @property
    def speed(self) -> float:
        """Mean over seeds of the mean fitness over training: how fast the reward teaches (failed seeds: 0)."""
        return sum(f if f is not None else 0.0 for f in self.curve_mean) / max(len(self.curve_mean), 1)

    @property
    def mean(self) -> float:
        """Mean over seeds."""
        return sum(self.values) / len(self.values)

    @property
    def std(self) -> float:
        """Population standard deviation over seeds."""
        return (sum((v - self.mean) ** 2 for v in self.values) / len(self.values)) ** 0.5


#: Human and sparse rewards within this share of the task's success threshold of each other tie: the
#: human-normalised score would divide by (almost) nothing.
TIE_SHARE = 0.01


def _normalised(values: dict[str, float], task: Task) -> float | None:
    """(eureka - sparse) / |human - sparse|, or None when human and sparse tie (within TIE_SHARE of the task's
    success threshold: the score would divide by almost nothing)."""
    gap = abs(values["human"] - values["sparse"])
    return None if gap <= TIE_SHARE * task.success_threshold else (values["eureka"] - values["sparse"]) / gap


def human_normalised(finals: dict[str, FinalScore], task: Task) -> float | None:
    """(F_eureka - F_sparse) / |F_human - F_sparse| over the seeds' mean max fitness, as in the paper; None when
    there is no Eureka reward or when the human and sparse rewards tie (cartpole's sparse reward is its classic
    reward, so both reach 500)."""
    return _normalised({k: f.mean for k, f in finals.items()}, task) if "eureka" in finals else None


def learning_speed(finals: dict[str, FinalScore], task: Task) -> float | None:
    """The same normalisation of the mean fitness over training (the area under the fitness curve): where human
    and sparse reach the same maximum, which reward gets there sooner still shows."""
    return _normalised({k: f.speed for k, f in finals.items()}, task) if "eureka" in finals else None


def merge(left: dict, right: dict) -> dict:
    """Reducer: entries of ``right`` replace those of ``left`` with the same key."""
    return {**left, **right}


def add_values(left: dict[str, float], right: dict[str, float]) -> dict[str, float]:
    """Reducer: counters and wall times accumulate key by key."""
    return {key: left.get(key, 0.0) + right.get(key, 0.0) for key in left.keys() | right.keys()}


class RunState(TypedDict, total=False):
    """The reward search's state. Nodes return partial updates; the reducers say how they combine."""

    iteration: int
    """The iteration being worked on (0 is the initial reward when one is given); above N means finalize."""
    last_iteration: int
    """N: the search stops after this iteration and finalizes."""
    retried: bool
    """Whether this iteration already used its one retry after every candidate failed."""
    candidates: Annotated[dict[str, Candidate], merge]
    """Every candidate of the run by id, in its latest stage."""
    best_id: str | None
    """The best trained candidate so far (by max fitness)."""
    shown: Annotated[dict[str, str | None], merge]
    """By iteration number as text: the candidate whose code and reflection the next iteration's prompt shows (the
    iteration's best, or an earlier best when it learned nothing); None: the next prompt is the task's alone. The
    latest entry is the one in force (an iteration where everything failed twice adds none)."""
    reflections: Annotated[dict[str, str], merge]
    """Every iteration's reflection (reward reflection plus feedback), by iteration number as text; a shown
    candidate's goes back to the model with its code."""
    metrics: Annotated[dict[str, dict[str, float]], merge]
    """The plugins' metrics of each iteration's best candidate, by iteration number as text."""
    tuning: Annotated[dict[str, TuningStudy], merge]
    """Each iteration's tuning of its best reward's numbers, by iteration number as text."""
    finals: dict[str, FinalScore]
    """The final re-training of the best, human and sparse rewards, by label."""
    score: float | None
    """Human-normalised score (F - F_sparse) / |F_human - F_sparse|; None when human and sparse tie."""
    speed_score: float | None
    """The same normalisation of the mean fitness over training (learning speed); None when human and sparse tie
    on it too."""
    seconds: Annotated[dict[str, float], add_values]
    """Wall time per phase: llm, check, evaluate (and train_in_worker, the jobs' own time), final."""
    usage: Annotated[dict[str, float], add_values]
    """Model calls and tokens: calls, prompt_tokens, completion_tokens."""


def ordered_candidates(state: RunState) -> list[Candidate]:
    """Every candidate of the run, by iteration and then in the order they were proposed."""
    return sorted(state.get("candidates", {}).values(), key=lambda c: (c.iteration, c.index))


def candidates_of(state: RunState, iteration: int) -> list[Candidate]:
    """The candidates of one iteration, in the order they were proposed."""
    return [c for c in ordered_candidates(state) if c.iteration == iteration]


def rank(candidate: Candidate) -> tuple[float, float]:
    """How candidates compare: ``ranking`` of their training's max and mean fitness (untrained ones last)."""
    result = candidate.result
    return ranking(None, None) if result is None else ranking(result.max_fitness, result.mean_fitness)


def fittest(candidates: list[Candidate]) -> Candidate:
    """The best of ``candidates`` (trained ones) by ``rank``; the first of exact equals."""
    return max(candidates, key=rank)


def shown_in_force(state: RunState) -> str | None:
    """The candidate the next prompt shows with its reflection: the latest iteration's entry in ``shown``."""
    shown = state.get("shown", {})
    return shown[max(shown, key=int)] if shown else None


def best_candidate(state: RunState) -> Candidate | None:
    """The best trained candidate so far, if any."""
    return state["candidates"][state["best_id"]] if state.get("best_id") else None
