"""Does tuning a reward's numbers help, net of picking the luckiest of several noisy trainings?

For each run given (a task's run folder, or a bench folder holding them): the run's best reward as the search left
it, tuned as the graph's ``tune`` node does (``--trials`` trainings with the run's budget and seed, as many at once
as the cores allow; the pick by max fitness, then mean fitness; kept only where it ranks above the reward as
written). Then both rewards are re-trained on held-out seeds: the run's seed chose the tuned values, so their
fitness there is the best of several noisy draws and flatters them; other seeds do not. Prints one Markdown row per
reward and a line in all. Finished jobs are read back from ``--out``, so a second call continues an interrupted one.

Usage: python benchmarks/bench_tuning.py runs/<bench or run>... [--trials 4] [--seeds 1,2,3] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from eureka.agent.run_folder import ITERATIONS_DIR, SUMMARY_FILE, RunFolder
from eureka.agent.tuning import TuningStudy, constants, literal, not_tuned_because, run_study, with_values
from eureka.config import RunConfig
from eureka.plugins.manager import get_backend, get_task
from eureka.sandbox.executor import LocalExecutor
from eureka.sandbox.protocol import Job, Result, ranking, read_model


def runs_in(paths: list[Path]) -> list[Path]:
    """Run folders: the paths that are one, and the run folders inside the others (a bench's)."""
    found = []
    for path in paths:
        found += [path] if (path / SUMMARY_FILE).is_file() else sorted(p.parent for p in path.glob(f"*/{SUMMARY_FILE}"))
    return found


def _spread(results: list[Result], field: str) -> str:
    values = [getattr(r, field) for r in results if r.ok and getattr(r, field) is not None]
    if not values:
        return "-"
    return f"{statistics.mean(values):.3g} ± {statistics.pstdev(values):.2g}" + (
        f" ({len(values)} of {len(results)})" if len(values) < len(results) else ""
    )


def _latest(folder: RunFolder, candidate: str) -> tuple[str, Result | None]:
    """A candidate's last code and the result of its training (None where it trained elsewhere: a tuned one)."""
    attempt = 0
    while folder.code_path(candidate, attempt + 1).exists():
        attempt += 1
    code = folder.code_path(candidate, attempt).read_text()
    return code, read_model(folder.job_dir(candidate, attempt) / "result.json", Result)


def _tuned_from(folder: RunFolder, candidate: str) -> str | None:
    for iteration in (folder.root / ITERATIONS_DIR).glob("it*.json"):
        for record in json.loads(iteration.read_text())["candidates"]:
            if record["id"] == candidate:
                return record.get("tuned_from")
    return None


def bench(run: Path, trials: int, seeds: list[int], out: Path, executor: LocalExecutor) -> tuple[float, float] | None:
    """Tune one run's best reward (or take the run's own tuning, where its best is a tuned reward) and re-train the
    reward as written and the tuned one on ``seeds``; print its row. Returns the held-out mean of max fitness (as
    written, tuned), or None when nothing was tuned."""
    folder = RunFolder.open(run.parent, run.name)
    summary = json.loads(folder.summary.read_text())
    if not summary.get("best"):
        print(f"| {summary['task']}, {run.name} | skipped: no reward of it trained |")
        return None
    best = summary["best"]["id"]
    label = f"{summary['task']}, {run.name} {best}"
    try:
        task = get_task(summary["task"])
    except KeyError:
        print(f"| {label} | skipped: its task is not installed here |")
        return None
    config = RunConfig.load(folder.config)
    where = out / run.name
    where.mkdir(parents=True, exist_ok=True)
    budget = {"epochs": config.training.epochs, "num_envs": config.training.num_envs, "task": task.name}
    start = time.perf_counter()

    def job(name: str, reward: str, seed: int) -> tuple[Job, Path]:
        return Job(job_id=f"{run.name}.{name}", reward_code=reward, seed=seed, **budget), where / name

    parent = _tuned_from(folder, best)
    if parent is not None:  # the run tuned it: compare the reward it was tuned from with the tuned one
        code, written = _latest(folder, parent)
        tuned, _ = _latest(folder, best)
        assert written is not None  # the reward tuned had trained
        found = constants(code, task.constants)
        chosen = {c.name: v.value for c, v in zip(found, constants(tuned, task.constants), strict=True)}
        study_text = f"tuned in the run from {parent}: {summary['best']['max_fitness']:.3g}"
    else:
        code, written = _latest(folder, best)
        if written is None:
            print(f"| {label} | skipped: its training is not in its folder |")
            return None
        found = constants(code, task.constants)
        note = not_tuned_because(found, written.max_fitness, task)
        if note:
            print(f"| {label} | {len(found)} | not tuned: {note} |")
            return None

        def train(batch: list[tuple[int, str]]) -> list[Result]:
            return [r for _, r in executor.run([job(f"t{n}", c, config.training.seed) for n, c in batch])]

        study = TuningStudy(candidate=best, untuned_fitness=written.max_fitness)
        study.trials = run_study(
            code, found, written.max_fitness or 0.0, trials, executor.workers, where / "study.journal",
            config.training.seed, train,
        )  # fmt: skip
        pick = study.best
        trial_text = ", ".join(
            "failed" if t.max_fitness is None else f"{t.max_fitness:.3g}/{t.mean_fitness:.2g}" for t in study.trials
        )
        if pick is None or ranking(pick.max_fitness, pick.mean_fitness) <= ranking(
            written.max_fitness, written.mean_fitness
        ):  # as in a run: the tuned reward competes with the one as written and is kept only if it ranks above it
            print(f"| {label} | {len(found)} | {written.max_fitness:.3g}/{written.mean_fitness:.2g}, kept as written "
                  f"(trials {trial_text}) |")  # fmt: skip
            return None
        tuned, chosen = with_values(code, found, pick.values), pick.values
        study_text = f"{pick.max_fitness:.3g}/{pick.mean_fitness:.2g} (trials {trial_text})"
    jobs = [
        job(f"{arm}-s{seed}", reward, seed) for arm, reward in (("untuned", code), ("tuned", tuned)) for seed in seeds
    ]
    results = [r for _, r in executor.run(jobs)]
    as_written, with_tuning = results[: len(seeds)], results[len(seeds) :]
    values = ", ".join(f"{c.name} {literal(c.value)} -> {literal(chosen[c.name])}" for c in found)
    print(
        f"| {label} | {len(found)} | {written.max_fitness:.3g}/{written.mean_fitness:.2g} -> {study_text} | "
        f"{_spread(as_written, 'max_fitness')} | {_spread(with_tuning, 'max_fitness')} | "
        f"{_spread(as_written, 'mean_fitness')} | {_spread(with_tuning, 'mean_fitness')} | "
        f"{time.perf_counter() - start:.0f} s | {values} |",
        flush=True,
    )
    mean = [statistics.mean(r.max_fitness or 0.0 for r in arm) for arm in (as_written, with_tuning)]
    return mean[0], mean[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--trials", type=int, default=RunConfig().search.tune_trials)
    parser.add_argument("--seeds", default="1,2,3", help="held-out seeds (not the run's seed, which chose)")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-tuning"))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    executor = LocalExecutor(get_backend("process"), ["cpu"], threads=1)
    print(
        "| task, run, reward | constants | max/mean fitness on the run's seed: as written -> the study's pick | "
        f"held-out max fitness (seeds {args.seeds}), as written | tuned | held-out mean fitness over training, "
        "as written | tuned | seconds | values |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    pairs = [p for run in runs_in(args.runs) if (p := bench(run, args.trials, seeds, args.out, executor))]
    better = sum(tuned > untuned for untuned, tuned in pairs)
    worse = sum(tuned < untuned for untuned, tuned in pairs)
    print(f"\n{len(pairs)} rewards tuned; on held-out seeds the tuned one's max fitness was higher for {better}, "
          f"lower for {worse}, equal for {len(pairs) - better - worse}.")  # fmt: skip


if __name__ == "__main__":
    main()
