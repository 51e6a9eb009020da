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
        (
            "def compute_reward(pole_angle, success):\n    r = torch.cos(pole_angle) + success[0]\n"
            "    return r, {'r': r}\n",
            "line 2: success[0] is env 0's value of 'success', given to every env",
        ),
        (
            "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle[-1]) * pole_angle\n    return r, {'r': r}\n",
            "line 2: pole_angle[-1] is env -1's value",
        ),
    ],
)
def test_contract_violations_are_named(tmp_path, source, message):
    with pytest.raises(RewardContractError, match=None) as info:
        _load(tmp_path, source)
    assert message in str(info.value)


def test_missing_file_is_named():
    with pytest.raises(RewardContractError, match="cannot read the reward file 'nope.py'"):
        load_reward(CARTPOLE, "nope.py")


# What a bench's pendulum search converged on (a repair rule had broadcast the 0.0), and a constant the model writes.
CONSTANT = [
    "def compute_reward(pole_angle):\n    torque = 0.0\n    reward = torque\n"
    "    return torch.zeros_like(pole_angle) + reward, {'torque': torch.zeros_like(pole_angle) + torque}\n",
    "def compute_reward(pole_angle, cart_velocity):\n    r = torch.ones_like(pole_angle) * 0.5\n"
    "    return r, {'alive': r, 'calm': 0 * cart_velocity}\n",
]


@pytest.mark.parametrize("source", CONSTANT)
def test_a_constant_total_is_refused(tmp_path, source):
    with pytest.raises(RewardContractError, match="for every state tried, random inputs included: a constant"):
        _load(tmp_path, "import torch\n" + source)


def test_a_reward_constant_on_random_action_states_but_not_on_wider_inputs_loads(tmp_path):
    # Under random actions cartpole never reaches a 3-rad tilt, so this is 0 on every dry-run state; it is still a
    # reward (a sparse one), and the probes of wider inputs show it.
    source = "import torch\n\ndef compute_reward(pole_angle):\n    r = (pole_angle.abs() > 3.0).float()\n"
    source += "    return r, {'fallen': r}\n"
    _load(tmp_path, source)


@pytest.mark.parametrize("spec", ["human", "sparse"])
@pytest.mark.parametrize("task", ["cartpole", "pendulum", "mountain_car", "acrobot", "quadrotor", "reacher"])
def test_built_in_rewards_are_not_constant(task, spec):
    load_reward(get_task(task), spec)


def test_a_reward_that_tests_a_flag_for_equality_loads(tmp_path):
    # `success` is never exactly 1.0 on random-action pendulum states nor on continuous noise around them.
    source = "import torch\n\ndef compute_reward(success):\n    r = torch.where(success == 1.0, 10.0, 0.0)\n"
    source += "    return r, {'done': r}\n"
    path = tmp_path / "reward.py"
    path.write_text(source)
    load_reward(get_task("pendulum"), str(path))


def test_an_index_into_a_reassigned_name_or_a_helpers_parameter_is_not_an_env_read(tmp_path):
    source = "import torch\n\ndef compute_reward(pole_angle, success):\n    def first(success):\n"
    source += "        return success[0]\n    pole_angle = torch.stack((pole_angle, pole_angle))\n"
    source += "    r = torch.cos(pole_angle[0]) + first((success, success))\n    return r, {'r': r}\n"
    _load(tmp_path, source)
