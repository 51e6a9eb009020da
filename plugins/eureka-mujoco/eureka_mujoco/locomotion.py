"""What the four robots share: ``num_envs`` MuJoCo simulations of one gymnasium robot model, exposed to Eureka as
torch tensors, stepped by one of two engines:

- ``CEngine``, MuJoCo's C engine on the CPU: one ``MjData`` per env, stepped exactly as gymnasium's ``MujocoEnv``
  steps it (controls set, ``mj_step`` for ``frame_skip`` physics steps, then ``mj_rnePostConstraint`` so that the
  contact forces ``cfrc_ext`` are current): the same actions from the same state give gymnasium's states, bit for
  bit (``tests/integration/test_mujoco_plugin.py``). MuJoCo releases the GIL while it steps, so
  ``torch.get_num_threads()`` threads (a job's ``threads``) step slices of the batch at once. Float64.
- ``WarpEngine``, MuJoCo Warp (``mujoco-warp``, the ``gpu`` extra): every env in one batched ``Data`` on the
  job's GPU, the same model and contact pipeline, float32; its arrays reach torch through DLPack
  (``wp.to_torch``), so the state variables are views of the simulation, not copies. Chosen over MJX, whose JAX
  arrays would need JAX beside torch on the same GPU. Its CPU device runs too (slowly: for tests).

A CUDA job uses the Warp engine where ``mujoco-warp`` is installed, and the C engine otherwise (the state copied
to the GPU each step); a CPU job uses the C engine. The physical state ``self.s`` (for the report's animation) is
``[qpos, qvel, x at the episode's start]``.
"""

from __future__ import annotations

import copy
import importlib.util
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gymnasium
import mujoco
import numpy as np
import torch

from eureka.envs.base import BatchedEnv
from eureka.envs.contract import RewardFn

ASSETS = Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets"
ENGINES = ("auto", "c", "warp")


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


class CEngine:
    """``num_envs`` ``MjData`` of one model, stepped by MuJoCo's C engine on the CPU by a pool of threads."""

    name = "c"

    def __init__(self, model: mujoco.MjModel, num_envs: int, frame_skip: int, threads: int) -> None:
        self.model, self.frame_skip = model, frame_skip
        self.datas = [mujoco.MjData(model) for _ in range(num_envs)]
        self.threads = max(1, min(threads, num_envs))
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="mujoco") if self.threads > 1 else None

    def reset(self, ids: list[int], qpos: np.ndarray, qvel: np.ndarray) -> None:
        """Start the envs ``ids`` afresh at ``qpos``, ``qvel`` (one row each), their derived quantities computed."""
        for row, i in enumerate(ids):
            data = self.datas[i]
            mujoco.mj_resetData(self.model, data)
            data.qpos[:], data.qvel[:] = qpos[row], qvel[row]
            mujoco.mj_forward(self.model, data)

    def step(self, ctrl: torch.Tensor) -> None:
        """One control step of every env with these controls ``(num_envs, nu)``."""
        ctrl_rows = ctrl.detach().double().cpu().numpy()
        if self.pool is None:
            self._step_slice(0, len(self.datas), ctrl_rows)
        else:
            bounds = np.linspace(0, len(self.datas), self.threads + 1).astype(int)
            list(self.pool.map(self._step_slice, bounds[:-1], bounds[1:], [ctrl_rows] * self.threads))

    def _step_slice(self, first: int, last: int, ctrl: np.ndarray) -> None:
        for i in range(first, last):
            data = self.datas[i]
            data.ctrl[:] = ctrl[i]
            mujoco.mj_step(self.model, data, nstep=self.frame_skip)
            mujoco.mj_rnePostConstraint(self.model, data)  # cfrc_ext, as gymnasium computes it

    def read(self, name: str) -> torch.Tensor:
        """A field of every env's ``MjData`` (``qpos``, ``xpos``, ``cfrc_ext``...), batch first, float64 on the
        CPU (a copy: the C engine keeps each env apart)."""
        return torch.from_numpy(np.stack([getattr(d, name) for d in self.datas]))


class WarpEngine:
    """The same simulations batched by MuJoCo Warp, on a CUDA device (or Warp's CPU device)."""

    name = "warp"

    def __init__(self, model: mujoco.MjModel, num_envs: int, frame_skip: int, device: torch.device) -> None:
        import warp as wp

        # Warp compiles its kernels at first use into a cache; the default is under $HOME, which in the sandbox is
        # the job's folder (kept with the run). The temporary folder is a tmpfs there and shared outside.
        wp.config.kernel_cache_dir = str(Path(tempfile.gettempdir()) / "warp")
        wp.config.log_level = wp.LOG_WARNING  # not every kernel load and the banner into the job's log
        import mujoco_warp as mjw

        if model.opt.solver == mujoco.mjtSolver.mjSOL_PGS:  # gymnasium's Humanoid; Warp has CG and Newton only
            model = copy.copy(model)
            model.opt.solver = mujoco.mjtSolver.mjSOL_NEWTON
        self.wp, self.mjw, self.frame_skip, self.num_envs = wp, mjw, frame_skip, num_envs
        self.device = "cpu" if device.type == "cpu" else f"cuda:{device.index or 0}"
        with wp.ScopedDevice(self.device):
            self.model = mjw.put_model(model)
            self.data = mjw.make_data(model, nworld=num_envs)
        self.views: dict[str, torch.Tensor] = {}

    def read(self, name: str) -> torch.Tensor:
        """A field of the batched ``Data``, batch first, float32 on its device: a view, not a copy (DLPack)."""
        view = self.views.get(name)
        if view is None:
            view = self.views[name] = self.wp.to_torch(getattr(self.data, name))
        return view

    def reset(self, ids: list[int], qpos: np.ndarray, qvel: np.ndarray) -> None:
        """As ``CEngine.reset``. ``forward`` runs on the whole batch (Warp has no per-world forward): it leaves
        every state as it was and recomputes the other envs' position-dependent quantities at their current state,
        where the C engine's still describe the state before the step's last integration."""
        qpos_view = self.read("qpos")
        mask = torch.zeros(self.num_envs, dtype=torch.bool, device=qpos_view.device)
        mask[ids] = True
        with self.wp.ScopedDevice(self.device):
            self.mjw.reset_data(self.model, self.data, reset=self.wp.from_torch(mask))
            qpos_view[ids] = torch.as_tensor(qpos, dtype=qpos_view.dtype, device=qpos_view.device)
            self.read("qvel")[ids] = torch.as_tensor(qvel, dtype=qpos_view.dtype, device=qpos_view.device)
            self.mjw.forward(self.model, self.data)

    def step(self, ctrl: torch.Tensor) -> None:
        """As ``CEngine.step``: ``frame_skip`` physics steps of every env, then the contact forces."""
        view = self.read("ctrl")
        view.copy_(ctrl.detach().to(view.device, view.dtype))
        with self.wp.ScopedDevice(self.device):
            for _ in range(self.frame_skip):
                self.mjw.step(self.model, self.data)
            self.mjw.rne_postconstraint(self.model, self.data)


def make_engine(
    engine: str, model: mujoco.MjModel, num_envs: int, frame_skip: int, device: torch.device
) -> CEngine | WarpEngine:
    """The engine asked for; ``auto``: Warp on a CUDA device where ``mujoco-warp`` is installed, else C.

    Raises:
        ValueError: an unknown engine. ImportError: ``warp`` asked for and ``mujoco-warp`` not installed.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown MuJoCo engine {engine!r}; choose one of {', '.join(ENGINES)}")
    has_warp = importlib.util.find_spec("mujoco_warp") is not None
    if engine == "warp" and not has_warp:
        raise ImportError("the warp engine needs MuJoCo Warp: pip install 'eureka-mujoco[gpu]'")
    if engine == "warp" or (engine == "auto" and device.type == "cuda" and has_warp):
        return WarpEngine(model, num_envs, frame_skip, device)
    return CEngine(model, num_envs, frame_skip, torch.get_num_threads())


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

    def __init__(
        self, num_envs: int, device: str | torch.device, reward_fn: RewardFn, seed: int = 0, engine: str = "auto"
    ) -> None:
        self.physics = make_engine(engine, self.model, num_envs, self.frame_skip, torch.device(device))
        self.numpy_random = np.random.default_rng(seed)
        low, high = self.model.actuator_ctrlrange.T
        self.ctrl_low, self.ctrl_span = low, high - low
        self.dt = self.model.opt.timestep * self.frame_skip
        super().__init__(num_envs, device, reward_fn, seed)

    @classmethod
    def dims(cls) -> tuple[int, int]:
        return cls.model.nq, cls.model.nv

    # ----- physics ------------------------------------------------------------------------------------------------

    def x_position(self) -> torch.Tensor:
        """Where each robot is along x: the root's position (the Humanoid uses its centre of mass)."""
        return self.physics.read("qpos")[:, 0]

    def reset_idx(self, env_ids: torch.Tensor) -> None:
        nq, nv = self.dims()
        ids, qpos, qvel, noise = env_ids.tolist(), [], [], self.qvel_noise
        for _ in ids:  # env by env, qpos then qvel: the random stream of the seed stays what it was
            qpos.append(self.model.qpos0 + self.numpy_random.uniform(-self.qpos_noise, self.qpos_noise, nq))
            qvel.append(
                noise * self.numpy_random.standard_normal(nv)
                if self.normal_qvel
                else self.numpy_random.uniform(-noise, noise, nv)
            )
        self.physics.reset(ids, np.array(qpos), np.array(qvel))
        state = torch.cat((self.physics.read("qpos"), self.physics.read("qvel"), self.x_position()[:, None]), dim=1)
        self.s[env_ids] = state[env_ids.to(state.device)].to(self.s.device, self.s.dtype)

    def physics_step(self, actions: torch.Tensor) -> None:
        low, span = (torch.as_tensor(v, device=actions.device) for v in (self.ctrl_low, self.ctrl_span))
        self.x_before = self.x_position().clone()
        self.physics.step(low + (actions.double() + 1.0) / 2.0 * span)
        # Read once per step: the state variables below are made from these.
        self.x_after = self.x_position().clone()
        moved = torch.cat((self.physics.read("qpos"), self.physics.read("qvel")), dim=1)
        self.s = torch.cat((self.tensor(moved), self.s[:, -1:]), dim=1)

    # ----- what the state variables are made of ------------------------------------------------------------------

    def tensor(self, values: torch.Tensor) -> torch.Tensor:
        """Per-env values as a float32 tensor on the env's device."""
        return values.to(self.device, torch.float32)

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
        return self.tensor(self.physics.read("cfrc_ext")[:, 1:].reshape(self.num_envs, -1))

    def controls(self) -> torch.Tensor:
        return self.tensor(self.physics.read("ctrl"))


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
