"""Job and Result: what goes into a sandbox and what comes back, as JSON files in the job folder.

The job folder is the only place a sandboxed worker may write. ``job.json`` is written by the backend before the
worker starts; ``result.json`` by the worker when it ends by itself, or by the backend when it had to stop it
(timeout, memory, killed). ``progress.jsonl`` gets one ``Progress`` line per epoch while training runs, for
live views. Training artefacts (checkpoint, TensorBoard, train log) go to ``<job folder>/train``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError, computed_field, field_validator

from eureka.sandbox.untrusted import clean_text, read_capped, write_new

JOB_FILE = "job.json"
RESULT_FILE = "result.json"
PROGRESS_FILE = "progress.jsonl"
TRAIN_DIR = "train"
#: Caps on what the host reads back from a job folder (an honest result of 1,000 epochs is about 1 MB).
MAX_RESULT_BYTES = 32 << 20
MAX_PROGRESS_BYTES = 8 << 20
MAX_ERROR_CHARS = 2000
#: Longest component name the host keeps from a job (the reward contract allows shorter ones; this is the bound
#: on what a job that got past the contract can make the host store and print)
MAX_NAME_CHARS = 200

M = TypeVar("M", bound=BaseModel)
V = TypeVar("V")


def clean_names(components: dict[str, V]) -> dict[str, V]:
    """Component names as the host keeps them: cleaned and capped (a job that got past the policy wrote them)."""
    return {clean_text(name, MAX_NAME_CHARS): value for name, value in components.items()}


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
    epochs: int | None = Field(None, ge=1, description="PPO epochs; None for the task's default budget")
    num_envs: int | None = Field(None, ge=1, description="parallel envs; None for the task's default budget")
    device: str = Field("cpu", description="torch device, e.g. cpu or cuda:0 (the executor picks the GPU)")
    threads: int = Field(1, ge=1, description="torch threads")
    timeout_s: float = Field(1800.0, gt=0, description="wall-clock limit, seconds")
    memory_mb: int = Field(8192, ge=64, description="memory limit, MiB: address space on the CPU, data size with CUDA")
    gpu_memory_mb: int | None = Field(None, ge=1, description="GPU memory torch may allocate, MiB; None: the whole GPU")
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
    """Progress lines after the first ``seen`` complete ones (a line still being written is left for later).

    The file is the job's to write: lines from the first one that is not a ``Progress`` on are ignored, and so is
    a file past ``MAX_PROGRESS_BYTES``, a symlink or a FIFO.
    """
    data = read_capped(job_dir / PROGRESS_FILE, MAX_PROGRESS_BYTES)
    lines = [] if data is None else data.split(b"\n")[:-1]  # the last element is "" or an incomplete line
    progress = []
    for line in lines[seen:]:
        try:
            progress.append(Progress.model_validate_json(line))
        except ValidationError:
            break
    return progress


class ComponentSummary(BaseModel):
    """One reward component over one epoch: the mean of per-step batch means, and the extremes."""

    mean: float
    min: float
    max: float


class EpochRecord(Progress):
    """One PPO epoch in full: its progress line and what the trainer measured (the trainer makes it, a job's
    result carries one per epoch)."""

    episodes: int = Field(0, description="episodes that ended this epoch")
    components: dict[str, ComponentSummary] = Field(
        default_factory=dict, description="reward component name -> statistics over this epoch's steps"
    )

    # A record may come from a job that got past the policy: its names are cleaned and capped whoever reads it.
    _clean_names = field_validator("components")(clean_names)


class EpisodeReturn(BaseModel):
    """The reward one policy collects in an episode: the mean over a batch of envs' first episodes."""

    total: float
    components: dict[str, float] = Field(default_factory=dict, description="component name -> its sum over the episode")

    _clean_names = field_validator("components")(clean_names)


class Training(BaseModel):
    """What a training run measured: ``policies.train`` returns it, a job's ``Result`` carries it."""

    history: list[EpochRecord] = Field(default_factory=list, description="one record per epoch")
    env_steps: int = Field(0, description="environment transitions (all envs)")
    wall_time: float = Field(0.0, description="seconds of training; in a job's result, from worker start to end")
    checkpoint: str | None = Field(
        None,
        description="path of the checkpoint of the policy that played the epoch of max fitness (the latest such "
        "epoch); the policy training ended with is last.pth beside it",
    )
    human_correlation: float | None = Field(
        None, description="Pearson correlation of the reward with the human reward over training (when asked)"
    )
    policy_return: EpisodeReturn | None = Field(
        None,
        description="the reward the policy training ended with collects in an episode, acting deterministically "
        "(what the reward taught in the end, whatever epoch the checkpoint holds)",
    )
    idle_return: EpisodeReturn | None = Field(
        None, description="the reward a policy whose actions are all 0 collects from the same starting states"
    )

    @property
    def epochs(self) -> int:
        """Epochs run."""
        return len(self.history)

    @computed_field  # written into result.json for readers of the file; recomputed when read back
    @property
    def fitness_curve(self) -> list[float | None]:
        """Per-epoch fitness (None where no episode ended)."""
        return [r.fitness for r in self.history]

    @computed_field
    @property
    def max_fitness(self) -> float | None:
        """Best epoch fitness over training: Eureka's selection score."""
        return max((f for f in self.fitness_curve if f is not None), default=None)

    @computed_field
    @property
    def checkpoint_epoch(self) -> int | None:
        """The epoch whose policy the checkpoint holds: the latest of max fitness (None: the last, as no episode
        ever ended)."""
        best = self.max_fitness
        return None if best is None else max(r.epoch for r in self.history if r.fitness == best)

    @computed_field
    @property
    def mean_fitness(self) -> float | None:
        """Mean fitness over the epochs in which an episode ended (the area under the fitness curve, per epoch)."""
        seen = [f for f in self.fitness_curve if f is not None]
        return sum(seen) / len(seen) if seen else None

    @computed_field
    @property
    def final_fitness(self) -> float | None:
        """Fitness of the last epoch in which an episode ended."""
        seen = [f for f in self.fitness_curve if f is not None]
        return seen[-1] if seen else None

    @property
    def components(self) -> list[dict[str, ComponentSummary]]:
        """Per epoch: component name -> statistics."""
        return [r.components for r in self.history]

    def first_epoch_reaching(self, threshold: float) -> EpochRecord | None:
        """The first epoch whose fitness reached ``threshold``, if any."""
        return next((r for r in self.history if r.fitness is not None and r.fitness >= threshold), None)


def ranking(max_fitness: float | None, mean_fitness: float | None) -> tuple[float, float]:
    """How trainings compare: by max fitness (the paper's criterion), then by mean fitness over training. A
    success rate makes ties common (a bench's mountain car: all 8 trained rewards touched 1.0, 6 of them then fell
    to 0), and among equals the reward whose policy kept succeeding is the one worth keeping. None (no episode
    ended, or no training) ranks below everything."""
    none = float("-inf")
    return (none if max_fitness is None else max_fitness, none if mean_fitness is None else mean_fitness)


class Result(Training):
    """How a job ended, and what it measured if it trained."""

    job_id: str
    status: Status
    error: str | None = Field(None, description="short human-readable error; candidate line numbers kept")

    # A Result may come from a job that got past the policy: its texts are cleaned and capped whoever reads it.
    @field_validator("error")
    @classmethod
    def _clean_error(cls, text: str | None) -> str | None:
        return None if text is None else clean_text(text, MAX_ERROR_CHARS)

    @property
    def ok(self) -> bool:
        """Whether the job ran to completion."""
        return self.status is Status.OK


def write_model(path: Path, model: BaseModel) -> None:
    """Write ``model`` as JSON atomically (a reader never sees half a file), never through a planted symlink."""
    write_new(path, model.model_dump_json(indent=1).encode())


def read_model(path: Path, model: type[M], max_bytes: int = MAX_RESULT_BYTES) -> M | None:
    """The ``model`` in the job file ``path``; None if it is missing, not a regular file, larger than
    ``max_bytes`` or not a valid ``model`` (the job wrote it: it is data, never trusted)."""
    data = read_capped(path, max_bytes)
    if data is None:
        return None
    try:
        return model.model_validate_json(data)
    except ValidationError:
        return None
