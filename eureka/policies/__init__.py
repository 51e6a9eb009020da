"""PPO training (rl_games) of a task with a reward function; it returns a ``sandbox.protocol.Training``.

``train`` is imported on first use: rl_games takes seconds to import.
"""

from typing import Any

__all__ = ["train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from eureka.policies.ppo import train

        return train
    raise AttributeError(name)
