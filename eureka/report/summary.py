"""A run's results as data: ``summary.json``, and the scores in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from eureka.agent.run_folder import SUMMARY_FILE, RunFolder, candidate_record, write_text
from eureka.agent.state import FinalScore, RunState, best_candidate, ordered_candidates
from eureka.agent.tuning import TuningStudy
from eureka.config import RunConfig
from eureka.envs.task import Task


def score_text(score: float | None, finals: dict[str, FinalScore], speed: bool = False) -> str:
    """The score (or with ``speed``, the learning-speed score) for people, with the reason when there is none."""
    if score is not None:
        return f"{score:.2f}"
    if "eureka" not in finals:
        return "n/a (no candidate trained)"
    tie = finals["human"].speed if speed else finals["human"].mean
    return f"n/a (the human and sparse rewards tie at {tie:.3g})"


class FinalRecord(BaseModel):
    """One reward's final re-training in ``summary.json``."""

    seeds: list[int]
    max_fitness: list[float | None]
    mean: float
    std: float
    curve_mean: list[float | None]
    speed: float
    errors: list[str]


class BestRecord(BaseModel):
    """The best candidate of the search."""

    id: str
    max_fitness: float | None
    code: str = Field(description="its reward file in the run folder")


class Summary(BaseModel):
    """``summary.json``: everything a run measured, written and read back (the bench, tools) with this model."""

    run: str
    task: str
    fitness_kind: str
    success_threshold: float
    iterations: int
    samples: int
    best: BestRecord | None
    final: dict[str, FinalRecord]
    human_normalised_score: float | None
    learning_speed_score: float | None
    tuning: dict[str, TuningStudy]
    metrics: dict[str, dict[str, float | None]] = Field(
        default_factory=dict, description="the plugins' metrics of each iteration's best, by iteration (NaN: null)"
    )
    candidates: list[dict[str, Any]]
    seconds: dict[str, float]
    usage: dict[str, float]

    @classmethod
    def read(cls, folder: Path) -> Summary:
        """The summary of the finished run in ``folder``."""
        return cls.model_validate_json((folder / SUMMARY_FILE).read_text())


def write_summary(folder: RunFolder, task: Task, config: RunConfig, state: RunState) -> Summary:
    """``summary.json``: everything the run measured, for tools (``report.html`` is for people)."""
    best = best_candidate(state)
    summary = Summary(
        run=folder.id,
        task=task.name,
        fitness_kind=task.fitness_kind,
        success_threshold=task.success_threshold,
        iterations=config.search.iterations,
        samples=config.search.samples,
        best=BestRecord(id=best.id, max_fitness=best.fitness, code=folder.best_reward.name) if best else None,
        final={
            label: FinalRecord(
                seeds=f.seeds,
                max_fitness=f.max_fitness,
                mean=f.mean,
                std=f.std,
                curve_mean=f.curve_mean,
                speed=f.speed,
                errors=f.errors,
            )
            for label, f in state.get("finals", {}).items()
        },
        human_normalised_score=state.get("score"),
        learning_speed_score=state.get("speed_score"),
        tuning=state.get("tuning", {}),
        metrics=state.get("metrics", {}),
        candidates=[candidate_record(c) for c in ordered_candidates(state)],
        seconds=state.get("seconds", {}),
        usage=state.get("usage", {}),
    )
    write_text(folder.summary, summary.model_dump_json(indent=1))
    return summary


def fmt_number(value: float | None) -> str:
    """A measured value for tables: 4 significant digits, or - when there is none."""
    return "-" if value is None else f"{value:.4g}"
