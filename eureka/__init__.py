"""Eureka: reward design by coding LLMs, sandboxed and plugin-based.

The Python API, beside the ``eureka`` command::

    import eureka

    summary = eureka.search("pendulum", {"search.samples": 8, "llm.provider": "openai"})
    print(summary.human_normalised_score, summary.best)
    result = eureka.train("pendulum", "human", epochs=20)
    print(result.max_fitness, result.checkpoint)

Both run everything the command does (the sandbox, real PPO, the run folder); heavy modules are imported when a
function is called, so ``import eureka`` stays cheap (every sandboxed job imports this package).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from eureka.report.summary import Summary
    from eureka.sandbox.protocol import Job, Result

#: The distribution's name on the package index (``eureka`` there is another project); the import name is eureka.
DISTRIBUTION = "eureka-reward-design"
try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # a source tree that was not installed
    __version__ = "0+unknown"


def search(
    task: str,
    overrides: dict[str, Any] | None = None,
    *,
    config: Path | None = None,
    runs_dir: Path = Path("runs"),
    llm: BaseChatModel | None = None,
) -> Summary:
    """Search for a reward for ``task``, as ``eureka run`` does; return the run's summary.

    Args:
        overrides: dotted config keys, e.g. ``{"search.samples": 8}`` (``eureka config show`` lists them).
        config: a YAML run configuration to start from.
        runs_dir: where the run folder is made (its path is ``runs_dir / summary.run``).
        llm: a LangChain chat model to use instead of the configured provider.

    Raises:
        ValueError: an unknown config key or a bad value. KeyError: an unknown task. SandboxUnavailable,
        LLMError: the sandbox or the model cannot be used here.
    """
    from eureka.agent.run import check_config, make_context, run_search
    from eureka.agent.run_folder import RunFolder
    from eureka.config import RunConfig
    from eureka.report.summary import Summary

    settings = RunConfig.load(config, {**(overrides or {}), "task": task})
    check_config(settings)
    folder = RunFolder.create(Path(runs_dir), settings.task)
    settings.save(folder.config)
    run_search(make_context(settings, folder, llm=llm))
    return Summary.read(folder.root)


def train_job(
    task: str,
    reward: str = "human",
    *,
    seed: int = 0,
    epochs: int | None = None,
    num_envs: int | None = None,
    device: str = "cpu",
    threads: int | None = None,
    out: Path | None = None,
    checkpoint: Path | None = None,
    **limits: Any,
) -> tuple[Job, Path, str]:
    """The sandbox job that trains ``task`` with ``reward`` ('human', 'sparse' or a reward file), its folder
    (``runs/train/<task>-<reward>-s<seed>`` by default) and the reward's label. ``threads`` by default: the
    usable cores shared with the sandbox workers already running. ``limits``: ``timeout_s``, ``memory_mb``.

    Raises:
        KeyError: an unknown task. RewardContractError: a reward file that cannot be read. ValueError: an ``out``
        that is a file, a ``checkpoint`` that is not one.
    """
    from eureka.plugins.manager import get_task
    from eureka.sandbox.executor import free_cores
    from eureka.sandbox.protocol import Job

    spec = get_task(task)
    source, label = spec.reward_source(reward)
    budget = spec.budget.resized(epochs=epochs, num_envs=num_envs)
    out_dir = Path(out) if out else Path("runs") / "train" / f"{task}-{Path(label).stem}-s{seed}"
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out {str(out_dir)!r} exists and is not a folder; give a folder for the job's files")
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise ValueError(f"--checkpoint {str(checkpoint)!r} is not a file; give a policy.pth written by training")
    job = Job(
        job_id=out_dir.name,
        task=task,
        reward_code=source,
        seed=seed,
        epochs=budget.epochs,
        num_envs=budget.num_envs,
        device=device,
        threads=threads or free_cores(),
        init_checkpoint=str(Path(checkpoint).resolve()) if checkpoint else None,
        **{name: value for name, value in limits.items() if value is not None},
    )
    return job, out_dir, label


def train(task: str, reward: str = "human", *, sandbox: str = "process", **options: Any) -> Result:
    """Train a PPO policy on ``task`` with ``reward`` in the sandbox, as ``eureka train`` does; return the job's
    result (fitness curve, checkpoint path). ``options``: those of ``train_job`` (seed, epochs, num_envs, device,
    threads, out, checkpoint, timeout_s, memory_mb).

    Raises:
        what ``train_job`` raises; SandboxUnavailable: the sandbox cannot run here.
    """
    from eureka.plugins.manager import get_backend
    from eureka.sandbox.executor import LocalExecutor

    job, out_dir, _ = train_job(task, reward, **options)
    executor = LocalExecutor(get_backend(sandbox), [job.device], workers=1, threads=job.threads)
    ((_, result),) = list(executor.run([(job, out_dir)]))
    return result


__all__ = ["DISTRIBUTION", "__version__", "search", "train", "train_job"]
