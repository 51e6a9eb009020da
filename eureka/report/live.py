"""The live view of ``eureka run``: one row per candidate and final job, updated from the graph's events."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from eureka.agent.context import Activity, Event

STAGE_STYLE = {"trained": "green", "final": "green", "broken": "yellow", "dropped": "red", "training": "cyan"}
DETAIL_CHARS = 70


@dataclass
class Row:
    stage: str = ""
    epoch: int | None = None
    fitness: float | None = None
    detail: str = ""


@dataclass
class LiveView:
    """Folds events into rows; ``render()`` draws the table (call it from rich's ``Live``)."""

    title: str
    rows: dict[str, Row] = field(default_factory=dict)

    def add(self, event: Event) -> None:
        row = self.rows.setdefault(event.subject, Row())
        row.stage = str(event.stage)
        if event.epoch is not None:
            row.epoch = event.epoch
        if event.fitness is not None:
            row.fitness = event.fitness
        if event.stage is not Activity.TRAINING:
            row.detail = " ".join(event.detail.split())[:DETAIL_CHARS]

    def render(self) -> RenderableType:
        table = Table("candidate", "stage", "epoch", "fitness", "note", title=self.title, title_justify="left")
        for subject, row in self.rows.items():
            fitness = "-" if row.fitness is None else f"{row.fitness:.4g}"
            stage = Text(row.stage, style=STAGE_STYLE.get(row.stage, ""))
            table.add_row(subject, stage, "-" if row.epoch is None else str(row.epoch), fitness, row.detail)
        return Group(table)
