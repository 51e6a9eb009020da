"""A GBNF grammar that holds a local model's replies to the reward contract.

llama.cpp samples only tokens the grammar allows, so every reply is one ```python block, with at most a few import
lines before ``def compute_reward(`` whose parameters are state variables of the task, each at most once and in
the task's order (an invented or repeated name cannot be written: a small model at temperature 1 once looped on
one name until it ran out of tokens), and a body that opens with code rather than a docstring (shorter replies).
Every part of the header is bounded (a few import lines, short annotations, a little whitespace): a model that
loops there runs into the next rule, not into ``max_tokens``. The block's end is the reply's end: no prose after
it. Imports are torch and math only, and annotations are torch types or builtin generics (``Tuple`` would need
``typing``, which the policy refuses). What the body computes stays the model's.
"""

from __future__ import annotations

import json

from eureka.envs.task import Task

_RULES = r"""
root ::= "```python\n" header{0,4} signature ":\n" first body "```"
signature ::= "def compute_reward(" space params ","? space ")" returns?
header ::= (("import " module (" as " [a-z]{1,8})?) | ("from " module " import " [a-zA-Z_0-9, ]{1,80}))? "\n"
module ::= "torch" | "math"
space ::= [ \n]{0,12}
comma ::= "," space
type ::= (": " ("torch." | "float" | "int") [a-zA-Z_.]{0,24})?
returns ::= " -> " ("tuple[" | "torch.") [^:\n]{0,80}
first ::= "    " [^"'\n `] [^\n`]* "\n"
body ::= ([^`] | "`" [^`] | "``" [^`])*
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
        rules.append(f"p{i} ::= {json.dumps(name)} type")
        rules.append(f"after{i} ::= " + (f"(comma p{i + 1})? after{i + 1}" if i + 1 < len(names) else '""'))
    return _RULES.strip() + "\n" + "\n".join(rules) + "\n"
