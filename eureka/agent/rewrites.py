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
from eureka.sandbox.rewards import entry_function, own_returns

#: Python's scalar functions and their batch equivalents (a tensor argument makes the first one fail).
_BUILTINS = {"abs": "abs", "round": "round"}
_MIN_MAX = {"max": ("maximum", "min"), "min": ("minimum", "max")}
_SHAPE_ERROR = re.compile(r"'(.+?)' must have shape \((\d+),\), got \(([\d, ]*)\)")
#: A C-style comment after code (``x = 0.1  // the temperature``, ``// reward = 5 * distance``): words after
#: ``//``, not an operand (``x // scale + 1`` is one: a name, then an operator other than ``=``).
_C_COMMENT = re.compile(r"[ \t]*//[ \t]*[A-Za-z][A-Za-z'-]* (?:[A-Za-z]|= ).*$", re.M)
_DTYPE_ERROR = re.compile(r"'(.+?)' must be a floating-point tensor, got torch\.(?:bool|u?int\d*|long)")


@dataclass
class RuleContext:
    """What a rule may read: the task's state variables, the error the code failed with, and the names that hold
    tensors (filled before each rule runs)."""

    task: Task
    error: str
    tensors: set[str] = field(default_factory=set)

    def is_tensor(self, node: ast.AST) -> bool:
        """Whether ``node`` reads a name that holds a tensor."""
        return any(isinstance(n, ast.Name) and n.id in self.tensors for n in ast.walk(node))


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


def _tensor_names(fn: ast.FunctionDef) -> set[str]:
    """Parameters, and every name assigned (in order, twice for loops) from an expression that reads one."""
    names = {a.arg for a in fn.args.args}
    for _ in range(2):
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value is not None:
                if any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


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
    masks = isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr)
    inverted = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert | ast.Not)
    if isinstance(node, ast.Compare | ast.BoolOp) or masks or inverted or not ctx.is_tensor(node):
        return node
    return _call(ast.Attribute(node, "bool", ast.Load()))


def _where_conditions(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``torch.where(success, a, b)`` on a float tensor (the error says so; often what ``a if success else b``
    became): ``success.bool()``, Python's truth of each value. Comparisons and masks already are booleans."""
    if "condition to be a boolean tensor" not in ctx.error:
        return False

    def swap(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "torch.where" and node.args:
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
    return, total and each component chosen per env (0.0 for a component one branch lacks). Left alone: a branch
    with any other statement (a call, a loop), or a components dict that is not written out in the return."""
    changed = False

    def per_env(stmt: ast.stmt, test: ast.expr, then: bool, known: set[str]) -> list[ast.stmt] | None:
        if isinstance(stmt, ast.Pass):
            return []
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AugAssign):
            target, value = stmt.target, ast.BinOp(_loaded(stmt.target), stmt.op, stmt.value)
        else:
            return None
        keyed = isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
        if not (isinstance(target, ast.Name) or (keyed and isinstance(target.slice, ast.Constant))):
            return None
        key = ast.unparse(target)
        old = _loaded(target) if key in known or isinstance(stmt, ast.AugAssign) else ast.Constant(0.0)
        known.add(key)
        chosen = (value, old) if then else (old, value)
        return [ast.Assign([target], _call(_torch("where"), test, *chosen), lineno=stmt.lineno)]

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

    def convert(node: ast.If, rest: list[ast.stmt]) -> tuple[list[ast.stmt], int]:
        """The statements for ``node`` and how many of the statements after it they replace."""
        if not ctx.is_tensor(node.test):
            raise _Unchanged
        returns = bool(node.body) and isinstance(node.body[-1], ast.Return)
        orelse, used = (rest, len(rest)) if returns and not node.orelse else (node.orelse, 0)
        before = {n.id for n in ast.walk(fn) if _stored(n) and getattr(n, "lineno", node.lineno) < node.lineno}
        known, out, test = before | {a.arg for a in fn.args.args}, [], node.test
        stored = {n.id for s in [*node.body, *orelse] for n in ast.walk(s) if _stored(n)}
        if stored & {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}:  # a branch changes what it reads
            test = ast.Name(f"condition_line_{node.lineno}", ast.Load())
            out.append(ast.Assign([ast.Name(test.id, ast.Store())], node.test, lineno=node.lineno))
        then, then_returns = branch(node.body, test, True, known)
        other, other_returns = branch(orelse, test, False, known)
        out += then + other
        if (then_returns is None) != (other_returns is None):
            raise _Unchanged
        if then_returns is not None:
            out.append(ast.Return(_chosen_returns(test, then_returns, other_returns)))
        return out, used

    def visit(body: list[ast.stmt]) -> None:
        nonlocal changed
        for i in reversed(range(len(body))):
            for field_ in ("body", "orelse"):
                inner = getattr(body[i], field_, None)
                if isinstance(inner, list) and not isinstance(body[i], ast.FunctionDef):
                    visit(inner)
            if isinstance(body[i], ast.If):
                try:
                    written, used = convert(body[i], body[i + 1 :])
                except _Unchanged:
                    continue
                body[i : i + 1 + used] = written or [ast.Pass()]
                changed = True

    visit(fn.body)
    return changed


class _Unchanged(Exception):
    """An ``if`` the rule leaves as it is."""


def _chosen_returns(test: ast.expr, then: ast.expr, other: ast.expr) -> ast.Tuple:
    """``return (t1, {...})`` where ``test`` holds and ``return (t2, {...})`` where not, as one return: total and
    each component chosen per env. A bare ``return t`` has no components."""

    def split(value: ast.expr) -> tuple[ast.expr, dict]:
        pair = isinstance(value, ast.Tuple) and len(value.elts) == 2
        total, parts = value.elts if pair else (value, ast.Dict([], []))
        if not (isinstance(parts, ast.Dict) and all(isinstance(k, ast.Constant) for k in parts.keys)):
            raise _Unchanged
        return total, {k.value: v for k, v in zip(parts.keys, parts.values, strict=True)}

    (t1, d1), (t2, d2) = split(then), split(other)
    where = _torch("where")
    keys = list(dict.fromkeys([*d1, *d2]))
    parts = [_call(where, test, d1.get(k, ast.Constant(0.0)), d2.get(k, ast.Constant(0.0))) for k in keys]
    return ast.Tuple([_call(where, test, t1, t2), ast.Dict([ast.Constant(k) for k in keys], parts)], ast.Load())


def _stored(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)


def _loaded(target: ast.expr) -> ast.expr:
    """A copy of an assignment's target, as a value to read."""
    return ast.parse(ast.unparse(target), mode="eval").body


def _boolean_operators_on_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``and``/``or``/``not`` on tensors: ``&``/``|``/``~``, on each value's truth (``.bool()`` of a float tensor
    such as ``success``: ``~`` and ``&`` refuse floats)."""

    def swap(node: ast.AST) -> ast.AST | None:
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


def _constant_names(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A name the body reads but never defines, or an attribute of ``self``/``env``, that is one of the environment
    module's constants in another case (``pole_half_length``, ``self.max_angle``): the constant's own name."""
    by_lower = {name.lower(): name for name in ctx.task.constants}
    defined = _defined(fn)

    def swap(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in defined:
            name = node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in {"self", "env"}:
            name = node.attr
        else:
            return None
        constant = by_lower.get(name.lower())
        return ast.Name(constant, ast.Load()) if constant is not None and constant != name else None

    return _replace(fn, swap)


def _item_of_tensors(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``x.item()`` on a tensor of the batch (one number of many envs fails): ``x``."""

    def swap(node: ast.AST) -> ast.AST | None:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "item"
            and not node.args
            and ctx.is_tensor(node.func.value)
        ):
            return node.func.value
        return None

    return _replace(fn, swap)


def _one_d_indexing(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``x[:, i]`` or ``x[..., i]`` on a state variable that is one value per env: ``x``."""
    scalar_vars = {name for name, var in ctx.task.state_vars.items() if var.shape == ()}

    def swap(node: ast.AST) -> ast.AST | None:
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in scalar_vars
            and isinstance(node.slice, ast.Tuple)
            and len(node.slice.elts) == 2
            and isinstance(node.slice.elts[0], ast.Slice | ast.Constant)
            and (not isinstance(node.slice.elts[0], ast.Constant) or node.slice.elts[0].value is Ellipsis)
            and isinstance(node.slice.elts[1], ast.Constant)
        ):
            return ast.Name(node.value.id, ast.Load())
        return None

    return _replace(fn, swap)


def _duplicate_parameters(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """A parameter listed twice (a model without the grammar can repeat a state variable): the first one is kept."""
    seen: set[str] = set()
    kept = [a for a in fn.args.args if not (a.arg in seen or seen.add(a.arg))]
    changed = len(kept) != len(fn.args.args)
    fn.args.args = kept
    return changed


def _private_names(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """Locals named with a leading underscore (the sandbox refuses them): the name without it, or with a suffix
    where that name is taken."""
    taken = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)} | {a.arg for a in fn.args.args}
    renamed: dict[str, str] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id.startswith("_"):
            if node.id not in renamed:
                new = node.id.lstrip("_") or "value"
                while new in taken:
                    new += "_local"
                renamed[node.id], taken = new, taken | {new}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in renamed:
            node.id = renamed[node.id]
    return bool(renamed)


def _tensor_functions_on_numbers(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """``torch.maximum/minimum(x, 0.5)`` (torch wants two tensors): ``torch.clamp(x, min=0.5)`` / ``max=``."""
    bounds = {"maximum": "min", "minimum": "max"}

    def swap(node: ast.AST) -> ast.AST | None:
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "torch"
            and node.func.attr in bounds
            and len(node.args) == 2
            and not node.keywords
        ):
            return None
        numbers = [a for a in node.args if not ctx.is_tensor(a)]
        tensors = [a for a in node.args if ctx.is_tensor(a)]
        if len(numbers) != 1 or len(tensors) != 1:
            return None
        return _call(_torch("clamp"), tensors[0], **{bounds[node.func.attr]: numbers[0]})

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
            empty = (isinstance(components, ast.Dict) and not components.keys) or (
                isinstance(components, ast.Constant) and components.value is None
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
    for node in ast.walk(fn):
        for body in (getattr(node, "body", None), getattr(node, "orelse", None)):
            if isinstance(body, list) and target in body:
                return body, body.index(target)
    return None


def _shapes_to_batch(fn: ast.FunctionDef, ctx: RuleContext) -> bool:
    """The value the error names as a scalar, 0-d, (1, N) or (N, 1) tensor, made ``(num_envs,)``: broadcast over a
    state variable, or flattened."""
    match = _SHAPE_ERROR.search(ctx.error)
    per_env = [a.arg for a in fn.args.args if a.arg in ctx.task.state_vars and ctx.task.state_vars[a.arg].shape == ()]
    if match is None or not per_env:
        return False
    name, n, got = match.group(1), match.group(2), [d.strip() for d in match.group(3).split(",") if d.strip()]

    def fix(value: ast.expr) -> ast.expr:
        if not got:  # a scalar: zeros shaped like a per-env state variable, plus the value
            return ast.BinOp(_call(_torch("zeros_like"), ast.Name(per_env[0], ast.Load())), ast.Add(), value)
        return _call(ast.Attribute(value, "reshape", ast.Load()), ast.Constant(-1))

    if got and sorted(got) != sorted(["1", n]):
        return False
    return _fix_named(fn, name, fix)


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
    Rule("missing_parameters", "a state variable read but not a parameter", "adds it to the parameters",
         _missing_parameters),
    Rule("constant_names", "an undefined name or self.x that is an environment constant in another case",
         "the constant's name (POLE_HALF_LENGTH)", _constant_names),
    Rule("private_names", "a local named _x", "x (the sandbox refuses leading underscores)", _private_names),
    Rule("float_of_tensors", "float(x)", "x.float() for a tensor, x for a number", _float_of_tensors),
    Rule("item_of_tensors", "tensor.item()", "the tensor", _item_of_tensors),
    Rule("environment_helpers", "a call of a function of the environment's source the reward cannot see",
         "that function's code, inside compute_reward", _environment_helpers),
    Rule("math_on_tensors", "math.f(tensor), or f(tensor) after from math import f", "torch.f(tensor)",
         _math_on_tensors),
    Rule("builtins_on_tensors", "abs/round/max/min on tensors", "torch.abs, torch.round, torch.maximum/minimum, "
         "torch.clamp", _builtins_on_tensors),
    Rule("tensor_functions_on_numbers", "torch.maximum/minimum(tensor, number)", "torch.clamp(tensor, min=/max=)",
         _tensor_functions_on_numbers),
    Rule("conditional_on_tensors", "a if tensor_condition else b", "torch.where(condition, a, b)",
         _conditional_on_tensors),
    Rule("if_assignments_on_tensors", "if tensor_condition: assignments [and a return] [elif/else: the same]",
         "each one per env: x = torch.where(condition, a, x); one return chosen per env",
         _if_assignments_on_tensors),
    Rule("boolean_operators_on_tensors", "and, or, not on tensors", "&, |, ~", _boolean_operators_on_tensors),
    Rule("where_conditions", "torch.where(float_tensor, a, b) (from the error)", "torch.where(x.bool(), a, b)",
         _where_conditions),
    Rule("one_d_indexing", "x[:, i] on a state variable of one value per env", "x", _one_d_indexing),
    Rule("missing_return", "no return (cut before it, or forgotten)", "return the last reward/total assigned, "
         "with the last dict assigned as its components", _missing_return),
    Rule("missing_components", "return total (or an empty/None components dict)", 'return total, {"total": total}',
         _missing_components),
    Rule("shapes_to_batch", "a total or component of shape (), (1, N) or (N, 1) (from the error)",
         "broadcast over a state variable, or reshape(-1)", _shapes_to_batch),
    Rule("floats_from_the_error", "a total or component of bool or integer dtype (from the error)", "value.float()",
         _floats_from_the_error),
]  # fmt: skip
#: rule name -> "what it matches -> what it writes", as the reflection tells the model
RULE_TEXT = {rule.name: f"{rule.matches} -> {rule.writes}" for rule in RULES}


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
        trial = copy.deepcopy(tree)  # a rule that fails half-way leaves the tree as it was
        fn = entry_function(trial)
        ctx.tensors = _tensor_names(fn)
        try:
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
