"""Deterministic repairs of the mistakes small models make, tried before a model repair.

Each rule is a small AST rewrite with a name, what it matches and what it writes (``RULES``, the one table). A
rule sees the candidate's ``compute_reward``, the task's state variables and the error the candidate failed
with; it returns True when it changed the tree. Which expressions are tensors is known from the parameters: a
name is a tensor if a parameter flows into it (``_tensor_names``). ``rewrite`` applies every rule in order and
returns the new code with the rules that fired, or None; a rule never raises (one that does is skipped), and the
caller keeps a rewrite only if it passes the static check and a dry run.

To add a rule: write ``def _my_rule(fn: ast.FunctionDef, ctx: RuleContext) -> bool``, append
``Rule("my_rule", "what it matches", "what it writes", _my_rule)`` to ``RULES``, and give it a unit test in
tests/unit/test_rewrites.py with a before and an after.
"""

from __future__ import annotations

import ast
import copy
import difflib
import functools
import inspect
import math
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import torch

from eureka.envs.task import Task
from eureka.sandbox.restricted import CURATED_NAMES
from eureka.sandbox.rewards import CONSTANT_TOTAL, entry_function, one_env_reads, own_returns

#: Python's scalar functions and their batch equivalents (a tensor argument makes the first one fail).
_BUILTINS = {"abs": "abs", "round": "round"}
_MIN_MAX = {"max": ("maximum", "min"), "min": ("minimum", "max")}
_SHAPE_ERROR = re.compile(r"'(.+?)' must have shape \((\d+),\), got \(([\d, ]*)\)")
#: A C-style comment after code (``x = 0.1  // the temperature``, ``// reward = 5 * distance``): words after
#: ``//`` (or a number and words: ``// 20 is the temperature``; the first word may be a name: ``// speed_error is
#: clamped``), not an operand (``x // scale + 1`` is one: a name, then an operator other than ``=``).
_C_COMMENT = re.compile(r"[ \t]*//[ \t]*(?:\d[\d.]*[ \t]+)?[A-Za-z][\w'-]* (?:[A-Za-z]|= ).*$", re.M)
_UNDEFINED = re.compile(r"name '(\w+)' is not defined")
_NOT_A_STATE_VARIABLE = re.compile(r"parameter '(\w+)' is not a state variable")
_CLOSE = 0.8  # difflib's similarity of a misspelling: pole_angel/pole_angle 0.9, cart_angle/pole_angle 0.6
#: A value of shape (N, N) where (N,) was wanted: a (N, 1) column met a (N,) value
_SQUARE = re.compile(
    r"must have shape \((\d+),\), got \(\1, \1\)"
    r"|output with shape \[(\d+)\] doesn't match the broadcast shape \[\2, \2\]"  # x += column
)
#: ``x += batch`` where ``x`` is one number (``torch.tensor(0.0)``): torch will not grow ``x`` in place
_IN_PLACE_GROWTH = re.compile(r"output with shape \[1?\] doesn't match the broadcast shape \[\d+\]")
_TRACEBACK_LINE = re.compile(r'File "candidate\.py", line (\d+)')
_PER_ENV_DIM = re.compile(r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)")
_NUMBER_ERROR = re.compile(r"'(.+?)' must be a torch\.Tensor, got (?:float|int|bool)\b")
_BOOL_ARITHMETIC = re.compile(r"the `-` operator, (?:with|on) a bool tensor is not supported")
#: ``&``/``|`` of a float tensor: torch has no bitwise operation on floats (on any device)
_BITWISE_ON_FLOATS = re.compile(r'"bitwise_(?:and|or|xor)_\w+" not implemented for \'(?:Float|Double|Half|BFloat16)\'')
_REFUSED_IMPORT = re.compile(r"(\w+) has no allowed name '\w+' for reward code")
_DTYPE_ERROR = re.compile(r"'(.+?)' must be a floating-point tensor, got torch\.(?:bool|u?int\d*|long)")


@dataclass
class RuleContext:
    """What a rule may read: the task's state variables, the error the code failed with, and the names that hold
    tensors (filled before each rule runs)."""

    task: Task
    error: str
    tensors: set[str] = field(default_factory=set)
    module: ast.Module | None = None  # the whole reply, for what sits outside compute_reward (its imports)

    @property
    def failing_line(self) -> int | None:
        """The candidate's line the error was raised on (the traceback's last frame in it); None without one."""
        lines = _TRACEBACK_LINE.findall(self.error)
        return int(lines[-1]) if lines else None

    def is_tensor(self, node: ast.AST) -> bool:
        """Whether ``node`` reads a name that holds a tensor."""
        return any(isinstance(n, ast.Name) and n.id in self.tensors for n in ast.walk(node))

    def torch_function(self, func: ast.expr) -> str | None:
        """The torch function a call's ``func`` names: ``torch.where`` and, after ``from torch import where [as w]``
        in the reply, ``where`` (``w``) are "where"; None for anything else."""
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "torch":
            return func.attr
        if isinstance(func, ast.Name) and self.module is not None:
            for node in ast.walk(self.module):
                if isinstance(node, ast.ImportFrom) and node.module == "torch":
                    for alias in node.names:
                        if (alias.asname or alias.name) == func.id:
                            return alias.name
        return None


@dataclass(frozen=True)
class Rule:
    """One rewrite: its name, what it matches and what it writes (shown in the docs and the report). ``apply``
    changes the tree of ``compute_reward``; a rule with ``text=True`` rewrites the source instead (its ``apply``
    takes the code and returns the new code or None), for code that does not parse."""

    name: str
    matches: str
    writes: str
    apply: Callable[..., bool | str | None]
    text: bool = False


@dataclass(frozen=True)
class Rewrite:
    """Code after the rules, and the names of the rules that changed it."""

    code: str
    rules: list[str]


def _torch(name: str) -> ast.Attribute:
    return ast.Attribute(value=ast.Name("torch", ast.Load()), attr=name, ctx=ast.Load())


def _call(func: ast.expr, *args: ast.expr, **kwargs: ast.expr) -> ast.Call:
    return ast.Call(func=func, args=list(args), keywords=[ast.keyword(k, v) for k, v in kwargs.items()])


def _size_of(node: ast.AST) -> tuple[ast.expr, ast.expr | None] | None:
    """``(x, i)`` for ``x.shape[i]``, ``x.size(i)`` and ``len(x)`` (i = 0); ``(x, None)`` for ``x.numel()``,
    ``x.dim()``, ``x.ndim``, ``x.size()``; None for anything else. Each is a Python int (a size), whatever ``x`` is."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
        return node.value.value, node.slice
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1:
        return node.args[0], ast.Constant(0)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "size":
        return node.func.value, node.args[0] if len(node.args) == 1 else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("numel", "dim"):
        return node.func.value, None
    if isinstance(node, ast.Attribute) and node.attr in ("shape", "size", "numel", "dim", "ndim"):
        return node.value, None
    return None


def _tensor_names(fn: ast.FunctionDef) -> set[str]:
    """Parameters (of helper functions inside too: they are called with state variables), and every name assigned
    (in order, twice for loops) from an expression that reads one, except sizes (``num_envs = x.shape[0]`` is an
    int), or from a call of torch (``torch.zeros(num_envs)``)."""
    names = _parameters(fn)
    for _ in range(2):
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value is not None:
                if _size_of(node.value) is not None:
                    continue
                made = isinstance(node.value, ast.Call) and ast.unparse(node.value.func).startswith("torch.")
                if made or any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _parameters(fn: ast.FunctionDef) -> set[str]:
    """The parameters of ``fn`` and of the functions defined inside it."""
    return {a.arg for f in ast.walk(fn) if isinstance(f, ast.FunctionDef) for a in f.args.args}


class _Replace(ast.NodeTransformer):
    """Replaces each node for which ``swap`` returns a new one (children first)."""

    def __init__(self, swap: Callable[[ast.AST], ast.AST | None]) -> None:
        self.swap, self.changed = swap, False

    def generic_visit(self, node: ast.AST) -> ast.AST:
        node = super().generic_visit(node)
        new = self.swap(node)
        if new is None:
            return node
        self.changed = True
        return ast.copy_location(new, node)


def _statement_lists(tree: ast.AST) -> list[list[ast.stmt]]:
    """Every list of statements in ``tree`` (bodies and else branches), taken before a rule changes any."""
    lists = (body for node in ast.walk(tree) for body in (getattr(node, "body", None), getattr(node, "orelse", None)))
    return [body for body in lists if isinstance(body, list)]


def _replace(fn: ast.FunctionDef, swap: Callable[[ast.AST], ast.AST | None]) -> bool:
    transformer = _Replace(swap)
    transformer.visit(fn)
    return transformer.changed


# ----- the rules


def _c_comments(code: str) -> str | None:
    """``x = 0.1  // the temperature``: a small model told to write no ``#`` comments writes C++ ones."""
    stripped = _C_COMMENT.sub("", code)
    return stripped if stripped != code else None


def _cut_replies(code: str) -> str | None:
    """A reply cut at the token limit mid-statement: the code up to its last whole statement (``missing_return``
    then returns what it computed). Only where the error is the end of the code: a bracket never closed, or the
    last line; a mistake in the middle is the model's to fix, not a reason to drop the rest."""
    try:
        ast.parse(code)
    except SyntaxError as exc:
        lines = code.rstrip().splitlines()
        if exc.lineno is None or ("was never closed" not in str(exc.msg) and exc.lineno < len(lines)):
            return None
        for end in range(min(exc.lineno, len(lines)) - 1, 1, -1):
            kept = "\n".join(lines[:end]) + "\n"
            if _parses(kept):
                return kept
    return None


def _defined(fn: ast.FunctionDef) -> set[str]:
    """Parameters, names assigned, and functions defined inside ``fn``."""
    return (
        {a.arg for a in fn.args.args}
        | {n.id for n in ast.walk(fn) if _stored(n)}
        | {n.name for n in ast.walk(fn) if isinstance(n, ast.FunctionDef) and n is not fn}
    )


def _environment_helpers(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A function of the environment's module the model read in its source and calls (``wrap_angle(theta)``) but
    the reward namespace lacks: its source, defined inside ``compute_reward`` (so it runs under the same policy)."""
    module = sys.modules[ctx.task.env_cls.__module__]
    defined = _defined(fn)
    helpers = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in defined:
            helper = getattr(module, node.func.id, None)
            if inspect.isfunction(helper) and f"{node.func.id}(" in ctx.task.context_source:
                defined.add(node.func.id)
                helpers.append(ast.parse(textwrap.dedent(inspect.getsource(helper))).body[0])
    fn.body[:0] = helpers
    return bool(helpers)


@functools.cache  # an environment's source does not change within a process; rules run on every failed reply
def _environment_expressions(env_cls: type) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """What the environment's ``state`` hands out as state variables, as ``(expression, names)`` pairs, by the
    expression of the environment's own each was made from: reacher's ``tip, tip_vel = self._fingertip()`` then
    ``"fingertip": tip, "fingertip_velocity": tip_vel`` gives ``("self._fingertip()", ("fingertip",
    "fingertip_velocity"))`` (a call by its function; never a result it does not hand out), and ``"target":
    self.s[:, 4:6]`` gives ``("self.s[:, 4:6]", ("target",))``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(env_cls)))
    state = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "state"), None)
    if state is None:
        return ()
    handed = [
        (key.value, value)
        for node in ast.walk(state)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict)
        for key, value in zip(node.value.keys, node.value.values, strict=True)
        if isinstance(key, ast.Constant)
    ]
    by_local = {value.id: key for key, value in handed if isinstance(value, ast.Name)}

    def text(node: ast.expr) -> str:  # a call by its function: the model passes it other arguments, or none
        return ast.unparse(node.func) + "()" if isinstance(node, ast.Call) else ast.unparse(node)

    found = {text(value): (key,) for key, value in handed if not isinstance(value, ast.Name)}
    for node in ast.walk(state):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            names = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else [node.targets[0]]
            found[text(node.value)] = tuple(by_local.get(n.id) if isinstance(n, ast.Name) else None for n in names)
    return tuple((key, names) for key, names in found.items() if key.startswith("self.") and None not in names)


def _environment_expressions_in_rewards(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """The environment's own expressions, which a reward cannot evaluate (``self._fingertip()``,
    ``_fingertip(joint_angles)``, ``self.s[:, 4:6]``, ``s[:, 4:6]``): the state variables ``state`` makes of them
    (``(fingertip, fingertip_velocity)``, ``target``)."""
    own = _defined(fn)  # a function or local of the reward's own by that name is the reward's
    known = {}
    for expression, names in _environment_expressions(ctx.task.env_cls):
        bare = expression.removeprefix("self.")
        for form in (expression, bare, bare.lstrip("_")):
            if form.split("[")[0].split("(")[0] not in own:
                known[form] = names

    used: list[str] = []

    def swap(node: ast.AST) -> ast.AST | None:
        key = ast.unparse(node.func) + "()" if isinstance(node, ast.Call) else ast.unparse(node)
        names = known.get(key) if isinstance(node, ast.Call | ast.Subscript | ast.Attribute) else None
        if names is None:
            return None
        used.extend(names)
        loads = [ast.Name(id=name, ctx=ast.Load()) for name in names]
        return loads[0] if len(loads) == 1 else ast.Tuple(elts=loads, ctx=ast.Load())

    changed = _replace(fn, swap)
    # taken as parameters here: ``target = self.s[:, 4:6]`` becomes ``target = target``, which reads a parameter
    params = {a.arg for a in fn.args.args}
    fn.args.args += [ast.arg(name) for name in dict.fromkeys(used) if name not in params]
    return changed


def _refused_imports(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``from math import abs`` (the error: math has no allowed name 'abs'): the names the module lacks leave the
    import, so the code reaches Python's own (``abs``, whose use on a tensor the next rule turns into torch's)."""
    match = _REFUSED_IMPORT.search(ctx.error)
    allowed = CURATED_NAMES.get(match.group(1)) if match else None
    if allowed is None or ctx.module is None:
        return False
    changed = False
    for body in _statement_lists(ctx.module):
        for stmt in list(body):
            if isinstance(stmt, ast.ImportFrom) and stmt.module == match.group(1):
                kept = [alias for alias in stmt.names if alias.name in allowed]
                if len(kept) < len(stmt.names):
                    stmt.names, changed = kept, True
                    if not kept:
                        body[body.index(stmt)] = ast.Pass()
    return changed


def _math_on_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    defined = _defined(fn)

    def swap(node: ast.AST) -> ast.AST | None:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "math"
            and any(ctx.is_tensor(a) for a in node.args)
        ):
            return _call(_torch(node.func.attr), *node.args)
        if (  # ``from math import exp`` at the top, then ``exp(tensor)``
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id not in defined
            and hasattr(math, node.func.id)
            and hasattr(torch, node.func.id)
            and any(ctx.is_tensor(a) for a in node.args)
        ):
            return _call(_torch(node.func.id), *node.args)
        return None

    return _replace(fn, swap)


def _builtins_on_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    def swap(node: ast.AST) -> ast.AST | None:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords):
            return None
        name, args = node.func.id, node.args
        if name in _BUILTINS and len(args) == 1 and ctx.is_tensor(args[0]):
            return _call(_torch(_BUILTINS[name]), args[0])
        if name in _MIN_MAX and len(args) == 2 and any(ctx.is_tensor(a) for a in args):
            both, bound = _MIN_MAX[name]
            tensor, other = (args[0], args[1]) if ctx.is_tensor(args[0]) else (args[1], args[0])
            if ctx.is_tensor(other):
                return _call(_torch(both), tensor, other)
            return _call(_torch("clamp"), tensor, **{bound: other})
        return None

    return _replace(fn, swap)


def _conditional_on_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    def swap(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.IfExp) and ctx.is_tensor(node.test):
            return _call(_torch("where"), node.test, node.body, node.orelse)
        return None

    return _replace(fn, swap)


def _truth(node: ast.expr, ctx: RuleContext) -> ast.expr:
    """``node`` as a boolean tensor: a comparison or a mask as it is, any other tensor ``.bool()`` (Python's truth
    of each value), a number as it is."""
    if _is_mask(node) or not ctx.is_tensor(node):
        return node
    return _call(ast.Attribute(node, "bool", ast.Load()))


def _mask_names(fn: ast.FunctionDef) -> set[str]:
    """Names only ever assigned a mask (``close = distance < 0.1``)."""
    values: dict[str, list[ast.expr | None]] = {}  # name -> what it is assigned (None: by a loop, +=, ...)
    for node in ast.walk(fn):
        for target in node.targets if isinstance(node, ast.Assign) else []:
            if isinstance(target, ast.Name):
                values.setdefault(target.id, []).append(node.value)
        if isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For) and isinstance(node.target, ast.Name):
            values.setdefault(node.target.id, []).append(None)
    return {name for name, assigned in values.items() if all(v is not None and _is_mask(v) for v in assigned)}


def _is_mask(node: ast.AST) -> bool:
    """Whether ``node`` is written as a boolean: a comparison, or ``and/or/not/&/|/~`` of values."""
    masks = isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr)
    inverted = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert | ast.Not)
    return isinstance(node, ast.Compare | ast.BoolOp) or masks or inverted


def _where_conditions(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``torch.where(success, a, b)`` on a float tensor (the error says so; often what ``a if success else b``
    became): ``success.bool()``, Python's truth of each value. Comparisons and masks already are booleans."""
    if "condition to be a boolean tensor" not in ctx.error:
        return False

    def swap(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Call) and ctx.torch_function(node.func) == "where" and node.args:
            condition = _truth(node.args[0], ctx)
            if condition is not node.args[0]:
                return ast.Call(func=node.func, args=[condition, *node.args[1:]], keywords=node.keywords)
        return None

    return _replace(fn, swap)


def _if_assignments_on_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``if c: <assignments> [elif ...] [else: <assignments>]`` on a tensor condition: each assignment made per
    env, in order: ``x = torch.where(c, a, x)`` in the if branch, ``torch.where(c, x, b)`` in the else branch
    (``0.0`` for a name with no value yet), inner ifs first; a condition a branch changes is kept in a name first.
    Branches that end in a return (an early ``if c: return ...`` takes the rest of the body as its else) become one
    return, total and each component chosen per env (0.0 for a component one branch lacks); the rest after an
    early return may hold any statement (it runs for every env, as written). In a helper function inside
    ``compute_reward`` the same, its return one value chosen per env. Left alone: a branch with any other statement
    (a call, a loop), or a components dict that is not written out (``{...}`` or ``dict(...)``) in the return. A
    dict a branch assigns holds every key any dict assigned to that name has, each chosen per env (0.0 where
    absent)."""
    changed = False
    dict_keys: dict[str, dict] = {}  # name -> the constant keys of every dict literal assigned to it
    for node in ast.walk(fn):
        items = _dict_items(node.value) if isinstance(node, ast.Assign) else None
        if items is not None:
            for target in (t for t in node.targets if isinstance(t, ast.Name)):
                dict_keys.setdefault(target.id, {}).update(dict.fromkeys(items))

    def per_env(stmt: ast.stmt, test: ast.expr, then: bool, known: set[str]) -> list[ast.stmt] | None:
        if isinstance(stmt, ast.Pass):
            return []
        assigned = _assignment(stmt)
        if assigned is None:
            return None
        target, value = assigned
        keyed = isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
        if not (isinstance(target, ast.Name) or (keyed and isinstance(target.slice, ast.Constant))):
            return None
        key = ast.unparse(target)
        was_known, where = key in known or isinstance(stmt, ast.AugAssign), _torch("where")
        known.add(key)

        def chosen(new: ast.expr, old: ast.expr) -> ast.Call:
            return _call(where, test, *((new, old) if then else (old, new)))

        written = _dict_items(value)
        if written is not None:
            # a components dict: each component chosen per env, 0.0 where a branch's dict has no such key
            get = ast.Attribute(_loaded(target), "get", ast.Load())
            keys = list(dict.fromkeys([*written, *dict_keys.get(key, {})]))
            parts = [
                chosen(written.get(k, ast.Constant(0.0)), _call(get, ast.Constant(k), ast.Constant(0.0)))
                if was_known
                else chosen(written.get(k, ast.Constant(0.0)), ast.Constant(0.0))
                for k in keys
            ]
            return [ast.Assign([target], ast.Dict([ast.Constant(k) for k in keys], parts), lineno=stmt.lineno)]
        old = _loaded(target) if was_known else ast.Constant(0.0)
        return [ast.Assign([target], chosen(value, old), lineno=stmt.lineno)]

    def branch(stmts: list[ast.stmt], test: ast.expr, then: bool, known: set[str]) -> tuple[list, ast.expr | None]:
        """The branch's statements made per env, and the value of the return it ends in (None if none)."""
        out = []
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, ast.Return) and stmt.value is not None and i == len(stmts) - 1:
                return out, stmt.value
            written = per_env(stmt, test, then, known)
            if written is None:
                raise _Unchanged
            out += written
        return out, None

    def convert(node: ast.If, rest: list[ast.stmt], entry: bool) -> tuple[list[ast.stmt], int]:
        """The statements for ``node`` (in ``compute_reward`` itself if ``entry``, else in a helper function
        inside it) and how many of the statements after it they replace."""
        if not ctx.is_tensor(node.test):
            raise _Unchanged
        returns = bool(node.body) and isinstance(node.body[-1], ast.Return)
        orelse, used = (rest, len(rest)) if returns and not node.orelse else (node.orelse, 0)
        before = {n.id for n in ast.walk(fn) if _stored(n) and getattr(n, "lineno", node.lineno) < node.lineno}
        known, out, test = before | _parameters(fn), [], node.test
        stored = {n.id for s in [*node.body, *orelse] for n in ast.walk(s) if _stored(n)}
        if stored & {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}:  # a branch changes what it reads
            test = ast.Name(f"condition_line_{node.lineno}", ast.Load())
            out.append(ast.Assign([ast.Name(test.id, ast.Store())], node.test, lineno=node.lineno))
        then, then_returns = branch(node.body, test, True, known)
        try:
            other, other_returns = branch(orelse, test, False, known)
        except _Unchanged:
            if not used or then_returns is None:
                raise
            other, other_returns = _rest_as_written(rest, then_returns)
        out += then + other
        if (then_returns is None) != (other_returns is None):
            raise _Unchanged
        if then_returns is not None and entry:
            out.append(ast.Return(_chosen_returns(test, then_returns, other_returns)))
        elif then_returns is not None:  # a helper's return: one value
            out.append(ast.Return(_call(_torch("where"), test, then_returns, other_returns)))
        return out, used

    def visit(body: list[ast.stmt], entry: bool) -> None:
        nonlocal changed
        for i in reversed(range(len(body))):
            for field_ in ("body", "orelse"):
                inner = getattr(body[i], field_, None)
                if isinstance(inner, list):
                    visit(inner, entry and not isinstance(body[i], ast.FunctionDef))
            if isinstance(body[i], ast.If):
                try:
                    written, used = convert(body[i], body[i + 1 :], entry)
                except _Unchanged:
                    continue
                body[i : i + 1 + used] = written or [ast.Pass()]
                changed = True

    visit(fn.body, True)
    return changed


def _rest_as_written(rest: list[ast.stmt], returned: ast.expr) -> tuple[list[ast.stmt], ast.expr]:
    """The statements after an early ``if c: return returned`` kept as they are (a loop, a call, a tuple
    assignment), and the value they end by returning: they run for every env, and the one return then picks per
    env, so they may hold anything but another return or a change to a name ``returned`` reads."""
    if not rest or not isinstance(rest[-1], ast.Return) or rest[-1].value is None:
        raise _Unchanged
    body, read = rest[:-1], {n.id for n in ast.walk(returned) if isinstance(n, ast.Name)}
    nodes = [n for statement in body for n in ast.walk(statement)]
    changed = {n.id for n in nodes if _stored(n)}
    changed |= {
        n.value.id
        for n in nodes
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)
    }
    in_place = (n.func for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute))
    changed |= {f.value.id for f in in_place if f.attr.endswith("_") and isinstance(f.value, ast.Name)}
    if read & changed or any(isinstance(n, ast.Return) for n in nodes):
        raise _Unchanged
    return body, rest[-1].value


class _Unchanged(Exception):
    """An ``if`` the rule leaves as it is."""


def _chosen_returns(test: ast.expr, then: ast.expr, other: ast.expr) -> ast.Tuple:
    """``return (t1, {...})`` where ``test`` holds and ``return (t2, {...})`` where not, as one return: total and
    each component chosen per env. A bare ``return t`` has no components."""

    def split(value: ast.expr) -> tuple[ast.expr, dict]:
        pair = isinstance(value, ast.Tuple) and len(value.elts) == 2
        total, parts = value.elts if pair else (value, ast.Dict([], []))
        items = _dict_items(parts)
        if items is None:
            raise _Unchanged
        return total, items

    (t1, d1), (t2, d2) = split(then), split(other)
    where = _torch("where")
    keys = list(dict.fromkeys([*d1, *d2]))
    parts = [_call(where, test, d1.get(k, ast.Constant(0.0)), d2.get(k, ast.Constant(0.0))) for k in keys]
    return ast.Tuple([_call(where, test, t1, t2), ast.Dict([ast.Constant(k) for k in keys], parts)], ast.Load())


def _dict_items(node: ast.expr) -> dict | None:
    """``{"a": x}`` or ``dict(a=x)`` as ``{"a": x}``; None for any other expression (a name, a dict of computed
    keys)."""
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return {k.value: v for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "dict" and not node.args:
        if all(k.arg is not None for k in node.keywords):
            return {k.arg: k.value for k in node.keywords}
    return None


def _stored(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)


def _assignment(node: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """``x = v`` or ``x op= v`` as ``(x, v)`` / ``(x, x op v)``; None for any other node."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        return node.targets[0], node.value
    if isinstance(node, ast.AugAssign):
        return node.target, ast.BinOp(_loaded(node.target), node.op, node.value)
    return None


def _column(name: str, index: ast.expr) -> ast.Subscript:
    """``name[:, index]``."""
    return ast.Subscript(ast.Name(name, ast.Load()), ast.Tuple([ast.Slice(), index], ast.Load()), ast.Load())


def _loaded(target: ast.expr) -> ast.expr:
    """A copy of an assignment's target, as a value to read."""
    return ast.parse(ast.unparse(target), mode="eval").body


def _boolean_operators_on_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``and``/``or``/``not`` on tensors: ``&``/``|``/``~``, on each value's truth (``.bool()`` of a float tensor
    such as ``success``: ``~`` and ``&`` refuse floats); a chained comparison ``a < x < b`` (Python's ``a < x and
    x < b``): ``(a < x) & (x < b)``."""

    def swap(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Compare) and len(node.ops) > 1 and ctx.is_tensor(node):
            operands = [node.left, *node.comparators]
            pairs = [ast.Compare(operands[i], [op], [operands[i + 1]]) for i, op in enumerate(node.ops)]
            result = pairs[0]
            for pair in pairs[1:]:
                result = ast.BinOp(result, ast.BitAnd(), pair)
            return result
        if isinstance(node, ast.BoolOp) and any(ctx.is_tensor(v) for v in node.values):
            op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
            result = _truth(node.values[0], ctx)
            for value in node.values[1:]:
                result = ast.BinOp(result, op, _truth(value, ctx))
            return result
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and ctx.is_tensor(node.operand):
            return ast.UnaryOp(ast.Invert(), _truth(node.operand, ctx))
        return None

    return _replace(fn, swap)


def _missing_parameters(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """State variables read in the body but not taken as parameters."""
    params = {a.arg for a in fn.args.args}
    assigned = {n.id for n in ast.walk(fn) if _stored(n)}
    read = [n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    missing = [name for name in dict.fromkeys(read) if name in ctx.task.state_vars and name not in params | assigned]
    fn.args.args += [ast.arg(name) for name in missing]
    return bool(missing)


def _misspelled_state_variables(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A name the error says is not defined (not a function or a constant), or a parameter it says is no state
    variable, that names the quantity of exactly one state variable (its last word: ``cart_angle`` ->
    ``pole_angle``, ``pole_position`` -> ``cart_position``; of several, the one with the same first word too:
    ``pole_velocity`` -> ``pole_angular_velocity``) or is a near spelling of one (``rotors_thrusts``,
    ``pole_angel``): that state variable, read and taken as a parameter."""
    params = {a.arg for a in fn.args.args}
    called = {n.func.id for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    constants = {c.lower() for c in ctx.task.constants}  # max_angle is MAX_ANGLE (constant_names), not an angle
    undefined = set(_UNDEFINED.findall(ctx.error)) - _defined(fn) - called
    renamed = {}
    wrong_parameters = set(_NOT_A_STATE_VARIABLE.findall(ctx.error)) & params
    for name in (undefined | wrong_parameters) - set(ctx.task.state_vars):
        if name.isupper() or name.lower() in constants:
            continue
        quantity = [v for v in ctx.task.state_vars if v.rsplit("_", 1)[-1] == name.rsplit("_", 1)[-1]]
        if len(quantity) > 1:  # pole_velocity: of cart_velocity and pole_angular_velocity, the pole's
            quantity = [v for v in quantity if v.split("_", 1)[0] == name.split("_", 1)[0]]
        close = (
            quantity if len(quantity) == 1 else difflib.get_close_matches(name, list(ctx.task.state_vars), 2, _CLOSE)
        )
        if len(close) == 1:
            renamed[name] = close[0]
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in renamed:
            node.id = renamed[node.id]
    for arg in fn.args.args:
        arg.arg = renamed.get(arg.arg, arg.arg)
    _duplicate_parameters(fn, ctx)  # a renamed parameter can meet its right spelling
    _missing_parameters(fn, ctx)
    return bool(renamed)


def _constant_names(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A name the body reads but never defines, or an attribute of ``self``/``env``, that is one of the environment
    module's constants in another case (``pole_half_length``, ``self.max_angle``): the constant's own name. A
    ``MIN_X`` the module lacks where it has ``MAX_X`` (a limit on both sides, ``|x| <= MAX_X``): ``-MAX_X``."""
    by_lower = {name.lower(): name for name in ctx.task.constants}
    defined = _defined(fn)
    lower_limits = {
        "min" + name[3:].lower(): name
        for name in ctx.task.constants
        if name.startswith("MAX_") and "MIN_" + name[4:] not in ctx.task.constants
    }

    def swap(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in defined:
            name = node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in {"self", "env"}:
            name = node.attr
        else:
            return None
        if name.lower() in lower_limits:
            return ast.UnaryOp(ast.USub(), ast.Name(lower_limits[name.lower()], ast.Load()))
        constant = by_lower.get(name.lower())
        return ast.Name(constant, ast.Load()) if constant is not None and constant != name else None

    return _replace(fn, swap)


def _item_of_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``x.item()`` on a tensor of the batch (one number of many envs fails): ``x``; and on one of the task's
    constants, which are Python numbers (``ARENA.item()``: 'float' object has no attribute 'item'): the constant."""
    defined = _defined(fn)

    def swap(node: ast.AST) -> ast.AST | None:
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "item"
            and not node.args
        ):
            return None
        receiver = node.func.value
        constant = isinstance(receiver, ast.Name) and receiver.id in ctx.task.constants and receiver.id not in defined
        return receiver if constant or ctx.is_tensor(receiver) else None

    return _replace(fn, swap)


def _one_d_indexing(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``x[:, i]`` or ``x[..., i]`` on a state variable that is one value per env, or ``x[i]`` on one the body
    never reassigns (the first env's value given to all, which the static check refuses): ``x``."""
    scalar_vars = {name for name, var in ctx.task.state_vars.items() if var.shape == ()}
    one_env = set(one_env_reads(fn, scalar_vars))

    def swap(node: ast.AST) -> ast.AST | None:
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in scalar_vars):
            return None
        if node in one_env:
            return ast.Name(node.value.id, ast.Load())
        if (
            isinstance(node.slice, ast.Tuple)
            and len(node.slice.elts) == 2
            and isinstance(node.slice.elts[0], ast.Slice | ast.Constant)
            and (not isinstance(node.slice.elts[0], ast.Constant) or node.slice.elts[0].value is Ellipsis)
            and isinstance(node.slice.elts[1], ast.Constant)
        ):
            return ast.Name(node.value.id, ast.Load())
        return None

    return _replace(fn, swap)


def _columns_of_batches(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``x[i]`` on a state variable of k values per env (a ``(num_envs, k)`` tensor), i a constant below k: the
    model indexed one env's vector, so ``x[:, i]``; ``a, b = x`` with k names: ``a, b = x.unbind(1)``."""
    params, assigned = {a.arg for a in fn.args.args}, {n.id for n in ast.walk(fn) if _stored(n)}
    widths = {
        name: var.shape[0]
        for name, var in ctx.task.state_vars.items()
        if len(var.shape) == 1 and name in params and name not in assigned
    }

    def swap(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in widths:
            index, width = node.slice, widths[node.value.id]
            negative = isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub)
            number = index.operand if negative else index
            if isinstance(number, ast.Constant) and type(number.value) is int and number.value < width + negative:
                return _column(node.value.id, index)
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Tuple)
            and isinstance(node.value, ast.Name)
            and len(node.targets[0].elts) == widths.get(node.value.id)
        ):
            unbound = _call(ast.Attribute(node.value, "unbind", ast.Load()), ast.Constant(1))
            return ast.Assign(node.targets, unbound, lineno=node.lineno)
        return None

    return _replace(fn, swap)


def _batch_size_names(fn: ast.FunctionDef, ctx: RuleContext) -> set[str]:
    """Locals assigned the number of envs (``num_envs = x.shape[0]``)."""
    names: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if _is_batch_size(node.value, ctx, names):
                names.add(node.targets[0].id)
    return names


def _is_batch_size(node: ast.expr, ctx: RuleContext, names: set[str]) -> bool:
    """``len(x)``, ``x.shape[0]``, ``x.size(0)`` of a tensor, or a local holding one of them."""
    if isinstance(node, ast.Name):
        return node.id in names
    size = _size_of(node)
    return size is not None and size[1] is not None and ast.unparse(size[1]) == "0" and ctx.is_tensor(size[0])


def _per_env_loops(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``for i in range(len(x)):`` (or ``x.shape[0]``, ``num_envs``) whose body reads the envs one by one as
    ``y[i]`` and uses ``i`` for nothing else: the body once, on whole batches (``y[i]`` -> ``y``), so that
    ``total[i] = v`` becomes ``total = v`` and a tensor ``if`` in it goes to the ``if`` rule. Where the loop
    variable is read after the loop (``success[i]``), the same."""
    sizes = _batch_size_names(fn, ctx)
    changed = False
    for body in _statement_lists(fn):
        for stmt in list(body):
            if not (
                isinstance(stmt, ast.For)
                and isinstance(stmt.target, ast.Name)
                and isinstance(stmt.iter, ast.Call)
                and isinstance(stmt.iter.func, ast.Name)
                and stmt.iter.func.id == "range"
                and len(stmt.iter.args) == 1
                and _is_batch_size(stmt.iter.args[0], ctx, sizes)
                and not stmt.orelse
            ):
                continue
            index = stmt.target.id
            inner = [n for s in stmt.body for n in ast.walk(s)]
            if any(isinstance(n, ast.Break | ast.Continue | ast.Return) for n in inner):
                continue
            slices = {id(n.slice) for n in inner if isinstance(n, ast.Subscript)}
            uses = [n for n in inner if isinstance(n, ast.Name) and n.id == index]
            if not uses or any(id(n) not in slices for n in uses):
                continue

            def whole(n: ast.AST, i: str = index) -> ast.AST | None:
                indexed = isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Name) and n.slice.id == i
                return n.value if indexed else None

            at = body.index(stmt)
            body[at : at + 1] = [_Replace(whole).visit(s) for s in stmt.body]
            changed = True
            if index not in {n.id for n in ast.walk(fn) if _stored(n)}:  # read after the loop, defined by no
                _replace(fn, whole)  # other statement
    return changed


def _wrapped_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``torch.tensor([x])`` or ``torch.tensor(x)`` of a batch (``only one element tensors can be converted``):
    ``x``; ``torch.tensor([x, y])`` of batches: ``torch.stack([x, y], dim=-1)``, one row per env."""

    def swap(node: ast.AST) -> ast.AST | None:
        if not (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in ("torch.tensor", "torch.as_tensor", "torch.Tensor")
            and len(node.args) == 1
        ):
            return None
        (value,) = node.args
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        if not items or not any(ctx.is_tensor(item) for item in items):
            return None
        if len(items) == 1:
            return items[0]
        return _call(_torch("stack"), ast.List(items, ast.Load()), dim=ast.Constant(-1))

    return _replace(fn, swap)


def _item_assignments(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``x[mask] = v`` or ``x[mask] += v`` on a tensor, the mask a boolean over the envs (a comparison, a name
    holding one, or ``torch.where(mask)[0]``): ``x = torch.where(mask, v, x)`` with ``v[mask]`` read as ``v``, the
    same per env without the sizes of the selection and the value having to match. Any other ``x[i] += v`` (the
    sandbox refuses augmented assignments of items): ``x[i] = x[i] + v``."""
    masks = _mask_names(fn)

    def mask_of(index: ast.expr) -> ast.expr | None:
        if isinstance(index, ast.Subscript) and isinstance(index.value, ast.Call):  # torch.where(mask)[0]
            call = index.value
            if ast.unparse(call.func) == "torch.where" and len(call.args) == 1 and ast.unparse(index.slice) == "0":
                index = call.args[0]
        named = isinstance(index, ast.Name) and index.id in masks
        return index if (_is_mask(index) or named) and ctx.is_tensor(index) else None

    def swap(node: ast.AST) -> ast.AST | None:
        assigned = _assignment(node)
        if assigned is None or not isinstance(assigned[0], ast.Subscript):
            return None
        target, value = assigned
        mask = mask_of(target.slice)
        if mask is not None and isinstance(target.value, ast.Name) and target.value.id in ctx.tensors:
            selected = ast.dump(target.slice)
            whole = _Replace(
                lambda n: n.value if isinstance(n, ast.Subscript) and ast.dump(n.slice) == selected else None
            )
            name = target.value.id
            where = _call(_torch("where"), mask, whole.visit(value), ast.Name(name, ast.Load()))
            return ast.Assign([ast.Name(name, ast.Store())], where, lineno=node.lineno)
        return ast.Assign([target], value, lineno=node.lineno) if isinstance(node, ast.AugAssign) else None

    return _replace(fn, swap)


def _reductions_of_per_env_values(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """On the line where the error says a one-value-per-env tensor got ``dim=1`` (a coordinate taken out of a
    vector earlier, then reduced as if it were still one): ``x.norm(dim=1)`` -> ``x.abs()``, ``x.sum(dim=1)`` /
    ``mean`` -> ``x``; where it says a shape has no second entry, ``x.shape[1]`` / ``x.size(1)`` (the count of
    columns the value does not have) -> 1. A state variable that has columns is left alone."""
    line = ctx.failing_line
    if not (_PER_ENV_DIM.search(ctx.error) or "IndexError: tuple index out of range" in ctx.error) or line is None:
        return False
    vectors = {name for name, var in ctx.task.state_vars.items() if var.shape}

    def columns(node: ast.AST) -> bool:  # x.shape[1], x.size(1) on the line, x no vector state variable
        size = _size_of(node)
        if size is None or size[1] is None or ast.unparse(size[1]) != "1":
            return False
        vector = isinstance(size[0], ast.Name) and size[0].id in vectors
        return getattr(node, "lineno", None) == line and not vector

    def swap(node: ast.AST) -> ast.AST | None:
        if columns(node):
            return ast.Constant(1)
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("norm", "sum", "mean")
            and getattr(node, "lineno", None) == line
        ):
            return None
        dims, receiver, args = [k.value for k in node.keywords if k.arg == "dim"], node.func.value, node.args
        if ast.unparse(receiver) in ("torch", "torch.linalg"):  # torch.norm(x, dim=1)
            receiver, args = (args[0], args[1:]) if args else (None, [])
        dims += args
        one = len(dims) == 1 and isinstance(dims[0], ast.Constant) and dims[0].value == 1
        if receiver is None or not one or (isinstance(receiver, ast.Name) and receiver.id in vectors):
            return None
        return _call(ast.Attribute(receiver, "abs", ast.Load())) if node.func.attr == "norm" else receiver

    return _replace(fn, swap)


def _precedence_of_masks(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``a & b < c`` (Python reads ``(a & b) < c``): ``a & (b < c)``; ``a < b & c < d`` (read as ``a < (b & c) <
    d``): ``(a < b) & (c < d)``, on tensors. The comparison binds looser than ``&``/``|``, a slip in any language
    where it does not."""

    def swap(node: ast.AST) -> ast.AST | None:
        if not (isinstance(node, ast.Compare) and ctx.is_tensor(node)):
            return None
        masks = ast.BitAnd | ast.BitOr
        left, ops, rest = node.left, node.ops, node.comparators
        if len(ops) == 1 and isinstance(left, ast.BinOp) and isinstance(left.op, masks):
            return ast.BinOp(left.left, left.op, ast.Compare(left.right, ops, rest))
        if len(ops) == 2 and isinstance(rest[0], ast.BinOp) and isinstance(rest[0].op, masks):
            middle = rest[0]
            return ast.BinOp(
                ast.Compare(left, [ops[0]], [middle.left]), middle.op, ast.Compare(middle.right, [ops[1]], [rest[1]])
            )
        return None

    return _replace(fn, swap)


def _arithmetic_on_masks(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``-mask`` or ``1.0 - mask`` on a boolean tensor (torch refuses ``-`` on bools; the error says so): the mask
    as ``.float()``. A mask is a comparison or a name only ever assigned one."""
    if not _BOOL_ARITHMETIC.search(ctx.error):
        return False
    masks = _mask_names(fn)

    def as_float(node: ast.expr) -> ast.expr:
        named = isinstance(node, ast.Name) and node.id in masks
        return _call(ast.Attribute(node, "float", ast.Load())) if named or _is_mask(node) else node

    def swap(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = as_float(node.operand)
            return None if operand is node.operand else ast.UnaryOp(node.op, operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
            left, right = as_float(node.left), as_float(node.right)
            return None if (left, right) == (node.left, node.right) else ast.BinOp(left, node.op, right)
        return None

    return _replace(fn, swap)


def _masks_of_floats(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``a & b.float()``, ``success & close`` with a float ``success`` (torch has no ``&`` of floats; the error
    says so): each side as a boolean, ``.float()`` of a mask dropped (``(x < 1).float()`` -> ``x < 1``), any
    other tensor ``.bool()``. The mask that results is what ``&`` was meant to give."""
    if not _BITWISE_ON_FLOATS.search(ctx.error):
        return False
    masks = _mask_names(fn)

    def is_mask(node: ast.expr) -> bool:
        return _is_mask(node) or (isinstance(node, ast.Name) and node.id in masks)

    def as_bool(node: ast.expr) -> ast.expr:
        if is_mask(node):
            return node
        call = isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute)
        if call and node.func.attr == "float" and is_mask(node.func.value):  # (x < 1).float(), close.float()
            return node.func.value
        return _truth(node, ctx)

    def swap(node: ast.AST) -> ast.AST | None:
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr | ast.BitXor)):
            return None
        left, right = as_bool(node.left), as_bool(node.right)
        return None if (left, right) == (node.left, node.right) else ast.BinOp(left, node.op, right)

    return _replace(fn, swap)


def _duplicate_parameters(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A parameter listed twice (a model without the grammar can repeat a state variable): the first one is kept."""
    seen: set[str] = set()
    kept = [a for a in fn.args.args if not (a.arg in seen or seen.add(a.arg))]
    changed = len(kept) != len(fn.args.args)
    fn.args.args = kept
    return changed


def _private_names(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """Locals and inner functions named with a leading underscore (the sandbox refuses them): the name without
    it, or with a suffix where that name is taken."""
    taken = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)} | {a.arg for a in fn.args.args}
    renamed: dict[str, str] = {}
    for node in ast.walk(fn):
        stored = isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        name = node.id if stored else node.name if isinstance(node, ast.FunctionDef) and node is not fn else ""
        if name.startswith("_") and name not in renamed:
            new = name.lstrip("_") or "value"
            while new in taken:
                new += "_local"
            renamed[name], taken = new, taken | {new}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in renamed:
            node.id = renamed[node.id]
        elif isinstance(node, ast.FunctionDef) and node.name in renamed:
            node.name = renamed[node.name]
    return bool(renamed)


def _tensor_functions_on_numbers(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``torch.maximum/minimum(x, 0.5)`` (torch wants two tensors): ``torch.clamp(x, min=0.5)`` / ``max=``."""
    bounds = {"maximum": "min", "minimum": "max"}

    def swap(node: ast.AST) -> ast.AST | None:
        name = ctx.torch_function(node.func) if isinstance(node, ast.Call) else None
        if name not in bounds or len(node.args) != 2 or node.keywords:
            return None
        numbers = [a for a in node.args if not ctx.is_tensor(a)]
        tensors = [a for a in node.args if ctx.is_tensor(a)]
        if len(numbers) != 1 or len(tensors) != 1:
            return None
        return _call(_torch("clamp"), tensors[0], **{bounds[name]: numbers[0]})

    return _replace(fn, swap)


def _float_of_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``float(x)`` (not in the sandbox, and one value only): ``x.float()`` for a tensor, ``x`` for a number."""

    def swap(node: ast.AST) -> ast.AST | None:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "float"
            and len(node.args) == 1
            and not node.keywords
        ):
            arg = node.args[0]
            return _call(ast.Attribute(arg, "float", ast.Load())) if ctx.is_tensor(arg) else arg
        return None

    return _replace(fn, swap)


def _missing_components(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``return total`` (or ``total, {}`` / ``total, None``): one component named "total"."""
    changed = False
    for ret in own_returns(fn):
        value = ret.value
        if isinstance(value, ast.Tuple) and len(value.elts) == 2:
            total, components = value.elts
            empty = (
                (isinstance(components, ast.Dict) and not components.keys)
                or (isinstance(components, ast.Constant) and components.value is None)
                or ast.unparse(components) == "dict()"
            )
            if not empty:
                continue
        elif isinstance(value, ast.Tuple | ast.Dict):
            continue
        else:
            total = value
        name = ast.Name("total_reward", ast.Load())
        ret.value = ast.Tuple([name, ast.Dict([ast.Constant("total")], [name])], ast.Load())
        index = _statement_index(fn, ret)
        if index is None:
            continue
        body, position = index
        body.insert(position, ast.Assign([ast.Name("total_reward", ast.Store())], total, lineno=ret.lineno))
        changed = True
    return changed


def _missing_return(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """No return (a reply cut before it, or one forgotten): return the last name assigned at the top of the body
    whose name says reward or total, with the last dict assigned there as the components (else the total alone)."""
    if own_returns(fn):
        return False
    total = components = None
    for node in fn.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        target = node.target if isinstance(node, ast.AugAssign) else target
        if not isinstance(target, ast.Name):
            continue
        if isinstance(node.value, ast.Dict):
            components = target.id
        elif "reward" in target.id.lower() or "total" in target.id.lower():
            total = target.id
    if total is None:
        return False
    name = ast.Name(total, ast.Load())
    parts = ast.Name(components, ast.Load()) if components else ast.Dict([ast.Constant("total")], [name])
    fn.body.append(ast.Return(ast.Tuple([name, parts], ast.Load())))
    return True


def _statement_index(fn: ast.FunctionDef, target: ast.stmt) -> tuple[list[ast.stmt], int] | None:
    for body in _statement_lists(fn):
        if target in body:
            return body, body.index(target)
    return None


def _shapes_to_batch(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """The value the error names as a Python number or a 0-d, (1, N) or (N, 1) tensor, made ``(num_envs,)``:
    broadcast over a state variable (the first column of one with several values per env where the reward takes
    no other), or flattened."""
    match = _SHAPE_ERROR.search(ctx.error) or _NUMBER_ERROR.search(ctx.error)
    shapes = {a.arg: ctx.task.state_vars[a.arg].shape for a in fn.args.args if a.arg in ctx.task.state_vars}
    batches = [ast.Name(name, ast.Load()) for name, shape in shapes.items() if shape == ()]
    batches += [_column(name, ast.Constant(0)) for name, shape in shapes.items() if len(shape) == 1]
    if match is None or not batches:
        return False
    if match.re is _NUMBER_ERROR:  # a Python number: as a 0-d value
        name, n, got = match.group(1), "", []
    else:
        name, n, got = match.group(1), match.group(2), [d.strip() for d in match.group(3).split(",") if d.strip()]

    def fix(value: ast.expr) -> ast.expr:
        if not got:  # a scalar: zeros shaped like a per-env state variable, plus the value
            return ast.BinOp(_call(_torch("zeros_like"), batches[0]), ast.Add(), value)
        return _call(ast.Attribute(value, "reshape", ast.Load()), ast.Constant(-1))

    if got and sorted(got) != sorted(["1", n]):
        return False
    return _fix_named(fn, name, fix)


def _total_from_components(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A total the dry run found constant (from the error) returned beside components: their sum. Small models
    build the terms, then return the ``total = 0.0`` they started from or the wrong name; summing the components
    is what the contract's example and most rewards do."""
    if CONSTANT_TOTAL not in ctx.error:
        return False
    changed = False
    for ret in own_returns(fn):
        if not (isinstance(ret.value, ast.Tuple) and len(ret.value.elts) == 2):
            continue
        components = ret.value.elts[1]
        if isinstance(components, ast.Dict):
            index, defined = _statement_index(fn, ret), _defined(fn)
            name = next((n for n in ("components", "reward_components", "terms") if n not in defined), None)
            if index is None or name is None:
                continue
            body, position = index
            body.insert(position, ast.Assign([ast.Name(name, ast.Store())], components, lineno=ret.lineno))
            components = ret.value.elts[1] = ast.Name(name, ast.Load())
        elif not isinstance(components, ast.Name):
            continue
        values = _call(ast.Attribute(ast.Name(components.id, ast.Load()), "values", ast.Load()))
        ret.value.elts[0] = _call(ast.Name("sum", ast.Load()), values)
        changed = True
    return changed


def _vector_components(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A component the error names as ``(num_envs, k)`` (a vector per env, such as a position error): its length
    per env, ``.norm(dim=-1)`` (a component is a figure to read in the reflection; the total is left to the
    model)."""
    match = _SHAPE_ERROR.search(ctx.error)
    if match is None or match.group(1) == "total reward":
        return False
    got = [d.strip() for d in match.group(3).split(",")]
    if len(got) != 2 or got[0] != match.group(2) or got[1] == got[0]:
        return False

    def length(value: ast.expr) -> ast.expr:
        return _call(ast.Attribute(value, "norm", ast.Load()), dim=ast.Constant(-1))

    changed = _fix_named(fn, match.group(1), length)
    vectors = {name for name, var in ctx.task.state_vars.items() if len(var.shape) == 1}
    for parts in (n for n in ast.walk(fn) if isinstance(n, ast.Dict)):  # the error names the first component; a
        for i, value in enumerate(parts.values):  # state variable with columns put in whole is one too
            if isinstance(value, ast.Name) and value.id in vectors:
                parts.values[i], changed = length(value), True
    return changed


def _single_value_columns(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A state variable of one value per env that comes as a ``(num_envs, 1)`` column (``action``), read whole
    where it meets a ``(num_envs,)`` value: the two broadcast to ``(num_envs, num_envs)`` (the error shows such a
    shape). Each whole read of it: ``x[:, 0]``."""
    if not _SQUARE.search(ctx.error):
        return False
    columns = {name for name, var in ctx.task.state_vars.items() if var.shape == (1,)}
    indexed = {id(n.value) for n in ast.walk(fn) if isinstance(n, ast.Subscript)}

    def swap(node: ast.AST) -> ast.AST | None:
        if (
            isinstance(node, ast.Name)
            and node.id in columns
            and isinstance(node.ctx, ast.Load)
            and id(node) not in indexed
        ):
            return _column(node.id, ast.Constant(0))
        return None

    return _replace(fn, swap)


def _in_place_growth(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``x += v`` on the line the traceback names, where the error says ``x`` is one number and ``v`` a batch
    (a total started as ``torch.tensor(0.0)``): ``x = x + v``, a new tensor of the batch's shape."""
    if not _IN_PLACE_GROWTH.search(ctx.error) or ctx.failing_line is None:
        return False
    changed = False
    for body in _statement_lists(fn):
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AugAssign) and stmt.lineno == ctx.failing_line:
                value = ast.BinOp(_loaded(stmt.target), stmt.op, stmt.value)
                body[i], changed = ast.Assign([stmt.target], value, lineno=stmt.lineno), True
    return changed


def _floats_from_the_error(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """The value the error names as a bool or integer tensor: ``.float()``."""
    match = _DTYPE_ERROR.search(ctx.error)
    if match is None:
        return False
    return _fix_named(fn, match.group(1), lambda value: _call(ast.Attribute(value, "float", ast.Load())))


def _fix_named(fn: ast.FunctionDef, name: str, fix: Callable[[ast.expr], ast.expr]) -> bool:
    """Apply ``fix`` where the value a contract error names is written: the returned total ("total reward"), or
    the component ``name`` in a dict literal or a ``components["name"] = ...`` assignment."""
    changed = False
    if name == "total reward":
        for ret in own_returns(fn):
            if isinstance(ret.value, ast.Tuple) and len(ret.value.elts) == 2:
                ret.value.elts[0] = fix(ret.value.elts[0])
                changed = True
        return changed
    for node in ast.walk(fn):
        if isinstance(node, ast.Dict):
            for i, key in enumerate(node.keys):
                if isinstance(key, ast.Constant) and key.value == name:
                    node.values[i] = fix(node.values[i])
                    changed = True
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            key = node.targets[0].slice
            if isinstance(key, ast.Constant) and key.value == name:
                node.value = fix(node.value)
                changed = True
    return changed


RULES: list[Rule] = [
    Rule("c_comments", "x = 0.1  // words (code that does not parse)", "x = 0.1", _c_comments, text=True),
    Rule("cut_replies", "a reply cut at the token limit mid-statement", "the code up to its last whole statement",
         _cut_replies, text=True),
    Rule("duplicate_parameters", "a parameter listed twice", "keeps the first", _duplicate_parameters),
    Rule("environment_expressions", "self._fingertip(), _fingertip(...), s[:, 4:6]: the environment's own code",
         "the state variables state() makes of it: (fingertip, fingertip_velocity), target",
         _environment_expressions_in_rewards),
    Rule("missing_parameters", "a state variable read but not a parameter", "adds it to the parameters",
         _missing_parameters),
    Rule("misspelled_state_variables", "an undefined name or a parameter close to one state variable (from the error)",
         "that state variable", _misspelled_state_variables),
    Rule("constant_names", "an undefined name or self.x that is an environment constant in another case",
         "the constant's name (POLE_HALF_LENGTH)", _constant_names),
    Rule("private_names", "a local named _x", "x (the sandbox refuses leading underscores)", _private_names),
    Rule("float_of_tensors", "float(x)", "x.float() for a tensor, x for a number", _float_of_tensors),
    Rule("item_of_tensors", "tensor.item()", "the tensor", _item_of_tensors),
    Rule("per_env_loops", "for i in range(num_envs): ... y[i] ...", "the body once, on the whole batch (y[i] -> y)",
         _per_env_loops),
    Rule("wrapped_tensors", "torch.tensor([x]) / torch.tensor([x, y]) of batches", "x / torch.stack([x, y], dim=-1)",
         _wrapped_tensors),
    Rule("environment_helpers", "a call of a function of the environment's source the reward cannot see",
         "that function's code, inside compute_reward", _environment_helpers),
    Rule("refused_imports", "from math import abs (a name the module lacks, from the error)", "the import without it",
         _refused_imports),
    Rule("math_on_tensors", "math.f(tensor), or f(tensor) after from math import f", "torch.f(tensor)",
         _math_on_tensors),
    Rule("builtins_on_tensors", "abs/round/max/min on tensors", "torch.abs, torch.round, torch.maximum/minimum, "
         "torch.clamp", _builtins_on_tensors),
    Rule("tensor_functions_on_numbers", "torch.maximum/minimum(tensor, number)", "torch.clamp(tensor, min=/max=)",
         _tensor_functions_on_numbers),
    Rule("item_assignments", "x[mask] = v, x[mask] += v on a tensor; x[i] += v", "x = torch.where(mask, v, x); "
         "x[i] = x[i] + v", _item_assignments),
    Rule("precedence_of_masks", "a & b < c, a < b & c < d on tensors", "a & (b < c), (a < b) & (c < d)",
         _precedence_of_masks),
    Rule("arithmetic_on_masks", "-mask, 1.0 - mask on a boolean tensor (from the error)", "mask.float()",
         _arithmetic_on_masks),
    Rule("masks_of_floats", "a & b.float(), a | b on a float tensor (from the error)", "a & b, a | b.bool()",
         _masks_of_floats),
    Rule("conditional_on_tensors", "a if tensor_condition else b", "torch.where(condition, a, b)",
         _conditional_on_tensors),
    Rule("if_assignments_on_tensors", "if tensor_condition: assignments [and a return] [elif/else: the same]",
         "each one per env: x = torch.where(condition, a, x); one return chosen per env",
         _if_assignments_on_tensors),
    Rule("boolean_operators_on_tensors", "and, or, not on tensors", "&, |, ~", _boolean_operators_on_tensors),
    Rule("where_conditions", "torch.where(float_tensor, a, b), or where(...) from torch (from the error)",
         "torch.where(x.bool(), a, b)",
         _where_conditions),
    Rule("one_d_indexing", "x[:, i], or x[i] (one env's value for all), on a state variable of one value per env",
         "x", _one_d_indexing),
    Rule("reductions_of_per_env_values", "x.norm(dim=1), x.sum(dim=1), x.shape[1] on a value of one number per env "
         "(from the error's line)", "x.abs(), x, 1", _reductions_of_per_env_values),
    Rule("columns_of_batches", "x[i] on a state variable of k values per env; a, b = x", "x[:, i]; "
         "a, b = x.unbind(1)", _columns_of_batches),
    Rule("missing_return", "no return (cut before it, or forgotten)", "return the last reward/total assigned, "
         "with the last dict assigned as its components", _missing_return),
    Rule("missing_components", "return total (or an empty/None components dict)", 'return total, {"total": total}',
         _missing_components),
    Rule("shapes_to_batch", "a total or component that is a number, or of shape (), (1, N), (N, 1) (from the error)",
         "broadcast over a state variable, or reshape(-1)", _shapes_to_batch),
    Rule("total_from_components", "a total the dry run found constant, returned with components (from the error)",
         "the sum of the components", _total_from_components),
    Rule("vector_components", "a component of shape (N, k) (from the error), a 2-D state variable as one",
         "its length per env, .norm(dim=-1)",
         _vector_components),
    Rule("single_value_columns", "a (N, 1) state variable read whole, broadcast to (N, N) (from the error)",
         "x[:, 0]", _single_value_columns),
    Rule("in_place_growth", "x += batch where x is one number, such as torch.tensor(0.0) (from the error)",
         "x = x + batch", _in_place_growth),
    Rule("floats_from_the_error", "a total or component of bool or integer dtype (from the error)", "value.float()",
         _floats_from_the_error),
]  # fmt: skip
#: a changed line longer than this is no example for the model
EXAMPLE_CHARS = 120


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """The lines the rules changed, as (before, after) pairs: ``before`` is unparsed first, so that the rewrite's
    formatting (quotes, brackets) is no change; none when ``before`` does not parse (a text rule's input) or a
    change is not line for line. The reflection shows these, not a rule's pattern: told ``math.f(tensor) ->
    torch.f(tensor)``, the embedded model wrote ``math.f(x)`` in one later reply of each of two bench runs."""
    try:
        old = ast.unparse(ast.parse(before)).splitlines()
    except (SyntaxError, ValueError, RecursionError):
        return []
    new = after.splitlines()
    pairs = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            pairs += [
                (a.strip(), b.strip())
                for a, b in zip(old[i1:i2], new[j1:j2], strict=True)
                if max(len(a.strip()), len(b.strip())) <= EXAMPLE_CHARS
            ]
    return pairs


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


def _safely(apply: Callable[[str], str | None], code: str) -> str | None:
    try:
        return apply(code)
    except Exception:  # noqa: BLE001 - a rule never raises: one that fails is skipped
        return None


def rewrite(code: str | None, task: Task, error: str = "") -> Rewrite | None:
    """``code`` after every rule that applies, with their names; None if none changed it or it does not parse."""
    if not code:
        return None
    fired = []
    for rule in (r for r in RULES if r.text):  # in turn: a cut reply can hold // comments too
        if _parses(code):
            break
        written = _safely(rule.apply, code)
        if written is not None:
            code = written
            fired.append(rule.name)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    if entry_function(tree) is None:
        return None
    ctx = RuleContext(task=task, error=error)
    for rule in (r for r in RULES if not r.text):
        try:
            trial = copy.deepcopy(tree)  # a rule that fails half-way leaves the tree as it was
            fn = entry_function(trial)
            ctx.tensors, ctx.module = _tensor_names(fn), trial
            if rule.apply(fn, ctx):
                tree = trial
                fired.append(rule.name)
        except Exception:  # noqa: BLE001 - a rule never raises: one that fails is skipped
            continue
    if not fired:
        return None
    try:
        return Rewrite(code=ast.unparse(ast.fix_missing_locations(tree)) + "\n", rules=fired)
    except Exception:  # noqa: BLE001 - a tree a rule left malformed is no rewrite
        return None


#: Rewrite, check, and rewrite again from the new error: a reply often holds two mistakes (a ``bool`` component
#: behind a tensor ``if``), and the second error only shows once the first is fixed.
RULE_ROUNDS = 3
K = TypeVar("K")


def repair_by_rules(
    broken: dict[K, tuple[Task, str | None, str]],
    check: Callable[[dict[K, Rewrite], int], dict[K, str | None]],
    rounds: int = RULE_ROUNDS,
) -> dict[K, Rewrite]:
    """Rewrite each broken ``key -> (task, code, error)`` and check the rewrites together (``check(rewrites,
    round)`` gives key -> None where a rewrite passes, else its error); a rewrite that fails is rewritten again
    from its new error, up to ``rounds`` times, until no rule changes it. The rewrites that passed, each with every
    rule that fired on the way."""
    pending = {key: (task, code, error, []) for key, (task, code, error) in broken.items()}
    passed: dict[K, Rewrite] = {}
    for round_ in range(rounds):
        written = {}
        for key, (task, code, error, rules) in pending.items():
            result = rewrite(code, task, error)
            if result is not None:
                written[key] = (task, Rewrite(code=result.code, rules=rules + result.rules))
        if not written:
            break
        errors = check({key: w for key, (_, w) in written.items()}, round_)
        passed |= {key: w for key, (_, w) in written.items() if errors[key] is None}
        pending = {key: (t, w.code, errors[key], w.rules) for key, (t, w) in written.items() if errors[key] is not None}
    return passed
