"""The bench: the reward search on every task of a suite, one run folder each in the bench's folder, then the
paper's table. A bench that stopped continues where it was: finished runs are read back, an unfinished one is
resumed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from eureka.agent.context import Context
from eureka.agent.run import make_context
from eureka.agent.run_folder import RunFolder
from eureka.agent.state import RunState
from eureka.config import RunConfig
from eureka.report.bench import BenchRow, BenchSettings, is_finished, row, task_run, write_table

#: Runs one task's search: ``(context, resume) -> final state`` (the CLI's live view, or ``run_search``).
Search = Callable[[Context, bool], RunState]


def run_bench(bench_dir: Path, settings: BenchSettings, search: Search) -> tuple[list[BenchRow], Path]:
    """Run (or resume) every task of ``settings`` in ``bench_dir``; return the rows and the table's file.

    Raises:
        what ``make_context`` raises for a task whose run cannot start.
    """
    rows = []
    for name in settings.tasks:
        run_dir = task_run(bench_dir, name)
        if run_dir is None or not is_finished(run_dir):
            if run_dir is None:
                folder = RunFolder.create(bench_dir, name)
                RunConfig.load(None, settings.run_overrides(name)).save(folder.config)
            else:
                folder = RunFolder(run_dir.resolve())
            search(make_context(RunConfig.load(folder.config), folder), run_dir is not None)
            run_dir = folder.root
        rows.append(row(run_dir))
    return rows, write_table(bench_dir, settings, rows)
