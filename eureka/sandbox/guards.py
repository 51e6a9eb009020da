"""The run-time half of the reward policy (``eureka.sandbox.restricted``): the curated torch and math namespaces reward
code gets, and the guards RestrictedPython's compiled code calls on every attribute access, item or attribute write,
in-place operation and import.
"""

from __future__ import annotations

import builtins
import math
import operator
from types import SimpleNamespace
from typing import Any

import torch
from RestrictedPython import safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.PrintCollector import PrintCollector

from eureka.sandbox.restricted import (
    DENIED_EVERYWHERE,
    FILENAME,
    FUNCTIONAL_FUNCTIONS,
    LINALG_FUNCTIONS,
    TENSOR_DENIED,
    TORCH_FUNCTIONS,
    TORCH_VALUES,
    PolicyViolation,
    restricted_bytecode,
)

_MATH = SimpleNamespace(**{name: getattr(math, name) for name in dir(math) if not name.startswith("_")})
_TORCH = SimpleNamespace(
    **{name: getattr(torch, name) for name in TORCH_FUNCTIONS + TORCH_VALUES},
    linalg=SimpleNamespace(**{name: getattr(torch.linalg, name) for name in LINALG_FUNCTIONS}),
    nn=SimpleNamespace(
        functional=SimpleNamespace(**{n: getattr(torch.nn.functional, n) for n in FUNCTIONAL_FUNCTIONS})
    ),
)
_NAMESPACES = (_TORCH, _TORCH.linalg, _TORCH.nn, _TORCH.nn.functional, _MATH)
_NAMESPACE_IDS = frozenset(id(ns) for ns in _NAMESPACES)
_MISSING = object()
_SAFE_TYPES = (int, float, bool, complex, str, tuple, list, dict, torch.dtype, torch.device, torch.Size)
_EXTRA_BUILTINS = "all any dict enumerate filter list map max min reversed set sorted sum tuple zip".split()


def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` if the policy allows it; otherwise PolicyViolation naming what was refused.

    Runs on every attribute access of the reward, every env step: the common cases are tested first.
    """
    if name.startswith("_") or name in DENIED_EVERYWHERE:
        raise PolicyViolation(f"access to attribute {name!r} is not allowed")
    if id(obj) in _NAMESPACE_IDS:
        value = getattr(obj, name, _MISSING)
        if value is _MISSING:
            raise PolicyViolation(
                f"{name!r} is not available in the sandboxed torch/math namespace; use basic tensor operations"
            )
        return value
    if isinstance(obj, torch.Tensor) or obj is torch.Tensor:
        if name in TENSOR_DENIED:
            raise PolicyViolation(f"tensor attribute {name!r} is not allowed in reward code")
        return getattr(obj, name)
    if isinstance(obj, _SAFE_TYPES):
        return getattr(obj, name)
    raise PolicyViolation(f"attribute access on {type(obj).__name__} objects is not allowed ({name!r})")


class _ItemWriter:
    """What ``_write_`` hands back: item writes reach the container or tensor, attribute writes are refused (a
    reward once replaced ``total.detach`` so that the finiteness check saw clean values and PPO got NaN)."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._target[key]

    def __setattr__(self, name: str, value: Any) -> None:
        raise PolicyViolation(f"setting attributes ({name!r}) is not allowed in reward code")

    def __delattr__(self, name: str) -> None:
        raise PolicyViolation(f"deleting attributes ({name!r}) is not allowed in reward code")


def _write_guard(obj: Any) -> _ItemWriter:
    """Item writes are allowed on dicts, lists and tensors (a reward's inputs are copies), attribute writes on
    nothing."""
    if isinstance(obj, dict | list | torch.Tensor):
        return _ItemWriter(obj)
    raise PolicyViolation(f"writing into {type(obj).__name__} objects is not allowed")


_INPLACE_OPS = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    "@=": operator.imatmul,
}


def _inplace(op: str, x: Any, y: Any) -> Any:
    return _INPLACE_OPS[op](x, y)


def _import_shim(name: str, *args: Any, **kwargs: Any) -> Any:
    # torch's C++ argument parser imports `torch` through the caller's builtins; code written by the candidate can
    # never reach this (`__import__` is refused at compile time and `import` statements are rewritten above).
    if name == "torch" or name.startswith("torch."):
        return builtins.__import__(name, *args, **kwargs)
    raise PolicyViolation(f"import of {name!r} is not allowed")


def restricted_globals() -> dict[str, Any]:
    """Fresh globals for one candidate: curated builtins, torch/math namespaces and RestrictedPython's guards."""
    allowed_builtins = dict(safe_builtins)
    allowed_builtins.update({name: getattr(builtins, name) for name in _EXTRA_BUILTINS})
    allowed_builtins["__import__"] = _import_shim
    return {
        "__builtins__": allowed_builtins,
        "__name__": "candidate",
        "torch": _TORCH,
        "math": _MATH,
        "_getattr_": guarded_getattr,
        "_getitem_": operator.getitem,
        "_getiter_": iter,
        "_write_": _write_guard,
        "_inplacevar_": _inplace,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_print_": PrintCollector,
        "_apply_": lambda f, *a, **kw: f(*a, **kw),
    }


def compile_candidate(source: str, filename: str = FILENAME) -> dict[str, Any]:
    """Compile ``source`` under the policy and run its module body; return its namespace.

    Raises:
        SyntaxError: as ``restricted_bytecode``.
    """
    namespace = restricted_globals()
    exec(restricted_bytecode(source, filename), namespace)  # noqa: S102 - restricted bytecode, inside the OS sandbox
    return namespace
