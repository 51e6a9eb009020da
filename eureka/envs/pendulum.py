"""Pendulum swing-up: a weak motor must swing a hanging pendulum up and hold it inverted.

Dynamics of gymnasium's Pendulum-v1 (0.05 s steps, torque limit 2 N m, speed limit 8 rad/s). The torque is too
weak to lift the pendulum directly, so the policy has to pump energy first. Every episode starts hanging down,
within 0.3 rad of the bottom, nearly at rest. Episodes last 200 steps (10 s); an episode succeeds when it ends
with the pendulum upright and nearly still.
"""

import torch

from eureka.envs.base import BatchedEnv, wrap_angle
from eureka.envs.contract import StateVar

GRAVITY = 10.0  # m/s^2
MASS = 1.0  # kg
LENGTH = 1.0  # m
MAX_TORQUE = 2.0  # N m at action +-1
MAX_SPEED = 8.0  # rad/s
DT = 0.05  # s per control step
UPRIGHT_TOLERANCE = 0.2  # rad; success: within this of vertical
STILL_TOLERANCE = 1.0  # rad/s; and slower than this


class PendulumEnv(BatchedEnv):
    """Batched pendulum. Physical state ``s``: (num_envs, 2) = [theta (0 = upright, not wrapped), theta_dot]."""

    state_dim = 2
    obs_dim = 3
    action_dim = 1
    max_episode_steps = 200

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "pole_angle": StateVar((), "pendulum angle from upright, rad, wrapped to [-pi, pi) (0 = inverted)"),
            "pole_angular_velocity": StateVar((), "angular velocity, rad/s, within [-8, 8]"),
            "torque": StateVar((), "applied motor torque, N m, within [-2, 2]"),
            "success": StateVar((), "1.0 while within 0.2 rad of upright and slower than 1 rad/s, else 0.0"),
        }

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        n = len(env_ids)
        hanging = torch.pi + self.rand(n, -0.3, 0.3, 1)
        self.s[env_ids] = torch.cat((hanging, self.rand(n, -0.5, 0.5, 1)), dim=1)

    def physics_step(self, actions: torch.Tensor) -> None:
        theta, theta_dot = self.s.unbind(1)
        torque = MAX_TORQUE * actions[:, 0]
        theta_acc = 3 * GRAVITY / (2 * LENGTH) * torch.sin(theta) + 3.0 / (MASS * LENGTH**2) * torque
        theta_dot = (theta_dot + theta_acc * DT).clamp(-MAX_SPEED, MAX_SPEED)
        self.s = torch.stack((theta + theta_dot * DT, theta_dot), dim=1)

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        angle = wrap_angle(self.s[:, 0])
        speed = self.s[:, 1]
        upright = (angle.abs() < UPRIGHT_TOLERANCE) & (speed.abs() < STILL_TOLERANCE)
        return {
            "pole_angle": angle,
            "pole_angular_velocity": speed,
            "torque": MAX_TORQUE * actions[:, 0],
            "success": upright.float(),
        }

    def observations(self) -> torch.Tensor:
        theta, theta_dot = self.s.unbind(1)
        return torch.stack((torch.cos(theta), torch.sin(theta), theta_dot), dim=1)  # 3: cos, sin, theta_dot


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    pole_angle: torch.Tensor, pole_angular_velocity: torch.Tensor, torque: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Be upright; until then, pump the swing's energy towards that of resting at the top; spare the motor."""
    scales = {"upright": 1.0, "energy_gap": -1.0, "effort": -0.001}
    # Energy per unit inertia under theta_acc = 15 sin(theta): 15 at rest upright, -15 hanging at rest.
    energy = 0.5 * pole_angular_velocity**2 + 15.0 * torch.cos(pole_angle)
    terms = {
        "upright": torch.cos(pole_angle),
        "energy_gap": (energy - 15.0).abs() / 30.0,
        "effort": (torque / 2.0) ** 2,
    }
    components = {name: scales[name] * term for name, term in terms.items()}
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    """One animation frame: the pendulum about its pivot, 0 = upright (``s``: one env's physical state)."""
    tip = (LENGTH * torch.sin(s[0]).item(), LENGTH * torch.cos(s[0]).item())
    ax.set(xlim=(-1.3, 1.3), ylim=(-1.3, 1.3), aspect="equal")
    ax.plot([0, tip[0]], [0, tip[1]], color="tab:orange", lw=5)
    ax.plot([0], [0], "ko")
