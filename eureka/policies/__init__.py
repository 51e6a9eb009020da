"""PPO training (rl_games) of a task with a reward function.

``train`` is imported on first use: rl_games takes seconds to import, and the records are needed without it.
"""

from typing import Any

from eureka.policies.records import EpochRecord, TrainResult

__all__ = ["EpochRecord", "TrainResult", "train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from eureka.policies.ppo import train

        return train
    raise AttributeError(name)
