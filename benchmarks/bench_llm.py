"""The embedded model on this machine, through llama.cpp's server (xllamacpp): what a run pays for its samples.

Sections (all by default, or those named with ``--only``):
- ``samples``: k cartpole reward samples from a cold server in one request (n = k), then the next iteration's k
  (the best reward and its reflection added: the shared prefix comes from the prompt cache);
- ``batch``: aggregate generation speed with n = 1, 2, 4, 8 sequences decoded together, beside llama.cpp's own
  timing of the first sequence;
- ``grammar``: the share of first-iteration replies that pass the static check, with and without the grammar,
  on every built-in task;
- ``speculative``: k repairs of a real failure with and without n-gram speculative decoding;
- ``threads``: generation speed with each thread count from 1 to the usable cores.

Usage: ``python benchmarks/bench_llm.py [--k 4] [--per-task 8] [--only samples,batch]``; prints Markdown rows.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
from collections import Counter
from pathlib import Path

from langchain_core.messages import BaseMessage

from eureka.agent.grammar import reward_grammar
from eureka.agent.llm import ask_each, chat_model, sample
from eureka.agent.local_llm import MODEL_NAME, ServerInfo, assemble_model, server_process, start_server
from eureka.agent.messages import extract_python, proposal_messages, repair_messages
from eureka.config import LLMConfig
from eureka.envs import builtin_tasks
from eureka.plugins.manager import get_task
from eureka.sandbox.executor import usable_cores
from eureka.sandbox.rewards import static_check

REFLECTION = (
    "We trained a RL policy using the provided reward function code and tracked the values of the individual "
    "components in the reward function as well as global policy metrics such as success rates and episode lengths "
    "after every 10 epochs and the maximum, mean, minimum values encountered:\nfitness: ['21.0', '64.2', '180.3', "
    "'240.5'], Max: 240.5, Mean: 126.5, Min: 21.0\nupright: ['0.81', '0.90', '0.95', '0.97']\n"
    "Please carefully analyze the policy feedback and provide a new, improved reward function."
)
REPAIR_ERROR = (
    'Traceback (candidate code only):\n  File "candidate.py", line 6, in compute_reward\n'
    "    if pole_angle.abs() < 0.2:\nRuntimeError: Boolean value of Tensor with more than one value is ambiguous"
)


#: The samples' temperature (``--temperature``; a run's default for the local model unless told).
TEMPERATURE = LLMConfig(provider="local").temperature


def _config(info: ServerInfo, **overrides) -> LLMConfig:
    overrides.setdefault("temperature", TEMPERATURE)
    return LLMConfig(provider="compatible", base_url=info.base_url, model=info.model, max_n=4, **overrides)


def _server(**settings) -> ServerInfo:
    start = time.perf_counter()
    info = start_server(**settings)
    print(f"| server start ({settings or 'defaults'}) | {time.perf_counter() - start:.1f} s |")
    return info


def _stop(info: ServerInfo) -> None:
    proc = server_process(info)
    proc.terminate()
    proc.wait()


def _tokens(info: ServerInfo, texts: list[str]) -> int:
    """Tokens in ``texts``, by the server's tokenizer (llama.cpp's usage of an ``n`` request covers one choice)."""
    total = 0
    for text in texts:
        request = urllib.request.Request(
            info.base_url.removesuffix("/v1") + "/tokenize",
            json.dumps({"content": text}).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            total += len(json.loads(response.read())["tokens"])
    return total


def _timed(info: ServerInfo, conversation: list[BaseMessage], k: int, grammar: str | None, max_tokens: int):
    config = _config(info, max_tokens=max_tokens)
    start = time.perf_counter()
    texts, usage = sample(chat_model(config), conversation, k, config, grammar)
    wall = time.perf_counter() - start
    usage["completion_tokens"] = _tokens(info, texts)
    return texts, usage, wall


def _row(label: str, wall: float, usage: Counter, extra: str = "") -> None:
    print(
        f"| {label} | {wall:.1f} s ({usage['prompt_tokens']} prompt tokens, {usage['cached_tokens']} of them cached; "
        f"{usage['completion_tokens']} completion tokens, {usage['completion_tokens'] / wall:.1f} tokens/s){extra} |"
    )


def samples(info: ServerInfo, k: int, max_tokens: int) -> None:
    task = get_task("cartpole")
    grammar = reward_grammar(task)
    texts, usage, wall = _timed(info, proposal_messages(task, None, None, None), k, grammar, max_tokens)
    _row(f"k={k} cartpole samples, cold server, one request (n={k}), grammar", wall, usage)
    best = extract_python(texts[0]) or ""
    texts, usage, wall = _timed(info, proposal_messages(task, best, REFLECTION, None), k, grammar, max_tokens)
    _row(f"next iteration's k={k} (best reward + reflection; prefix cached)", wall, usage)


def batch(info: ServerInfo, max_tokens: int) -> None:
    for n in (1, 2, 4, 8):
        body = {
            "model": MODEL_NAME,
            "messages": [{"role": "user", "content": f"Write a long Python module about sorting (variant {n})."}],
            "max_tokens": max_tokens,
            "n": n,
            "temperature": 1.0,
            "ignore_eos": True,
        }
        request = urllib.request.Request(
            f"{info.base_url}/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=900) as response:
            reply = json.loads(response.read())
        wall = time.perf_counter() - start
        tokens = n * reply["usage"]["completion_tokens"]  # ignore_eos: every choice runs to max_tokens
        own = reply.get("timings", {}).get("predicted_per_second", float("nan"))
        print(
            f"| n={n} sequences decoded together | {tokens / wall:.1f} tokens/s in all ({tokens} tokens in "
            f"{wall:.1f} s); llama.cpp's timing of one sequence {own:.1f} tokens/s |"
        )


def grammar_pass_rate(
    info: ServerInfo, per_task: int, max_tokens: int, keep: Path | None, modes: tuple[bool, ...] = (False, True)
) -> None:
    """Also keeps the replies in ``keep`` (JSON: "without grammar" / "with grammar" -> task -> replies), for
    bench_rewrites.py."""
    kept: dict[str, dict[str, list[str]]] = {}
    for with_grammar in modes:
        label = "with grammar" if with_grammar else "without grammar"
        passed, total, tokens, wall = 0, 0, 0, 0.0
        for task in builtin_tasks().values():
            grammar = reward_grammar(task) if with_grammar else None
            texts, usage, seconds = _timed(
                info, proposal_messages(task, None, None, None), per_task, grammar, max_tokens
            )
            tokens, wall = tokens + usage["completion_tokens"], wall + seconds
            kept.setdefault(label, {})[task.name] = texts
            for text in texts:
                total += 1
                try:
                    static_check(extract_python(text) or "", task)
                    passed += 1
                except Exception:  # noqa: BLE001 - any refusal counts as a failed sample
                    pass
        print(
            f"| first-iteration replies passing the static check, {label} | {passed}/{total} "
            f"({tokens / total:.0f} completion tokens a reply, {wall:.0f} s, {wall / total:.1f} s a reply) |"
        )
        if keep is not None:
            keep.write_text(json.dumps(kept, indent=1))


def repairs(info: ServerInfo, k: int, max_tokens: int, label: str) -> None:
    task = get_task("cartpole")
    broken = (
        "def compute_reward(pole_angle, cart_position):\n    upright = torch.cos(pole_angle)\n"
        "    centred = -0.1 * cart_position.abs()\n    bonus = torch.zeros_like(pole_angle)\n"
        "    if pole_angle.abs() < 0.2:\n        bonus = bonus + 1.0\n"
        "    return upright + centred + bonus, {'upright': upright, 'centred': centred, 'bonus': bonus}\n"
    )
    conversation = repair_messages(task, broken, f"```python\n{broken}```", REPAIR_ERROR)
    config = _config(info, max_tokens=max_tokens)
    start = time.perf_counter()
    texts, usage = ask_each(chat_model(config), [conversation] * k, config, reward_grammar(task))
    usage["completion_tokens"] = _tokens(info, texts)
    _row(f"{k} repairs at once, {label}", time.perf_counter() - start, usage)


def threads(max_tokens: int) -> None:
    for count in range(1, usable_cores() + 1):
        info = _server(threads=count)
        conversation = proposal_messages(get_task("cartpole"), None, None, None)
        _, usage, wall = _timed(info, conversation, 4, None, max_tokens)
        _row(f"{count} server thread(s): k=4 cold samples", wall, usage)
        _stop(info)


def main() -> None:
    global TEMPERATURE
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--per-task", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--only", default="samples,batch,grammar,speculative,threads")
    parser.add_argument("--keep-replies", type=Path, default=None, help="write the replies here (JSON)")
    parser.add_argument("--grammar-modes", default="without,with", help="the grammar section's halves")
    parser.add_argument("--temperature", type=float, default=TEMPERATURE, help="the samples' temperature")
    args = parser.parse_args()
    TEMPERATURE = args.temperature
    sections = set(args.only.split(","))

    start = time.perf_counter()
    assemble_model()
    print(f"| model file ready (assembled and verified, or found) | {time.perf_counter() - start:.1f} s |")
    if sections & {"samples", "batch", "grammar", "speculative"}:
        info = _server()
        if "samples" in sections:
            samples(info, args.k, args.max_tokens)
        if "batch" in sections:
            _stop(info)
            info = _server(slots=8)  # n = 8 needs eight slots; a run's default is four
            batch(info, 128)
        if "grammar" in sections:
            modes = tuple(mode == "with" for mode in args.grammar_modes.split(","))
            grammar_pass_rate(info, args.per_task, args.max_tokens, args.keep_replies, modes)
        if "speculative" in sections:
            repairs(info, args.k, args.max_tokens, "no speculative decoding")
            _stop(info)
            info = _server(speculative=True)
            repairs(info, args.k, args.max_tokens, "n-gram speculative decoding")
        _stop(info)
    if "threads" in sections:
        threads(args.max_tokens)


if __name__ == "__main__":
    main()
