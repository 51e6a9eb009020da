"""The MuJoCo plugin (plugins/eureka-mujoco): its robots step as gymnasium's own envs do, their human rewards are
gymnasium's v5 rewards, and a task trains through the real sandbox."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
import torch

import eureka
from eureka.envs.contract import NonFiniteRewardError
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
    CUDA this is the C engine with the state variables copied to the GPU (the Warp engine has its own test)."""
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    compare_with_gymnasium(name, device, "c", STEPS, atol=1e-9, reward_tolerance=1e-4)


#: Control steps the Warp engine is compared over. It is float32, and its constraint solver stops at its own
#: tolerance, so trajectories part where constraints switch on and then diverge as chaotic ones do. The Ant parts
#: at its second control step (qvel 0.07 off, then 0.8: its legs' contacts and joint limits engage at once; seen
#: with Euler's integrator too), so only its first step is compared; the other three agree to ~1e-5 for 10 steps.
WARP_STEPS = {"ant": 1, "humanoid": 10, "half_cheetah": 10, "hopper": 10}


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("name", sorted(ROBOTS))
def test_the_warp_engine_steps_as_gymnasium_does_within_float32(name, device):
    """MuJoCo Warp (the engine of CUDA jobs), here on Warp's CPU device too: the same start and actions give
    gymnasium's states and rewards to 1e-3 (absolute or relative) over the first steps. The Humanoid runs Newton's
    solver on Warp (gymnasium's model asks for PGS, which Warp lacks) and still agrees."""
    pytest.importorskip("mujoco_warp")
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    compare_with_gymnasium(name, device, "warp", WARP_STEPS[name], atol=1e-3, reward_tolerance=1e-3, rtol=1e-3)


def compare_with_gymnasium(
    name: str, device: str, engine: str, steps: int, atol: float, reward_tolerance: float, rtol: float = 1e-7
):
    """Step ``name`` on ``engine`` beside gymnasium's env from gymnasium's start with the same random actions."""
    task = get_task(name)
    gym = gymnasium.make(ROBOTS[name]).unwrapped
    gym.reset(seed=0)
    reward = compile_reward(task.human_reward_source, task)
    env = task.env_cls(num_envs=1, device=device, reward_fn=reward, seed=0, engine=engine, **task.env_kwargs)
    assert env.physics.name == engine
    env.physics.reset([0], gym.data.qpos[None], gym.data.qvel[None])  # as gymnasium's reset did
    env.s[0, -1] = env.x_position()[0]
    rng = np.random.default_rng(1)
    for step in range(steps):
        action = rng.uniform(-1.0, 1.0, env.action_dim).astype(np.float32)  # as the policy sends it
        ctrl = env.ctrl_low + (action.astype(np.float64) + 1.0) / 2.0 * env.ctrl_span
        _, gym_reward, gym_terminated, _, _ = gym.step(ctrl)
        _, ours, done, _ = env.step(torch.from_numpy(action[None]).to(device))
        assert ours[0].item() == pytest.approx(gym_reward, rel=reward_tolerance, abs=reward_tolerance), step
        assert bool(done[0]) == gym_terminated, step
        if gym_terminated:  # our env has reset itself
            break
        for field in ("qpos", "qvel"):
            ours_now = env.physics.read(field)[0].cpu().double().numpy()
            np.testing.assert_allclose(
                ours_now, getattr(gym.data, field), rtol=rtol, atol=atol, err_msg=f"{field} at {step}"
            )
    assert step >= min(steps - 1, 10), "the episode ended too soon to compare anything"


def test_a_robot_trains_in_the_sandbox(tmp_path):
    result = eureka.train("half_cheetah", "human", epochs=3, num_envs=16, out=tmp_path / "job")
    assert result.ok, result.error
    assert len(result.fitness_curve) == 3 and result.env_steps == 3 * 16 * 32
    assert {"forward", "control"} <= set(result.history[-1].components)


def test_an_unknown_robot_or_a_model_file_that_does_not_load_is_named():
    from eureka_mujoco.locomotion import load_model

    with pytest.raises(KeyError, match="unknown task 'antt'; known tasks: .*ant, .*humanoid"):
        get_task("antt")
    with pytest.raises(ValueError, match="Error opening file .*missing.xml"):
        load_model("missing.xml")


@pytest.mark.parametrize("name", sorted(ROBOTS))
def test_absurd_actions_are_clipped_and_a_nan_action_ends_as_a_non_finite_reward(name):
    """Actions beyond [-1, 1], infinite ones included, are clipped before they reach the physics, which stays
    finite. A NaN action (only a diverged policy writes one) reaches MuJoCo, which resets that simulation, but the
    controls it read are NaN, and so is a reward that charges for them: the job ends with the nonfinite_reward
    status naming the component and the step, never silently."""
    task = get_task(name)
    env = task.make_env(3, "cpu", compile_reward(task.human_reward_source, task), seed=0)
    actions = torch.zeros(3, env.action_dim)
    actions[0], actions[1], actions[2] = 1e30, -float("inf"), 0.5
    for _ in range(5):
        step, reward, _, _ = env.step(actions)
        assert torch.isfinite(step["obs"]).all() and torch.isfinite(reward).all()
    actions[0] = float("nan")
    with pytest.raises(NonFiniteRewardError, match="reward component 'control' is not finite"):
        env.step(actions)
