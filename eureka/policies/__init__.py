"""PPO training (rl_games) of a task with a reward function."""

from eureka.policies.ppo import ComponentStats, EpochRecord, TrainResult, train

__all__ = ["ComponentStats", "EpochRecord", "TrainResult", "train"]
