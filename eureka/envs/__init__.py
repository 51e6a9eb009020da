"""Batched torch tasks and the task API (tasks of every plugin, by name: ``eureka.plugins.manager.get_task``)."""

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import NonFiniteRewardError, RewardContractError, RewardFn, StateVar
from eureka.envs.registry import builtin_tasks
from eureka.envs.task import PPOSettings, Task

__all__ = [
    "BatchedEnv",
    "PPOSettings",
    "NonFiniteRewardError",
    "RewardContractError",
    "RewardFn",
    "StateVar",
    "Task",
    "builtin_tasks",
]
