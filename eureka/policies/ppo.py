"""PPO training of a task with a given reward function, through rl_games (a2c_continuous).

Set up the way IsaacGymEnvs drives rl_games: the batched env is registered with ``vecenv.register`` and
``env_configurations.register`` (gym-named configs would go through Ray), the actor-critic is an ELU MLP with
normalised inputs, values and advantages, and the learning rate follows the adaptive KL schedule. Per epoch we
record the task fitness and, per reward component, mean/min/max: the raw material of Eureka's reward reflection.
"""

from __future__ import annotations

import contextlib
import copy
import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rl_games.common import env_configurations, vecenv
from rl_games.common.algo_observer import AlgoObserver
from rl_games.common.gym_compat import gym
from rl_games.common.ivecenv import IVecEnv
from rl_games.torch_runner import Runner

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import NonFiniteRewardError, RewardFn
from eureka.envs.task import PPOSettings, Task
from eureka.sandbox.protocol import ComponentSummary, EpisodeReturn, EpochRecord, Training

ENV_NAME = "eureka"
VECENV_TYPE = "EUREKA"


EpochCallback = Callable[[EpochRecord], None]
#: Observations -> actions in [-1, 1]
Actor = Callable[[torch.Tensor], torch.Tensor]
#: Envs whose first episodes measure what a policy collects after training (a few suffice for a mean; each costs
#: an episode of simulation on top of the training)
PROBE_ENVS = 16


def _box(width: int, bound: float) -> Any:
    return gym.spaces.Box(low=-bound, high=bound, shape=(width,), dtype="float32")


class _VecEnv(IVecEnv):
    """rl_games' view of a ``BatchedEnv``: its rewards, centred where its episodes end only at the time limit."""

    def __init__(self, env: BatchedEnv, center_rewards: bool) -> None:
        self.env = env
        # Where an episode ends only at the time limit (bootstrapped), a constant added to every reward changes
        # no policy's ranking, yet it slows PPO's value fit: `5 - |angle|` did not swing the pendulum up where
        # `-|angle|` did (benchmarks/RESULTS.md). Subtracting the running mean of the rewards seen so far (reward
        # centring, Naik et al. 2024) takes the offset out. An env that can end an episode early keeps its
        # rewards: there the sign decides whether ending early pays.
        self.center = center_rewards and type(env).terminated is BatchedEnv.terminated
        self.reward_sum = torch.zeros((), dtype=torch.float64, device=env.device)
        self.reward_count = 0

    def step(self, actions: torch.Tensor) -> tuple[Any, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        obs, reward, done, info = self.env.step(actions)
        if self.center:
            self.reward_sum += reward.double().sum()
            self.reward_count += reward.numel()
            reward = reward - (self.reward_sum / self.reward_count).float()
        return obs, reward, done, info

    def reset(self) -> dict[str, torch.Tensor]:
        return self.env.reset()

    def get_env_info(self) -> dict[str, Any]:
        return {
            "observation_space": _box(self.env.obs_dim, math.inf),
            "action_space": _box(self.env.action_dim, 1.0),
            "agents": 1,
            "value_size": 1,
        }


class _Recorder(AlgoObserver):
    """Turns the env's per-epoch statistics into ``EpochRecord``s, TensorBoard scalars and callbacks."""

    def __init__(self, env: BatchedEnv, on_epoch: EpochCallback | None) -> None:
        super().__init__()
        self.env = env
        self.on_epoch = on_epoch
        self.history: list[EpochRecord] = []
        self.start = time.perf_counter()
        self.playing: dict[str, Any] | None = None
        #: The agent's full state (rl_games' checkpoint dict) at the latest epoch of highest fitness
        self.best_state: dict[str, Any] | None = None

    def after_init(self, algo: Any) -> None:
        self.algo = algo
        self.writer = algo.writer
        self.start = time.perf_counter()

    def after_steps(self) -> None:
        # The policy that played this epoch's steps, copied before PPO updates it: the one this epoch's fitness
        # measures. A copy of a few MLPs and their optimizer state, small beside an epoch of simulation.
        self.playing = copy.deepcopy(self.algo.get_full_state_weights())

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        stats = self.env.pop_stats()
        episodes = int(stats.episodes.item())
        steps = max(stats.steps, 1)
        components = {
            name: ComponentSummary(mean=float(acc[0]) / steps, min=float(acc[1]), max=float(acc[2]))
            for name, acc in stats.components.items()
        }
        for name, c in components.items():
            # float64 sums of finite float32 values cannot overflow; float64 components near 1.8e308 can
            if not all(math.isfinite(v) for v in (c.mean, c.min, c.max)):
                raise NonFiniteRewardError(name, self.env.total_steps, "has statistics that overflow (inf)")
        record = EpochRecord(
            epoch=epoch_num,
            env_steps=self.env.total_steps * self.env.num_envs,
            wall_time=time.perf_counter() - self.start,
            fitness=float(stats.fitness_sum.item()) / episodes if episodes else None,
            episodes=episodes,
            components=components,
        )
        best = max((r.fitness for r in self.history if r.fitness is not None), default=None)
        if record.fitness is not None and (best is None or record.fitness >= best):
            self.best_state = self.playing  # the latest of equals: the longest-trained policy at that fitness
        self.history.append(record)
        if record.fitness is not None:
            self.writer.add_scalar("fitness/mean", record.fitness, epoch_num)
        for name, c in components.items():
            for stat in ("mean", "min", "max"):
                self.writer.add_scalar(f"reward/{name}/{stat}", getattr(c, stat), epoch_num)
        if self.on_epoch is not None:
            self.on_epoch(record)


def rl_games_config(
    task: Task, budget: PPOSettings, seed: int, device: str, threads: int, out_dir: Path
) -> dict[str, Any]:
    """The rl_games parameters for one run (IsaacGymEnvs' PPO defaults, sized by ``budget``)."""
    return {
        "seed": seed,
        "torch_threads": threads,
        "algo": {"name": "a2c_continuous"},
        "model": {"name": "continuous_a2c_logstd"},
        "network": {
            "name": "actor_critic",
            "separate": False,
            "space": {
                "continuous": {
                    "mu_activation": "None",
                    "sigma_activation": "None",
                    "mu_init": {"name": "default"},
                    "sigma_init": {"name": "const_initializer", "val": 0},
                    "fixed_sigma": True,
                }
            },
            "mlp": {"units": list(budget.units), "activation": "elu", "initializer": {"name": "default"}},
        },
        "config": {
            "name": task.name,
            "env_name": ENV_NAME,
            "device": device,
            "multi_gpu": False,
            "ppo": True,
            "mixed_precision": False,
            "normalize_input": True,
            "normalize_value": True,
            "normalize_advantage": True,
            "value_bootstrap": True,
            "num_actors": budget.num_envs,
            "reward_shaper": {"scale_value": 1.0},
            "gamma": budget.gamma,
            "tau": 0.95,  # GAE lambda
            "learning_rate": budget.learning_rate,
            "lr_schedule": "adaptive",
            "kl_threshold": 0.008,
            "score_to_win": math.inf,
            "max_epochs": budget.epochs,
            "save_best_after": 10**9,  # we keep the final policy only
            "save_frequency": 0,
            "grad_norm": 1.0,
            "entropy_coef": budget.entropy_coef,
            "truncate_grads": True,
            "e_clip": 0.2,
            "horizon_length": budget.horizon,
            "minibatch_size": budget.minibatch_size,
            "mini_epochs": budget.mini_epochs,
            "critic_coef": 2.0,
            "clip_value": True,
            "bounds_loss_coef": 0.0001,
            "torch_compile": False,  # compiling costs ~20 s on CPU and gains nothing at this size
            "print_stats": True,
            "train_dir": str(out_dir),
            "full_experiment_name": "rl_games",
        },
    }


def make_agent(
    task: Task,
    env: BatchedEnv,
    budget: PPOSettings,
    seed: int,
    device: str,
    threads: int,
    out_dir: Path,
    observer: AlgoObserver | None = None,
) -> Any:
    """An rl_games a2c_continuous agent on ``env`` (for training, or for acting from a restored checkpoint)."""
    # rl_games seeds only when the seed is truthy (`if self.seed:`), so seed 0 would leave the policy's
    # initialisation and minibatch order to chance: seed every generator here.
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    vec_env = _VecEnv(env, budget.center_rewards)
    # rl_games looks envs up in global registries by name; each process drives one env at a time.
    vecenv.register(VECENV_TYPE, lambda config_name, num_actors, **kwargs: vec_env)
    env_configurations.register(ENV_NAME, {"vecenv_type": VECENV_TYPE, "env_creator": lambda **kwargs: vec_env})
    runner = Runner(algo_observer=observer)
    runner.load({"params": copy.deepcopy(rl_games_config(task, budget, seed, device, threads, out_dir))})
    return runner.algo_factory.create(runner.algo_name, base_name="run", params=runner.params)


def train(
    task: Task,
    reward_fn: RewardFn,
    *,
    out_dir: Path,
    seed: int = 0,
    budget: PPOSettings | None = None,
    device: str = "cpu",
    threads: int = 1,
    init_checkpoint: Path | None = None,
    on_epoch: EpochCallback | None = None,
    reference_fn: RewardFn | None = None,
) -> Training:
    """Train a PPO policy on ``task`` with ``reward_fn``; write ``policy.pth`` and logs into ``out_dir``.

    Args:
        task: the task.
        reward_fn: reward function following the contract of ``eureka.envs.base``.
        out_dir: run folder (created); rl_games' TensorBoard summaries go to ``out_dir/rl_games/summaries``.
        seed: seeds torch, the policy and the env.
        budget: training budget; the task's default if None.
        device: torch device for simulation and learning, e.g. ``"cpu"`` or ``"cuda:0"``.
        threads: torch intra-op threads.
        init_checkpoint: fine-tune from this policy (curriculum) instead of starting from scratch.
        on_epoch: called after every epoch with its record (progress bars).
        reference_fn: also compute this reward (the human one) on every step, for the result's ``human_correlation``.

    Returns:
        The training result (a sandboxed job writes it as its ``result.json``).

    Raises:
        RewardContractError, NonFiniteRewardError: the reward breaks the contract (raised from the first step
            that shows it).
    """
    budget = budget or task.budget
    out_dir.mkdir(parents=True, exist_ok=True)
    env = task.make_env(budget.num_envs, device, reward_fn, seed)
    if reference_fn is not None:
        env.compare_with(reference_fn)
    recorder = _Recorder(env, on_epoch)
    log_path = out_dir / "train.log"
    with log_path.open("w") as log, contextlib.redirect_stdout(log):
        agent = make_agent(task, env, budget, seed, device, threads, out_dir, recorder)
        if init_checkpoint is not None:
            agent.restore(str(init_checkpoint), set_epoch=False)
        start = time.perf_counter()
        agent.train()
        wall_time = time.perf_counter() - start
        # policy.pth holds the policy that scored the result's max fitness, the figure the search and the final
        # comparison go by (a reward can teach the task and then lose it); last.pth the policy training ended with.
        agent.save(str(out_dir / "last"))  # rl_games appends ".pth"
        checkpoint = out_dir / "policy.pth"
        torch.save(recorder.best_state or agent.get_full_state_weights(), checkpoint)
    for stale in (out_dir / "rl_games" / "nn").glob("*.pth"):
        stale.unlink()  # rl_games' own end-of-training copy of the same weights

    correlation = env.correlation()  # before the probes: a CUDA error in one would leave no context to read it

    def probe(who: str, act: Actor) -> EpisodeReturn | None:
        # Same seed, same starting states for both policies. The reward passed training, but a policy that does
        # nothing can reach states training never did (a velocity of exactly 0 divided by): that says nothing of the
        # candidate's training, so the probe is then left out (and said so in the log) rather than the job failed.
        try:
            found = episode_return(task.make_env(min(PROBE_ENVS, budget.num_envs), device, reward_fn, seed), act)
        except Exception as exc:
            why = repr(exc)
        else:
            if all(map(math.isfinite, [found.total, *found.components.values()])):
                return found
            why = "a sum is not finite"  # what result.json could not hold (JSON has no inf)
        with log_path.open("a") as log:
            log.write(f"the episode of {who} is left out of the result: {why}\n")
        return None

    with torch.no_grad():
        policy_return = probe("the trained policy", lambda obs: agent.get_action_values({"obs": obs})["mus"])
        idle_return = probe("a policy doing nothing", lambda obs: obs.new_zeros(len(obs), env.action_dim))
    return Training(
        history=recorder.history,
        env_steps=recorder.history[-1].env_steps if recorder.history else 0,
        wall_time=wall_time,
        checkpoint=str(checkpoint),
        human_correlation=correlation,
        policy_return=policy_return,
        idle_return=idle_return,
    )


def episode_return(env: BatchedEnv, act: Actor) -> EpisodeReturn:
    """What ``act`` collects in each env's first episode of ``env``, in total and by component, as the mean over
    the envs. A policy that does nothing (``act`` all zeros) collecting as much as the trained one means the
    reward pays for doing nothing: a pendulum reward of stillness terms pays a pendulum left to swing low. (A
    reward that reduces over the batch, ``x.mean()``, gives other numbers on these few envs than in training.)"""
    obs = env.reset()["obs"]
    running = torch.ones(env.num_envs, dtype=torch.bool, device=env.device)
    total = torch.zeros(env.num_envs, dtype=torch.float64, device=env.device)
    parts: dict[str, torch.Tensor] = {}
    for _ in range(env.max_episode_steps):
        step, reward, done, _ = env.step(act(obs))
        obs, weight = step["obs"], running.double()
        total += reward.double() * weight
        for name, value in env.last_components.items():
            parts[name] = parts.get(name, 0.0) + value.to(env.device, torch.float64) * weight
        running &= ~done
        if not running.any():
            break
    return EpisodeReturn(
        total=float(total.mean()), components={name: float(value.mean()) for name, value in parts.items()}
    )
