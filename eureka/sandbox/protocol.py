"""Job and Result: what goes into a sandbox and what comes back, as JSON files in the job folder.

The job folder is the only place a sandboxed worker may write. ``job.json`` is written by the backend before the
worker starts; ``result.json`` by the worker when it ends by itself, or by the backend when it had to stop it
(timeout, memory, killed). ``progress.jsonl`` gets one ``Progress`` line per epoch while training runs, for
live views. Training artefacts (checkpoint, TensorBoard, train log) go to ``<job folder>/train``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

JOB_FILE = "job.json"
RESULT_FILE = "result.json"
PROGRESS_FILE = "progress.jsonl"
TRAIN_DIR = "train"


class Status(StrEnum):
    """How a job ended."""

    OK = "ok"  # trained to the end of its budget
    INVALID = "invalid"  # refused before training: does not compile, breaks the policy or the reward contract
    RUNTIME_ERROR = "runtime_error"  # the reward raised during the dry run or training
    NONFINITE_REWARD = "nonfinite_reward"  # a reward component became NaN or inf during training
    TIMEOUT = "timeout"  # ran past its wall-clock limit and was killed
    MEMORY = "memory"  # ran out of its memory limit
    KILLED = "killed"  # died from a signal or exited without a result (sandbox violation, crash)


class Job(BaseModel):
    """One candidate reward to check (``check_only``) or train, with its limits."""

    job_id: str = Field(description="unique id, also the job folder's name")
    task: str = Field(description="task name")
    reward_code: str = Field(description="source defining compute_reward")
    seed: int = Field(0, description="training seed")
    epochs: int | None = Field(None, description="PPO epochs; None for the task's default budget")
    num_envs: int | None = Field(None, description="parallel envs; None for the task's default budget")
    device: str = Field("cpu", description="torch device, e.g. cpu or cuda:0 (the executor picks the GPU)")
    threads: int = Field(1, description="torch threads")
    timeout_s: float = Field(1800.0, description="wall-clock limit, seconds")
    memory_mb: int = Field(8192, description="address-space limit, MiB")
    init_checkpoint: str | None = Field(None, description="fine-tune from this policy (read-only in the sandbox)")
    check_only: bool = Field(False, description="compile and dry-run only, no training")
    compare_with_human: bool = Field(
        False, description="also compute the task's human reward on every step and report the correlation"
    )


class Progress(BaseModel):
    """One finished epoch, streamed while the job runs."""

    epoch: int
    fitness: float | None
    env_steps: int
    wall_time: float


def read_progress(job_dir: Path, seen: int = 0) -> list[Progress]:
    """Progress lines after the first ``seen`` complete ones (a line still being written is left for later)."""
    path = job_dir / PROGRESS_FILE
    if not path.exists():
        return []
    lines = path.read_text().split("\n")[:-1]  # the last element is "" or an incomplete line
    return [Progress.model_validate_json(line) for line in lines[seen:]]


class ComponentSummary(BaseModel):
    """One reward component over one epoch."""

    mean: float
    min: float
    max: float


class Result(BaseModel):
    """How a job ended and what it measured."""

    job_id: str
    status: Status
    error: str | None = Field(None, description="short human-readable error; candidate line numbers kept")
    fitness_curve: list[float | None] = Field(default_factory=list, description="per-epoch fitness")
    max_fitness: float | None = None
    final_fitness: float | None = None
    human_correlation: float | None = Field(
        None, description="Pearson correlation of the reward with the human reward over training (when asked)"
    )
    components: list[dict[str, ComponentSummary]] = Field(
        default_factory=list, description="per epoch: component name -> statistics"
    )
    env_steps: int = 0
    wall_time: float = Field(0.0, description="seconds from worker start to end")
    checkpoint: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the job ran to completion."""
        return self.status is Status.OK


def write_model(path: Path, model: BaseModel) -> None:
    """Write ``model`` as JSON atomically (a reader never sees half a file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(model.model_dump_json(indent=1))
    tmp.replace(path)
