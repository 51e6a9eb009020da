"""The task contract, checked for every registered task."""

import ast
import functools
import inspect

import pytest
import torch

from eureka.envs import builtin_tasks
from eureka.envs.contract import reward_parameters
from eureka.envs.task import CONTEXT_END_MARKER
from eureka.sandbox.rewards import compile_reward, dry_run

TASKS = builtin_tasks()
N = 32


@pytest.fixture(params=sorted(TASKS))
def task(request):
    return TASKS[request.param]


def _step(env, steps: int = 5):
    out = None
    for _ in range(steps):
        out = env.step(torch.rand(env.num_envs, env.action_dim, generator=env.generator) * 2 - 1)
    return out


def test_step_shapes_and_state_layout(task):
    env = task.make_env(N, "cpu", task.human_reward, seed=0)
    obs, reward, done, info = _step(env)
    assert obs["obs"].shape == (N, env.obs_dim) and obs["obs"].dtype == torch.float32
    assert reward.shape == (N,) and torch.isfinite(reward).all()
    assert done.shape == (N,) and done.dtype == torch.bool
    assert info["time_outs"].shape == (N,)
    state = env.state(torch.zeros(N, env.action_dim))
    assert set(state) == set(task.state_vars)
    for name, var in task.state_vars.items():
        assert state[name].shape == (N, *var.shape), name
    assert "success" in task.state_vars, "the sparse reward reads `success`"


def test_human_reward_components_are_named_terms(task):
    """Human reward = sum of its components; the component names equal the scale names in its source."""
    env = task.make_env(N, "cpu", task.human_reward, seed=0)
    state = env.state(torch.zeros(N, env.action_dim))
    total, components = task.human_reward(**{name: state[name] for name in env.reward_args})
    torch.testing.assert_close(total, sum(components.values()))
    scales = next(
        node.value
        for node in ast.walk(ast.parse(task.human_reward_source))
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "scales"
    )
    assert set(components) == {key.value for key in scales.keys}


def test_context_hides_the_human_reward_and_shows_the_physics(task):
    context = task.context_source
    assert "human_reward" not in context and CONTEXT_END_MARKER not in context
    assert "def physics_step" in context and "def state(" in context
    for name in task.state_vars:
        assert f'"{name}"' in context, name


def test_human_and_sparse_sources_stand_alone(task):
    for source in (task.human_reward_source, task.sparse_reward_source):
        fn = compile_reward(source, task)
        components = dry_run(fn, task)
        assert components


def test_seeded_and_reproducible(task):
    def rollout(seed):
        env = task.make_env(N, "cpu", task.human_reward, seed=seed)
        torch.manual_seed(123)
        rewards = [env.step(torch.rand(N, env.action_dim) * 2 - 1)[1] for _ in range(10)]
        return torch.stack(rewards)

    torch.testing.assert_close(rollout(1), rollout(1))
    assert not torch.equal(rollout(1), rollout(2))


def test_correlation_with_a_reference_reward_is_pearson_over_every_step(task):
    seen = []

    @functools.wraps(task.human_reward)
    def squared(**state):  # a reference that is not an affine map of the reward, recorded as computed
        total, components = task.human_reward(**state)
        seen.append(total**2)
        return total**2, components

    @functools.wraps(task.human_reward)
    def negated(**state):
        total, components = task.human_reward(**state)
        return -3.0 * total + 1.0, components

    env = task.make_env(N, "cpu", task.human_reward, seed=0)
    env.compare_with(squared)
    assert env.correlation() is None  # before two steps
    rewards = [_step(env, 1)[1] for _ in range(20)]
    expected = torch.corrcoef(torch.stack([torch.cat(rewards), torch.cat(seen)]).double())[0, 1].item()
    assert env.correlation() == pytest.approx(expected, abs=1e-6)

    env = task.make_env(N, "cpu", negated, seed=0)
    assert env.correlation() is None  # no reference
    env.compare_with(task.human_reward)
    _step(env, 20)
    assert env.correlation() == pytest.approx(-1.0, abs=1e-6)


def test_episodes_auto_reset_at_the_time_limit(task):
    env = task.make_env(4, "cpu", task.human_reward, seed=0)
    for _ in range(env.max_episode_steps):
        _, _, done, _ = env.step(torch.zeros(4, env.action_dim))
    assert env.pop_stats().episodes >= 4  # every env ended at least one episode
    assert (env.progress < env.max_episode_steps).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_cuda(task):
    env = task.make_env(N, "cuda", task.human_reward, seed=0)
    obs, reward, _, _ = _step(env)
    assert obs["obs"].is_cuda and reward.is_cuda


def _vandal(task):
    """A reward that computes the human reward, then writes into every state tensor it was given, in place."""
    names = list(task.state_vars)

    def reward(**state):
        total, components = task.human_reward(
            **{n: state[n] for n in reward_parameters(task.human_reward, task.state_vars)}
        )
        for value in state.values():
            value.mul_(0).add_(1e30)  # zeroed, then a "success" of 1e30 everywhere
        return total, components

    reward.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )
    return reward


def test_in_place_writes_in_a_reward_change_neither_the_simulation_nor_the_fitness(task):
    """Same seed and actions: a reward that vandalises its inputs gives the same trajectory, dones, fitness and
    rewards as the honest reward it computes first."""
    honest = task.make_env(N, "cpu", task.human_reward, seed=3)
    vandal = task.make_env(N, "cpu", _vandal(task), seed=3)
    actions = torch.Generator().manual_seed(0)
    for _ in range(3 * 50):
        a = torch.rand(N, honest.action_dim, generator=actions) * 2 - 1
        out_h, out_v = honest.step(a), vandal.step(a)
        torch.testing.assert_close(out_v[0]["obs"], out_h[0]["obs"], rtol=0, atol=0)
        torch.testing.assert_close(out_v[1], out_h[1], rtol=0, atol=0)
        assert torch.equal(out_v[2], out_h[2])
    assert torch.equal(vandal.s, honest.s)
    stats_h, stats_v = honest.pop_stats(), vandal.pop_stats()
    assert stats_v.fitness_sum == stats_h.fitness_sum and stats_v.episodes == stats_h.episodes


def test_learned_nothing_is_at_most_a_twentieth_of_the_success_threshold():
    cartpole, reacher = TASKS["cartpole"], TASKS["reacher"]
    assert cartpole.learned_nothing(22.0) and not cartpole.learned_nothing(31.3)  # an untrained policy lasts ~22
    assert reacher.learned_nothing(0.04) and not reacher.learned_nothing(0.041)
    assert reacher.learned_nothing(None)  # no episode ended
