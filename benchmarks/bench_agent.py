"""Where a finished `eureka run` spent its time: model, checking, training (and sandbox start), final re-training.

Usage: python benchmarks/bench_agent.py runs/<id>

The run's wall time is from its config.yaml (written first) to its summary.json (written last). ``evaluate`` is
the wall time of the evaluation steps (jobs in parallel, sandbox start included); ``train_in_worker`` is the sum
of the jobs' own time inside the sandbox (dry run and training), so ``evaluate - train_in_worker / workers`` is
about what starting sandboxes and bookkeeping cost.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from eureka.sandbox.executor import usable_cores


def main(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    wall = (run_dir / "summary.json").stat().st_mtime - (run_dir / "config.yaml").stat().st_mtime
    seconds = summary["seconds"]
    workers = config["executor"]["workers"] or max(1, usable_cores() // config["executor"]["threads"])
    overhead = seconds.get("evaluate", 0.0) - seconds.get("train_in_worker", 0.0) / workers
    print(f"run {summary['run']}: task {summary['task']}, N={summary['iterations']}, k={summary['samples']}")
    print(f"wall time: {wall:.0f} s")
    for phase in ("llm", "check", "evaluate", "train_in_worker", "final"):
        value = seconds.get(phase, 0.0)
        print(f"  {phase:>16}: {value:7.1f} s  ({100 * value / wall:4.1f}% of wall)")
    print(f"  sandbox start + bookkeeping in evaluate: ~{overhead:.1f} s ({100 * overhead / wall:.1f}%)")
    usage = summary["usage"]
    print(
        f"model: {usage.get('calls', 0):.0f} calls, {usage.get('prompt_tokens', 0):.0f} prompt + "
        f"{usage.get('completion_tokens', 0):.0f} completion tokens"
    )
    stages = [c["stage"] for c in summary["candidates"]]
    print(f"candidates: {len(stages)}, trained {stages.count('trained')}, dropped {stages.count('dropped')}")
    for label, final in summary["final"].items():
        print(f"  {label:>7}: {final['mean']:.4g} ± {final['std']:.3g} over seeds {final['seeds']}")
    print(f"human-normalised score: {summary['human_normalised_score']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
