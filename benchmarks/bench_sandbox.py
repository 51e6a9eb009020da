"""Sandbox costs: start latency, restricted vs plain reward calls, training throughput inside vs outside.

Usage: ``python benchmarks/bench_sandbox.py``; prints Markdown tables for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from eureka.plugins.manager import get_task
from eureka.policies import train
from eureka.sandbox.backends import ProcessBackend
from eureka.sandbox.protocol import Job
from eureka.sandbox.rewards import compile_reward

REPEATS = 5
CALLS = 500
ROUNDS = 7


def _median_seconds(command: list[str]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def start_latency() -> None:
    bwrap = ["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--"]
    python = [sys.executable, "-c", "pass"]
    print("| what starts | median of 5 |")
    print("|---|---|")
    print(f"| bwrap + /bin/true | {_median_seconds([*bwrap, 'true']) * 1e3:.1f} ms |")
    print(f"| python, bare | {_median_seconds(python) * 1e3:.1f} ms |")
    print(f"| python in bwrap | {_median_seconds([*bwrap, *python]) * 1e3:.1f} ms |")
    task = get_task("cartpole")
    for label, backend in (
        ("sandboxed", ProcessBackend()),
        ("unsandboxed (--unsafe-no-sandbox)", ProcessBackend(True)),
    ):
        times = []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(REPEATS):
                job = Job(job_id=f"c{i}", task="cartpole", reward_code=task.human_reward_source, check_only=True)
                start = time.perf_counter()
                assert backend.run(job, Path(tmp) / job.job_id).ok
                times.append(time.perf_counter() - start)
        print(f"| check job (imports torch, compiles, dry-runs), {label} | {statistics.median(times):.2f} s |")


def reward_overhead() -> None:
    task = get_task("cartpole")
    restricted = compile_reward(task.human_reward_source, task)
    print("\n| envs | plain reward | restricted reward | overhead |")
    print("|---|---|---|---|")
    for n in (4096, 65536):
        env = task.make_env(n, "cpu", task.human_reward, seed=0)
        state = env.state(torch.zeros(n, 1))
        kwargs = {name: state[name] for name in env.reward_args}
        timings = []
        for fn in (task.human_reward, restricted):
            for _ in range(100):
                fn(**kwargs)
            rounds = []
            for _ in range(ROUNDS):  # the best of several rounds: frequency scaling and other load only add time
                start = time.perf_counter()
                for _ in range(CALLS):
                    fn(**kwargs)
                rounds.append((time.perf_counter() - start) / CALLS)
            timings.append(min(rounds))
        plain, guarded = timings
        print(f"| {n} | {plain * 1e6:.1f} µs | {guarded * 1e6:.1f} µs | {100 * (guarded / plain - 1):+.0f}% |")


def training_inside_vs_outside(epochs: int = 60) -> None:
    task = get_task("cartpole")
    budget = task.budget.resized(epochs=epochs)
    with tempfile.TemporaryDirectory() as tmp:
        outside = train(task, compile_reward(task.human_reward_source, task), out_dir=Path(tmp) / "o", budget=budget)
        job = Job(job_id="in", task="cartpole", reward_code=task.human_reward_source, epochs=epochs, threads=1)
        start = time.perf_counter()
        inside = ProcessBackend().run(job, Path(tmp) / "in")
        total = time.perf_counter() - start
        last_epoch = inside.history[-1]  # its wall time counts from the training's start
    # Both rates count the same thing: PPO training (rollouts + updates), set-up excluded.
    out_rate = outside.env_steps / outside.wall_time
    in_rate = last_epoch.env_steps / last_epoch.wall_time
    print(f"\n| cartpole, {epochs} epochs, 1 thread | env steps/s |")
    print("|---|---|")
    print(f"| in-process training | {out_rate:,.0f} |")
    print(f"| in the process sandbox | {in_rate:,.0f} ({100 * (in_rate / out_rate - 1):+.1f}%) |")
    print(f"| in the process sandbox, whole job incl. start-up ({total:.1f} s) | {inside.env_steps / total:,.0f} |")


if __name__ == "__main__":
    torch.set_num_threads(1)
    start_latency()
    reward_overhead()
    training_inside_vs_outside()
