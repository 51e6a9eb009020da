"""Configuration of a reward-search run: typed models with every default declared once.

Loaded from YAML (``RunConfig.load``) with CLI overrides applied on top, and saved into the run folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from eureka.agent.llm import LLMConfig
from eureka.sandbox.protocol import Job


class SearchConfig(BaseModel):
    """The evolutionary search: N iterations of k samples."""

    iterations: int = Field(3, ge=1, description="reward-search iterations N")
    samples: int = Field(4, ge=1, description="candidate rewards sampled per iteration k")
    repair_rounds: int = Field(2, ge=0, description="times a failing candidate is sent back with its error")
    tune_trials: int = Field(
        4,
        ge=0,
        le=1000,
        description="short trainings that tune the numbers of each iteration's best reward (Optuna TPE); 0: the "
        "paper's method, numbers left to the model",
    )
    show_human_correlation: bool = Field(
        False,
        description="tell the model how its reward correlates with the human one (measured always, shown in the "
        "report; the paper keeps it from the model)",
    )


class TrainingConfig(BaseModel):
    """Training budget of each candidate and of the final re-training."""

    epochs: int | None = Field(None, ge=1, description="PPO epochs per candidate; the task's default when empty")
    num_envs: int | None = Field(None, ge=1, description="parallel envs; the task's default when empty")
    final_seeds: int = Field(3, ge=1, description="seeds for re-training the best, human and sparse rewards")
    final_epochs: int | None = Field(None, ge=1, description="PPO epochs of the final re-training; the task's default")
    seed: int = Field(0, description="training seed of every candidate; the final re-training uses seed, seed+1, ...")


class SandboxConfig(BaseModel):
    """Where and under which limits candidate code runs."""

    backend: str = Field("process", description="sandbox backend: process (bubblewrap) or docker")
    timeout_s: float = Field(Job.model_fields["timeout_s"].default, gt=0, description="wall-clock limit per job, s")
    memory_mb: int = Field(Job.model_fields["memory_mb"].default, ge=64, description="memory limit per job, MiB")
    unsafe_no_sandbox: bool = Field(False, description="run without bubblewrap where it cannot start")


class ExecutorConfig(BaseModel):
    """How many candidates train at once, and on which devices."""

    kind: str = Field("local", description="executor: local, or one a plugin adds")
    workers: int | None = Field(None, ge=1, description="parallel jobs; one per GPU, or cores / threads on CPU")
    devices: list[str] = Field(default_factory=lambda: ["cpu"], description="devices jobs are spread over")
    threads: int = Field(1, ge=1, description="torch threads per CPU job")


class RunConfig(BaseModel):
    """Everything a run needs; saved as ``config.yaml`` in the run folder."""

    task: str = Field("cartpole", description="task name")
    llm: LLMConfig = Field(default_factory=LLMConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    init_reward: str | None = Field(None, description="start from this reward: 'human' or a file")
    feedback: str | None = Field(None, description="human feedback: a text file, or 'ask' to prompt each time")
    from_checkpoint: str | None = Field(None, description="fine-tune every candidate from this policy")

    @classmethod
    def load(cls, path: Path | None = None, overrides: dict[str, Any] | None = None) -> RunConfig:
        """A config from YAML (or the defaults), with dotted-key overrides such as ``{"search.samples": 8}``."""
        data: dict[str, Any] = (yaml.safe_load(path.read_text()) or {}) if path else {}
        for dotted, value in (overrides or {}).items():
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
        return cls.model_validate(data)

    def save(self, path: Path) -> None:
        """Write this config as YAML."""
        path.write_text(yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False))
