"""Batched torch tasks and the task API."""

from eureka.envs.base import BatchedEnv, Budget, NonFiniteRewardError, RewardContractError, RewardFn, StateVar
from eureka.envs.registry import builtin_tasks, get_task
from eureka.envs.task import Task

__all__ = [
    "BatchedEnv",
    "Budget",
    "NonFiniteRewardError",
    "RewardContractError",
    "RewardFn",
    "StateVar",
    "Task",
    "builtin_tasks",
    "get_task",
]
