"""The embedded model on this machine: load time, prompt and generation speed, k reward samples with and without
reuse of the shared prompt.

Usage: ``python benchmarks/bench_llm.py [--k 4]``; prints Markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import time
import uuid

from langchain_core.messages import SystemMessage

from eureka.agent.llm import LLMConfig, UsageLog, chat_model
from eureka.agent.local_llm import assemble_model, start_server
from eureka.agent.messages import extract_python, task_messages
from eureka.envs import get_task


def _config(info, **overrides) -> LLMConfig:
    return LLMConfig(provider="compatible", base_url=info.base_url, model=info.model, **overrides)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=512)
    args = parser.parse_args()

    start = time.perf_counter()
    assemble_model()
    assembled = time.perf_counter() - start
    start = time.perf_counter()
    info = start_server()
    loaded = time.perf_counter() - start
    print(f"| model file ready (assembled and verified, or found) | {assembled:.1f} s |")
    print(f"| server start (model load, health check) | {loaded:.1f} s |")

    messages = task_messages(get_task("cartpole"))
    # Prompt speed: a fresh prefix (nothing to reuse) and one output token.
    usage = UsageLog()
    fresh = [SystemMessage(f"run {uuid.uuid4()}"), *messages]
    chat_model(_config(info, max_tokens=1), usage).invoke(fresh)
    prompt = usage.calls[-1]
    print(
        f"| prompt processing | {prompt.prompt_tokens / prompt.seconds:.0f} tokens/s ({prompt.prompt_tokens} tokens) |"
    )

    # Generation speed: a tiny prompt, a long answer.
    chat_model(_config(info, max_tokens=256, temperature=0.0), usage).invoke("Write a Python quicksort.")
    gen = usage.calls[-1]
    print(f"| generation | {gen.completion_tokens / gen.seconds:.1f} tokens/s ({gen.completion_tokens} tokens) |")

    for label, reuse in (("shared prompt reused (prompt cache)", True), ("no reuse (a distinct prefix each)", False)):
        usage = UsageLog()
        model = chat_model(_config(info, max_tokens=args.max_tokens, temperature=1.0), usage)
        prompts = [messages if reuse else [SystemMessage(f"sample {uuid.uuid4()}"), *messages] for _ in range(args.k)]
        start = time.perf_counter()
        replies = model.batch(prompts, {"max_concurrency": 1})
        wall = time.perf_counter() - start
        code = sum(extract_python(r.content) is not None for r in replies)
        totals = usage.totals
        print(
            f"| k={args.k} cartpole reward samples, {label} | {wall:.1f} s "
            f"({totals.prompt_tokens} prompt + {totals.completion_tokens} completion tokens; "
            f"{code}/{args.k} with code) |"
        )


if __name__ == "__main__":
    main()
