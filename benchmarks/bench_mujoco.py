"""The MuJoCo plugin's robots: env steps per second on the CPU, beside gymnasium's own vector env.

An env step is one control step of every env (``frame_skip`` physics steps each) with the human reward computed,
counted per env: ``num_envs x steps / seconds``. Ours steps with ``torch.get_num_threads()`` threads (set by
``--threads``); gymnasium's ``SyncVectorEnv`` steps its envs one after another in Python. gymnasium is measured
at the sizes whose envs fit in ``GYM_MAX_ENVS`` (each of its envs compiles its own model).

``--engine warp`` measures the MuJoCo Warp engine instead (on Warp's CPU device here; on a GPU with ``--device
cuda``), without gymnasium beside it.

Usage: ``python benchmarks/bench_mujoco.py [--threads 2] [--engine c|warp] [--device cpu|cuda]``; prints a Markdown
table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import time

import gymnasium
import numpy as np
import torch

from eureka.plugins.manager import get_task
from eureka.sandbox.rewards import compile_reward

ROBOTS = {"ant": "Ant-v5", "humanoid": "Humanoid-v5", "half_cheetah": "HalfCheetah-v5", "hopper": "Hopper-v5"}
SIZES = (256, 1024, 4096)
GYM_MAX_ENVS = 1024
MIN_SECONDS = 3.0


def _rate(step, num_envs: int) -> float:
    step()  # warm-up
    steps, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < MIN_SECONDS or steps < 2:
        step()
        steps += 1
    return num_envs * steps / elapsed


def ours(name: str, num_envs: int, engine: str = "c", device: str = "cpu") -> float:
    task = get_task(name)
    reward = compile_reward(task.human_reward_source, task)
    env = task.env_cls(num_envs=num_envs, device=device, reward_fn=reward, engine=engine, **task.env_kwargs)
    generator = torch.Generator().manual_seed(0)
    return _rate(
        lambda: env.step((torch.rand(num_envs, env.action_dim, generator=generator) * 2 - 1).to(device)), num_envs
    )


def gym(name: str, num_envs: int) -> float:
    envs = gymnasium.make_vec(ROBOTS[name], num_envs=num_envs, vectorization_mode="sync")
    envs.reset(seed=0)
    rng = np.random.default_rng(0)
    try:
        return _rate(lambda: envs.step(rng.uniform(-0.4, 0.4, envs.action_space.shape)), num_envs)
    finally:
        envs.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--engine", choices=("c", "warp"), default="c")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = [int(n) for n in args.sizes.split(",")]
    if args.engine == "warp":
        print(f"\n| robot | envs | eureka-mujoco, MuJoCo Warp on {args.device} (env steps/s) |\n|---|---|---|")
        for name in ROBOTS:
            for size in sizes:
                print(f"| {name} | {size} | {ours(name, size, 'warp', args.device):,.0f} |", flush=True)
        return
    print(
        f"\n| robot | envs | eureka-mujoco, {args.threads} threads (env steps/s) | gymnasium SyncVectorEnv "
        "(env steps/s) |"
    )
    print("|---|---|---|---|")
    for name in ROBOTS:
        for size in sizes:
            theirs = f"{gym(name, size):,.0f}" if size <= GYM_MAX_ENVS else "not measured"
            print(f"| {name} | {size} | {ours(name, size):,.0f} | {theirs} |", flush=True)


if __name__ == "__main__":
    main()
