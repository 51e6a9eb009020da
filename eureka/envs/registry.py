"""The built-in tasks: one entry each, with its goal, success threshold and default budget."""

from eureka.envs import acrobot, cartpole, mountain_car, pendulum, quadrotor, reacher
from eureka.envs.task import PPOSettings, Task


def builtin_tasks() -> dict[str, Task]:
    """Every built-in task by name. Budgets are sized for a 2-core CPU; raise ``epochs`` on a GPU."""
    tasks = [
        Task(
            name="cartpole",
            goal="Balance the pole upright on the cart for as long as possible without leaving the track.",
            env_cls=cartpole.CartpoleEnv,
            human_reward=cartpole.human_reward,
            draw=cartpole.draw,
            success_threshold=475.0,
            budget=PPOSettings(num_envs=512, epochs=60, horizon=16, minibatch_size=8192, mini_epochs=8, units=(32, 32)),
        ),
        Task(
            name="pendulum",
            goal="Swing the pendulum up from hanging and hold it inverted and still.",
            env_cls=pendulum.PendulumEnv,
            human_reward=pendulum.human_reward,
            draw=pendulum.draw,
            success_threshold=0.9,
            budget=PPOSettings(num_envs=1024, epochs=100, horizon=32),
        ),
        Task(
            name="acrobot",
            goal="Swing the two-link acrobot so that its tip rises above the goal line as quickly as possible.",
            env_cls=acrobot.AcrobotEnv,
            human_reward=acrobot.human_reward,
            draw=acrobot.draw,
            success_threshold=0.9,
            budget=PPOSettings(num_envs=1024, epochs=80, horizon=32),
        ),
        Task(
            name="mountain_car",
            goal="Drive the under-powered car out of the valley to the flag on the right hilltop.",
            env_cls=mountain_car.MountainCarEnv,
            human_reward=mountain_car.human_reward,
            draw=mountain_car.draw,
            success_threshold=0.9,
            budget=PPOSettings(num_envs=1024, epochs=60, horizon=32),
        ),
        Task(
            name="quadrotor",
            goal="Fly the planar quadrotor to the target point and hover there without crashing.",
            env_cls=quadrotor.QuadrotorEnv,
            human_reward=quadrotor.human_reward,
            draw=quadrotor.draw,
            success_threshold=0.8,
            budget=PPOSettings(num_envs=1024, epochs=60, horizon=32, units=(128, 64)),
        ),
        Task(
            name="reacher",
            goal="Move the arm's fingertip to the target and stop there.",
            env_cls=reacher.ReacherEnv,
            human_reward=reacher.human_reward,
            draw=reacher.draw,
            success_threshold=0.8,
            budget=PPOSettings(num_envs=1024, epochs=100, horizon=32, units=(128, 64)),
        ),
    ]
    return {task.name: task for task in tasks}
