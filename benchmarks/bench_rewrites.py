"""Replays real model replies through the old pipeline (check, then model repairs) and the new one (check, the
deterministic repair rules, then model repairs for what the rules left).

Input: the JSON ``bench_llm.py --only grammar --keep-replies FILE`` writes ("with grammar" / "without grammar" ->
task -> first-iteration replies of the embedded model at temperature 1). For each reply of the chosen set: the
static check and a dry run in the sandbox (a check-only job of the process backend) as written; for the ones that
fail, the repair rules with that error, then the same checks. With ``--model-repairs``, every reply that failed as
written also gets one model repair (the conversation a run sends: its code and its error, with the grammar), which
serves both pipelines: the new one sends the model only the replies the rules could not fix, with the same
conversation.

Usage: ``python benchmarks/bench_rewrites.py FILE [--set "with grammar"] [--seconds-per-reply S]
[--model-repairs]``; prints Markdown rows.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from eureka.agent.grammar import reward_grammar
from eureka.agent.llm import ask_each, chat_model
from eureka.agent.local_llm import start_server
from eureka.agent.messages import extract_python, repair_messages
from eureka.agent.rewrites import Rewrite, repair_by_rules
from eureka.config import LLMConfig
from eureka.envs.contract import RewardContractError
from eureka.plugins.manager import get_task
from eureka.sandbox.backends import ProcessBackend
from eureka.sandbox.executor import LocalExecutor
from eureka.sandbox.protocol import Job
from eureka.sandbox.rewards import static_check


def checked(codes: dict[str, tuple[str, str | None]], root: Path) -> dict[str, str | None]:
    """key -> None if ``(task, code)`` passes the static check and a sandboxed dry run, else its error."""
    errors: dict[str, str | None] = {}
    jobs = []
    for key, (task_name, code) in codes.items():
        if code is None:
            errors[key] = "the reply has no ```python code block defining compute_reward"
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


def rules_pass(
    written: dict[str, tuple[str, str | None]], root: Path
) -> tuple[dict[str, str | None], dict[str, Rewrite]]:
    """The checks of ``key -> (task, code)`` as written (key -> None or the error), and the repair rules' rewrites
    that pass them, as the agent repairs: rewrite, dry run, rewrite from the new error."""
    first = checked(written, root / "written")
    broken = {k: (get_task(written[k][0]), written[k][1], e) for k, e in first.items() if e is not None}

    def check(rewrites: dict[str, Rewrite], round_: int) -> dict[str, str | None]:
        return checked({k: (written[k][0], r.code) for k, r in rewrites.items()}, root / f"rewritten{round_}")

    return first, repair_by_rules(broken, check)


def model_repairs(
    failing: dict[str, tuple[str, str | None, str, str]], root: Path
) -> tuple[dict[str, str | None], float]:
    """One model repair of each ``key -> (task, code, reply, error)`` through a fresh local server, as a run asks
    it (the round's repairs together, the task's grammar); key -> error after the repair, and the model seconds."""
    info = start_server()
    config = LLMConfig(provider="compatible", base_url=info.base_url, model=info.model, max_n=4)
    model = chat_model(config)
    by_task: dict[str, list[str]] = {}
    for key, (task, *_rest) in failing.items():
        by_task.setdefault(task, []).append(key)
    repaired, seconds = {}, 0.0
    for task, keys in by_task.items():
        conversations = [repair_messages(get_task(task), *failing[k][1:]) for k in keys]
        start = time.perf_counter()
        texts, _ = ask_each(model, conversations, config, reward_grammar(get_task(task)))
        seconds += time.perf_counter() - start
        repaired.update({k: (task, extract_python(t)) for k, t in zip(keys, texts, strict=True)})
    return checked(repaired, root), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("replies", type=Path)
    parser.add_argument("--set", default="with grammar", help='"with grammar" (as runs sample) or "without grammar"')
    parser.add_argument("--seconds-per-reply", type=float, default=None, help="model seconds one sample cost")
    parser.add_argument("--model-repairs", action="store_true", help="also one model repair of each failing reply")
    args = parser.parse_args()
    replies: dict[str, list[str]] = json.loads(args.replies.read_text())[args.set]
    written = {f"{task}-{i}": (task, extract_python(r)) for task, texts in replies.items() for i, r in enumerate(texts)}
    raw = {f"{task}-{i}": r for task, texts in replies.items() for i, r in enumerate(texts)}
    with tempfile.TemporaryDirectory() as tmp:
        first, fixed = rules_pass(written, Path(tmp))
        second = dict.fromkeys(fixed)
        fired = Counter(rule for r in fixed.values() for rule in r.rules)
        failing = {k: (written[k][0], written[k][1], raw[k], e) for k, e in first.items() if e is not None}
        third, repair_seconds = model_repairs(failing, Path(tmp) / "repaired") if args.model_repairs else ({}, 0.0)

    print(f"Replies: {args.set}, {args.replies}")
    print("| task | replies | trainable as written | after the repair rules | as written + one model repair "
          "(old) | rules, then one model repair for the rest (new) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    totals = Counter()
    for task, texts in replies.items():
        keys = [f"{task}-{i}" for i in range(len(texts))]
        ok = sum(first[k] is None for k in keys)
        by_rules = {k for k in keys if second.get(k, "") is None}
        by_model = {k for k in keys if third.get(k, "") is None}
        old, new = ok + len(by_model), ok + len(by_rules | by_model)
        totals.update(replies=len(keys), ok=ok, rules=len(by_rules), old=old, new=new)
        totals.update(asked_new=sum(1 for k in keys if first[k] is not None and k not in by_rules))
        old_new = f"{old} | {new}" if third else "- | -"
        print(f"| {task} | {len(keys)} | {ok} | {ok + len(by_rules)} | {old_new} |")
    n, ok, after = totals["replies"], totals["ok"], totals["ok"] + totals["rules"]
    extra = f" | {totals['old']} ({totals['old'] / n:.0%}) | {totals['new']} ({totals['new'] / n:.0%})" if third else ""
    print(f"| all | {n} | {ok} ({ok / n:.0%}) | {after} ({after / n:.0%}){extra or ' | - | -'} |")
    print(f"\nRules in the rewrites that became trainable, and how often: {dict(fired.most_common())}")
    still = Counter((first[k] or "").splitlines()[-1][:90] for k in first if first[k] and second.get(k, "x"))
    print(f"Errors left for the model, most common first: {still.most_common(8)}")
    if args.seconds_per_reply:
        sampled = args.seconds_per_reply * n
        print(
            f"Model seconds per trainable candidate without repairs: {sampled / max(ok, 1):.0f} as written, "
            f"{sampled / max(after, 1):.0f} after the rules"
        )
        if third:
            per_repair = repair_seconds / max(len(failing), 1)
            old_s = sampled + repair_seconds
            new_s = sampled + per_repair * totals["asked_new"]
            print(
                f"With one model repair round ({len(failing)} repairs took {repair_seconds:.0f} s, "
                f"{per_repair:.1f} s each): old {old_s / max(totals['old'], 1):.0f} s per trainable candidate "
                f"({totals['old']} trainable), new {new_s / max(totals['new'], 1):.0f} s "
                f"({totals['new']} trainable, {totals['asked_new']} model repairs)"
            )


if __name__ == "__main__":
    main()
