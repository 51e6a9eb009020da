"""The ``eureka`` command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from eureka.envs import RewardContractError, builtin_tasks, get_task
from eureka.envs.base import NonFiniteRewardError
from eureka.policies import EpochRecord
from eureka.policies import train as train_policy
from eureka.rewards import load_reward

app = typer.Typer(help="Eureka: reward design by coding LLMs, sandboxed and plugin-based.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2


def default_threads() -> int:
    """Torch threads for one training job: every core this process may use."""
    return len(os.sched_getaffinity(0))


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


@app.command()
def tasks() -> None:
    """List the available tasks."""
    table = Table("task", "fitness", "success at", "goal")
    for task in builtin_tasks().values():
        table.add_row(task.name, task.fitness_kind, f"{task.success_threshold:g}", task.goal)
    console.print(table)


@app.command()
def train(
    task: Annotated[str, typer.Option(help="Task name (see `eureka tasks`).")],
    reward: Annotated[str, typer.Option(help="'human', 'sparse' or a reward file defining compute_reward.")] = "human",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    epochs: Annotated[int | None, typer.Option(help="PPO epochs [default: the task's budget].")] = None,
    num_envs: Annotated[int | None, typer.Option(help="Parallel envs [default: the task's budget].")] = None,
    device: Annotated[str, typer.Option(help="Torch device: cpu, cuda, cuda:1, ...")] = "cpu",
    threads: Annotated[int | None, typer.Option(help="Torch threads [default: all usable cores].")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder [default: runs/train/<task>-<reward>-s<seed>].")
    ] = None,
    checkpoint: Annotated[Path | None, typer.Option(help="Fine-tune from this policy checkpoint.")] = None,
) -> None:
    """Train a PPO policy on a task with a reward; save the checkpoint and result.json."""
    try:
        spec = get_task(task)
    except KeyError as exc:
        raise _fail(exc.args[0]) from None
    budget = spec.budget.resized(epochs=epochs, num_envs=num_envs)
    try:
        reward_fn, label = load_reward(spec, reward, device)
    except RewardContractError as exc:
        raise _fail(f"the reward {reward!r} is not usable: {exc}") from None
    out_dir = out or Path("runs") / "train" / f"{task}-{Path(label).stem}-s{seed}"

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("epoch {task.completed:.0f}/{task.total:.0f}"),
        TextColumn("{task.fields[fps]} steps/s"),
        TextColumn("fitness {task.fields[fitness]}"),
        TimeElapsedColumn(),
        console=console,
    )
    bar = progress.add_task(f"{task} · {Path(label).stem}", total=budget.epochs, fps="-", fitness="-")

    def on_epoch(record: EpochRecord) -> None:
        fitness = "-" if record.fitness is None else f"{record.fitness:.3g}"
        fps = f"{record.env_steps / max(record.wall_time, 1e-9):,.0f}"
        progress.update(bar, completed=record.epoch, fps=fps, fitness=fitness)

    try:
        with progress:
            result = train_policy(
                spec,
                reward_fn,
                out_dir=out_dir,
                seed=seed,
                budget=budget,
                device=device,
                threads=threads or default_threads(),
                init_checkpoint=checkpoint,
                on_epoch=on_epoch,
            )
    except (RewardContractError, NonFiniteRewardError) as exc:
        raise _fail(f"training stopped: the reward broke its contract: {exc}") from None

    reached = result.first_epoch_reaching(spec.success_threshold)
    console.print(
        f"[bold]{task}[/] with the {label} reward: max fitness {result.max_fitness}, final fitness "
        f"{result.final_fitness} ({spec.fitness_kind}; success at {spec.success_threshold:g}), "
        f"{result.env_steps:,} env steps in {result.wall_time:.1f} s"
        + (f"; threshold reached at epoch {reached.epoch} ({reached.wall_time:.1f} s)" if reached else "")
    )
    console.print(f"result: {out_dir / 'result.json'}  checkpoint: {result.checkpoint}")
