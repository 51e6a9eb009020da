"""A run's results as data: ``summary.json``, and the scores in words."""

from __future__ import annotations

from eureka.agent.run_folder import RunFolder, candidate_record
from eureka.agent.state import FinalScore, RunState, best_candidate, ordered_candidates
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


def write_summary(folder: RunFolder, task: Task, config: RunConfig, state: RunState) -> None:
    """``summary.json``: everything the run measured, for tools (``report.html`` is for people)."""
    finals = state.get("finals", {})
    candidates = ordered_candidates(state)
    best = best_candidate(state)
    score = state.get("score")
    summary = {
        "run": folder.id,
        "task": task.name,
        "fitness_kind": task.fitness_kind,
        "success_threshold": task.success_threshold,
        "iterations": config.search.iterations,
        "samples": config.search.samples,
        "best": {"id": best.id, "max_fitness": best.fitness, "code": folder.best_reward.name} if best else None,
        "final": {
            label: {
                "seeds": f.seeds,
                "max_fitness": f.max_fitness,
                "mean": f.mean,
                "std": f.std,
                "curve_mean": f.curve_mean,
                "speed": f.speed,
                "errors": f.errors,
            }
            for label, f in finals.items()
        },
        "human_normalised_score": score,
        "learning_speed_score": state.get("speed_score"),
        "tuning": {it: study.model_dump(mode="json") for it, study in state.get("tuning", {}).items()},
        "candidates": [candidate_record(c) for c in candidates],
        "seconds": state.get("seconds", {}),
        "usage": state.get("usage", {}),
    }
    folder.write_json(folder.summary.name, summary)


def fmt_number(value: float | None) -> str:
    """A measured value for tables: 4 significant digits, or - when there is none."""
    return "-" if value is None else f"{value:.4g}"
