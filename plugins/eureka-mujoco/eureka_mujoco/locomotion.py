"""What the four robots share: ``num_envs`` MuJoCo simulations of one gymnasium robot model, stepped on the CPU
by a pool of threads, exposed to Eureka as torch tensors.

Each env is one ``MjData`` stepped exactly as gymnasium's ``MujocoEnv`` steps it (controls set, ``mj_step`` for
``frame_skip`` physics steps, then ``mj_rnePostConstraint`` so that the contact forces ``cfrc_ext`` are current):
the same actions from the same state give gymnasium's states, bit for bit (``tests/test_physics.py``). MuJoCo
releases the GIL while it steps, so ``torch.get_num_threads()`` threads (a job's ``threads``) step slices of the
batch at once. The physics runs in float64 on the CPU; the state variables are float32 tensors on the env's
device (on a GPU they are copied there each step).

The physical state ``self.s`` (for the report's animation) is ``[qpos, qvel, x at the episode's start]``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gymnasium
import mujoco
import numpy as np
import torch

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import RewardFn

ASSETS = Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets"


def load_model(xml: str) -> mujoco.MjModel:
    """One of gymnasium's robot models, by file name, compiled as gymnasium compiles it.

    The compiler's warnings are kept from stderr (every ``eureka`` command imports the plugins): gymnasium's
    half_cheetah.xml uses the deprecated ``settotalmass``, which we keep so that the masses stay gymnasium's.
    """
    previous, seen = mujoco.get_mju_user_warning(), []
    mujoco.set_mju_user_warning(seen.append)
    try:
        return mujoco.MjModel.from_xml_path(str(ASSETS / xml))
    finally:
        mujoco.set_mju_user_warning(previous)


class LocomotionEnv(BatchedEnv):
    """A batch of one robot. Subclasses set ``model``, ``frame_skip``, the reset noise and ``observations`` /
    ``state`` / ``terminated``; ``x_position`` says what "forward" measures (the torso, or the centre of mass)."""

    model: mujoco.MjModel
    frame_skip: int
    #: half-width of the uniform noise added to the initial joint positions
    qpos_noise: float
    #: scale of the noise on the initial joint velocities: uniform in [-scale, scale], or normal if ``normal_qvel``
    qvel_noise: float
    normal_qvel: bool = False
    fitness_kind = "success_rate"  # here "success" is the distance travelled: the episode's value at its end

    def __init__(self, num_envs: int, device: str | torch.device, reward_fn: RewardFn, seed: int = 0) -> None:
        self.datas = [mujoco.MjData(self.model) for _ in range(num_envs)]
        self.numpy_random = np.random.default_rng(seed)
        self.threads = max(1, min(torch.get_num_threads(), num_envs))
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="mujoco") if self.threads > 1 else None
        low, high = self.model.actuator_ctrlrange.T
        self.ctrl_low, self.ctrl_span = low, high - low
        self.dt = self.model.opt.timestep * self.frame_skip
        super().__init__(num_envs, device, reward_fn, seed)

    @classmethod
    def dims(cls) -> tuple[int, int]:
        return cls.model.nq, cls.model.nv

    # ----- physics ------------------------------------------------------------------------------------------------

    def x_position(self, data: mujoco.MjData) -> float:
        """Where the robot is along x: the root's position (the Humanoid uses its centre of mass)."""
        return float(data.qpos[0])

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        nq, nv = self.dims()
        for i in env_ids.tolist():
            data = self.datas[i]
            mujoco.mj_resetData(self.model, data)
            noise = self.qvel_noise
            data.qpos[:] = self.model.qpos0 + self.numpy_random.uniform(-self.qpos_noise, self.qpos_noise, nq)
            data.qvel[:] = (
                noise * self.numpy_random.standard_normal(nv)
                if self.normal_qvel
                else self.numpy_random.uniform(-noise, noise, nv)
            )
            mujoco.mj_forward(self.model, data)
            self.s[i] = torch.as_tensor(np.concatenate((data.qpos, data.qvel, [self.x_position(data)])))

    def physics_step(self, actions: torch.Tensor) -> None:
        ctrl = self.ctrl_low + (actions.double().cpu().numpy() + 1.0) / 2.0 * self.ctrl_span
        self.x_before = np.array([self.x_position(d) for d in self.datas])
        if self.pool is None:
            self._step_slice(0, self.num_envs, ctrl)
        else:
            bounds = np.linspace(0, self.num_envs, self.threads + 1).astype(int)
            list(self.pool.map(self._step_slice, bounds[:-1], bounds[1:], [ctrl] * self.threads))
        # Read once per step: the state variables below are made from these.
        self.x_after = np.array([self.x_position(d) for d in self.datas])
        qpos = np.stack([d.qpos for d in self.datas])
        qvel = np.stack([d.qvel for d in self.datas])
        start = self.s[:, -1:].cpu().double().numpy()
        self.s = torch.as_tensor(np.concatenate((qpos, qvel, start), axis=1), dtype=torch.float32).to(self.device)

    def _step_slice(self, first: int, last: int, ctrl: np.ndarray) -> None:
        for i in range(first, last):
            data = self.datas[i]
            data.ctrl[:] = ctrl[i]
            mujoco.mj_step(self.model, data, nstep=self.frame_skip)
            mujoco.mj_rnePostConstraint(self.model, data)  # cfrc_ext, as gymnasium computes it

    # ----- what the state variables are made of ------------------------------------------------------------------

    def tensor(self, rows: list[np.ndarray] | np.ndarray) -> torch.Tensor:
        """Per-env numpy rows as a float32 tensor on the env's device."""
        return torch.as_tensor(np.asarray(rows), dtype=torch.float32).to(self.device)

    def qpos(self) -> torch.Tensor:
        return self.s[:, : self.model.nq]

    def qvel(self) -> torch.Tensor:
        return self.s[:, self.model.nq : self.model.nq + self.model.nv]

    def x_velocity(self) -> torch.Tensor:
        """Forward velocity over the last control step, m/s (gymnasium's: the x displacement over dt)."""
        return self.tensor((self.x_after - self.x_before) / self.dt)

    def distance(self) -> torch.Tensor:
        """x travelled since the episode began, m."""
        return self.tensor(self.x_after) - self.s[:, -1]

    def contact_forces(self) -> torch.Tensor:
        """External contact forces on every body but the world, ``(num_envs, (nbody - 1) * 6)``, N and N m."""
        return self.tensor([d.cfrc_ext[1:].ravel() for d in self.datas])

    def controls(self) -> torch.Tensor:
        return self.tensor([d.ctrl for d in self.datas])


def side_view(model: mujoco.MjModel, ax, s: torch.Tensor, ground: float = 0.0) -> None:
    """One animation frame from the side (x-z): every body's centre joined to its parent's, and the ground."""
    data = mujoco.MjData(model)
    data.qpos[:] = s[: model.nq].double().numpy()
    mujoco.mj_kinematics(model, data)
    x, z = data.xpos[:, 0], data.xpos[:, 2]
    centre = float(x[1])
    ax.set(xlim=(centre - 2.0, centre + 2.0), ylim=(ground - 0.2, ground + 2.2), aspect="equal")
    ax.axhline(ground, color="tab:gray", lw=1)
    for body in range(2, model.nbody):
        parent = model.body_parentid[body]
        ax.plot([x[parent], x[body]], [z[parent], z[body]], color="tab:orange", lw=3, marker="o", markersize=3)
