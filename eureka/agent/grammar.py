"""A GBNF grammar that holds a local model's replies to the reward contract.

llama.cpp samples only tokens the grammar allows, so every reply is one ```python block, with at most a few import
lines before ``def compute_reward(`` whose parameters are state variables of the task (an invented name cannot be
written), and a body that opens with code rather than a docstring (shorter replies). The block's end is the
reply's end: no prose after it. Imports are torch and math only, and annotations are torch types or builtin
generics (``Tuple`` would need ``typing``, which the policy refuses). What the body computes stays the model's.
"""

from __future__ import annotations

import json

from eureka.envs.task import Task

_RULES = r"""
root ::= "```python\n" header* signature ":\n" first body "```"
signature ::= "def compute_reward(" space param (comma param)* ","? space ")" returns?
header ::= (("import " module (" as " [a-z]+)?) | ("from " module " import " [a-zA-Z_0-9, ]+))? "\n"
module ::= "torch" | "math"
space ::= [ \n]*
comma ::= "," space
param ::= name (": " ("torch." | "float" | "int") [a-zA-Z_.]*)?
returns ::= " -> " ("tuple[" | "torch.") [^:\n]*
first ::= "    " [^"'\n `] [^\n`]* "\n"
body ::= ([^`] | "`" [^`] | "``" [^`])*
"""


def reward_grammar(task: Task) -> str:
    """The grammar for ``task``: its state variables are the only parameter names."""
    names = " | ".join(json.dumps(name) for name in task.state_vars)
    return f"{_RULES.strip()}\nname ::= {names}\n"
