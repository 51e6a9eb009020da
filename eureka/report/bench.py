"""`eureka bench`: the reward search on every task of a suite, and the table of human-normalised scores.

A bench folder ``runs/bench-<date>-<time>/`` holds ``bench.yaml`` (its settings), one run folder per task, and the
table as ``bench.json`` and ``bench.md``. Re-running with ``--resume`` skips finished runs and resumes the others.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from eureka.agent.run_folder import CONFIG_FILE, SUMMARY_FILE, write_text
from eureka.agent.state import Stage
from eureka.config import SearchConfig, TrainingConfig
from eureka.report.summary import Summary

SETTINGS_FILE = "bench.yaml"
#: Scores are clipped to this range before averaging, as the paper does (one runaway task cannot dominate).
SCORE_CLIP = (0.0, 3.0)


class BenchSettings(BaseModel):
    """What a bench runs: tasks and the search's size, plus any dotted run-config overrides."""

    tasks: list[str]
    seeds: int = Field(TrainingConfig.model_fields["final_seeds"].default, ge=1, description="final seeds per reward")
    iterations: int = Field(SearchConfig.model_fields["iterations"].default, ge=1, description="N per task")
    samples: int = Field(SearchConfig.model_fields["samples"].default, ge=1, description="k per iteration")
    overrides: dict[str, object] = Field(default_factory=dict, description="dotted RunConfig keys")

    def run_overrides(self, task: str) -> dict[str, object]:
        """The run config of one task's run."""
        return {
            **self.overrides,
            "task": task,
            "search.iterations": self.iterations,
            "search.samples": self.samples,
            "training.final_seeds": self.seeds,
        }


class BenchRow(BaseModel):
    """One task's result."""

    task: str
    run: str
    sparse: tuple[float, float] | None = Field(description="mean and std of max fitness over seeds")
    human: tuple[float, float] | None
    eureka: tuple[float, float] | None
    score: float | None = Field(description="human-normalised score; None where human and sparse tie")
    speed: float | None = Field(None, description="learning-speed score (mean fitness over training, normalised)")
    why: str = Field("", description="for a task that did not win, what its run shows about why")

    @property
    def win(self) -> bool:
        """Eureka at least as good as the human reward (score >= 1)."""
        return self.score is not None and self.score >= 1.0


def new_bench_dir(runs_dir: Path) -> Path:
    """A new bench folder under ``runs_dir``."""
    path = runs_dir / f"bench-{time.strftime('%Y%m%d-%H%M%S')}"
    path.mkdir(parents=True)
    return path


def save_settings(bench_dir: Path, settings: BenchSettings) -> None:
    write_text(bench_dir / SETTINGS_FILE, yaml.safe_dump(settings.model_dump(mode="json"), sort_keys=False))


def load_settings(bench_dir: Path) -> BenchSettings:
    """The settings of an existing bench.

    Raises:
        FileNotFoundError: not a bench folder.
    """
    path = bench_dir / SETTINGS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{bench_dir} is not a bench folder (it has no {SETTINGS_FILE})")
    return BenchSettings.model_validate(yaml.safe_load(path.read_text()))


def task_run(bench_dir: Path, task: str) -> Path | None:
    """The run folder of ``task`` in this bench, if one was started."""
    found = sorted(p for p in bench_dir.glob(f"{task}-*") if (p / CONFIG_FILE).exists())
    return found[-1] if found else None


def is_finished(run_dir: Path) -> bool:
    return (run_dir / SUMMARY_FILE).exists()


def row(run_dir: Path) -> BenchRow:
    """A finished run's row, from its ``summary.json``."""
    summary = Summary.read(run_dir)

    def stats(label: str) -> tuple[float, float] | None:
        final = summary.final.get(label)
        return None if final is None else (final.mean, final.std)

    return BenchRow(
        task=summary.task,
        run=summary.run,
        sparse=stats("sparse"),
        human=stats("human"),
        eureka=stats("eureka"),
        score=summary.human_normalised_score,
        speed=summary.learning_speed_score,
        why=why_not_a_win(summary),
    )


def why_not_a_win(summary: Summary) -> str:
    """What a run shows about why its reward did not win ("" for a win): how many candidates trained, and whether
    the search never matched the human reward or its best did not hold on the held-out final seeds."""
    score, human, eureka = summary.human_normalised_score, summary.final.get("human"), summary.final.get("eureka")
    if score is not None and score >= 1.0:
        return ""
    trained = [c for c in summary.candidates if c["stage"] == Stage.TRAINED]
    if not trained:
        return f"none of its {len(summary.candidates)} candidates trained (each refused by the checks or the dry run)"
    reasons = [f"{len(trained)} of {len(summary.candidates)} candidates trained"]
    best = max((c["max_fitness"] for c in trained if c["max_fitness"] is not None), default=None)
    if best is None:
        reasons.append("none of them finished an episode to measure its fitness")
    elif human is None or eureka is None:
        reasons.append("the final re-training did not finish")
    elif score is None:
        reasons.append(f"the human and sparse rewards tie at {human.mean:.3g}, so there is no score to win")
    elif best < human.mean:
        reasons.append(
            f"the best reached {best:.3g} in the search, the human reward {human.mean:.3g}: no reward it wrote "
            "learned as much"
        )
    else:
        reasons.append(
            f"the best reached {best:.3g} in the search (the human reward {human.mean:.3g}) but "
            f"{eureka.mean:.3g} ± {eureka.std:.2g} over {len(eureka.seeds)} held-out seeds: it did not hold there"
        )
    return "; ".join(reasons)


def average_score(rows: list[BenchRow]) -> float | None:
    """Mean of the clipped scores of the tasks that have one."""
    scores = [min(max(r.score, SCORE_CLIP[0]), SCORE_CLIP[1]) for r in rows if r.score is not None]
    return sum(scores) / len(scores) if scores else None


def _cell(value: tuple[float, float] | None) -> str:
    return "-" if value is None else f"{value[0]:.3g} ± {value[1]:.2g}"


def _score(value: float | None, r: BenchRow) -> str:
    return "n/a (tie)" if value is None and r.eureka else ("-" if value is None else f"{value:.2f}")


def table_lines(rows: list[BenchRow]) -> list[str]:
    """The table as Markdown, with the average and the wins."""
    average = average_score(rows)
    return [
        "| task | F_sparse | F_human | F_eureka | human-normalised score | win | learning-speed score "
        "| why not a win |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {r.task} | {_cell(r.sparse)} | {_cell(r.human)} | {_cell(r.eureka)} | {_score(r.score, r)} | "
            f"{'yes' if r.win else 'no'} | {_score(r.speed, r)} | {r.why or '-'} |"
            for r in rows
        ),
        "",
        f"Average score (clipped to [{SCORE_CLIP[0]:g}, {SCORE_CLIP[1]:g}]): "
        f"{'-' if average is None else f'{average:.2f}'} over {sum(r.score is not None for r in rows)} tasks; "
        f"wins (score >= 1): {sum(r.win for r in rows)} of {len(rows)}.",
    ]


def write_table(bench_dir: Path, settings: BenchSettings, rows: list[BenchRow]) -> Path:
    """``bench.json`` and ``bench.md``; return the Markdown file."""
    data = {
        "settings": settings.model_dump(mode="json"),
        "rows": [r.model_dump(mode="json") | {"win": r.win} for r in rows],
        "average_score": average_score(rows),
        "wins": sum(r.win for r in rows),
    }
    write_text(bench_dir / "bench.json", json.dumps(data, indent=1))
    header = [
        f"# Eureka bench {bench_dir.name}",
        "",
        f"{settings.iterations} iterations x {settings.samples} samples, {settings.seeds} final seeds; "
        f"overrides: {settings.overrides or 'none'}. F = max fitness over training, mean ± std over seeds; "
        "the learning-speed score normalises the mean fitness over training the same way.",
        "",
    ]
    path = bench_dir / "bench.md"
    write_text(path, "\n".join(header + table_lines(rows)) + "\n")
    return path
