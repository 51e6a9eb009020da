"""The run folder ``runs/<id>/``: where a reward search keeps everything it made, so that it can be read and
resumed.

Layout::

    config.yaml                    the run's configuration
    state.sqlite                   the graph's checkpoints (``eureka run --resume <id>``)
    candidates/<id>/reply-r<N>.md  the model's reply for repair round N (0: the first reply)
    candidates/<id>/reward-r<N>.py its code
    candidates/<id>/job-r<N>/      its sandbox job folder (job.json, result.json, progress.jsonl, train/)
    iterations/it<i>.json          each iteration's candidates, best and reflection
    run.log                        timestamped progress lines, appended by every start and resume
    final/<label>-s<seed>/         the final re-training jobs
    best_reward.py, summary.json, report.html (with report_files/)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eureka.agent.state import Candidate

#: ``(candidate id, repair round)``: which reply of the model
ReplyKey = tuple[str, int]

CONFIG_FILE = "config.yaml"
STATE_DB = "state.sqlite"
SUMMARY_FILE = "summary.json"
ITERATIONS_DIR = "iterations"
REPORT_FILE = "report.html"
RUN_LOG = "run.log"
BEST_REWARD_FILE = "best_reward.py"


class RunNotFound(FileNotFoundError):
    """``--resume`` named a run that has no folder or no saved state."""


@dataclass(frozen=True)
class RunFolder:
    """Paths and writers of one run's folder."""

    root: Path

    @classmethod
    def create(cls, runs_dir: Path, task: str) -> RunFolder:
        """A new, empty run folder ``<runs_dir>/<task>-<date>-<time>`` (a suffix keeps names unique)."""
        stem = f"{task}-{time.strftime('%Y%m%d-%H%M%S')}"
        for n in range(1000):
            root = runs_dir / (stem if n == 0 else f"{stem}-{n}")
            try:
                root.mkdir(parents=True)
            except FileExistsError:
                continue
            return cls(root.resolve())
        raise FileExistsError(f"no free run folder name under {runs_dir} for {stem}")

    @classmethod
    def open(cls, runs_dir: Path, run_id: str) -> RunFolder:
        """An existing run, by id (its folder name) or by path.

        Raises:
            RunNotFound: no such folder, or it holds no configuration to resume from.
        """
        root = Path(run_id) if Path(run_id).is_dir() else runs_dir / run_id
        if not (root / CONFIG_FILE).exists():
            known = sorted(p.name for p in runs_dir.glob("*") if (p / CONFIG_FILE).exists())[-5:]
            raise RunNotFound(
                f"no run {run_id!r} under {runs_dir}/ (a run folder holds {CONFIG_FILE})"
                + (f"; recent runs: {', '.join(known)}" if known else "")
            )
        return cls(root.resolve())

    @property
    def id(self) -> str:
        """The run's id: its folder name."""
        return self.root.name

    @property
    def config(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def state_db(self) -> Path:
        return self.root / STATE_DB

    @property
    def summary(self) -> Path:
        return self.root / SUMMARY_FILE

    @property
    def report(self) -> Path:
        return self.root / REPORT_FILE

    @property
    def log(self) -> Path:
        return self.root / RUN_LOG

    @property
    def best_reward(self) -> Path:
        return self.root / BEST_REWARD_FILE

    def candidate_dir(self, candidate_id: str) -> Path:
        return self.root / "candidates" / candidate_id

    def job_dir(self, candidate_id: str, repair_round: int) -> Path:
        return self.candidate_dir(candidate_id) / f"job-r{repair_round}"

    def dry_run_dir(self, candidate_id: str, repair_round: int, rule_round: int = 0) -> Path:
        """The sandbox job that dry-runs a version the repair rules wrote, before it is kept (the rules' first
        try ``dryrun-rN``, a rewrite of that from its error ``dryrun-rN.1``, ...)."""
        return self.candidate_dir(candidate_id) / f"dryrun-r{repair_round}{f'.{rule_round}' if rule_round else ''}"

    def tuning_dir(self, candidate_id: str) -> Path:
        """The tuning of a candidate's numbers: its Optuna journal (``study.journal``) and a job folder per trial."""
        return self.candidate_dir(candidate_id) / "tuning"

    def final_dir(self, label: str, seed: int) -> Path:
        return self.root / "final" / f"{label}-s{seed}"

    def replies(self, wanted: list[ReplyKey], ask: Callable[[list[ReplyKey]], list[str]]) -> dict[ReplyKey, str]:
        """The model's reply for each ``(candidate id, repair round)``: read back where an earlier (killed) session
        got it, the others from one ``ask(missing keys)`` (one request for k samples, or concurrent repairs), each
        kept on disk before any is used. Model calls are the slowest step; a resumed run never repeats one."""
        paths = {key: self.candidate_dir(key[0]) / f"reply-r{key[1]}.md" for key in wanted}
        missing = [key for key, path in paths.items() if not path.exists()]
        for key, text in zip(missing, ask(missing) if missing else [], strict=True):
            write_text(paths[key], text)
        return {key: path.read_text() for key, path in paths.items()}

    def code_path(self, candidate_id: str, repair_round: int) -> Path:
        """Where one version of a candidate's code is kept."""
        return self.candidate_dir(candidate_id) / f"reward-r{repair_round}.py"

    def write_code(self, candidate_id: str, repair_round: int, code: str) -> Path:
        """Keep one version of a candidate's code; return its path."""
        path = self.code_path(candidate_id, repair_round)
        write_text(path, code)
        return path

    def write_json(self, relative: str, data: Any) -> Path:
        """Write ``data`` as JSON at ``relative`` inside the run folder."""
        path = self.root / relative
        write_text(path, json.dumps(data, indent=1))
        return path


def write_text(path: Path, text: str) -> None:
    """Write atomically, creating parent folders: a killed run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def candidate_record(c: Candidate) -> dict[str, Any]:
    """One candidate as plain data for the summaries."""
    return {
        "id": c.id,
        "iteration": c.iteration,
        "stage": str(c.stage),
        "max_fitness": c.fitness,
        "final_fitness": c.result.final_fitness if c.result else None,
        "repairs": c.repairs,
        "tuned_from": c.tuned_from,
        "errors": [a.error for a in c.attempts if a.error],
    }


def write_iteration(
    folder: RunFolder,
    iteration: int,
    candidates: list[Candidate],
    best: Candidate | None,
    reflection: str | None,
    shown: str | None,
) -> None:
    """``iterations/it<i>.json``: the iteration's candidates, its best, its reflection and the candidate the next
    prompt shows with its reflection (None: the task prompt alone)."""
    folder.write_json(
        f"{ITERATIONS_DIR}/it{iteration}.json",
        {
            "iteration": iteration,
            "best": best.id if best else None,
            "candidates": [candidate_record(c) for c in candidates],
            "reflection": reflection,
            "shown_next": shown,
        },
    )
