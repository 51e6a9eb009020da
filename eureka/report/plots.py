"""The report's pictures: fitness over the search, reward components over training, the final comparison, and an
animation of a policy (matplotlib, drawn off-screen)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and in sandboxes

import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend
import torch  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from eureka.agent.state import Candidate, FinalScore, Stage  # noqa: E402
from eureka.envs.task import Task  # noqa: E402

#: at most this many frames per animation (longer episodes are subsampled)
MAX_FRAMES = 120
FPS = 20
COLOURS = {"eureka": "tab:blue", "human": "tab:orange", "sparse": "tab:grey"}


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG and free it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def fitness_figure(candidates: list[Candidate], task: Task) -> Figure:
    """Each candidate's max fitness by iteration (failed ones at the bottom), and the best so far."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    trained = [c for c in candidates if c.stage is Stage.TRAINED and c.fitness is not None]
    failed = [c for c in candidates if c not in trained]
    ax.scatter([c.iteration for c in trained], [c.fitness for c in trained], label="candidate", alpha=0.7)
    if failed:
        ax.scatter([c.iteration for c in failed], [0.0] * len(failed), marker="x", color="tab:red", label="failed")
    best, line = float("-inf"), []
    for iteration in sorted({c.iteration for c in candidates}):
        scores = [c.fitness for c in trained if c.iteration == iteration]
        best = max([best, *scores])
        line.append((iteration, best if best > float("-inf") else None))
    shown = [(i, b) for i, b in line if b is not None]
    if shown:
        ax.plot(*zip(*shown, strict=True), color="tab:blue", label="best so far")
    ax.axhline(task.success_threshold, color="tab:green", ls="--", label="solved")
    ax.set(xlabel="iteration", ylabel=f"max fitness ({task.fitness_kind.replace('_', ' ')})")
    ax.set_xticks(sorted({c.iteration for c in candidates}) or [0])
    ax.legend(fontsize="small")
    return fig


def components_figure(candidate: Candidate, task: Task) -> Figure:
    """The candidate's reward components (mean per epoch) and its fitness over training."""
    assert candidate.result is not None
    result = candidate.result
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name in result.components[0] if result.components else {}:
        ax.plot([epoch[name].mean for epoch in result.components if name in epoch], label=name)
    ax.set(xlabel="epoch", ylabel="component mean", title=candidate.id)
    fitness_axis = ax.twinx()
    epochs = [i for i, f in enumerate(result.fitness_curve) if f is not None]
    fitness_axis.plot(epochs, [result.fitness_curve[i] for i in epochs], color="black", ls=":", label="fitness")
    fitness_axis.set_ylabel("fitness")
    ax.legend(fontsize="small", loc="upper left")
    return fig


def final_figure(finals: dict[str, FinalScore], task: Task) -> Figure:
    """Mean max fitness over seeds, with the standard deviation, for the Eureka, human and sparse rewards."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    labels = list(finals)
    ax.bar(
        labels,
        [finals[label].mean for label in labels],
        yerr=[finals[label].std for label in labels],
        color=[COLOURS.get(label, "tab:purple") for label in labels],
        capsize=6,
    )
    ax.axhline(task.success_threshold, color="tab:green", ls="--")
    ax.set(ylabel="max fitness", title=f"{len(next(iter(finals.values())).seeds)} seeds")
    return fig


def rollout_gif(task: Task, states: torch.Tensor, path: Path) -> Path:
    """An animated GIF of ``states`` (``(steps, state_dim)``) drawn by the task's ``draw``."""
    assert task.draw is not None
    stride = max(1, -(-len(states) // MAX_FRAMES))
    frames = states[::stride]
    fig, ax = plt.subplots(figsize=(4, 3))

    def show(i: int) -> None:
        ax.clear()
        task.draw(ax, frames[i])
        ax.set_title(f"{task.name}, step {i * stride}", fontsize="small")

    path.parent.mkdir(parents=True, exist_ok=True)
    FuncAnimation(fig, show, frames=len(frames)).save(path, writer=PillowWriter(fps=FPS))
    plt.close(fig)
    return path
