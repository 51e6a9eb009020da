"""Does the model copy what the reflection's note on the repair rules shows? The next prompt of a finished run's
iteration, sent with its note as the run wrote it and with the note as ``rules_note`` writes it now; each reply is
searched for placeholder code (``math.f(``, ``torch.f(``, a bare ``f(``) and checked statically.

Usage: python benchmarks/bench_rules_note.py runs/<id> --iteration 2 --replies 8

Needs a run whose reflection of that iteration holds a note (some rule fired). The embedded model, sampled as runs
sample (temperature, the reply grammar, k at a time).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from eureka.agent.grammar import reward_grammar
from eureka.agent.graph import THREAD, build_graph, open_checkpointer
from eureka.agent.llm import chat_model, sample
from eureka.agent.messages import extract_python, proposal_messages
from eureka.agent.nodes import rules_note
from eureka.agent.state import Stage, candidates_of, fittest
from eureka.config import RunConfig
from eureka.plugins.manager import get_task
from eureka.sandbox.rewards import static_check

NOTE_START = "Automatic fixes were needed"
PLACEHOLDER = re.compile(r"\b(?:math|torch)\.f\(|(?<![\w.])f\(")


def _with_note(reflection: str, note: str) -> str:
    """``reflection`` with its paragraph on the rules replaced by ``note``."""
    paragraphs = reflection.split("\n\n")
    index = next(i for i, p in enumerate(paragraphs) if p.lstrip().startswith(NOTE_START))
    return "\n\n".join([*paragraphs[:index], note, *paragraphs[index + 1 :]])


def main(run_dir: Path, iteration: int, replies: int) -> None:
    config = RunConfig.load(run_dir / "config.yaml")
    task = get_task(config.task)
    state = build_graph(open_checkpointer(run_dir / "state.sqlite")).get_state(THREAD).values
    reflection = state["reflections"][str(iteration)]
    best = fittest([c for c in candidates_of(state, iteration) if c.stage is Stage.TRAINED])  # the one shown
    (now,) = rules_note(candidates_of(state, iteration))
    model, grammar = chat_model(config.llm), reward_grammar(task) if config.llm.grammar else None
    print(f"run {run_dir.name}, iteration {iteration}, shown {best.id}; {replies} replies a note\n")
    print("| note | replies | with placeholder code | pass the static check |\n|---|---|---|---|")
    notes = {"as the run wrote it": reflection, "as rules_note writes it now": _with_note(reflection, now)}
    for label, text in notes.items():
        texts, _ = sample(model, proposal_messages(task, best.code, text), replies, config.llm, grammar)
        placeholder = sum(bool(PLACEHOLDER.search(t)) for t in texts)
        passed = 0
        for t in texts:
            try:
                static_check(extract_python(t) or "", task)
                passed += 1
            except Exception:  # noqa: BLE001 - any refusal counts as not passing
                pass
        print(f"| {label} | {len(texts)} | {placeholder} | {passed} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--iteration", type=int, required=True)
    parser.add_argument("--replies", type=int, default=8)
    args = parser.parse_args()
    main(args.run_dir, args.iteration, args.replies)
