"""Simulation and PPO throughput per task, and time-to-threshold with the human and the sparse reward.

Usage: ``python benchmarks/bench_training.py [--tasks a,b] [--seeds 1] [--sim-only]``; prints Markdown tables
for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from eureka.envs import builtin_tasks
from eureka.policies import train
from eureka.sandbox.rewards import compile_reward

SIM_ENVS = 4096
SIM_STEPS = 200


def sim_steps_per_second(task, with_reward: bool) -> float:
    """Batched env steps/s at 4096 envs: physics alone, or the whole step with the human reward."""
    env = task.make_env(SIM_ENVS, "cpu", task.human_reward, seed=0)
    actions = torch.rand(SIM_ENVS, env.action_dim, generator=env.generator) * 2 - 1
    step = env.step if with_reward else env.physics_step
    for _ in range(10):
        step(actions)
    start = time.perf_counter()
    for _ in range(SIM_STEPS):
        step(actions)
    return SIM_STEPS * SIM_ENVS / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", default="all")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--sim-only", action="store_true")
    args = parser.parse_args()
    tasks = builtin_tasks()
    names = sorted(tasks) if args.tasks == "all" else args.tasks.split(",")
    threads = len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    print(f"machine: {platform.processor() or platform.machine()}, {threads} threads, torch {torch.__version__}\n")

    print("| task | physics steps/s (4096 envs) | env steps/s with human reward |")
    print("|---|---|---|")
    for name in names:
        physics, full = sim_steps_per_second(tasks[name], False), sim_steps_per_second(tasks[name], True)
        print(f"| {name} | {physics / 1e6:.2f} M | {full / 1e6:.2f} M |")
    if args.sim_only:
        return

    print("\n| task | reward | threshold | max fitness | reached at epoch | wall s to threshold | PPO steps/s |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        task = tasks[name]
        for label, source in (("human", task.human_reward_source), ("sparse", task.sparse_reward_source)):
            for seed in range(args.seeds):
                with tempfile.TemporaryDirectory() as tmp:
                    result = train(task, compile_reward(source, task), out_dir=Path(tmp), seed=seed, threads=threads)
                hit = result.first_epoch_reaching(task.success_threshold)
                best = "-" if result.max_fitness is None else f"{result.max_fitness:.3g}"
                print(
                    f"| {name} | {label} | {task.success_threshold:g} | {best} | "
                    f"{hit.epoch if hit else f'not in {result.epochs}'} | "
                    f"{f'{hit.wall_time:.1f}' if hit else f'> {result.wall_time:.1f}'} | "
                    f"{result.env_steps / result.wall_time:,.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
