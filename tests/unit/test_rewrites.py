"""Each deterministic repair rule: a typical small-model mistake before, and code that runs after."""

import pytest
import torch

from eureka.agent.rewrites import RULES, changed_lines, repair_by_rules, rewrite
from eureka.envs.contract import RewardContractError, call_reward
from eureka.plugins.manager import get_task
from eureka.sandbox.rewards import compile_reward, dry_run, static_check

CARTPOLE = get_task("cartpole")

CASES = {
    "duplicate_parameters": (
        "def compute_reward(pole_angle, cart_position, pole_angle):\n    r = torch.cos(pole_angle)\n"
        "    return r, {'r': r}\n",
        "candidate.py: duplicate argument 'pole_angle' in function definition",
        "def compute_reward(pole_angle, cart_position):",
    ),
    "constant_names": (
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle) / max_angle - self.pole_half_length\n"
        "    return r, {'r': r}\n",
        "NameError: name 'max_angle' is not defined",
        "r = torch.cos(pole_angle) / MAX_ANGLE - POLE_HALF_LENGTH",
    ),
    "constant_names (a lower limit the module gives as MAX only)": (
        "def compute_reward(cart_position):\n    r = (cart_position - MIN_POSITION) / (MAX_POSITION - min_position)\n"
        "    return r, {'r': r}\n",
        "NameError: name 'MIN_POSITION' is not defined",
        "r = (cart_position - -MAX_POSITION) / (MAX_POSITION - -MAX_POSITION)",
    ),
    "item_of_tensors": (
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle).item() + pole_angle.abs().mean().item()\n"
        "    return r, {'r': r}\n",
        "RuntimeError: a Tensor with 16 elements cannot be converted to Scalar",
        "r = torch.cos(pole_angle) + pole_angle.abs().mean()",
    ),
    "item_of_tensors (a task constant)": (  # a quadrotor reply of a bench
        "def compute_reward(position, pitch):\n    far = (position[:, 0].abs() > ARENA.item()).float()\n"
        "    tilted = (pitch.abs() > MAX_PITCH.item()).float()\n"
        "    return -far - tilted, {'far': far, 'tilted': tilted}\n",
        "AttributeError: 'float' object has no attribute 'item'",
        "far = (position[:, 0].abs() > ARENA).float()\n    tilted = (pitch.abs() > MAX_PITCH).float()",
        "quadrotor",
    ),
    "c_comments": (
        "def compute_reward(pole_angle):\n    temperature = 0.5  // The temperature, tuned later\n"
        "    r = torch.exp(-pole_angle.abs() // 1 / temperature) // Upright reward\n"
        "    r = r + 1.0  // r = r + 1\n    return r, {'r': r}\n",
        "candidate.py: Line 2: SyntaxError: invalid syntax at statement: 'temperature = 0.5  // The temperature'",
        "r = torch.exp(-pole_angle.abs() // 1 / temperature)\n",
    ),
    "cut_replies": (  # the reply CI's run got, cut at max_tokens on its 71st line
        "def compute_reward(pole_angle, cart_velocity):\n    upright = torch.cos(pole_angle)  // Upright term\n"
        "    parts = {'upright': upright}\n    reward = upright\n    reward += 10.0 * (1.0 - cart_velocity\n",
        "candidate.py: Line 5: SyntaxError: '(' was never closed",
        "    reward = upright\n    return (reward, parts)\n",
    ),
    "missing_return": (
        "def compute_reward(pole_angle):\n    upright = torch.cos(pole_angle)\n"
        "    components = {'upright': upright}\n    total_reward = 2.0 * upright\n",
        "RewardContractError: compute_reward must return (total, components), got None",
        "    return (total_reward, components)\n",
    ),
    "environment_helpers": (  # pendulum's source imports wrap_angle; cartpole's does not
        "def compute_reward(pole_angle):\n    r = torch.cos(wrap_angle(pole_angle))\n    return r, {'r': r}\n",
        "NameError: name 'wrap_angle' is not defined",
        "def wrap_angle(angle: torch.Tensor) -> torch.Tensor:",
        "pendulum",
    ),
    "environment_expressions": (  # reacher's state() hands out self._fingertip()'s two results
        "def compute_reward(joint_angles, target):\n    tip, tip_vel = self._fingertip()\n"
        "    d = (tip - target).norm(dim=1)\n    r = -d - 0.1 * tip_vel.norm(dim=1)\n    return r, {'distance': d}\n",
        'candidate.py: Line 2: "_fingertip" is an invalid attribute name because it starts with "_".',
        "tip, tip_vel = (fingertip, fingertip_velocity)",
        "reacher",
    ),
    "environment_expressions (called as a function, with arguments)": (
        "def compute_reward(joint_angles, joint_velocities, target):\n"
        "    tip = _fingertip(joint_angles, joint_velocities)[0]\n    d = (tip - target).norm(dim=1)\n"
        "    return -d, {'distance': d}\n",
        'candidate.py: Line 2: "_fingertip" is an invalid variable name because it starts with "_"',
        "tip = (fingertip, fingertip_velocity)[0]",
        "reacher",
    ),
    "environment_expressions (the physical state's columns)": (
        "def compute_reward(fingertip):\n    target = self.s[:, 4:6]\n    d = (fingertip - s[:, 4:6]).norm(dim=1)\n"
        "    return -d, {'distance': d, 'x': target[:, 0]}\n",
        "NameError: name 'self' is not defined",
        "d = (fingertip - target).norm(dim=1)",
        "reacher",
    ),
    "private_names": (
        "def compute_reward(pole_angle):\n    _up = torch.cos(pole_angle)\n    up = 0.5\n"
        "    return _up * up, {'up': _up}\n",
        'candidate.py: Line 2: "_up" is an invalid variable name because it starts with "_"',
        "up_local = torch.cos(pole_angle)",
    ),
    "float_of_tensors": (
        "def compute_reward(pole_angle):\n    r = float(torch.cos(pole_angle)) * float(2)\n    return r, {'r': r}\n",
        "PolicyViolation: 'float' is not available in the sandboxed torch/math namespace",
        "r = torch.cos(pole_angle).float() * 2",
    ),
    "tensor_functions_on_numbers": (
        "def compute_reward(pole_angle):\n    r = torch.maximum(torch.cos(pole_angle), 0.0)\n"
        "    s = torch.minimum(1.0, r)\n    return r + s, {'r': r, 's': s}\n",
        "TypeError: maximum(): argument 'other' (position 2) must be Tensor, not float",
        "r = torch.clamp(torch.cos(pole_angle), min=0.0)",
    ),
    "missing_parameters": (
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle) - cart_position.abs()\n"
        "    return r, {'r': r}\n",
        "",
        "def compute_reward(pole_angle, cart_position):",
    ),
    "math_on_tensors": (
        "from math import exp, sqrt\n\n\ndef compute_reward(pole_angle):\n    up = math.exp(-pole_angle ** 2)\n"
        "    w = math.exp(0.5)\n    s = sqrt(pole_angle ** 2) + exp(0.1)\n    return up * w + s, {'up': up}\n",
        "TypeError: must be real number, not Tensor",
        "up = torch.exp(-pole_angle ** 2)",
    ),
    "builtins_on_tensors": (
        "def compute_reward(pole_angle, cart_position):\n    a = abs(pole_angle)\n    m = max(a, 0.1)\n"
        "    n = min(a, cart_position)\n    return m + n, {'m': m, 'n': n}\n",
        "RuntimeError: Boolean value of Tensor with more than one value is ambiguous",
        "m = torch.clamp(a, min=0.1)",
    ),
    "conditional_on_tensors": (
        "def compute_reward(pole_angle):\n    bonus = 1.0 if pole_angle.abs() < 0.1 else 0.0\n"
        "    r = torch.cos(pole_angle) + bonus\n    return r, {'r': r}\n",
        "RuntimeError: Boolean value of Tensor with more than one value is ambiguous",
        "bonus = torch.where(pole_angle.abs() < 0.1, 1.0, 0.0)",
    ),
    "if_assignments_on_tensors": (
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle)\n    if pole_angle.abs() > 0.2:\n"
        "        r -= 1.0\n    return r, {'r': r}\n",
        "RuntimeError: Boolean value of Tensor with more than one value is ambiguous",
        "r = torch.where(pole_angle.abs() > 0.2, r - 1.0, r)",
    ),
    "boolean_operators_on_tensors": (
        "def compute_reward(pole_angle, cart_position):\n"
        "    far = cart_position.abs()\n"
        "    ok = torch.where(pole_angle.abs() < 0.2 and not cart_position.abs() > 2.0 and not far, 1.0, 0.0)\n"
        "    return ok, {'ok': ok}\n",
        "RuntimeError: Boolean value of Tensor with more than one value is ambiguous",
        "(pole_angle.abs() < 0.2) & ~(cart_position.abs() > 2.0) & ~far.bool()",
    ),
    "boolean_operators_on_tensors (a chained comparison)": (
        "def compute_reward(pole_angle):\n    ok = torch.where(0.05 < pole_angle.abs() < 0.2, 1.0, 0.0)\n"
        "    return ok, {'ok': ok}\n",
        "RuntimeError: Boolean value of Tensor with more than one value is ambiguous",
        "torch.where((0.05 < pole_angle.abs()) & (pole_angle.abs() < 0.2), 1.0, 0.0)",
    ),
    "c_comments (a name as the first word)": (
        "def compute_reward(pole_angle):\n    speed_error = pole_angle.abs()\n"
        "    speed_error *= 2.0  // speed_error is clamped to a range\n    return speed_error, {'e': speed_error}\n",
        "candidate.py: Line 3: SyntaxError: invalid syntax at statement: 'speed_error *= 2.0  // speed_error is'",
        "speed_error *= 2.0\n",
    ),
    "where_conditions": (
        "def compute_reward(pole_angle, success):\n    bonus = torch.where(success, 1.0, 0.0)\n"
        "    ok = torch.where(pole_angle.abs() < 0.2, 1.0, 0.0)\n    return bonus + ok, {'bonus': bonus, 'ok': ok}\n",
        "RuntimeError: where expected condition to be a boolean tensor, but got a tensor with dtype Float",
        "bonus = torch.where(success.bool(), 1.0, 0.0)\n    ok = torch.where(pole_angle.abs() < 0.2, 1.0, 0.0)",
    ),
    "where_conditions (where imported from torch)": (  # a reacher reply of a bench, after two other rules
        "from torch import where, maximum\n\ndef compute_reward(pole_angle, success):\n"
        "    bonus = where(success, 1.0, 0.0)\n    far = maximum(pole_angle.abs() - 0.2, 0.0)\n"
        "    return bonus - far, {'bonus': bonus, 'far': far}\n",
        "RuntimeError: where expected condition to be a boolean tensor, but got a tensor with dtype Float",
        "bonus = where(success.bool(), 1.0, 0.0)\n    far = torch.clamp(pole_angle.abs() - 0.2, min=0.0)",
    ),
    "masks_of_floats": (  # a held-out pendulum reply: the .float() binds to the right comparison only
        "def compute_reward(pole_angle, pole_angular_velocity, success):\n"
        "    up = (pole_angle.abs() < 0.2) & (pole_angular_velocity.abs() < 1.0).float()\n"
        "    kept = success | up\n    r = kept.float()\n    return r, {'r': r}\n",
        "NotImplementedError: \"bitwise_and_cpu\" not implemented for 'Float'",
        "up = (pole_angle.abs() < 0.2) & (pole_angular_velocity.abs() < 1.0)\n    kept = success.bool() | up",
    ),
    "one_d_indexing": (
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle[:, 0])\n    return r, {'r': r}\n",
        "IndexError: too many indices for tensor of dimension 1",
        "r = torch.cos(pole_angle)",
    ),
    "one_d_indexing (one env's value for all)": (  # a bench's best reacher reward
        "def compute_reward(pole_angle, success):\n"
        "    r = torch.where(success[0] == 1.0, 10.0, torch.cos(pole_angle))\n    return r, {'r': r}\n",
        "candidate.py: line 2: success[0] is env 0's value of 'success', given to every env; 'success' holds one "
        "value per env: use it whole, success",
        "r = torch.where(success == 1.0, 10.0, torch.cos(pole_angle))",
    ),
    "missing_components": (
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle)\n    return r\n",
        "compute_reward must return (total_reward, components_dict); it returned Tensor",
        "return (total_reward, {'total': total_reward})",
    ),
    "missing_components (dict())": (
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle)\n    return r, dict()\n",
        "RewardContractError: the second return value must be a non-empty dict of named reward components",
        "return (total_reward, {'total': total_reward})",
    ),
    "floats_from_the_error": (
        "def compute_reward(pole_angle):\n    up = pole_angle.abs() < 0.2\n    r = torch.cos(pole_angle)\n"
        "    return r, {'r': r, 'up': up}\n",
        "RewardContractError: 'up' must be a floating-point tensor, got torch.bool",
        "'up': up.float()",
    ),
    "item_assignments": (
        "def compute_reward(pole_angle, cart_velocity):\n    r = torch.zeros_like(pole_angle)\n"
        "    up = pole_angle.abs() < 0.2\n    r[up] = torch.cos(pole_angle)\n"
        "    r[torch.where(cart_velocity > 1.0)[0]] -= 0.5 * cart_velocity[torch.where(cart_velocity > 1.0)[0]]\n"
        "    parts = {'r': r}\n    parts['r'] += 1.0\n    return r, parts\n",
        "candidate.py: Line 5: Augmented assignment of object items and slices is not allowed.",
        "r = torch.where(up, torch.cos(pole_angle), r)\n"
        "    r = torch.where(cart_velocity > 1.0, r - 0.5 * cart_velocity, r)\n"
        "    parts = {'r': r}\n    parts['r'] = parts['r'] + 1.0",
    ),
    "columns_of_batches": (
        "def compute_reward(fingertip, target, joint_velocities):\n"
        "    d = (fingertip[0] - target[0]) ** 2 + (fingertip[1] - target[-1]) ** 2\n"
        "    w1, w2 = joint_velocities\n    r = -d - 0.1 * (w1 ** 2 + w2 ** 2)\n    return r, {'d': d}\n",
        "RewardContractError: 'total reward' must have shape (16,), got (2,)",
        "d = (fingertip[:, 0] - target[:, 0]) ** 2 + (fingertip[:, 1] - target[:, -1]) ** 2\n"
        "    w1, w2 = joint_velocities.unbind(1)",
        "reacher",
    ),
    "misspelled_state_variables": (
        "def compute_reward(pole_angle):\n    r = torch.cos(cart_angle) - 0.1 * pole_angel.abs() - pole_position ** 2\n"
        "    return r, {'r': r}\n",
        "NameError: name 'cart_angle' is not defined; NameError: name 'pole_angel' is not defined; "
        "NameError: name 'pole_position' is not defined",
        "def compute_reward(pole_angle, cart_position):\n"
        "    r = torch.cos(pole_angle) - 0.1 * pole_angle.abs() - cart_position ** 2",
    ),
    "misspelled_state_variables (a parameter)": (
        "def compute_reward(position: torch.Tensor, rotors_thrusts: torch.Tensor, rotor_thrusts):\n"
        "    r = -position.norm(dim=1) - 0.01 * rotors_thrusts.sum(dim=1)\n    return r, {'r': r}\n",
        "RewardContractError: compute_reward parameter 'rotors_thrusts' is not a state variable of this task.",
        "def compute_reward(position: torch.Tensor, rotor_thrusts: torch.Tensor):\n"
        "    r = -position.norm(dim=1) - 0.01 * rotor_thrusts.sum(dim=1)",
        "quadrotor",
    ),
    "precedence_of_masks": (
        "def compute_reward(pole_angle, cart_velocity):\n    up = pole_angle.abs() < 0.2\n"
        "    calm = up & cart_velocity.abs() < 1.0\n    held = 0.0 < pole_angle.abs() & cart_velocity.abs() < 1.0\n"
        "    r = calm.float() + held.float()\n    return r, {'r': r}\n",
        "NotImplementedError: \"bitwise_and_cpu\" not implemented for 'Float'",
        "calm = up & (cart_velocity.abs() < 1.0)\n    held = (0.0 < pole_angle.abs()) & (cart_velocity.abs() < 1.0)",
    ),
    "arithmetic_on_masks": (
        "def compute_reward(pole_angle, cart_velocity):\n    up = pole_angle.abs() < 0.2\n"
        "    r = (1.0 - up) * -(cart_velocity.abs() > 1.0) - cart_velocity.abs()\n    return r, {'r': r}\n",
        "RuntimeError: Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
        "invert a mask, use the `~` or `logical_not()` operator instead.",
        "r = (1.0 - up.float()) * -(cart_velocity.abs() > 1.0).float() - cart_velocity.abs()",
    ),
    "reductions_of_per_env_values": (
        "def compute_reward(position, target):\n    dx = position[:, 0] - target[:, 0]\n"
        "    d = dx.norm(dim=1) + torch.sum(dx, 1) + position.norm(dim=1)\n    return -d, {'d': d}\n",
        'Traceback (candidate code only):\n  File "candidate.py", line 3, in compute_reward\n'
        "IndexError: Dimension out of range (expected to be in range of [-1, 0], but got 1)",
        "d = dx.abs() + dx + position.norm(dim=1)",
        "quadrotor",
    ),
    "vector_components": (
        "def compute_reward(position, target, velocity):\n    error = position - target\n    r = -error.norm(dim=1)\n"
        "    return r, {'r': r, 'error': error, 'velocity': velocity}\n",
        "RewardContractError: 'error' must have shape (16,), got (16, 2)",
        "'error': error.norm(dim=-1), 'velocity': velocity.norm(dim=-1)}",
        "quadrotor",
    ),
    "shapes_to_batch (a number)": (
        "def compute_reward(pole_angle):\n    temperature = 0.5\n    r = torch.exp(-pole_angle.abs() / temperature)\n"
        "    return r, {'r': r, 'temperature': temperature}\n",
        "RewardContractError: 'temperature' must be a torch.Tensor, got float",
        "'temperature': torch.zeros_like(pole_angle) + temperature",
    ),
    "in_place_growth": (  # a demo's reply
        "def compute_reward(pole_angle, cart_position):\n    total_reward = torch.tensor(0.0)\n"
        "    upright = torch.exp(-pole_angle.abs() / 0.1)\n    total_reward += upright\n"
        "    total_reward += cart_position.abs()\n    return total_reward, {'upright': upright}\n",
        'Traceback (candidate code only): File "candidate.py", line 4, in compute_reward total_reward += upright '
        "RuntimeError: output with shape [] doesn't match the broadcast shape [16]",
        "total_reward = total_reward + upright\n    total_reward += cart_position.abs()",
    ),
    "single_value_columns": (
        "def compute_reward(pole_angle, action):\n    effort = action ** 2\n    r = torch.cos(pole_angle) - effort\n"
        "    return r, {'effort': action[:, 0] ** 2}\n",
        "RewardContractError: 'total reward' must have shape (16,), got (16, 16)",
        "effort = action[:, 0] ** 2\n    r = torch.cos(pole_angle) - effort",
    ),
    "reductions_of_per_env_values (a count of columns)": (
        "def compute_reward(cart_velocity, pole_angle):\n    t = 1.0 + cart_velocity.abs() / cart_velocity.shape[1]\n"
        "    r = torch.exp(-pole_angle.abs() / t)\n    return r, {'r': r}\n",
        'Traceback (candidate code only):\n  File "candidate.py", line 2, in compute_reward\n'
        "IndexError: tuple index out of range",
        "t = 1.0 + cart_velocity.abs() / 1\n",
    ),
    "shapes_to_batch (no parameter of one value per env)": (
        "def compute_reward(joint_angles, joint_velocities):\n    temperature = 0.5\n"
        "    r = torch.exp(-joint_angles.norm(dim=1) / temperature)\n"
        "    return r, {'r': r, 'temperature': temperature}\n",
        "RewardContractError: 'temperature' must be a torch.Tensor, got float",
        "'temperature': torch.zeros_like(joint_angles[:, 0]) + temperature",
        "acrobot",
    ),
    "per_env_loops": (  # quadrotor's reply, on cartpole's names
        "def compute_reward(pole_angle, cart_velocity):\n    num_envs = pole_angle.shape[0]\n"
        "    total = torch.zeros((num_envs,))\n    for i in range(num_envs):\n"
        "        if pole_angle[i] > 0.1 or abs(cart_velocity[i]) > 1.0:\n"
        "            total[i] = -10.0 * pole_angle[i] - cart_velocity[i]\n        else:\n            total[i] = 0.0\n"
        "    return total, {'total': total}\n",
        "RuntimeError: Boolean value of Tensor with more than one value is ambiguous",
        "total = torch.where((pole_angle > 0.1) | (torch.abs(cart_velocity) > 1.0), -10.0 * pole_angle - cart_velocity",
    ),
    "per_env_loops (the loop variable read after the loop)": (
        "def compute_reward(pole_angle, success):\n    upright = 0.0\n    for i in range(len(pole_angle)):\n"
        "        upright += torch.cos(pole_angle[i])\n    bonus = 1.0\n    if not success[i]:\n        bonus = -1.0\n"
        "    return upright + bonus, {'upright': upright}\n",
        "RewardContractError: 'total reward' must have shape (16,), got ()",
        "upright += torch.cos(pole_angle)",
    ),
    "wrapped_tensors": (
        "def compute_reward(pole_angle, cart_velocity):\n    r = torch.cos(pole_angle)\n"
        "    both = torch.tensor([pole_angle, cart_velocity]).norm(dim=-1)\n"
        "    return torch.tensor([r - both]), {'r': r}\n",
        "ValueError: only one element tensors can be converted to Python scalars",
        "return (r - both, {'r': r})",
    ),
    "refused_imports": (
        "from math import exp, abs\ndef compute_reward(pole_angle):\n    r = exp(-abs(pole_angle))\n"
        "    return r, {'r': r}\n",
        "RewardContractError: candidate.py: Line 1: math has no allowed name 'abs' for reward code",
        "from math import exp\n",
    ),
    "private_names (an inner function)": (
        "def compute_reward(pole_angle):\n    def _shape(x):\n        return torch.exp(-x.abs())\n"
        "    r = _shape(pole_angle)\n    return r, {'r': r}\n",
        'RewardContractError: candidate.py: Line 2: "_shape" is an invalid variable name because it starts with "_"',
        "r = shape(pole_angle)",
    ),
    "misspelled_state_variables (one of several quantities)": (
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle) - 0.1 * pole_velocity.abs()\n"
        "    return r, {'r': r}\n",
        "NameError: name 'pole_velocity' is not defined",
        "0.1 * pole_angular_velocity.abs()",
    ),
    "c_comments (a number, then words)": (
        "def compute_reward(pole_angle):\n    r = torch.exp(-pole_angle.abs() / 20)  // 20 is a temperature\n"
        "    return r, {'r': r}\n",
        "RewardContractError: candidate.py: Line 2: SyntaxError: invalid syntax",
        "r = torch.exp(-pole_angle.abs() / 20)\n",
    ),
    "single_value_columns (an in-place sum)": (
        "def compute_reward(pole_angle, action):\n    r = torch.cos(pole_angle)\n    r += action * 0.1\n"
        "    return r, {'r': r}\n",
        "RuntimeError: output with shape [16] doesn't match the broadcast shape [16, 16]",
        "r += action[:, 0] * 0.1",
    ),
    "total_from_components": (  # a bench reply: the terms built, then the starting value returned
        "def compute_reward(pole_angle, cart_velocity):\n    total_reward = -1.0\n    upright = torch.cos(pole_angle)\n"
        "    calm = -0.1 * cart_velocity.abs()\n    reward = upright + calm\n"
        "    return torch.zeros_like(pole_angle) + total_reward, {'upright': upright, 'calm': calm}\n",
        "dry run on 16 envs: the total reward is -1 for every state tried, random inputs included: a constant gives "
        "the policy nothing to learn from; make it depend on the state variables",
        "components = {'upright': upright, 'calm': calm}\n    return (sum(components.values()), components)",
    ),
    "total_from_components (a dict by name)": (
        "def compute_reward(pole_angle, cart_velocity):\n    total = 0.0\n    components = {}\n"
        "    components['upright'] = torch.cos(pole_angle)\n"
        "    return torch.zeros_like(pole_angle) + total, components\n",
        "the total reward is 0 for every state tried, random inputs included: a constant gives the policy nothing to "
        "learn from; make it depend on the state variables",
        "return (sum(components.values()), components)",
    ),
    "shapes_to_batch": (
        "def compute_reward(pole_angle):\n    temperature = torch.tensor(0.5)\n    r = torch.cos(pole_angle)\n"
        "    return r, {'r': r, 'temperature': temperature}\n",
        "RewardContractError: 'temperature' must have shape (16,), got ()",
        "'temperature': torch.zeros_like(pole_angle) + temperature",
    ),
}


def test_every_rule_has_a_case():
    assert {rule.name for rule in RULES} == {case.split(" (")[0] for case in CASES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fixes_its_mistake(name):
    code, error, expected, *task_name = CASES[name]
    task = get_task(task_name[0]) if task_name else CARTPOLE
    result = rewrite(code, task, error)
    assert result is not None and name.split(" (")[0] in result.rules, result
    assert expected in result.code, result.code
    static_check(result.code, task)
    fn = compile_reward(result.code, task)
    env = task.make_env(16, "cpu", task.human_reward)
    state = env.state(torch.zeros(16, env.action_dim))
    total, components = call_reward(fn, list(fn.__code__.co_varnames[: fn.__code__.co_argcount]), state, 16)
    assert total.shape == (16,) and all(v.shape == (16,) for v in components.values())


@pytest.mark.parametrize("name", ["total_from_components", "total_from_components (a dict by name)"])
def test_a_total_summed_from_its_components_passes_the_dry_run(name):
    code, error, _ = CASES[name]
    with pytest.raises(RewardContractError, match="a constant gives the policy nothing to learn"):
        dry_run(compile_reward(code, CARTPOLE), CARTPOLE)
    dry_run(compile_reward(rewrite(code, CARTPOLE, error).code, CARTPOLE), CARTPOLE)


IF_ON_TENSORS = {
    "assignments": (
        "def compute_reward(pole_angle, cart_velocity):\n    components = {}\n    reward = torch.cos(pole_angle)\n"
        "    if pole_angle.abs() < 0.1:\n        bonus = 1.0\n        reward += bonus\n"
        "        components['bonus'] = bonus * torch.ones_like(reward)\n    elif pole_angle.abs() < 0.2:\n"
        "        reward += 0.5\n        pass\n    else:\n        reward = reward - cart_velocity.abs()\n"
        "    if reward > 0.9:\n        reward = reward * 0.5\n    else:\n        reward = reward * 2.0\n"
        "    components['reward'] = reward\n    return reward, components\n"
    ),
    "an early return": (
        "def compute_reward(pole_angle, cart_velocity):\n    upright = torch.cos(pole_angle)\n"
        "    if pole_angle.abs() > 0.2:\n        penalty = -1.0 - cart_velocity.abs()\n"
        "        return penalty, {'penalty': penalty}\n    speed = cart_velocity.abs()\n"
        "    upright -= 0.1 * speed\n    return upright, {'upright': upright, 'speed': speed}\n"
    ),
    "a components dict in each branch": (
        "def compute_reward(pole_angle, cart_velocity):\n    if pole_angle.abs() > 0.2:\n        total = -1.0\n"
        "        info = {'angle': pole_angle, 'speed': cart_velocity}\n    else:\n        total = 1.0\n"
        "        info = {'angle': -pole_angle}\n    return total, info\n"
    ),
    "an early return before a loop, a tuple assignment and dict()": (
        "def compute_reward(pole_angle, cart_velocity):\n    if pole_angle.abs() > 0.2:\n"
        "        return -1.0, dict(penalty=cart_velocity.abs())\n"
        "    speed, angle = cart_velocity.abs(), pole_angle.abs()\n    total = torch.cos(pole_angle)\n"
        "    for scale in (0.1, 0.2):\n        total = total - scale * speed\n"
        "    return total, {'speed': speed, 'angle': angle}\n"
    ),
    "an if in a helper function": (
        "def compute_reward(pole_angle, cart_velocity):\n    def bonus(angle):\n        if angle.abs() < 0.1:\n"
        "            return 1.0\n        return 0.0\n\n    def penalty(speed):\n        if speed.abs() > 1.0:\n"
        "            cost = speed.abs()\n        else:\n            cost = 0.1 * speed.abs()\n        return cost\n\n"
        "    b = bonus(pole_angle)\n    total = b - penalty(cart_velocity)\n    return total, {'bonus': b}\n"
    ),
    "a return in every branch": (
        "def compute_reward(pole_angle, cart_velocity):\n    if pole_angle.abs() < 0.05:\n        return 1.0\n"
        "    elif cart_velocity.abs() > 1.0:\n        total = -cart_velocity.abs()\n"
        "        return total, {'speed': total}\n    else:\n        return -0.1\n"
    ),
}


@pytest.mark.parametrize("name", sorted(IF_ON_TENSORS))
def test_a_tensor_if_gives_each_env_what_the_code_gives_it_alone(name):
    """if/elif/else around several assignments, a new name, a component, a branch that changes its own condition,
    returns: the batch rewrite gives every env the total and components the original code gives that env alone (a
    one-element tensor's ``if`` is Python's; a component a branch lacks is 0 there)."""
    code = IF_ON_TENSORS[name]
    result = rewrite(code, CARTPOLE, "RuntimeError: Boolean value of Tensor with more than one value is ambiguous")
    assert result is not None and result.rules[0] == "if_assignments_on_tensors", result
    angle, speed = torch.linspace(-0.3, 0.3, 13), torch.linspace(-2.0, 2.0, 13)
    total, components = compile_reward(result.code, CARTPOLE)(angle, speed)
    alone = compile_reward(code, CARTPOLE)
    for i in range(13):
        one = alone(angle[i].view(1), speed[i].view(1))
        one_total, one_parts = one if isinstance(one, tuple) else (one, {})
        assert torch.allclose(torch.as_tensor(one_total).float(), total[i]), (name, i)
        for key, value in components.items():
            assert torch.allclose(torch.as_tensor(one_parts.get(key, 0.0)).float(), value[i]), (name, key, i)


def test_a_loop_over_the_envs_gives_each_env_what_the_loop_gave_it():
    """The loop runs as written (one env at a time, Python's ``if`` on one value); its batch rewrite must give the
    same total and components."""
    code = CASES["per_env_loops"][0]
    result = rewrite(code, CARTPOLE, "RuntimeError: Boolean value of Tensor with more than one value is ambiguous")
    assert result is not None and result.rules[0] == "per_env_loops", result
    angle, speed = torch.linspace(-0.3, 0.3, 13), torch.linspace(-2.0, 2.0, 13)
    loop_total, loop_parts = compile_reward(code, CARTPOLE)(angle, speed)
    total, components = compile_reward(result.code, CARTPOLE)(angle, speed)
    assert torch.allclose(loop_total, total) and torch.allclose(loop_parts["total"], components["total"])


def test_an_if_around_a_call_or_a_loop_is_left_to_the_model():
    for branch in ("        print(pole_angle)\n", "        for i in range(2):\n            r = r + i\n"):
        code = f"def compute_reward(pole_angle):\n    r = torch.cos(pole_angle)\n    if pole_angle > 0.1:\n{branch}"
        code += "    return r, {'r': r}\n"
        result = rewrite(code, CARTPOLE, "Boolean value of Tensor with more than one value is ambiguous")
        assert result is None or "if_assignments_on_tensors" not in result.rules, result


def test_the_flattening_of_a_row_or_column():
    code = "def compute_reward(pole_angle):\n    r = pole_angle.unsqueeze(0)\n    return r, {'r': pole_angle}\n"
    result = rewrite(code, CARTPOLE, "'total reward' must have shape (16,), got (1, 16)")
    assert result is not None and "return (r.reshape(-1), {'r': pole_angle})" in result.code


@pytest.mark.parametrize(
    "code",
    [
        None,
        "def compute_reward(pole_angle):\n    return pole_angle +\n",  # does not parse
        "def other(x):\n    return x\n",  # no compute_reward
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle)\n    return r, {'r': r}\n",  # nothing wrong
        "def compute_reward(pole_angle):\n    return max(1.0, 2.0), {'a': min(1, 2)}\n",  # scalars stay Python's
    ],
)
def test_no_rewrite_where_no_rule_applies(code):
    assert rewrite(code, CARTPOLE, "") is None


def test_a_helper_the_model_never_read_is_not_pasted():
    """cartpole's source never mentions wrap_angle: an unknown name stays the model's to fix."""
    code = "def compute_reward(pole_angle):\n    r = torch.cos(wrap_angle(pole_angle))\n    return r, {'r': r}\n"
    assert rewrite(code, CARTPOLE, "NameError: name 'wrap_angle' is not defined") is None


@pytest.mark.parametrize(
    "code",
    [
        # a mistake in the middle is not a cut: the lines after it are kept for the model to repair
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle)\n    s = r *\n    return r, {'r': r}\n",
        "def compute_reward(pole_angle):\n    up = torch.cos(pole_angle) = 1\n    return up, {'up': up}\n",
        # a bracket never closed reads to the end, like a cut; with no whole statement before it nothing is kept
        "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle\n    s = r *\n    return r, {'r': r}\n",
    ],
)
def test_only_the_end_of_a_reply_is_cut(code):
    assert rewrite(code, CARTPOLE, "") is None


def test_a_reply_cut_before_any_reward_is_not_given_one():
    """Nothing names a reward or a total: no return is made up, and the static check refuses the cut code."""
    code = "def compute_reward(pole_angle):\n    upright = torch.cos(pole_angle)\n    speed = torch.abs(pole_"
    result = rewrite(code, CARTPOLE, "")
    assert result is not None and result.rules == ["cut_replies"] and "return" not in result.code
    with pytest.raises(RewardContractError):
        static_check(result.code, CARTPOLE)


def test_floor_division_is_not_a_comment():
    """``//`` between operands stays; the text rule runs only on code that does not parse."""
    code = "def compute_reward(pole_angle):\n    r = pole_angle // 2 + pole_angle\n    return r, {'r': r}\n"
    assert rewrite(code, CARTPOLE, "") is None


def test_a_rewrite_that_fails_is_rewritten_again_from_its_new_error():
    """Two mistakes: math.exp on a batch (the first error), and a bool component that only fails once that is
    fixed. The second round's rule comes from the second error; both rounds' rules are kept."""
    code = (
        "def compute_reward(pole_angle):\n    up = pole_angle.abs() < 0.2\n    r = math.exp(-pole_angle)\n"
        "    return r, {'r': r, 'up': up}\n"
    )
    rounds = []

    def check(rewrites, round_):
        rounds.append(round_)
        errors = {}
        for key, rewritten in rewrites.items():
            fn = compile_reward(rewritten.code, CARTPOLE)
            state = CARTPOLE.make_env(16, "cpu", CARTPOLE.human_reward).state(torch.zeros(16, 1))
            try:
                call_reward(fn, ["pole_angle"], state, 16)
                errors[key] = None
            except Exception as exc:  # noqa: BLE001 - the error goes to the next round, as a dry run's would
                errors[key] = f"{type(exc).__name__}: {exc}"
        return errors

    fixed = repair_by_rules({"c0": (CARTPOLE, code, "TypeError: must be real number, not Tensor")}, check)
    assert rounds == [0, 1]
    assert fixed["c0"].rules == ["math_on_tensors", "floats_from_the_error"]
    assert "'up': up.float()" in fixed["c0"].code


def test_rules_stop_when_nothing_changes():
    """A failure no rule knows ends the rounds at once: no check is asked for."""
    code = "def compute_reward(pole_angle):\n    r = torch.cos(pole_angle)\n    return r, {'r': r}\n"
    assert repair_by_rules({"c0": (CARTPOLE, code, "ValueError: odd")}, lambda rewrites, round_: 1 / 0) == {}


def test_a_function_the_reward_defines_by_a_method_name_is_its_own():
    code = (
        "def compute_reward(joint_angles, target):\n    def fingertip(angles):\n        return angles\n"
        "    d = (fingertip(joint_angles) - target).norm(dim=1)\n    return -d, {'distance': d}\n"
    )
    result = rewrite(code, get_task("reacher"), "RuntimeError: something else")
    assert result is None or "environment_expressions" not in result.rules


def test_the_lines_the_rules_changed_are_paired_before_and_after_whatever_the_formatting():
    before = "import math\ndef compute_reward(pole_angle):\n    up = math.exp(-abs(pole_angle))  # a note\n"
    before += "    return up, dict(up=up)\n"
    after = rewrite(before, CARTPOLE, "only one element tensors can be converted to Python scalars").code
    fixed = ("up = math.exp(-abs(pole_angle))", "up = torch.exp(-torch.abs(pole_angle))")
    assert changed_lines(before, after) == [fixed]
    assert changed_lines("def compute_reward(x):\n    return x +\n", after) == []  # the text rules' input
