"""The RestrictedPython reward policy: what typical reward code may do, and what it is refused."""

import math

import pytest
import torch

from eureka.sandbox.guards import compile_candidate
from eureka.sandbox.restricted import PolicyViolation

TYPICAL = '''
import torch
import math
import torch as th


def compute_reward(
    pole_angle: torch.Tensor, cart_velocity: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Written the way coding models write rewards."""
    temperature: float = 0.5
    upright = torch.exp(-pole_angle.abs() / temperature)
    calm = -0.01 * torch.square(cart_velocity)
    bonus = th.where(pole_angle.abs() < 0.1, torch.ones_like(pole_angle), torch.zeros_like(pole_angle))
    norm = torch.linalg.norm(torch.stack([pole_angle, cart_velocity], dim=1), dim=1)
    smooth = torch.nn.functional.softplus(-norm) * math.pi
    total = upright + calm
    total += bonus.to(torch.float).double().float()  # dtypes by any of torch's names
    components = {"upright": upright, "calm": calm}
    components["bonus"] = bonus
    components.update({"smooth": smooth})
    for name, value in components.items():
        assert value.shape == pole_angle.shape, name
    scaled = [v.mean().item() for v in components.values()]
    a, b = scaled[0], scaled[1]
    print("debug", a, b)  # collected by the policy, never written
    return total, components
'''


def test_typical_reward_code_runs():
    fn = compile_candidate(TYPICAL)["compute_reward"]
    total, components = fn(torch.linspace(-1, 1, 8), torch.zeros(8))
    assert total.shape == (8,) and set(components) == {"upright", "calm", "bonus", "smooth"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import os", "import of 'os' is not allowed"),
        ("import numpy as np", "import of 'numpy' is not allowed"),
        ("from os import path", "'from os import ...' is not allowed"),
        ("from torch import save", "torch has no allowed name 'save'"),
        ("from math import _private", "math has no allowed name '_private'"),
        ("x = ().__class__", 'invalid attribute name because it starts with "_"'),
        ("class A:\n    pass", "class definitions are not allowed"),
        ("exec('1')", "Exec calls are not allowed"),
        ("g = (i for i in []).gi_frame", '"gi_frame" is a restricted name'),
    ],
)
def test_refused_at_compile_time(source, message):
    with pytest.raises(SyntaxError) as info:
        compile_candidate(source)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("torch.save(x, 'f')", "'save' is not available in the sandboxed torch/math namespace"),
        ("torch.load('f')", "'load' is not available"),
        ("torch.os.system('id')", "'os' is not available"),
        ("x.numpy()", "tensor attribute 'numpy' is not allowed"),
        ("x.untyped_storage()", "tensor attribute 'untyped_storage' is not allowed"),
        ("'{0}'.format(x)", "access to attribute 'format' is not allowed"),
        ("torch.exp = print", "writing into SimpleNamespace objects is not allowed"),
        ("torch.exp.self", "attribute access on builtin_function_or_method objects is not allowed"),
        ("x.storage_type()", "tensor attribute 'storage_type' is not allowed"),
        ("x.detach = x.clone", "setting attributes ('detach') is not allowed"),
        ("x.grad = x", "setting attributes ('grad') is not allowed"),
    ],
)
def test_refused_at_run_time(body, message):
    fn = compile_candidate(f"def f(x):\n    return {body}\n" if "=" not in body else f"def f(x):\n    {body}\n")["f"]
    with pytest.raises(PolicyViolation, match=None) as info:
        fn(torch.zeros(2))
    assert message in str(info.value)


def test_builtins_are_curated():
    namespace = compile_candidate("def f():\n    return open\n")
    with pytest.raises(NameError):
        namespace["f"]()
    assert "open" not in namespace["__builtins__"] and "getattr" not in namespace["__builtins__"]


def test_from_torch_and_math_import_bind_the_curated_members():
    namespace = compile_candidate(
        "from math import sqrt, pi as PI\nfrom torch import exp\nx = exp(torch.tensor(sqrt(PI)))\n"
    )
    assert namespace["PI"] == math.pi and namespace["exp"] is namespace["torch"].exp


def test_item_writes_still_reach_tensors_dicts_and_lists():
    fn = compile_candidate(
        "def f(x):\n    x[0] = 5.0\n    d = {}\n    d['a'] = x\n    l = [0]\n    l[0] = d\n    del d['a']\n"
        "    return x, l\n"
    )["f"]
    x, items = fn(torch.zeros(2))
    assert x.tolist() == [5.0, 0.0] and items == [{}]
