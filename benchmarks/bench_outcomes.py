"""How many first-iteration rewards of the model learn the task: the replies a run would get, made trainable by the
repair rules as a run makes them, each trained at the task's budget, counted where the final fitness reaches the
task's threshold. It measures what a change to the prompt, the task's source or the training does to the search's
raw material (benchmarks/RESULTS.md, "Why the pendulum is never won").

Usage: ``python benchmarks/bench_outcomes.py TASK [--n 24] [--replies FILE] [--keep FILE] [--seeds 0]
[--no-example]``. Without ``--replies`` it samples ``--n`` replies from the embedded model (requests of n = 4, the
grammar on, the run's temperature; ``--no-example``: the system prompt without its example reward, as
``search.example_reward: false``) and writes them to ``--keep``; ``--replies`` replays a JSON list of replies
instead. Prints one line per job and a summary line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench_llm import _server, _stop, _timed
from bench_rewrites import rules_pass

from eureka.agent.grammar import reward_grammar
from eureka.agent.messages import extract_python, proposal_messages
from eureka.plugins.manager import get_task
from eureka.sandbox.backends import ProcessBackend
from eureka.sandbox.executor import LocalExecutor
from eureka.sandbox.protocol import Job

SAMPLES_PER_REQUEST = 4  # a run's k
MAX_TOKENS = 512  # the bench's replies, as bench_llm.py's grammar section samples them


def sampled(task_name: str, n: int, example: bool = True) -> list[str]:
    """``n`` first-iteration replies of the embedded model, as a run asks for them."""
    task = get_task(task_name)
    info = _server()
    replies: list[str] = []
    seconds = 0.0
    while len(replies) < n:
        texts, _, wall = _timed(info, proposal_messages(task, example=example), SAMPLES_PER_REQUEST,
                                reward_grammar(task), MAX_TOKENS)  # fmt: skip
        replies, seconds = replies + texts, seconds + wall
    print(f"sampled {len(replies)} replies in {seconds:.0f} s")
    _stop(info)
    return replies[:n]


def trainable(task_name: str, replies: list[str], root: Path) -> dict[str, str]:
    """reply key -> the code that passes the checks, as written or after the repair rules."""
    written = {f"r{i}": (task_name, extract_python(r)) for i, r in enumerate(replies)}
    first, fixed = rules_pass(written, root)
    codes = {k: written[k][1] for k, e in first.items() if e is None}
    codes.update({k: r.code for k, r in fixed.items()})
    return codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("task")
    parser.add_argument("--n", type=int, default=24, help="replies to sample")
    parser.add_argument("--replies", type=Path, default=None, help="a JSON list of replies to replay instead")
    parser.add_argument("--keep", type=Path, default=None, help="write the sampled replies here (JSON)")
    parser.add_argument("--seeds", default="0", help="training seeds, comma-separated")
    parser.add_argument("--no-example", action="store_true", help="sample without the system prompt's example reward")
    args = parser.parse_args()
    task = get_task(args.task)
    replies = json.loads(args.replies.read_text()) if args.replies else sampled(args.task, args.n, not args.no_example)
    if args.keep is not None and args.replies is None:
        args.keep.write_text(json.dumps(replies, indent=1))
    with tempfile.TemporaryDirectory() as tmp:
        codes = trainable(args.task, replies, Path(tmp))
        jobs = [
            (Job(job_id=f"{key}-s{seed}", task=args.task, reward_code=code, seed=int(seed)), Path(tmp) / key / seed)
            for key, code in codes.items()
            for seed in args.seeds.split(",")
        ]
        learned = 0
        for job, result in LocalExecutor(ProcessBackend(), ["cpu"]).run(jobs):
            done = result.final_fitness is not None and result.final_fitness >= task.success_threshold
            learned += done
            print(f"{job.job_id}: {result.status.value}, max {result.max_fitness}, final {result.final_fitness}")
    print(
        f"{args.task}: {len(replies)} replies, {len(codes)} trainable, {learned} of {len(jobs)} jobs end at or above "
        f"the threshold ({task.success_threshold:g})"
    )


if __name__ == "__main__":
    main()
