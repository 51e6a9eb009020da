"""Cart-pole balance: push a cart left or right so that the hinged pole stays upright.

Dynamics of Barto, Sutton & Anderson (1983) as in gymnasium's CartPole-v1 (explicit Euler, 0.02 s), with a
continuous force instead of two discrete pushes. An episode fails when the pole leans past 12 degrees or the cart
leaves the track, and ends after 500 steps (10 s).
"""

import math

import torch

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import StateVar

GRAVITY = 9.8  # m/s^2
CART_MASS = 1.0  # kg
POLE_MASS = 0.1  # kg
POLE_HALF_LENGTH = 0.5  # m
MAX_FORCE = 10.0  # N, applied to the cart at action +-1
DT = 0.02  # s per control step
MAX_ANGLE = 12 * 2 * math.pi / 360  # rad; beyond this the pole has fallen
MAX_POSITION = 2.4  # m; beyond this the cart has left the track


class CartpoleEnv(BatchedEnv):
    """Batched cart-pole. Physical state ``s``: (num_envs, 4) = [x, x_dot, theta, theta_dot]."""

    state_dim = 4
    obs_dim = 4
    action_dim = 1
    max_episode_steps = 500
    fitness_kind = "episode_length"

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "cart_position": StateVar((), "cart position along the track, m (0 = centre; the track ends at +-2.4)"),
            "cart_velocity": StateVar((), "cart velocity, m/s"),
            "pole_angle": StateVar((), "pole angle from vertical, rad (0 = upright; the pole falls at +-0.21)"),
            "pole_angular_velocity": StateVar((), "pole angular velocity, rad/s"),
            "action": StateVar((1,), "applied force divided by 10 N, in [-1, 1]"),
            "success": StateVar((), "1.0 while the pole is up and the cart on the track, else 0.0"),
        }

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        self.s[env_ids] = self.rand(len(env_ids), -0.05, 0.05, 4)

    def physics_step(self, actions: torch.Tensor) -> None:
        x, x_dot, theta, theta_dot = self.s.unbind(1)
        force = MAX_FORCE * actions[:, 0]
        cos, sin = torch.cos(theta), torch.sin(theta)
        total_mass = CART_MASS + POLE_MASS
        pole_mass_length = POLE_MASS * POLE_HALF_LENGTH
        temp = (force + pole_mass_length * theta_dot**2 * sin) / total_mass
        theta_acc = (GRAVITY * sin - cos * temp) / (POLE_HALF_LENGTH * (4.0 / 3.0 - POLE_MASS * cos**2 / total_mass))
        x_acc = temp - pole_mass_length * theta_acc * cos / total_mass
        self.s = torch.stack(
            (x + DT * x_dot, x_dot + DT * x_acc, theta + DT * theta_dot, theta_dot + DT * theta_acc), dim=1
        )

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        x, x_dot, theta, theta_dot = self.s.unbind(1)
        up = (theta.abs() <= MAX_ANGLE) & (x.abs() <= MAX_POSITION)
        return {
            "cart_position": x,
            "cart_velocity": x_dot,
            "pole_angle": theta,
            "pole_angular_velocity": theta_dot,
            "action": actions,
            "success": up.float(),
        }

    def observations(self) -> torch.Tensor:
        return self.s.clone()  # 4: x, x_dot, theta, theta_dot

    def terminated(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["success"] < 0.5


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    pole_angle: torch.Tensor, pole_angular_velocity: torch.Tensor, cart_position: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Stay alive, keep the pole vertical and still, keep the cart near the centre."""
    scales = {"alive": 1.0, "upright": 1.0, "pole_still": -0.05, "centred": -0.1}
    terms = {
        "alive": torch.ones_like(pole_angle),
        "upright": torch.cos(pole_angle),
        "pole_still": pole_angular_velocity**2,
        "centred": (cart_position / 2.4) ** 2,
    }
    components = {name: scales[name] * term for name, term in terms.items()}
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    """One animation frame: the cart on its track and the pole (``s``: one env's physical state)."""
    from matplotlib.patches import Rectangle

    x, _, theta, _ = s.tolist()
    ax.set(xlim=(-MAX_POSITION - 0.6, MAX_POSITION + 0.6), ylim=(-0.4, 1.4), aspect="equal")
    ax.plot([-MAX_POSITION, MAX_POSITION], [0, 0], color="grey")
    ax.add_patch(Rectangle((x - 0.25, -0.1), 0.5, 0.2, color="tab:blue"))
    length = 2 * POLE_HALF_LENGTH
    ax.plot([x, x + length * math.sin(theta)], [0, length * math.cos(theta)], color="tab:orange", lw=4)
