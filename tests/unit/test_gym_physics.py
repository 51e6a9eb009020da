"""Our batched physics against gymnasium's reference implementations, from identical states and actions.

The comparison runs our step in float64, as gymnasium does, so that it checks the equations to 1e-5 rather than
float32 rounding (which reaches ~1e-5 on acrobot's 9 pi rad/s elbow after an RK4 step).
"""

import gymnasium as gym
import numpy as np
import pytest
import torch

from eureka.plugins.manager import get_task

N = 64
STEPS = 20
TOL = 1e-5


def _zero_reward(success):
    return success * 0, {"zero": success * 0}


def _env(task_name: str):
    return get_task(task_name).make_env(N, "cpu", _zero_reward, seed=0)


def _compare(task_name: str, gym_id: str, states: np.ndarray, actions: np.ndarray, gym_action, **make_kwargs):
    """Step each of our N envs and a gymnasium env from the same state with the same action; compare."""
    env = _env(task_name)
    reference = gym.make(gym_id, **make_kwargs).unwrapped
    reference.reset(seed=0)
    for step in range(STEPS):
        env.s = torch.tensor(states[step], dtype=torch.float64)
        env.physics_step(torch.tensor(actions[step], dtype=torch.float64))
        ours = env.s.numpy()
        for i in range(N):
            reference.state = states[step, i].copy()
            if hasattr(reference, "steps_beyond_terminated"):
                reference.steps_beyond_terminated = None  # we step from arbitrary states, fallen or not
            reference.step(gym_action(actions[step, i]))
            np.testing.assert_allclose(ours[i, : len(reference.state)], reference.state, atol=TOL, rtol=0)


def _states(rng: np.random.Generator, low, high) -> np.ndarray:
    return rng.uniform(low, high, size=(STEPS, N, len(low)))


def test_cartpole_matches_gymnasium():
    rng = np.random.default_rng(0)
    states = _states(rng, [-2.0, -2.0, -0.2, -2.0], [2.0, 2.0, 0.2, 2.0])
    pushes = rng.integers(0, 2, size=(STEPS, N, 1))
    # gymnasium pushes with -10 N (action 0) or +10 N (action 1); ours takes the force / 10 N in [-1, 1].
    _compare("cartpole", "CartPole-v1", states, pushes * 2.0 - 1.0, lambda a: int(a[0] > 0))


def test_pendulum_matches_gymnasium():
    rng = np.random.default_rng(1)
    states = _states(rng, [-np.pi, -8.0], [np.pi, 8.0])
    actions = rng.uniform(-1, 1, size=(STEPS, N, 1))
    _compare("pendulum", "Pendulum-v1", states, actions, lambda a: np.array([2.0 * a[0]]))


def test_acrobot_matches_gymnasium():
    rng = np.random.default_rng(2)
    states = _states(rng, [-np.pi, -np.pi, -4 * np.pi, -9 * np.pi], [np.pi, np.pi, 4 * np.pi, 9 * np.pi])
    discrete = rng.integers(0, 3, size=(STEPS, N, 1))  # gymnasium's torques -1, 0, +1
    _compare("acrobot", "Acrobot-v1", states, discrete - 1.0, lambda a: int(round(a[0])) + 1)


def test_mountain_car_matches_gymnasium():
    rng = np.random.default_rng(3)
    states = _states(rng, [-1.2, -0.07], [0.6, 0.07])
    states[:, : N // 8, 0] = -1.2  # on the left wall, where the velocity is zeroed
    actions = rng.uniform(-1, 1, size=(STEPS, N, 1))
    _compare("mountain_car", "MountainCarContinuous-v0", states, actions, lambda a: np.array(a))


@pytest.mark.parametrize("task_name", ["cartpole", "acrobot", "mountain_car"])
def test_termination_matches_gymnasium(task_name):
    """Our success/failure condition ends an episode exactly when gymnasium's `terminated` does."""
    gym_id = {"cartpole": "CartPole-v1", "acrobot": "Acrobot-v1", "mountain_car": "MountainCarContinuous-v0"}
    rng = np.random.default_rng(4)
    low, high = {
        "cartpole": ([-2.6, -1, -0.25, -1], [2.6, 1, 0.25, 1]),
        "acrobot": ([-np.pi, -np.pi, -1, -1], [np.pi, np.pi, 1, 1]),
        "mountain_car": ([0.3, -0.07], [0.6, 0.07]),
    }[task_name]
    env = _env(task_name)
    reference = gym.make(gym_id[task_name]).unwrapped
    reference.reset(seed=0)
    states = _states(rng, low, high)[0]
    env.s = torch.tensor(states, dtype=torch.float32)
    ours = env.terminated(env.state(torch.zeros(N, env.action_dim))).numpy()
    for i in range(N):
        reference.state = states[i]
        if task_name == "cartpole":
            expected = bool(abs(states[i, 0]) > 2.4 or abs(states[i, 2]) > 12 * 2 * np.pi / 360)
        elif task_name == "acrobot":
            expected = reference._terminal()
        else:
            expected = bool(states[i, 0] >= 0.45 and states[i, 1] >= 0)
        assert ours[i] == expected, (task_name, states[i])
