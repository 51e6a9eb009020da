"""What a training run measured: per-epoch records and the run's result (no rl_games import here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from eureka.sandbox.protocol import ComponentSummary


@dataclass(frozen=True)
class EpochRecord:
    """What one PPO epoch measured.

    Attributes:
        epoch: 1-based epoch number.
        env_steps: environment transitions so far (all envs).
        wall_time: seconds since training began.
        fitness: mean fitness of the episodes that ended this epoch; None if none ended.
        episodes: episodes that ended this epoch.
        components: reward component name -> statistics over this epoch's steps.
    """

    epoch: int
    env_steps: int
    wall_time: float
    fitness: float | None
    episodes: int
    components: dict[str, ComponentSummary]


@dataclass
class TrainResult:
    """Outcome of one training run, in the trainer's process (a sandboxed job's one ``result.json`` is the worker's
    ``Result``, made from this).

    Attributes:
        task: task name.
        seed: random seed.
        device: torch device trained on.
        epochs: epochs run.
        env_steps: environment transitions.
        wall_time: seconds of training (set-up excluded).
        history: one record per epoch.
        checkpoint: path of the final policy checkpoint.
        correlation: Pearson correlation of the reward with the reference reward over every training step (None
            without a reference reward).
    """

    task: str
    seed: int
    device: str
    epochs: int
    env_steps: int
    wall_time: float
    history: list[EpochRecord] = field(default_factory=list)
    checkpoint: str | None = None
    correlation: float | None = None

    @property
    def fitness_curve(self) -> list[float | None]:
        """Per-epoch fitness (None where no episode ended)."""
        return [r.fitness for r in self.history]

    @property
    def max_fitness(self) -> float | None:
        """Best epoch fitness over training: Eureka's selection score."""
        seen = [f for f in self.fitness_curve if f is not None]
        return max(seen) if seen else None

    @property
    def final_fitness(self) -> float | None:
        """Fitness of the last epoch in which an episode ended."""
        seen = [f for f in self.fitness_curve if f is not None]
        return seen[-1] if seen else None

    def first_epoch_reaching(self, threshold: float) -> EpochRecord | None:
        """The first epoch whose fitness reached ``threshold``, if any."""
        return next((r for r in self.history if r.fitness is not None and r.fitness >= threshold), None)
