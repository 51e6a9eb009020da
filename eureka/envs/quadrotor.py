"""Planar quadrotor: fly to a random target point and hover there.

A rigid body in the vertical x-z plane with two rotors at +-ARM from its centre, each pushing along the body's
up axis (a 2-D slice of a quadrotor). Gravity pulls down; the pitch follows the thrust difference. Semi-implicit
Euler at 0.02 s. An episode lasts 250 steps (5 s) and succeeds if it ends within 0.1 m of the target, moving
slower than 0.25 m/s; leaving the 3 m box or flipping past 90 degrees ends it early as a crash.
"""

import torch

from eureka.envs.base import BatchedEnv, wrap_angle
from eureka.envs.contract import StateVar

GRAVITY = 9.81  # m/s^2
MASS = 1.0  # kg
ARM = 0.2  # m, centre to each rotor
INERTIA = 0.02  # kg m^2 about the pitch axis
MAX_ROTOR_THRUST = MASS * GRAVITY  # N per rotor; both at half of it hover
DT = 0.02  # s per control step
ARENA = 3.0  # m; crash beyond |x| or |z| of this
MAX_PITCH = torch.pi / 2  # rad; crash beyond
TARGET_RADIUS = 0.1  # m
HOVER_SPEED = 0.25  # m/s


class QuadrotorEnv(BatchedEnv):
    """Batched planar quadrotor.

    Physical state ``s``: (num_envs, 8) = [x, z, pitch, x_dot, z_dot, pitch_rate, target_x, target_z].
    """

    state_dim = 8
    obs_dim = 7
    action_dim = 2
    max_episode_steps = 250

    @classmethod
    def state_vars(cls) -> dict[str, StateVar]:
        return {
            "position": StateVar((2,), "body position (x, z), m"),
            "velocity": StateVar((2,), "body velocity (x, z), m/s"),
            "pitch": StateVar((), "pitch angle, rad, wrapped to [-pi, pi) (0 = level; crash beyond +-pi/2)"),
            "pitch_rate": StateVar((), "pitch angular velocity, rad/s"),
            "target": StateVar((2,), "target position (x, z), m"),
            "rotor_thrusts": StateVar((2,), "left and right rotor thrust, N, each in [0, 9.81]; 4.905 each hovers"),
            "success": StateVar((), "1.0 while within 0.1 m of the target and slower than 0.25 m/s, else 0.0"),
        }

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        n = len(env_ids)
        self.s[env_ids] = torch.cat(
            (
                self.rand(n, -1.0, 1.0, 2),  # position
                self.rand(n, -0.3, 0.3, 1),  # pitch
                self.rand(n, -0.2, 0.2, 3),  # velocities
                self.rand(n, -1.0, 1.0, 2),  # target
            ),
            dim=1,
        )

    def _thrusts(self, actions: torch.Tensor) -> torch.Tensor:
        return MAX_ROTOR_THRUST * (actions + 1.0) / 2.0  # (num_envs, 2), N

    def physics_step(self, actions: torch.Tensor) -> None:
        x, z, pitch, x_dot, z_dot, pitch_rate = self.s[:, :6].unbind(1)
        left, right = self._thrusts(actions).unbind(1)
        thrust = left + right
        x_dot = x_dot - thrust * torch.sin(pitch) / MASS * DT
        z_dot = z_dot + (thrust * torch.cos(pitch) / MASS - GRAVITY) * DT
        pitch_rate = pitch_rate + (right - left) * ARM / INERTIA * DT
        body = torch.stack(
            (x + x_dot * DT, z + z_dot * DT, wrap_angle(pitch + pitch_rate * DT), x_dot, z_dot, pitch_rate),
            dim=1,
        )
        self.s = torch.cat((body, self.s[:, 6:]), dim=1)

    def state(self, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        position, velocity, target = self.s[:, 0:2], self.s[:, 3:5], self.s[:, 6:8]
        close = (position - target).norm(dim=1) < TARGET_RADIUS
        slow = velocity.norm(dim=1) < HOVER_SPEED
        return {
            "position": position,
            "velocity": velocity,
            "pitch": self.s[:, 2],
            "pitch_rate": self.s[:, 5],
            "target": target,
            "rotor_thrusts": self._thrusts(actions),
            "success": (close & slow).float(),
        }

    def observations(self) -> torch.Tensor:
        pitch = self.s[:, 2:3]
        # 7: target offset (2), velocity (2), cos/sin pitch (2), pitch rate (1)
        return torch.cat(
            (
                self.s[:, 6:8] - self.s[:, 0:2],
                self.s[:, 3:5],
                torch.cos(pitch),
                torch.sin(pitch),
                self.s[:, 5:6],
            ),
            dim=1,
        )

    def terminated(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return (state["position"].abs() > ARENA).any(dim=1) | (state["pitch"].abs() > MAX_PITCH)


# ----- human reward: below this line is never shown to the LLM


def human_reward(
    position: torch.Tensor,
    velocity: torch.Tensor,
    pitch: torch.Tensor,
    pitch_rate: torch.Tensor,
    target: torch.Tensor,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Bounded closeness bonus (positive, so crashing early never pays), hover and level-flight shaping."""
    scales = {"close": 1.0, "precise": 1.0, "slow": -0.05, "level": -0.1, "spin": -0.01}
    distance = (position - target).norm(dim=1)
    terms = {
        "close": torch.exp(-((distance / 0.5) ** 2)),
        "precise": torch.exp(-((distance / 0.05) ** 2)),
        "slow": (velocity**2).sum(dim=1),
        "level": pitch**2,
        "spin": pitch_rate**2,
    }
    components = {name: scales[name] * term for name, term in terms.items()}
    return sum(components.values()), components


def draw(ax, s: torch.Tensor) -> None:
    """One animation frame: the body with its two rotors, and the target (``s``: one env's physical state)."""
    x, z, pitch, *_, target_x, target_z = s.tolist()
    dx, dz = ARM * torch.cos(s[2]).item(), -ARM * torch.sin(s[2]).item()
    ax.set(xlim=(-ARENA, ARENA), ylim=(-ARENA, ARENA), aspect="equal")
    ax.plot([target_x], [target_z], "x", color="tab:green", markersize=12)
    ax.plot([x - dx, x + dx], [z - dz, z + dz], color="tab:blue", lw=4, marker="o")
