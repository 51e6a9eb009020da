"""Building the prompt from a task, and reading reward code out of model replies."""

import pytest
import torch

from eureka.agent.messages import extract_python, task_messages
from eureka.envs.contract import call_reward
from eureka.plugins.manager import get_task
from eureka.sandbox.guards import restricted_globals
from eureka.sandbox.restricted import restricted_bytecode
from eureka.sandbox.rewards import static_check

REWARD = "def compute_reward(pole_angle):\n    return pole_angle, {'a': pole_angle}\n"


@pytest.mark.parametrize(
    "reply",
    [
        f"Here it is:\n```python\n{REWARD}```\nThis rewards uprightness.",
        f"```py\n{REWARD}```",
        f"```\n{REWARD}```",
        f"```python\nimport torch\n```\nand the function:\n```python\n{REWARD}```",
        f"Sure.\n```python\n{REWARD}",  # cut off at max_tokens before the closing fence
        REWARD,
    ],
)
def test_extracts_the_reward_block(reply):
    assert extract_python(reply).strip().endswith("return pole_angle, {'a': pole_angle}")


def test_no_code_is_none():
    assert extract_python("I cannot help with that.") is None


def test_task_prompt_has_goal_context_and_state_but_not_the_human_reward():
    task = get_task("pendulum")
    system, user = task_messages(task)
    assert "compute_reward" in system.content and "tuple[torch.Tensor, dict[str, torch.Tensor]]" in system.content
    assert task.goal in user.content and "def physics_step" in user.content
    assert "- pole_angle: shape (num_envs)" in user.content
    assert "human_reward" not in user.content and "energy_gap" not in user.content


def test_the_example_reward_of_the_system_prompt_keeps_the_contract():
    """Small models copy the example they are shown, so it must be what a reply must be: allowed by the reward
    policy, and a finite total and components of shape (num_envs,) from the state variables its text names."""
    code = extract_python(task_messages(get_task("cartpole"))[0].content)
    namespace = restricted_globals() | {"GOAL_RADIUS": 0.5}
    exec(restricted_bytecode(code), namespace)  # noqa: S102 - restricted bytecode of our own prompt
    state = {name: torch.randn(16, 2) for name in ("position", "velocity", "goal", "wheel_torques")}
    state["tilt"] = torch.randn(16)
    total, components = call_reward(namespace["compute_reward"], list(state), state, 16)
    assert torch.isfinite(total).all() and set(components) == {"approach", "upright", "at_goal", "effort"}


def test_repair_hints_for_the_errors_small_models_repeat():
    from eureka.agent.messages import repair_hints

    task = get_task("cartpole")
    error = "NameError: name 'pole_angle' is not defined\nNameError: name 'pole_mass_length' is not defined"
    hints = repair_hints(error, task)
    assert hints[0] == "`pole_angle` is a state variable: add it to compute_reward's parameters."
    assert hints[1].startswith("`pole_mass_length` is defined nowhere")
    assert "1-D" in repair_hints("IndexError: Dimension out of range (expected [-1, 0], got 1)", task)[0]
    assert "1-D" in repair_hints("IndexError: too many indices for tensor of dimension 1", task)[0]
    assert repair_hints("SyntaxError: invalid syntax", task) == []
    assert repair_hints("NameError: name 'exp' is not defined", task) == [
        "`exp` alone is not defined: write torch.exp(...)."
    ]
    assert "its own parameter" in repair_hints("NameError: name 'state' is not defined", task)[0]
    assert "torch.pi(" not in repair_hints("NameError: name 'pi' is not defined", task)[0]  # a constant, not a call
    scalar = "ValueError: only one element tensors can be converted to Python scalars"
    assert "torch.exp" in repair_hints(scalar, task)[0]
    assert (
        "torch.where"
        in repair_hints("RuntimeError: Boolean value of Tensor with more than one value is ambiguous", task)[0]
    )


ENV_COPY = """import torch
from eureka.envs.base import BatchedEnv
from eureka.envs.contract import StateVar

MAX_POSITION = 2.4  # m


@dataclass
class CartpoleEnv(BatchedEnv):
    state_dim = 4

    def reset_idx(self, env_ids):
        pass

def helper(x):
    return x * 2

def compute_reward(pole_angle):
    return helper(pole_angle), {"a": pole_angle}
"""


def test_a_copied_environment_is_dropped_from_the_reward():
    code = extract_python(f"```python\n{ENV_COPY}```")
    assert "class" not in code and "eureka" not in code and "@dataclass" not in code
    assert code.startswith("import torch\n") and "MAX_POSITION = 2.4" in code and "def helper(x)" in code
    static_check(code, get_task("cartpole"))


def test_code_that_does_not_parse_is_kept_for_the_check_to_report():
    broken = "class A:\ndef compute_reward(pole_angle)\n    return pole_angle\n"
    assert extract_python(f"```python\n{broken}```") == broken


def test_a_repair_shows_the_constants_instead_of_the_source():
    from eureka.agent.messages import repair_messages

    task = get_task("cartpole")
    _, user, code, error = repair_messages(task, REWARD, "", "NameError: name 'exp' is not defined")
    assert "def physics_step" not in user.content and "MAX_POSITION = 2.4" in user.content
    assert "- pole_angle: shape (num_envs)" in user.content and "torch.exp(...)" in error.content
