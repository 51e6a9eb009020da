"""Real PPO training: every task reaches its threshold with the human reward; the sparse reward does worse where
shaping matters (the gap Eureka is meant to close)."""

import os

import pytest
import torch

from eureka.envs import builtin_tasks
from eureka.policies import train
from eureka.policies.ppo import make_agent
from eureka.sandbox.rewards import compile_reward

TASKS = builtin_tasks()
THREADS = len(os.sched_getaffinity(0))
# The swing-up (pendulum) and the reaching tasks, at seed 0 with this machine's 2 threads (training is
# deterministic for a given seed and thread count). The sparse reward sometimes finds the pendulum's swing-up on
# other seeds, and finds the acrobot's line and the mountain car's flag by chance: benchmarks/RESULTS.md.
SPARSE_GAP_TASKS = ["pendulum", "quadrotor", "reacher"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train each (task, reward) once per test session, on the task's default budget."""
    cache = {}

    def get(name: str, reward: str):
        if (name, reward) not in cache:
            task = TASKS[name]
            source = task.human_reward_source if reward == "human" else task.sparse_reward_source
            out = tmp_path_factory.mktemp(f"{name}-{reward}")
            cache[name, reward] = (train(task, compile_reward(source, task), out_dir=out, threads=THREADS), out)
        return cache[name, reward]

    return get


@pytest.mark.parametrize("name", sorted(TASKS))
def test_human_reward_reaches_the_threshold(trained, name):
    result, out = trained(name, "human")
    task = TASKS[name]
    assert result.max_fitness is not None and result.max_fitness >= task.success_threshold, result.fitness_curve
    assert len(result.history) == task.budget.epochs and result.epochs == task.budget.epochs
    # policy.pth holds the policy that played the latest epoch of max fitness; last.pth the one training ended with
    best = max(r.epoch for r in result.history if r.fitness == result.max_fitness)
    assert result.checkpoint_epoch == best == torch.load(out / "policy.pth")["epoch"]
    assert torch.load(out / "last.pth")["epoch"] == result.history[-1].epoch
    assert any((out / "rl_games" / "summaries").iterdir()), "TensorBoard summaries are written"
    assert not (out / "result.json").exists()  # a sandboxed job's one result.json is the worker's
    components = result.history[-1].components
    assert set(components) == set(compile_reward(task.human_reward_source, task)(**_zeros(task))[1])
    for stats in components.values():
        assert stats.min <= stats.mean <= stats.max
    # the task author's reward pays the trained policy more than one that does nothing, from the same states
    policy, idle = result.policy_return, result.idle_return
    assert policy is not None and idle is not None and policy.total > idle.total, (policy, idle)
    assert set(policy.components) == set(idle.components) == set(components)


@pytest.mark.parametrize("name", SPARSE_GAP_TASKS)
def test_sparse_reward_scores_lower(trained, name):
    human, _ = trained(name, "human")
    sparse, _ = trained(name, "sparse")
    assert (sparse.max_fitness or 0.0) < human.max_fitness


def test_fine_tuning_starts_from_the_checkpoint(trained, tmp_path):
    """Curriculum: a policy fine-tuned from a trained checkpoint is good from its first finished episodes."""
    _, out = trained("cartpole", "human")
    task = TASKS["cartpole"]
    budget = task.budget.resized(epochs=40)  # cartpole episodes last up to 32 epochs of 16 steps
    resumed = train(
        task, task.human_reward, out_dir=tmp_path / "resumed", budget=budget, threads=THREADS,
        init_checkpoint=out / "policy.pth",
    )  # fmt: skip
    scratch = train(task, task.human_reward, out_dir=tmp_path / "scratch", budget=budget, threads=THREADS)

    def first(result):
        return next(f for f in result.fitness_curve if f is not None)

    assert first(resumed) > 5 * first(scratch), (resumed.fitness_curve[:40], scratch.fitness_curve[:5])


def _zeros(task):
    import torch

    env = task.make_env(2, "cpu", task.human_reward)
    state = env.state(torch.zeros(2, env.action_dim))
    return {name: state[name] for name in env.reward_args}


def test_a_constant_added_to_the_reward_changes_nothing_learned(tmp_path):
    """The pendulum's episodes end only at the time limit, so `5 - |angle|` ranks policies as `-|angle|` does; with
    the rewards centred PPO learns the swing-up from both (uncentred, the offset kept it from learning on two seeds
    of two: benchmarks/RESULTS.md)."""
    task = TASKS["pendulum"]
    for offset in ("0.0", "5.0"):
        source = (
            f"def compute_reward(pole_angle):\n    err = {offset} - torch.abs(pole_angle)\n    return err, {{'e': err}}"
        )
        result = train(task, compile_reward(source, task), out_dir=tmp_path / offset, threads=THREADS)
        assert result.max_fitness is not None and result.max_fitness >= task.success_threshold, (
            offset,
            result.fitness_curve,
        )


def test_the_checkpoint_keeps_the_policy_of_the_best_epoch(tmp_path):
    """A reward that teaches the task and then loses it: a bench's pendulum best aims at 0.75 rad and 1.5 rad/s,
    passing through the success band on the way (max fitness 0.84, final 0.06 on seed 0). The checkpoint the
    search, the report and fine-tuning read is the policy of the max, not the last."""
    task = TASKS["pendulum"]
    code = """def compute_reward(pole_angle, pole_angular_velocity):
    error = torch.abs(torch.abs(pole_angle) - 0.75) * 100.0 + torch.abs(torch.abs(pole_angular_velocity) - 1.5) * 50.0
    return -error, {"error": -error}
"""
    result = train(task, compile_reward(code, task), out_dir=tmp_path, threads=THREADS)
    assert result.max_fitness > 2 * result.final_fitness + 0.2, result.fitness_curve  # it peaked and fell
    best, last = _fitness(task, tmp_path / "policy.pth"), _fitness(task, tmp_path / "last.pth")
    assert best > last + 0.2, (best, last, result.fitness_curve)


def _fitness(task, checkpoint) -> float:
    """The task's fitness of one episode of each of 64 envs, the policy acting deterministically."""
    env = task.make_env(64, "cpu", compile_reward(task.sparse_reward_source, task), seed=1)
    agent = make_agent(task, env, task.budget.resized(num_envs=64), 1, "cpu", 1, checkpoint.parent / "act")
    agent.restore(str(checkpoint), set_epoch=False)
    obs = env.reset()["obs"]
    with torch.no_grad():
        for _ in range(env.max_episode_steps):
            obs = env.step(agent.get_action_values({"obs": obs})["mus"].clamp(-1.0, 1.0))[0]["obs"]
    stats = env.pop_stats()
    return float(stats.fitness_sum) / float(stats.episodes)
