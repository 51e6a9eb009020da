"""The package's shape: every import arrow points down the layers below, with no circle, and a sandboxed job's
start loads neither langchain nor langgraph (the worker loads the plugins to find its task)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "eureka"

#: Lowest first. A module belongs to the layer of its longest matching prefix; an import may only point to its
#: own layer or a lower one. The top layer is where names are looked up in the plugins (the entry points: the
#: command, the worker, and the package itself, whose functions are the Python API).
LAYERS = [
    ["eureka.sandbox.untrusted", "eureka.sandbox.protocol", "eureka.sandbox.restricted", "eureka.sandbox.guards"],
    ["eureka.envs"],
    ["eureka.sandbox.rewards", "eureka.policies"],
    ["eureka.sandbox.backends", "eureka.sandbox.executor", "eureka.sandbox.ray_executor"],
    ["eureka.config"],
    ["eureka.agent"],
    ["eureka.report"],
    ["eureka.plugins"],
    ["eureka.cli", "eureka.bench", "eureka.agent.run", "eureka.sandbox.worker", "eureka"],  # "eureka": the Python API
]


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_arrows() -> dict[str, set[str]]:
    """module -> the eureka modules it imports anywhere (top level, inside functions, under TYPE_CHECKING)."""
    modules = _modules()

    def known(name: str) -> str:
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    arrows: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {known(a.name) for a in node.names if a.name.startswith("eureka")}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
                if base.startswith("eureka"):
                    submodules = {f"{base}.{a.name}" for a in node.names} & modules.keys()
                    found |= submodules or {known(base)}
        arrows[name] = found - {name}
    return arrows


def layer(module: str) -> int:
    matches = [
        (len(prefix), i)
        for i, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(matches)[1]


def test_every_import_points_down():
    up = [
        f"{a} (layer {layer(a)}) -> {b} (layer {layer(b)})"
        for a, targets in sorted(import_arrows().items())
        for b in sorted(targets)
        if layer(b) > layer(a)
    ]
    assert not up, "imports that point up a layer:\n" + "\n".join(up)


def test_no_import_circle():
    arrows = import_arrows()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import circle: " + " -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for target in sorted(arrows[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(arrows):
        visit(module, [])


def test_the_layer_check_sees_lazy_imports_and_relative_ones(tmp_path, monkeypatch):
    """The check itself: an import inside a function and a relative import are arrows too."""
    package = tmp_path / "eureka"
    (package / "envs").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "envs" / "__init__.py").write_text("from . import task\n")
    (package / "envs" / "task.py").write_text("def f():\n    from eureka.cli import app\n")
    (package / "cli.py").write_text("from eureka.envs import task\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    arrows = import_arrows()
    assert arrows["eureka.envs"] == {"eureka.envs.task"}
    assert arrows["eureka.envs.task"] == {"eureka.cli"} and arrows["eureka.cli"] == {"eureka.envs.task"}
    assert layer("eureka.envs.task") < layer("eureka.cli")


def test_a_jobs_start_loads_no_agent_libraries():
    probe = (
        "import sys, eureka.sandbox.worker\n"
        "from eureka.plugins.manager import get_task\n"
        "get_task('cartpole')\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(proc.stdout.split())
    assert "torch" in loaded
    assert not loaded & {"langchain_core", "langchain_openai", "langgraph", "openai", "optuna", "typer", "rich"}
