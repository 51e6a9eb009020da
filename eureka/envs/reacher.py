"""Planar 2-link arm reaching: move the fingertip to a random target in the horizontal plane and stop there.

Two rigid links with point masses at their ends, torque-driven shoulder and elbow, viscous joint friction, no
gravity (the arm moves in a horizontal plane). Full rigid-body dynamics (mass matrix and Coriolis terms),
semi-implicit Euler at 0.02 s. Episodes last 150 steps (3 s); success is ending within 10 cm of the target, stopped.
"""

import torch

from eureka.envs.base import BatchedEnv, wrap_angle
from eureka.envs.contract import StateVar

LINK_LENGTH = 0.5  # m, both links
LINK_MASS = 1.0  # kg, point mass at the end of each link
DAMPING = 1.0  # N m s/rad, joint friction
MAX_TORQUE = 5.0  # N m at action +-1
MAX_SPEED = 10.0  # rad/s, joint speed limit
DT = 0.02  # s per control step
TARGET_RADIUS = 0.1  # m
STOP_SPEED = 0.2  # m/s; the fingertip counts as stopped below this
TARGET_MIN_DISTANCE = 0.2  # m from the shoulder; targets lie in the reachable annulus
TARGET_MAX_DISTANCE = 0.95  # m


class ReacherEnv(BatchedEnv):
    """Batched 2-link arm. Physical state ``s``: (num_envs, 6) = [q1, q2, q1_dot, q2_dot, target_x, target_y]."""

    state_dim = 6
    obs_dim = 10
    action_dim = 2
    max_episode_steps = 150

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "joint_angles": StateVar((2,), "shoulder angle from +x and elbow angle relative to link 1, rad"),
            "joint_velocities": StateVar((2,), "joint angular velocities, rad/s, within [-10, 10]"),
            "fingertip": StateVar((2,), "fingertip position (x, y), m, shoulder at the origin"),
            "fingertip_velocity": StateVar((2,), "fingertip velocity (x, y), m/s"),
            "target": StateVar((2,), "target position (x, y), m, 0.2 to 0.95 m from the shoulder"),
            "torques": StateVar((2,), "applied joint torques, N m, each in [-5, 5]"),
            "success": StateVar((), "1.0 while the fingertip is within 10 cm of the target and slower than 0.2 m/s"),
        }

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        n = len(env_ids)
        radius = self.rand(n, TARGET_MIN_DISTANCE, TARGET_MAX_DISTANCE, 1)
        bearing = self.rand(n, -torch.pi, torch.pi, 1)
        self.s[env_ids] = torch.cat(
            (
                self.rand(n, -torch.pi, torch.pi, 2),  # joint angles
                torch.zeros(n, 2, device=self.device),  # at rest
                radius * torch.cos(bearing),
                radius * torch.sin(bearing),
            ),
            dim=1,
        )

    def physics_step(self, actions: torch.Tensor) -> None:
        q2, dq1, dq2 = self.s[:, 1], self.s[:, 2], self.s[:, 3]
        tau = MAX_TORQUE * actions - DAMPING * self.s[:, 2:4]
        m, length = LINK_MASS, LINK_LENGTH
        c2, s2 = torch.cos(q2), torch.sin(q2)
        # Mass matrix M(q) and Coriolis/centrifugal forces h(q, dq) of two end-point masses.
        m11 = m * length**2 * (3 + 2 * c2)
        m12 = m * length**2 * (1 + c2)
        m22 = torch.full_like(c2, m * length**2)
        h1 = -m * length**2 * s2 * (2 * dq1 * dq2 + dq2**2)
        h2 = m * length**2 * s2 * dq1**2
        rhs1, rhs2 = tau[:, 0] - h1, tau[:, 1] - h2
        det = m11 * m22 - m12**2
        ddq = torch.stack(((m22 * rhs1 - m12 * rhs2) / det, (m11 * rhs2 - m12 * rhs1) / det), dim=1)
        dq = (self.s[:, 2:4] + ddq * DT).clamp(-MAX_SPEED, MAX_SPEED)
        q = wrap_angle(self.s[:, 0:2] + dq * DT)
        self.s = torch.cat((q, dq, self.s[:, 4:6]), dim=1)

    def _fingertip(self) -> tuple[torch.Tensor, torch.Tensor]:
        q1, q2, dq1, dq2 = self.s[:, :4].unbind(1)
        a1, a12 = q1, q1 + q2
        tip = LINK_LENGTH * torch.stack((torch.cos(a1) + torch.cos(a12), torch.sin(a1) + torch.sin(a12)), dim=1)
        tip_vel = LINK_LENGTH * torch.stack(
            (
                -torch.sin(a1) * dq1 - torch.sin(a12) * (dq1 + dq2),
                torch.cos(a1) * dq1 + torch.cos(a12) * (dq1 + dq2),
            ),
            dim=1,
        )
        return tip, tip_vel

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        tip, tip_vel = self._fingertip()
        target = self.s[:, 4:6]
        return {
            "joint_angles": self.s[:, 0:2],
            "joint_velocities": self.s[:, 2:4],
            "fingertip": tip,
            "fingertip_velocity": tip_vel,
            "target": target,
            "torques": MAX_TORQUE * actions,
            "success": (((tip - target).norm(dim=1) < TARGET_RADIUS) & (tip_vel.norm(dim=1) < STOP_SPEED)).float(),
        }

    def observations(self) -> torch.Tensor:
        tip, _ = self._fingertip()
        q = self.s[:, 0:2]
        # 10: cos q (2), sin q (2), joint velocities (2), target (2), target - fingertip (2)
        return torch.cat((torch.cos(q), torch.sin(q), self.s[:, 2:4], self.s[:, 4:6], self.s[:, 4:6] - tip), dim=1)


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    fingertip: torch.Tensor, fingertip_velocity: torch.Tensor, target: torch.Tensor, torques: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Distance cost plus a sharp bonus for being on target, with light speed and effort costs."""
    scales = {"distance": -1.0, "on_target": 2.0, "speed": -0.1, "effort": -0.005}
    distance = (fingertip - target).norm(dim=1)
    terms = {
        "distance": distance,
        "on_target": torch.exp(-((distance / 0.1) ** 2)),
        "speed": (fingertip_velocity**2).sum(dim=1),
        "effort": (torques**2).sum(dim=1),
    }
    components = {name: scales[name] * term for name, term in terms.items()}
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    """One animation frame: both links from the shoulder and the target (``s``: one env's physical state)."""
    q1, q12 = s[0], s[0] + s[1]
    elbow = (LINK_LENGTH * torch.cos(q1).item(), LINK_LENGTH * torch.sin(q1).item())
    tip = (elbow[0] + LINK_LENGTH * torch.cos(q12).item(), elbow[1] + LINK_LENGTH * torch.sin(q12).item())
    ax.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), aspect="equal")
    ax.plot([s[4].item()], [s[5].item()], "x", color="tab:green", markersize=12)
    ax.plot([0, elbow[0], tip[0]], [0, elbow[1], tip[1]], color="tab:orange", lw=4, marker="o")
