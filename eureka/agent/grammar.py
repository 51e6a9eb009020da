"""A GBNF grammar that holds a local model's replies to the reward contract, in as few tokens as it can.

llama.cpp samples only tokens the grammar allows, so every reply is one ```python block, with at most a few import
lines before ``def compute_reward(`` whose parameters are state variables of the task, each at most once and in
the task's order (an invented or repeated name cannot be written: a small model at temperature 1 once looped on
one name until it ran out of tokens), and a body of code: no type annotations, no docstring, no comment lines.
The k samples of a request are decoded together, so a request lasts as long as its longest reply (at ~4 tokens/s a
sequence on 2 cores): annotations cost ~50 tokens a reply and comments a fifth of the rest (benchmarks/RESULTS.md).
A line may end in one short note (``  # `` and at most 40 characters). With no ``#`` at all the model wrote its
comments as ``x = 1.0  // words`` (a syntax error), and sometimes looped on ``  // 2  // 2 ...`` to ``max_tokens``:
a request as long as that reply, and once an expression too deep to check. With ``//`` refused as well it wrote
the comment's words as code (``reward = 0.0 ropy``: half the replies broke). So ``//`` and runs of spaces inside a
line are refused (floor division goes too; a reward has no use for ``1.0 // 2.0 == 0.0``) and the note is the
outlet: the replies are as short as with no comments, none loops.
Every part of the header is bounded (a few import lines, a little whitespace): a model that loops there runs into
the next rule, not into ``max_tokens``. The block's end is the reply's end: no prose after it. Imports are torch
and math only. What the body computes stays the model's.
"""

from __future__ import annotations

import json

from eureka.envs.task import Task

_RULES = r"""
root ::= "```python\n" header{0,4} signature ":\n" first line* "```"
signature ::= "def compute_reward(" space params ","? space ")"
header ::= (("import " module (" as " [a-z]{1,8})?) | ("from " module " import " [a-zA-Z_0-9, ]{1,80}))? "\n"
module ::= "torch" | "math"
space ::= [ \n]{0,12}
comma ::= "," space
first ::= "    " [ ]* [^"'\n `#/] unit* note? "\n"
line ::= ("    " [ ]* lead unit* note?)? "\n"
lead ::= [^\n `#/] | "/" [^\n`#/]
unit ::= lead | " " lead
note ::= " "{1,2} "# " [^\n`]{1,40}
"""


def reward_grammar(task: Task) -> str:
    """The grammar for ``task``: its state variables are the only parameter names, each at most once, in order.

    ``after-i`` is what may follow the i-th variable: any later ones, so a chain of n rules (not n! orders) keeps
    every name to one use. The reward is called with keyword arguments, so the order costs the model nothing.
    """
    names = list(task.state_vars)
    first = " | ".join(f"p{i} after{i}" for i in range(len(names)))
    rules = [f"params ::= {first}"]
    for i, name in enumerate(names):
        rules.append(f"p{i} ::= {json.dumps(name)}")
        rules.append(f"after{i} ::= " + (f"(comma p{i + 1})? after{i + 1}" if i + 1 < len(names) else '""'))
    return _RULES.strip() + "\n" + "\n".join(rules) + "\n"
