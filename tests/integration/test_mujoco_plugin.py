"""The MuJoCo plugin (plugins/eureka-mujoco): its robots step as gymnasium's own envs do, their human rewards are
gymnasium's v5 rewards, and a task trains through the real sandbox."""

from __future__ import annotations

import gymnasium
import mujoco
import numpy as np
import pytest
import torch

import eureka
from eureka.plugins.manager import get_task
from eureka.sandbox.rewards import compile_reward

ROBOTS = {"ant": "Ant-v5", "humanoid": "Humanoid-v5", "half_cheetah": "HalfCheetah-v5", "hopper": "Hopper-v5"}
STEPS = 40


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("name", sorted(ROBOTS))
def test_states_and_rewards_equal_gymnasiums_for_the_same_actions(name, device):
    """Same start, same actions: every qpos and qvel equal to 1e-9 (the same MuJoCo calls in the same order, in
    float64: only the float32 rounding of the action, done on both sides, could differ), the human reward equal to
    gymnasium's to float32 precision (the state variables are float32), and the episode ends at the same step. On
    CUDA the physics stays on the CPU and the state variables are copied to the GPU."""
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    task = get_task(name)
    gym = gymnasium.make(ROBOTS[name]).unwrapped
    gym.reset(seed=0)
    env = task.make_env(1, device, compile_reward(task.human_reward_source, task), seed=0)
    data = env.datas[0]
    data.qpos[:], data.qvel[:] = gym.data.qpos, gym.data.qvel
    mujoco.mj_forward(env.model, data)  # as gymnasium's reset did
    env.s[0, -1] = env.x_position(data)
    rng = np.random.default_rng(1)
    for step in range(STEPS):
        action = rng.uniform(-1.0, 1.0, env.action_dim).astype(np.float32)  # as the policy sends it
        ctrl = env.ctrl_low + (action.astype(np.float64) + 1.0) / 2.0 * env.ctrl_span
        _, gym_reward, gym_terminated, _, _ = gym.step(ctrl)
        _, reward, done, _ = env.step(torch.from_numpy(action[None]).to(device))
        assert reward[0].item() == pytest.approx(gym_reward, rel=1e-4, abs=1e-4), step
        assert bool(done[0]) == gym_terminated, step
        if gym_terminated:  # our env has reset itself
            break
        np.testing.assert_allclose(data.qpos, gym.data.qpos, atol=1e-9, err_msg=f"qpos at step {step}")
        np.testing.assert_allclose(data.qvel, gym.data.qvel, atol=1e-9, err_msg=f"qvel at step {step}")
    assert step > 10, "the episode ended too soon to compare anything"


def test_a_robot_trains_in_the_sandbox(tmp_path):
    result = eureka.train("half_cheetah", "human", epochs=3, num_envs=16, out=tmp_path / "job")
    assert result.ok, result.error
    assert len(result.fitness_curve) == 3 and result.env_steps == 3 * 16 * 32
    assert {"forward", "control"} <= set(result.history[-1].components)
