"""The plugin: Eureka finds this module through the entry point ``example`` of the group ``eureka``."""

from eureka.agent.state import Candidate
from eureka.config import RunConfig
from eureka.envs.task import PPOSettings, Task
from eureka.plugins import hookimpl
from eureka.sandbox.protocol import Result
from eureka_plugin_example import slider

#: final fitness below this share of the best counts as forgetting
FORGOTTEN_SHARE = 0.5


@hookimpl
def eureka_tasks() -> list[Task]:
    return [
        Task(
            name="slider",
            goal="Push the block along the rail to the target and stop it there.",
            env_cls=slider.SliderEnv,
            human_reward=slider.human_reward,
            draw=slider.draw,
            success_threshold=0.8,
            budget=PPOSettings(num_envs=512, epochs=40, horizon=32, minibatch_size=8192, mini_epochs=4, units=(32, 32)),
        )
    ]


@hookimpl
def eureka_metrics(task: Task, result: Result) -> dict[str, float] | None:
    """The first epoch (counted from 1) whose fitness reached the task's success threshold."""
    for epoch, fitness in enumerate(result.fitness_curve, start=1):
        if fitness is not None and fitness >= task.success_threshold:
            return {"epochs_to_threshold": float(epoch)}
    return {"epochs_to_threshold": float("nan")}


@hookimpl
def eureka_feedback(task: Task, candidate: Candidate, metrics: dict[str, float], config: RunConfig) -> str | None:
    """Say so when the policy ended far below its own best: the reward lets it unlearn the task."""
    result = candidate.result
    if result is None or not result.max_fitness or result.final_fitness is None:
        return None
    if result.final_fitness < FORGOTTEN_SHARE * result.max_fitness:
        return (
            f"The policy reached fitness {result.max_fitness:.3g} but ended at {result.final_fitness:.3g}: "
            "something in the reward pays for leaving the goal. Make staying at the goal the best thing to do."
        )
    return None
