"""The plugin: Eureka finds this module through the entry point ``mujoco`` of the group ``eureka``.

Budgets are sized for a few CPU cores (a few minutes of training); the thresholds are the distance a policy that
has learned to move forward covers in one episode, well below what long GPU trainings reach.
"""

from eureka.envs.task import PPOSettings, Task
from eureka.plugins import hookimpl
from eureka_mujoco import ant, half_cheetah, hopper, humanoid


def _budget(epochs: int, units: tuple[int, ...]) -> PPOSettings:
    return PPOSettings(num_envs=128, epochs=epochs, horizon=32, minibatch_size=1024, mini_epochs=5, units=units)


@hookimpl
def eureka_tasks() -> list[Task]:
    return [
        Task(
            name="ant",
            goal="Make the four-legged ant run forward (along +x) as fast as possible without falling over.",
            env_cls=ant.AntEnv,
            human_reward=ant.human_reward,
            draw=ant.draw,
            success_threshold=10.0,
            budget=_budget(300, (256, 128, 64)),
        ),
        Task(
            name="humanoid",
            goal="Make the humanoid run forward (along +x) as fast as possible without falling.",
            env_cls=humanoid.HumanoidEnv,
            human_reward=humanoid.human_reward,
            draw=humanoid.draw,
            success_threshold=5.0,
            budget=_budget(300, (256, 128, 64)),
        ),
        Task(
            name="half_cheetah",
            goal="Make the half cheetah run forward (along +x) as fast as possible.",
            env_cls=half_cheetah.HalfCheetahEnv,
            human_reward=half_cheetah.human_reward,
            draw=half_cheetah.draw,
            success_threshold=50.0,
            budget=_budget(200, (128, 64)),
        ),
        Task(
            name="hopper",
            goal="Make the one-legged hopper hop forward (along +x) as fast as possible without falling.",
            env_cls=hopper.HopperEnv,
            human_reward=hopper.human_reward,
            draw=hopper.draw,
            success_threshold=4.0,
            budget=_budget(200, (128, 64)),
        ),
    ]
