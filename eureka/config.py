"""Configuration of a reward-search run: typed models with every default declared once.

Loaded from YAML (``RunConfig.load``) with ``KEY=VALUE`` overrides applied on top (dotted keys, YAML values, as
Hydra and OmegaConf write them), and saved into the run folder. An unknown key is refused with the nearest known
one, in a file as on the command line.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from eureka.sandbox.protocol import Job


class Settings(BaseModel):
    """A config section: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["search.samples=8", "llm.model=qwen"]`` -> ``{"search.samples": 8, "llm.model": "qwen"}`` (YAML values).

    Raises:
        ValueError: an item without ``=``.
    """
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"an override is KEY=VALUE (e.g. search.samples=8), got {item!r}")
        overrides[key.strip()] = yaml.safe_load(value)
    return overrides


def known_keys(model: type[BaseModel] | None = None, prefix: str = "") -> list[str]:
    """Every dotted key of ``model`` (``RunConfig`` by default), sections included."""
    keys = []
    for name, field in (model or RunConfig).model_fields.items():
        keys.append(prefix + name)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            keys += known_keys(field.annotation, f"{prefix}{name}.")
    return keys


def _dotted(data: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted keys a nested mapping sets (a YAML file's)."""
    keys = []
    for key, value in data.items():
        keys.append(f"{prefix}{key}")
        if isinstance(value, dict):
            keys += _dotted(value, f"{prefix}{key}.")
    return keys


def _check_key(dotted: str) -> None:
    keys = known_keys()
    if dotted not in keys:
        near = difflib.get_close_matches(dotted, keys, n=1)
        raise ValueError(
            f"unknown config key {dotted!r}"
            + (f"; did you mean {near[0]!r}?" if near else "")
            + " (`eureka config show` prints every key)"
        )


class LLMConfig(Settings):
    """Which model writes the rewards, and how it is called."""

    provider: str = Field(
        "local",
        description="local (embedded, offline), openai, azure, anthropic, compatible (base_url), or a plugin's "
        "provider",
    )
    model: str | None = Field(None, description="model name; the provider's default when empty")
    base_url: str | None = Field(None, description="API root of an OpenAI-compatible server, e.g. http://host:8000/v1")
    api_key_env: str | None = Field(
        None,
        description="environment variable holding the API key; empty: the provider's own (openai: OPENAI_API_KEY, "
        "azure: AZURE_OPENAI_API_KEY, anthropic: ANTHROPIC_API_KEY; compatible: no key is sent)",
    )
    temperature: float = Field(1.0, description="sampling temperature; the paper samples at 1.0")
    max_tokens: int = Field(1024, description="most tokens per reply")
    timeout_s: float = Field(300.0, description="seconds per request before it is retried")
    max_retries: int = Field(3, description="retries with exponential backoff on 429, 5xx and connection errors")
    supports_n: bool = Field(
        True,
        description="ask for the k samples of one prompt in one request (`n`: OpenAI, vLLM, llama.cpp), so the shared "
        "prompt is processed and billed once; false: k concurrent requests (Ollama and others without `n`). A "
        "server that answers with fewer choices gets the rest as concurrent requests",
    )
    max_n: int | None = Field(
        None,
        ge=1,
        description="most samples one request may ask for (a llama.cpp server allows its slots); empty: k, or the "
        "local model's slots",
    )
    max_concurrency: int = Field(
        4, ge=1, description="requests in flight at once (a round's repairs, samples without n)"
    )
    threads: int | None = Field(
        None,
        ge=1,
        description="local model: CPU threads of its server; every usable core when empty (within a run the model "
        "and the training jobs take turns, never running at once)",
    )
    slots: int = Field(4, ge=1, description="local model: sequences its server decodes together")
    gpu_layers: int | None = Field(
        None, description="local model: layers offloaded to a GPU (-1: all; needs xllamacpp's CUDA wheel)"
    )
    speculative: bool = Field(False, description="local model: n-gram speculative decoding")
    grammar: bool = Field(
        True,
        description="local model: constrain every reply to one ```python block defining compute_reward with state "
        "variables as its parameters and no docstring (remote models get the contract in words)",
    )


class SearchConfig(Settings):
    """The evolutionary search: N iterations of k samples."""

    iterations: int = Field(3, ge=1, description="reward-search iterations N")
    samples: int = Field(4, ge=1, description="candidate rewards sampled per iteration k")
    repair_rounds: int | None = Field(
        None,
        ge=0,
        description="times a failing candidate the repair rules cannot fix is sent back to the model with its error; "
        "empty: 0 with the local model (its repairs cost about 9x a fresh sample per candidate that trains: a "
        "candidate with no rounds left is dropped, and an iteration where all fail is retried with fresh samples), "
        "2 with a remote one",
    )
    tune_trials: int = Field(
        4,
        ge=0,
        le=1000,
        description="short trainings that tune the numbers of each iteration's best reward (Optuna TPE); 0: the "
        "paper's method, numbers left to the model",
    )
    show_learned_nothing: bool = Field(
        False,
        description="show the next iteration an iteration's best reward even when it learned nothing (max fitness at "
        "most 5% of the task's success threshold), as the paper does; false: show the best earlier reward that learned "
        "something, or, if none did, sample the next k from the task prompt alone as the first iteration does (the "
        "embedded model copies the reward it is shown: 8 of 8 later replies of a reacher run, so a copy of a reward "
        "that taught nothing teaches nothing). A given initial reward and a reward with a person's feedback are "
        "always shown",
    )
    show_human_correlation: bool = Field(
        False,
        description="tell the model how its reward correlates with the human one (measured always, shown in the "
        "report; the paper keeps it from the model)",
    )
    example_reward: bool = Field(
        True,
        description="show the model one example reward, for a task of its own (a wheeled robot that drives to a goal "
        "without tipping over: errors 0 at the goal, named temperatures, vectors reduced by norm); false: the "
        "contract and tips alone, as the paper's prompt. The embedded model copies the code it is shown: of 24 "
        "first-iteration replies each, 7 quadrotor and 4 reacher rewards learned the task with it, 0 and 2 without",
    )


class TrainingConfig(Settings):
    """Training budget of each candidate and of the final re-training."""

    epochs: int | None = Field(None, ge=1, description="PPO epochs per candidate; the task's default when empty")
    num_envs: int | None = Field(None, ge=1, description="parallel envs; the task's default when empty")
    final_seeds: int = Field(3, ge=1, description="seeds for re-training the best, human and sparse rewards")
    final_epochs: int | None = Field(None, ge=1, description="PPO epochs of the final re-training; the task's default")
    seed: int = Field(0, description="training seed of every candidate; the final re-training uses seed+1, seed+2, ...")

    @property
    def held_out_seeds(self) -> list[int]:
        """The final re-training's seeds. The search picked its best on ``seed``; re-training it there would count
        the luck of that pick in its favour (the paper, too, evaluates on seeds its search never trained on)."""
        return [self.seed + 1 + i for i in range(self.final_seeds)]


class SandboxConfig(Settings):
    """Where and under which limits candidate code runs."""

    backend: str = Field("process", description="sandbox backend: process (bubblewrap) or docker")
    timeout_s: float = Field(Job.model_fields["timeout_s"].default, gt=0, description="wall-clock limit per job, s")
    memory_mb: int = Field(Job.model_fields["memory_mb"].default, ge=64, description="memory limit per job, MiB")
    unsafe_no_sandbox: bool = Field(False, description="run without bubblewrap where it cannot start")


class ExecutorConfig(Settings):
    """How many candidates train at once, and on which devices."""

    kind: str = Field("local", description="executor: local, ray (a Ray cluster), or one a plugin adds")
    workers: int | None = Field(None, ge=1, description="parallel jobs; one per GPU, or cores / threads on CPU")
    devices: list[str] = Field(default_factory=lambda: ["cpu"], description="devices jobs are spread over")
    threads: int = Field(1, ge=1, description="torch threads per CPU job")
    ray_address: str | None = Field(
        None, description="Ray cluster for --executor ray: auto, or ray://host:port; unset starts Ray on this machine"
    )
    retries: int = Field(3, ge=0, description="runs of a job on another node after its node died (ray executor)")


class RunConfig(Settings):
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

    @model_validator(mode="after")
    def _model_defaults(self) -> RunConfig:
        """Fill the defaults that depend on which model writes the rewards."""
        if self.search.repair_rounds is None:
            self.search.repair_rounds = 0 if self.llm.provider == "local" else 2
        return self

    @classmethod
    def load(cls, path: Path | None = None, overrides: dict[str, Any] | None = None) -> RunConfig:
        """A config from YAML (or the defaults), with dotted-key overrides such as ``{"search.samples": 8}``.

        Raises:
            ValueError: an unknown key (with the nearest known one), a section given a value, or a value the
                field refuses (``pydantic.ValidationError``, a ValueError).
        """
        data: dict[str, Any] = (yaml.safe_load(path.read_text()) or {}) if path else {}
        if not isinstance(data, dict):
            raise ValueError(f"{path} holds {type(data).__name__}, not a mapping of config keys")
        for dotted in _dotted(data):
            _check_key(dotted)
        for dotted, value in (overrides or {}).items():
            _check_key(dotted)
            node = data
            *parents, leaf = dotted.split(".")
            for depth, key in enumerate(parents):
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    section = ".".join(parents[: depth + 1])
                    raise ValueError(f"{dotted!r} sets a key of {section!r}, which was given the value {node!r}")
            node[leaf] = value
        return cls.model_validate(data)

    def save(self, path: Path) -> None:
        """Write this config as YAML."""
        path.write_text(yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False))
