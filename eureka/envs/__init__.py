"""Batched torch tasks and the task API."""

from eureka.envs.base import BatchedEnv, Budget, NonFiniteRewardError, RewardContractError, RewardFn, StateVar
from eureka.envs.registry import builtin_tasks
from eureka.envs.task import Task
from eureka.plugins.manager import get_task

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
