"""Code that got past the policy layer, run as plain Python inside the real bubblewrap sandbox of the process
backend: what it can see of the host."""

import json
import shutil

import pytest

from eureka.sandbox.backends.process import ETC_ALLOWED, ProcessBackend, bwrap_command
from eureka.sandbox.protocol import Job

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")

PROBE = """
import json, os
def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError as exc:
        return f"refused: {exc.strerror}"
print(json.dumps({
    "pid1_environ": read("/proc/1/environ"),
    "own_environ": read("/proc/self/environ"),
    "etc": sorted(os.listdir("/etc")),
    "shadow": [read(p) for p in ("/etc/shadow", "/etc/shadow-", "/etc/gshadow-", "/etc/sudoers")],
}))
"""


class Probe(ProcessBackend):
    """The real sandbox command, with a probe script where the worker would run."""

    def command(self, job: Job, job_dir):
        worker = bwrap_command(job, job_dir)
        return [*worker[: worker.index("--") + 2], "-c", PROBE]


def test_the_sandbox_holds_nothing_of_the_hosts_environment_or_etc(tmp_path, monkeypatch):
    monkeypatch.setenv("EUREKA_TEST_API_KEY", "sk-must-not-leak")
    job = Job(job_id="probe", task="cartpole", reward_code="", timeout_s=30)
    Probe().run(job, tmp_path / "probe")
    log = (tmp_path / "probe" / "worker.log").read_text()
    seen = json.loads(log.strip().splitlines()[-1])
    names = {entry.partition("=")[0] for entry in seen["pid1_environ"].split("\x00") if entry}
    assert names == {"PATH"}, "bubblewrap, the sandbox's PID 1, starts with nothing of the host's environment"
    assert "sk-must-not-leak" not in seen["own_environ"]
    assert set(seen["etc"]) <= {path.removeprefix("/etc/") for path in ETC_ALLOWED}
    assert all(text.startswith("refused") for text in seen["shadow"]), seen["shadow"]
