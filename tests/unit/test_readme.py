"""The README is true to the code: every `eureka` command it shows exists with the options it uses, and every
path of this repository it names is there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eureka.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
#: Top folders of the repository: a backticked path starting with one of them must exist.
REPO_TOPS = ("eureka/", "docs/", "tests/", "benchmarks/", "examples/")


def _commands() -> list[list[str]]:
    """Each `.venv/bin/eureka ...` command of the README's code blocks, as arguments (comments dropped)."""
    commands = []
    for line in README.splitlines():
        for part in line.split(" ; "):
            part = part.split("  #")[0].strip()
            if part.startswith(".venv/bin/eureka "):
                commands.append(shlex.split(part)[1:])
    return commands


@pytest.mark.parametrize("args", _commands(), ids=" ".join)
def test_every_readme_command_exists_with_its_options(args):
    words = [a for a in args if not a.startswith("-")]
    path = words[:2] if words[0] in ("llm", "config") else words[:1]
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    help_text = result.output
    for option in (a.split("=")[0] for a in args if a.startswith("--")):
        # whole options only: "--llm" must not pass on the strength of "--llm-provider"
        assert re.search(rf"{re.escape(option)}(?![\w-])", help_text), f"{' '.join(path)} has no {option}"


def test_the_readme_shows_commands():
    assert len(_commands()) > 20


def test_every_repository_path_the_readme_names_exists():
    named = set(re.findall(r"`([A-Za-z0-9_./-]+)`", README))
    paths = [p for p in named if p.startswith(REPO_TOPS)]
    assert len(paths) > 10
    missing = [p for p in sorted(paths) if not (ROOT / p).exists()]
    assert not missing, f"README names paths that do not exist: {missing}"
