"""Replays real model replies through the check as written and after the deterministic repair rules.

Input: the JSON ``bench_llm.py --only grammar --keep-replies FILE`` writes (task -> first-iteration replies of the
embedded model, no grammar, temperature 1). For each reply: the static check and a dry run in the sandbox (a
check-only job of the process backend) as written; for the ones that fail, the repair rules with that error, then
the same checks. No model is called: every reply fixed by the rules is a model repair saved.

Usage: ``python benchmarks/bench_rewrites.py FILE [--seconds-per-reply S]``; prints Markdown rows.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from eureka.agent.messages import extract_python
from eureka.agent.rewrites import rewrite
from eureka.envs import get_task
from eureka.envs.base import RewardContractError
from eureka.rewards import static_check
from eureka.sandbox.backends import ProcessBackend
from eureka.sandbox.executor import LocalExecutor
from eureka.sandbox.protocol import Job


def checked(codes: dict[str, tuple[str, str | None]], root: Path) -> dict[str, str | None]:
    """key -> None if ``(task, code)`` passes the static check and a sandboxed dry run, else its error."""
    errors: dict[str, str | None] = {}
    jobs = []
    for key, (task_name, code) in codes.items():
        if code is None:
            errors[key] = "the reply has no code"
            continue
        try:
            static_check(code, get_task(task_name))
        except RewardContractError as exc:
            errors[key] = str(exc)
            continue
        job = Job(job_id=key, task=task_name, reward_code=code, check_only=True, timeout_s=120, memory_mb=4096)
        jobs.append((job, root / key))
    for job, result in LocalExecutor(ProcessBackend(), ["cpu"]).run(jobs):
        errors[job.job_id] = None if result.ok else (result.error or str(result.status))
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("replies", type=Path)
    parser.add_argument("--seconds-per-reply", type=float, default=None, help="model seconds one reply cost")
    args = parser.parse_args()
    replies: dict[str, list[str]] = json.loads(args.replies.read_text())
    written = {f"{task}-{i}": (task, extract_python(r)) for task, texts in replies.items() for i, r in enumerate(texts)}
    with tempfile.TemporaryDirectory() as tmp:
        first = checked(written, Path(tmp) / "written")
        rewritten, fired = {}, Counter()
        for key, error in first.items():
            task, code = written[key]
            result = None if error is None else rewrite(code, get_task(task), error)
            if result is not None:
                rewritten[key] = (task, result.code)
                fired.update(result.rules)
        second = checked(rewritten, Path(tmp) / "rewritten")

    print("| task | replies | trainable as written | after the repair rules |")
    print("|---|---|---|---|")
    totals = Counter()
    for task, texts in replies.items():
        keys = [f"{task}-{i}" for i in range(len(texts))]
        ok = sum(first[k] is None for k in keys)
        fixed = sum(second.get(k, "") is None for k in keys)
        totals.update(replies=len(keys), ok=ok, fixed=fixed)
        print(f"| {task} | {len(keys)} | {ok} | {ok + fixed} |")
    n, ok, after = totals["replies"], totals["ok"], totals["ok"] + totals["fixed"]
    print(f"| all | {n} | {ok} ({ok / n:.0%}) | {after} ({after / n:.0%}) |")
    print(f"\nRules that fired (on the failing replies), and how often: {dict(fired.most_common())}")
    still = Counter((first[k] or "").splitlines()[-1][:90] for k in first if first[k] and second.get(k, "x"))
    print(f"Errors left for the model, most common first: {still.most_common(8)}")
    if args.seconds_per_reply:
        per = [args.seconds_per_reply * n / max(count, 1) for count in (ok, after)]
        print(f"Model seconds per trainable candidate: {per[0]:.0f} as written, {per[1]:.0f} after the rules")


if __name__ == "__main__":
    main()
