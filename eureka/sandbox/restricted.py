"""The RestrictedPython policy for LLM-written reward code: what a reward may name, import and touch.

The first of the sandbox's layers (the OS sandbox of ``backends/`` is the second). This module holds the rules and
the compile-time half, which needs no torch: a job whose code the policy refuses at compile time ends before the
worker pays seconds for importing torch. The run-time half (the curated namespaces and the guards that every
attribute access, write and import goes through) is ``eureka.sandbox.guards``.

- Imports are compile errors, except ``import torch`` and ``import math`` (every model writes them), which bind the
  curated namespaces rather than the real modules.
- ``torch`` is never the real module (``torch.os.system``, ``torch.save``, ``torch.load`` would escape): it is a
  namespace of vetted tensor functions. ``math`` is the real module's functions and constants.
- Attribute access goes through an allow-list guard: no names starting with ``_`` (also refused at compile time),
  no ``format``; tensors allow every method but those that reach memory, files, autograd hooks or numpy.
- Item writes go into dicts, lists and tensors; attribute writes go nowhere.
- Annotated assignments (``x: torch.Tensor = ...``) are allowed; classes are not; ``print`` output is collected,
  not written.
"""

from __future__ import annotations

import ast
import math
from types import CodeType

from RestrictedPython import RestrictingNodeTransformer, compile_restricted

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
TORCH_VALUES = (
    "pi e inf nan float half double float16 float32 float64 bfloat16 int short int8 int16 int32 int64 uint8 bool long "
    "Tensor Size device dtype"
).split()
LINALG_FUNCTIONS = "norm vector_norm matrix_norm cross det inv".split()
FUNCTIONAL_FUNCTIONS = "relu elu gelu softplus sigmoid tanh normalize softmax log_softmax smooth_l1_loss".split()

#: Tensor attributes a reward never needs and that reach raw memory, files, autograd hooks or other libraries.
TENSOR_DENIED = frozenset(
    """storage untyped_storage storage_type data_ptr from_file set_ as_strided as_strided_ resize_ resize_as_ numpy
    backward register_hook register_post_accumulate_grad_hook retain_grad grad_fn new new_empty new_full new_ones
    new_tensor new_zeros share_memory_ pin_memory apply_ map_ map2_ tolist storage_offset to_sparse to_dense
    element_size nbytes itemsize data""".split()
)
#: Attribute names refused on every object: string formatting walks attributes (``"{0.__class__}".format``).
DENIED_EVERYWHERE = frozenset({"format", "format_map", "mro", "gi_frame", "gi_code", "f_globals", "f_back"})


#: The modules reward code may import from, with the names each offers (``eureka.sandbox.guards`` binds them).
CURATED_NAMES = {
    "torch": frozenset([*TORCH_FUNCTIONS, *TORCH_VALUES, "linalg", "nn"]),
    "math": frozenset(name for name in dir(math) if not name.startswith("_")),
}


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
        allowed = CURATED_NAMES.get(node.module) if not node.level else None
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


def restricted_bytecode(source: str, filename: str = FILENAME) -> CodeType:
    """Compile ``source`` under the policy without running any of it.

    Raises:
        SyntaxError: the code does not parse, or the policy refuses it at compile time (message lists every
            refusal with its line).
    """
    return compile_restricted(source, filename=filename, mode="exec", policy=RewardPolicy)


def refusal_text(exc: SyntaxError) -> str:
    """The message of a compile-time refusal: every refusal with its line, or the syntax error."""
    return "; ".join(exc.args[0]) if exc.args and isinstance(exc.args[0], tuple) else str(exc)
