"""Reward reflection: what a training run measured, as text for the model (the paper's feedback loop)."""

from __future__ import annotations

from eureka.agent.prompts import render, template
from eureka.envs.task import Task
from eureka.sandbox.protocol import EpisodeReturn, Result

#: values shown per curve; the paper samples about ten checkpoints over training
POINTS = 10
#: a component whose range over training is below this share of its magnitude "hardly changes"
FLAT_SHARE = 0.01
#: a component whose mean magnitude is this many times the next largest "dominates"
DOMINANT_RATIO = 10.0
#: a policy doing nothing whose return is at most this share of the trained policy's below it "is paid about as
#: much" (a pendulum reward of stillness terms, measured: 348 for doing nothing, 384 for the trained policy)
IDLE_GAP = 0.2


def sample(values: list[float], points: int = POINTS) -> list[float]:
    """At most ``points`` values, evenly spread, the last one included."""
    if len(values) <= points:
        return values
    step = (len(values) - 1) / (points - 1)
    return [values[round(i * step)] for i in range(points)]


def _fmt(values: list[float | None]) -> str:
    return "[" + ", ".join("-" if v is None else f"{v:.3g}" for v in values) + "]"


def statistics_text(result: Result, task: Task) -> str:
    """The fitness curve and each component's sampled means with their max/mean/min over training."""
    best = result.max_fitness
    lines = [
        f"fitness: {_fmt(sample(result.fitness_curve))}, max {best:.3g}"
        if best is not None
        else "fitness: no episode ended"
    ]
    for name in result.components[0] if result.components else {}:
        means = [epoch[name].mean for epoch in result.components if name in epoch]
        highs = [epoch[name].max for epoch in result.components if name in epoch]
        lows = [epoch[name].min for epoch in result.components if name in epoch]
        lines.append(
            f"{name}: {_fmt(sample(means))}, max {max(highs):.3g}, mean {sum(means) / len(means):.3g}, "
            f"min {min(lows):.3g}"
        )
    for who, collected in (("the trained policy", result.policy_return), ("actions all 0", result.idle_return)):
        if collected is not None:
            parts = ", ".join(f"{name} {value:.3g}" for name, value in collected.components.items())
            lines.append(f"mean return of an episode, {who}: {collected.total:.3g} ({parts})")
    return "\n".join(lines)


def paid_for_nothing(policy: EpisodeReturn, idle: EpisodeReturn) -> str | None:
    """A finding when a policy whose actions are all 0 collects about as much of the reward as the trained one,
    naming the two components that pay it most; None otherwise."""
    if policy.total - idle.total > IDLE_GAP * abs(policy.total):
        return None
    paying = sorted(
        (name for name, value in idle.components.items() if value > 0), key=idle.components.get, reverse=True
    )
    terms = f" (the terms that pay it most: {', '.join(repr(name) for name in paying[:2])})" if paying else ""
    than = "more than" if idle.total > policy.total else "about as much as"
    return (
        f"a policy whose actions are all 0 collects {idle.total:.3g} per episode, {than} the trained policy "
        f"({policy.total:.3g}): doing nothing is rewarded about as well as what was learned{terms}"
    )


def diagnostics(result: Result, task: Task) -> list[str]:
    """Plain findings about the run: flat components, a dominating component, fitness near zero, a reward that pays
    a policy for doing nothing as much as for what it learned."""
    findings = []
    if task.learned_nothing(result.max_fitness):
        findings.append("the fitness stayed near zero")
    unsolved = result.max_fitness is None or result.max_fitness < task.success_threshold
    if unsolved and result.policy_return is not None and result.idle_return is not None:
        # where the task was solved, doing nothing may pay per step too (an alive bonus) without having misled
        if idle := paid_for_nothing(result.policy_return, result.idle_return):
            findings.append(idle)
    magnitudes = {}
    for name in result.components[0] if result.components else {}:
        means = [epoch[name].mean for epoch in result.components if name in epoch]
        magnitudes[name] = sum(abs(m) for m in means) / len(means)
        if max(means) - min(means) <= FLAT_SHARE * max(magnitudes[name], 1e-8):
            findings.append(f"component {name!r} hardly changed during training")
    ranked = sorted(magnitudes.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) >= 2 and ranked[0][1] > DOMINANT_RATIO * max(ranked[1][1], 1e-8):
        findings.append(f"component {ranked[0][0]!r} is more than {DOMINANT_RATIO:g}x larger than every other")
    return findings


def reflection(result: Result, task: Task, metrics: dict[str, float] | None = None, correlation: bool = False) -> str:
    """The reflection on a trained candidate (whose code precedes it in the conversation): fitness and component
    statistics, the metrics plugins measured on the job, the correlation with the human reward if ``correlation``
    (and it was measured), and findings."""
    findings = diagnostics(result, task)
    tips = template("tips")
    if findings:
        tips += "In this run: " + "; ".join(findings) + ".\n"
    statistics = statistics_text(result, task)
    if metrics:
        statistics += "\n" + "\n".join(f"{name}: {value:.4g}" for name, value in metrics.items())
    if correlation and result.human_correlation is not None:
        statistics += f"\ncorrelation with the task author's reward on the same steps: {result.human_correlation:.2f}"
    return render(
        "reflection",
        points=str(min(POINTS, len(result.fitness_curve))),
        fitness_kind=task.fitness_kind.replace("_", " "),
        threshold=f"{task.success_threshold:g}",
        statistics=statistics,
        tips=tips,
    )
