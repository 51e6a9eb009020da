"""Reward files: each way of breaking the contract gives a clear RewardContractError."""

import pytest

from eureka.envs import RewardContractError
from eureka.plugins.manager import get_task
from eureka.sandbox.rewards import load_reward

CARTPOLE = get_task("cartpole")

GOOD = """
import torch

def compute_reward(pole_angle, cart_velocity):
    upright = torch.cos(pole_angle)
    calm = -0.01 * cart_velocity ** 2
    return upright + calm, {"upright": upright, "calm": calm}
"""


def _load(tmp_path, source: str):
    path = tmp_path / "reward.py"
    path.write_text(source)
    return load_reward(CARTPOLE, str(path))


def test_good_file_loads(tmp_path):
    fn, label = _load(tmp_path, GOOD)
    assert callable(fn) and label.endswith("reward.py")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def compute_reward(pole_angle):\n    return pole_angle +\n", "Line 2: SyntaxError: invalid syntax"),
        (
            "def reward(pole_angle):\n    return pole_angle, {}\n",
            "no top-level function named 'compute_reward'",
        ),
        (
            "def compute_reward(pole_tilt):\n    return pole_tilt, {'a': pole_tilt}\n",
            "'pole_tilt' is not a state",
        ),
        ("def compute_reward(**state):\n    return 0, {}\n", "*args/**kwargs"),
        (
            "def compute_reward(pole_angle):\n    return pole_angle\n",
            "must return (total_reward, components_dict)",
        ),
        ("def compute_reward(pole_angle):\n    return pole_angle, {}\n", "non-empty dict"),
        (
            "def compute_reward(action):\n    return action, {'a': action}\n",
            "must have shape (16,), got (16, 1)",
        ),
        ("def compute_reward(pole_angle):\n    return pole_angle, {'a': 1.0}\n", "must be a torch.Tensor"),
        (
            "def compute_reward(pole_angle):\n    r = (pole_angle > 0).long()\n    return r, {'a': r}\n",
            "must be a floating-point tensor",
        ),
        (
            "def compute_reward(pole_angle):\n    r = pole_angle / 0 * 0\n    return r, {'nan': r}\n",
            "component 'nan' is not",
        ),
        ("def compute_reward(pole_angle):\n    return pole_angle, {'x': pole_angle[None] / 0}\n", "shape"),
        ("def compute_reward(pole_angle):\n    raise KeyError('boom')\n", "raised KeyError"),
    ],
)
def test_contract_violations_are_named(tmp_path, source, message):
    with pytest.raises(RewardContractError, match=None) as info:
        _load(tmp_path, source)
    assert message in str(info.value)


def test_missing_file_is_named():
    with pytest.raises(RewardContractError, match="cannot read the reward file 'nope.py'"):
        load_reward(CARTPOLE, "nope.py")
