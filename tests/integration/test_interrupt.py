"""Ctrl-C (and SIGTERM) on `eureka run` while candidates train: the command ends within seconds, kills its sandboxed
workers (their own sessions never see the terminal's Ctrl-C), and says how to continue; what it saved stays."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The command, with a model provider added in code: the CLI's `run` in a process of its own, so that the signal
# and the exit are real.
SCRIPT = """
import sys
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from eureka.cli import app
from eureka.plugins import hookimpl
from eureka.plugins.manager import get_plugins

REPLY = '''```python
def compute_reward(pole_angle):
    upright = torch.cos(pole_angle)
    return upright, {"upright": upright}
```'''

class Scripted:
    @hookimpl
    def eureka_llm_backends(self):
        return {"scripted": lambda config: FakeListChatModel(responses=[REPLY])}

get_plugins().add(Scripted(), "scripted", "test")
app(sys.argv[1:], prog_name="eureka")
"""


def _workers(under: Path) -> list[int]:
    """Process ids of the sandbox workers alive on this machine whose command line names a path under ``under``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:  # it ended meanwhile
            continue
        if "eureka.sandbox.worker" in args and any(str(under) in a for a in args):
            found.append(int(cmdline.parent.name))
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_training_stops_the_workers_at_once_and_says_how_to_continue(tmp_path, signum):
    script = tmp_path / "scripted_eureka.py"
    script.write_text(SCRIPT)
    runs = tmp_path / "runs"
    settings = ["llm.provider=scripted", "search.iterations=1", "search.samples=2", "search.tune_trials=0"]
    settings += ["training.epochs=100000", "training.num_envs=64"]  # trains far longer than the test waits
    cmd = [sys.executable, str(script), "run", "--task", "cartpole", "--runs-dir", str(runs), *settings]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _interrupt_and_check(proc, tmp_path, runs, signum)
    finally:  # a failure here must not leave 100000-epoch trainings running for the rest of the suite
        proc.kill()
        for pid in _workers(tmp_path):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _interrupt_and_check(proc: subprocess.Popen, tmp_path, runs, signum: int) -> None:
    deadline = time.monotonic() + 120
    while not list(runs.glob("*/candidates/*/job-r0/progress.jsonl")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert list(runs.glob("*/candidates/*/job-r0/progress.jsonl")), "no candidate started training"
    time.sleep(2)
    assert len(_workers(tmp_path)) >= 2
    sent = time.monotonic()
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15, output
    assert proc.returncode == 130, output
    (run,) = runs.iterdir()
    text = " ".join(output.split())
    assert f"{signal.Signals(signum).name}: stopped 2 running job(s)" in text
    assert f"continue it with: eureka run --resume {run.name}" in text
    time.sleep(1)
    assert not _workers(tmp_path)
    # The replies were saved (a resume trains them without asking the model again; test_agent_resume covers that).
    assert len(list(run.glob("candidates/*/reply-r0.md"))) == 2
