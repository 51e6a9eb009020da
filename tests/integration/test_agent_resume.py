"""A real run killed with SIGKILL in the middle of training resumes without re-training what had finished."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from scripted import GOOD

from eureka.agent.run import make_context, run_search
from eureka.agent.run_folder import RunFolder
from eureka.agent.state import Stage
from eureka.config import RunConfig

KILL_AFTER_S = 300
STRAY_S = 30.0

RUN_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from eureka.agent.run import make_context, run_search
    from eureka.config import RunConfig
    from eureka.agent.run_folder import RunFolder

    folder = RunFolder(Path(sys.argv[1]))
    model = FakeListChatModel(responses=[sys.argv[2]] * 3)
    run_search(make_context(RunConfig.load(folder.config), folder, llm=model))
    """
)


class NoModel(FakeListChatModel):
    """A model that must not be called: every reply of the killed run is in its folder."""

    def _call(self, *args, **kwargs) -> str:
        raise AssertionError("the resumed run asked the model again")


def _wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + KILL_AFTER_S
    while not path.exists():
        assert process.poll() is None, f"the run ended (status {process.returncode}) before {path} appeared"
        assert time.monotonic() < deadline, f"{path} did not appear in {KILL_AFTER_S} s"
        time.sleep(0.2)


@pytest.fixture(params=["local", "ray"])
def executor(request) -> tuple[dict, str]:
    """The executor's settings, and the command line of a worker of the run: local, or on a Ray cluster of two
    nodes on this machine (the run killed is the head's process, the driver)."""
    if request.param == "local":
        yield {}, "eureka.sandbox.worker {root}"
        return
    cluster, _ = request.getfixturevalue("ray_cluster")
    yield {"executor.kind": "ray", "executor.ray_address": cluster.address}, "eureka.sandbox.worker /tmp/eureka-ray-"


def test_a_run_killed_during_training_resumes_without_retraining(tmp_path, executor):
    settings, worker_command = executor
    config = RunConfig.load(
        None,
        {
            "task": "cartpole",
            "search.iterations": 1,
            "search.samples": 3,
            "search.tune_trials": 0,
            "training.epochs": 12,
            "training.num_envs": 256,
            "training.final_seeds": 1,
            "training.final_epochs": 3,
            "executor.workers": 1,  # one job at a time: the kill lands between the first and the last
            **settings,
        },
    )
    folder = RunFolder.create(tmp_path / "runs", "cartpole")
    config.save(folder.config)
    process = subprocess.Popen([sys.executable, "-c", RUN_SCRIPT, str(folder.root), GOOD])
    first = folder.job_dir("it1-c0", 0) / "result.json"
    try:
        _wait_for(first, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    finished_before = first.stat().st_mtime_ns, first.read_text()
    assert not (folder.job_dir("it1-c2", 0) / "result.json").exists(), "the kill came too late to test anything"
    # bubblewrap's --die-with-parent takes the killed run's worker down (Ray first ends the dead driver's tasks)
    deadline, pattern = time.monotonic() + STRAY_S, worker_command.format(root=folder.root)
    while (stray := subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.5)
    assert stray == "", f"workers of the killed run still running: {stray}"

    state = run_search(make_context(RunConfig.load(folder.config), folder, llm=NoModel(responses=[])), resume=True)

    assert (first.stat().st_mtime_ns, first.read_text()) == finished_before
    assert [state["candidates"][f"it1-c{i}"].stage for i in range(3)] == [Stage.TRAINED] * 3
    assert state["finals"]["eureka"].max_fitness[0] is not None
    assert folder.summary.exists()
    # resuming a finished run changes nothing and trains nothing
    again = run_search(make_context(RunConfig.load(folder.config), folder, llm=NoModel(responses=[])), resume=True)
    assert again["finals"] == state["finals"]
    # run.log: the killed run's lines stay, each resume appends its own
    log = folder.log.read_text().splitlines()
    assert " started " in log[0] and sum(" resumed " in line for line in log) == 2
    assert any("it1-c0 trained fitness" in line for line in log) and "finished: human-normalised score" in log[-1]
