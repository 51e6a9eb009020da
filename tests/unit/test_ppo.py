"""What PPO sees of an env's rewards."""

import torch

from eureka.envs import builtin_tasks
from eureka.policies.ppo import _VecEnv
from eureka.sandbox.rewards import compile_reward

TASKS = builtin_tasks()
OFFSET_REWARD = "def compute_reward(success):\n    paid = success + 5.0\n    return paid, {'paid': paid}\n"


def _rewards(name: str, center: bool) -> torch.Tensor:
    task = TASKS[name]
    env = task.make_env(64, "cpu", compile_reward(OFFSET_REWARD, task))
    vec = _VecEnv(env, center_rewards=center)
    return torch.stack([vec.step(torch.zeros(64, env.action_dim))[1] for _ in range(30)])


def test_rewards_are_centred_where_episodes_end_only_at_the_time_limit():
    # the pendulum never ends an episode early: the constant 5 comes out, what varies stays
    centred = _rewards("pendulum", center=True)
    assert centred.abs().max() < 0.5
    assert (_rewards("pendulum", center=False) >= 5.0).all()


def test_rewards_are_kept_where_an_episode_can_end_early():
    # the cartpole ends when the pole falls: a positive reward per step is what makes staying up pay
    assert (_rewards("cartpole", center=True) >= 5.0).all()
