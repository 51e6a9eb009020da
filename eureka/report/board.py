"""Run-level TensorBoard scalars: what the search did, iteration by iteration, beside each job's own summaries.

``runs/<id>/tensorboard/``: ``search/best_fitness``, ``search/median_fitness`` and ``search/trained`` of each
iteration's candidates, the model's cumulative ``model/<tokens>`` and the cumulative ``time/<phase>_s``, all at
step = iteration. ``tensorboard --logdir runs/<id>`` shows them with every candidate's PPO curves.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from tensorboardX import SummaryWriter

from eureka.agent.state import RunState, Stage, candidates_of

BOARD_DIR = "tensorboard"


class RunBoard:
    """Writes one run's scalars; ``iteration`` after each iteration's reflection."""

    def __init__(self, run_dir: Path) -> None:
        self.writer = SummaryWriter(str(run_dir / BOARD_DIR))

    def iteration(self, state: RunState, iteration: int) -> None:
        fitness = [
            c.fitness for c in candidates_of(state, iteration) if c.stage is Stage.TRAINED and c.fitness is not None
        ]
        scalars = {f"model/{key}": value for key, value in state.get("usage", {}).items()}
        scalars |= {f"time/{phase}_s": seconds for phase, seconds in state.get("seconds", {}).items()}
        scalars["search/trained"] = len(fitness)
        if fitness:
            scalars |= {"search/best_fitness": max(fitness), "search/median_fitness": statistics.median(fitness)}
        for tag, value in scalars.items():
            self.writer.add_scalar(tag, value, iteration)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
