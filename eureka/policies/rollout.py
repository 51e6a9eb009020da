"""Acting with a trained policy: one episode of physical states, for animations of the policy moving."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import torch

from eureka.envs.task import Task
from eureka.policies.ppo import make_agent
from eureka.sandbox.rewards import compile_reward

#: rl_games' minibatch must divide horizon x envs; a handful of envs is plenty to act with
ROLLOUT_ENVS = 8


def rollout(task: Task, checkpoint: Path, seed: int = 0, device: str = "cpu") -> torch.Tensor:
    """The physical states of env 0 over one episode of the policy in ``checkpoint``, acting deterministically.

    The checkpoint is loaded with ``torch.load``'s default ``weights_only`` (tensors only, no pickled code). No
    candidate code runs here: the env is stepped with the sparse reward, whose value the policy never sees.

    Returns:
        ``(steps + 1, state_dim)``: the first state, then one row per step until the episode ends.
    """
    budget = task.budget.resized(num_envs=ROLLOUT_ENVS)
    env = task.make_env(ROLLOUT_ENVS, device, compile_reward(task.sparse_reward_source, task), seed)
    with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
        agent = make_agent(task, env, budget, seed, device, threads=1, out_dir=Path(scratch))
        agent.restore(str(checkpoint), set_epoch=False)
        states = [env.s[0].clone()]
        obs = env.reset()["obs"]
        for _ in range(env.max_episode_steps):
            actions = agent.get_action_values({"obs": obs})["mus"].clamp(-1.0, 1.0)
            obs_dict, _, dones, _ = env.step(actions)
            obs = obs_dict["obs"]
            if dones[0]:
                break  # env 0 was reset; its last state before the reset is not kept
            states.append(env.s[0].clone())
    return torch.stack(states).cpu()
