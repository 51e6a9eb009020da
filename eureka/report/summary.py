"""A run's results as data: each iteration's record, ``summary.json`` and the human-normalised score."""

from __future__ import annotations

from typing import Any

from eureka.agent.state import Candidate, FinalScore, RunState, best_candidate, ordered_candidates
from eureka.config import RunConfig
from eureka.envs.task import Task
from eureka.report.run_folder import RunFolder

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


def candidate_record(c: Candidate) -> dict[str, Any]:
    """One candidate as plain data for the summaries."""
    return {
        "id": c.id,
        "iteration": c.iteration,
        "stage": str(c.stage),
        "max_fitness": c.fitness,
        "final_fitness": c.result.final_fitness if c.result else None,
        "repairs": c.repairs,
        "tuned_from": c.tuned_from,
        "errors": [a.error for a in c.attempts if a.error],
    }


def write_iteration(
    folder: RunFolder, iteration: int, candidates: list[Candidate], best: Candidate | None, reflection: str | None
) -> None:
    """``iterations/it<i>.json``: the iteration's candidates, its best and the reflection sent back."""
    folder.write_json(
        f"iterations/it{iteration}.json",
        {
            "iteration": iteration,
            "best": best.id if best else None,
            "candidates": [candidate_record(c) for c in candidates],
            "reflection": reflection,
        },
    )


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
