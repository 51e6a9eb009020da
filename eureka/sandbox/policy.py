"""The RestrictedPython policy for LLM-written reward code.

The first of the sandbox's layers (the OS sandbox of ``backends/`` is the second): what a reward function may
name, import and touch.

- Imports are compile errors, except ``import torch`` and ``import math`` (every model writes them), which bind the
  curated namespaces below rather than the real modules.
- ``torch`` is never the real module (``torch.os.system``, ``torch.save``, ``torch.load`` would escape): it is a
  namespace of vetted tensor functions. ``math`` is the real module's functions and constants.
- Attribute access goes through an allow-list guard: no names starting with ``_`` (also refused at compile time),
  no ``format``; tensors allow every method but those that reach memory, files, autograd hooks or numpy.
- Annotated assignments (``x: torch.Tensor = ...``) are allowed; classes are not; ``print`` output is collected,
  not written.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
from types import CodeType, SimpleNamespace
from typing import Any

import torch
from RestrictedPython import RestrictingNodeTransformer, compile_restricted, safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.PrintCollector import PrintCollector

FILENAME = "candidate.py"
ALLOWED_IMPORTS = ("torch", "math")

TORCH_FUNCTIONS = """
abs absolute acos acosh add addcmul all allclose amax amin any arange argmax argmin asin asinh atan atan2 atanh
bmm broadcast_tensors broadcast_to bucketize cat ceil chunk clamp clamp_max clamp_min clip clone cos cosh count_nonzero
cross cumprod cumsum deg2rad diag diagonal diff dist div divide dot einsum empty_like eq erf exp exp2 expm1 eye
flatten flip floor floor_divide fmod frac full full_like gather ge gt heaviside hypot index_select inner isclose
isfinite isinf isnan kron le lerp linspace log log10 log1p log2 logaddexp logical_and logical_not logical_or
logical_xor logsumexp lt masked_fill matmul max maximum mean median min minimum mm mul multiply nan_to_num
nanmean nansum ne neg negative norm numel ones ones_like outer permute pow prod rad2deg rand rand_like randn
randn_like reciprocal relu remainder repeat_interleave reshape round rsqrt sigmoid sign signbit sin sinc sinh
softmax sort split sqrt square squeeze stack std sub subtract sum t take tan tanh tensor tile topk transpose tril
triu true_divide trunc unbind unsqueeze var vstack hstack where zeros zeros_like
""".split()
TORCH_VALUES = "pi e inf nan float16 float32 float64 bfloat16 int32 int64 bool long Tensor Size device dtype".split()
LINALG_FUNCTIONS = "norm vector_norm matrix_norm cross det inv".split()
FUNCTIONAL_FUNCTIONS = "relu elu gelu softplus sigmoid tanh normalize softmax log_softmax smooth_l1_loss".split()

#: Tensor attributes a reward never needs and that reach raw memory, files, autograd hooks or other libraries.
TENSOR_DENIED = frozenset(
    """storage untyped_storage data_ptr from_file set_ as_strided as_strided_ resize_ resize_as_ numpy backward
    register_hook register_post_accumulate_grad_hook retain_grad grad_fn new new_empty new_full new_ones
    new_tensor new_zeros share_memory_ pin_memory apply_ map_ map2_ tolist storage_offset to_sparse to_dense
    element_size nbytes itemsize data""".split()
)
#: Attribute names refused on every object: string formatting walks attributes (``"{0.__class__}".format``).
DENIED_EVERYWHERE = frozenset({"format", "format_map", "mro", "gi_frame", "gi_code", "f_globals", "f_back"})

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


#: The modules reward code may import from, as the namespaces it gets.
_CURATED = {"torch": _TORCH, "math": _MATH}


class PolicyViolation(Exception):
    """Reward code tried something the policy refuses (raised at run time, with a message for the LLM)."""


class RewardPolicy(RestrictingNodeTransformer):
    """RestrictedPython's transformer, with imports limited to torch/math and annotated assignments allowed."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        for alias in node.names:
            if alias.name not in ALLOWED_IMPORTS:
                self.error(
                    node,
                    f"import of {alias.name!r} is not allowed: reward code may use only torch and math, "
                    "which are already available without importing",
                )
        # `import torch as th` binds the curated namespace to `th`; `import torch` binds what is already there.
        assigns = [
            ast.Assign(targets=[ast.Name(a.asname, ast.Store())], value=ast.Name(a.name, ast.Load()))
            for a in node.names
            if a.asname
        ]
        for assign in assigns:
            ast.copy_location(assign, node)
            ast.fix_missing_locations(assign)
        return assigns or ast.copy_location(ast.Pass(), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | list[ast.AST]:
        # `from math import exp` binds the curated namespace's member, like `exp = math.exp`.
        allowed = vars(_CURATED[node.module]) if node.module in _CURATED and not node.level else None
        if allowed is None:
            self.error(
                node,
                f"'from {node.module} import ...' is not allowed: use torch.<name> and math.<name> directly",
            )
            return node
        refused = [alias.name for alias in node.names if alias.name not in allowed]
        if refused:
            self.error(node, f"{node.module} has no allowed name {refused[0]!r} for reward code")
            return node
        assigns = []
        for alias in node.names:
            value = ast.Attribute(value=ast.Name(node.module, ast.Load()), attr=alias.name, ctx=ast.Load())
            assigns.append(ast.Assign(targets=[ast.Name(alias.asname or alias.name, ast.Store())], value=value))
        for assign in assigns:
            ast.copy_location(assign, node)
            ast.fix_missing_locations(assign)
        return [self.visit(assign) for assign in assigns]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.error(node, "class definitions are not allowed in reward code: write plain functions")

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        return self.node_contents_visit(node)


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


def _write_guard(obj: Any) -> Any:
    """Item and attribute writes are allowed on containers and tensors the code built itself, nothing else."""
    if isinstance(obj, dict | list | torch.Tensor):
        return obj
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


def restricted_bytecode(source: str, filename: str = FILENAME) -> CodeType:
    """Compile ``source`` under the policy without running any of it.

    Raises:
        SyntaxError: the code does not parse, or the policy refuses it at compile time (message lists every
            refusal with its line).
    """
    return compile_restricted(source, filename=filename, mode="exec", policy=RewardPolicy)


def compile_candidate(source: str, filename: str = FILENAME) -> dict[str, Any]:
    """Compile ``source`` under the policy and run its module body; return its namespace.

    Raises:
        SyntaxError: as ``restricted_bytecode``.
    """
    namespace = restricted_globals()
    exec(restricted_bytecode(source, filename), namespace)  # noqa: S102 - restricted bytecode, inside the OS sandbox
    return namespace
