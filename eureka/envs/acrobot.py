"""Acrobot swing-up: two links hang from a pivot; only the elbow is driven. Raise the tip above a line.

Dynamics of gymnasium's Acrobot-v1 ("book" equations of Sutton & Barto, RK4 over 0.2 s steps, velocity limits
4 pi and 9 pi rad/s), with a continuous elbow torque in [-1, 1] N m instead of three discrete values. The episode
ends with success once the tip is more than one link length above the pivot, or after 500 steps (100 s).
"""

import torch

from eureka.envs.base import BatchedEnv, wrap_angle
from eureka.envs.contract import StateVar

GRAVITY = 9.8  # m/s^2
LINK_LENGTH_1 = 1.0  # m
LINK_MASS_1 = 1.0  # kg
LINK_MASS_2 = 1.0  # kg
LINK_COM_1 = 0.5  # m, pivot to centre of mass of link 1
LINK_COM_2 = 0.5  # m, elbow to centre of mass of link 2
LINK_MOI = 1.0  # kg m^2, moment of inertia of each link
MAX_VEL_1 = 4 * torch.pi  # rad/s
MAX_VEL_2 = 9 * torch.pi  # rad/s
MAX_TORQUE = 1.0  # N m at action +-1
DT = 0.2  # s per control step
GOAL_HEIGHT = 1.0  # m above the pivot


class AcrobotEnv(BatchedEnv):
    """Batched acrobot. Physical state ``s``: (num_envs, 4) = [theta1, theta2, theta1_dot, theta2_dot].

    theta1 is the shoulder angle from hanging straight down, theta2 the elbow angle relative to link 1.
    """

    state_dim = 4
    obs_dim = 6
    action_dim = 1
    max_episode_steps = 500

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "joint_angles": StateVar((2,), "shoulder and elbow angles, rad, in [-pi, pi) (0, 0 = hanging down)"),
            "joint_velocities": StateVar((2,), "shoulder and elbow angular velocities, rad/s"),
            "tip_height": StateVar((), "height of the tip above the pivot, m, in [-2, 2]; the goal is > 1"),
            "torque": StateVar((), "elbow torque, N m, in [-1, 1]"),
            "success": StateVar((), "1.0 when the tip is above the goal line (this ends the episode), else 0.0"),
        }

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        self.s[env_ids] = self.rand(len(env_ids), -0.1, 0.1, 4)

    def _derivatives(self, s: torch.Tensor, torque: torch.Tensor) -> torch.Tensor:
        theta1, theta2, dtheta1, dtheta2 = s.unbind(1)
        m2, l1, lc1, lc2 = LINK_MASS_2, LINK_LENGTH_1, LINK_COM_1, LINK_COM_2
        d1 = LINK_MASS_1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * torch.cos(theta2)) + 2 * LINK_MOI
        d2 = m2 * (lc2**2 + l1 * lc2 * torch.cos(theta2)) + LINK_MOI
        phi2 = m2 * lc2 * GRAVITY * torch.cos(theta1 + theta2 - torch.pi / 2)
        phi1 = (
            -m2 * l1 * lc2 * dtheta2**2 * torch.sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * torch.sin(theta2)
            + (LINK_MASS_1 * lc1 + m2 * l1) * GRAVITY * torch.cos(theta1 - torch.pi / 2)
            + phi2
        )
        ddtheta2 = (torque + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * torch.sin(theta2) - phi2) / (
            m2 * lc2**2 + LINK_MOI - d2**2 / d1
        )
        ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return torch.stack((dtheta1, dtheta2, ddtheta1, ddtheta2), dim=1)

    def physics_step(self, actions: torch.Tensor) -> None:
        torque = MAX_TORQUE * actions[:, 0]
        # One classical Runge-Kutta 4 step over DT, the torque held constant.
        k1 = self._derivatives(self.s, torque)
        k2 = self._derivatives(self.s + DT / 2 * k1, torque)
        k3 = self._derivatives(self.s + DT / 2 * k2, torque)
        k4 = self._derivatives(self.s + DT * k3, torque)
        s = self.s + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        self.s = torch.stack(
            (
                wrap_angle(s[:, 0]),
                wrap_angle(s[:, 1]),
                s[:, 2].clamp(-MAX_VEL_1, MAX_VEL_1),
                s[:, 3].clamp(-MAX_VEL_2, MAX_VEL_2),
            ),
            dim=1,
        )

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        theta1, theta2 = self.s[:, 0], self.s[:, 1]
        tip_height = -torch.cos(theta1) - torch.cos(theta1 + theta2)
        return {
            "joint_angles": self.s[:, :2],
            "joint_velocities": self.s[:, 2:],
            "tip_height": tip_height,
            "torque": MAX_TORQUE * actions[:, 0],
            "success": (tip_height > GOAL_HEIGHT).float(),
        }

    def observations(self) -> torch.Tensor:
        theta1, theta2, dtheta1, dtheta2 = self.s.unbind(1)
        # 6: cos/sin of both angles, both velocities
        return torch.stack(
            (torch.cos(theta1), torch.sin(theta1), torch.cos(theta2), torch.sin(theta2), dtheta1, dtheta2),
            dim=1,
        )

    def terminated(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["success"] > 0.5


# ----- human reward: below this line is never shown to the LLM


def human_reward(tip_height: torch.Tensor, success: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Every step below the line costs (so finishing early pays); higher tips cost less; reaching pays a bonus.

    No penalty on joint speed: the swing-up needs it.
    """
    scales = {"below_goal": -1.0, "height": 0.5, "goal": 10.0}
    terms = {
        "below_goal": 1.0 - success,
        "height": (tip_height - 2.0) / 4.0,  # in [-1, 0]: never positive, so lingering never pays
        "goal": success,
    }
    components = {name: scales[name] * term for name, term in terms.items()}
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    """One animation frame: both links from the pivot and the goal line (``s``: one env's physical state)."""
    t1, t2 = s[0], s[0] + s[1]  # from hanging straight down
    elbow = (LINK_LENGTH_1 * torch.sin(t1).item(), -LINK_LENGTH_1 * torch.cos(t1).item())
    tip = (elbow[0] + torch.sin(t2).item(), elbow[1] - torch.cos(t2).item())
    ax.set(xlim=(-2.2, 2.2), ylim=(-2.2, 2.2), aspect="equal")
    ax.axhline(GOAL_HEIGHT, color="grey", ls="--")
    ax.plot([0, elbow[0], tip[0]], [0, elbow[1], tip[1]], color="tab:orange", lw=4, marker="o")
