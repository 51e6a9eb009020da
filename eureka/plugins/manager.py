"""Loading plugins (the built-ins, then every entry point of the group ``eureka``) and asking them for things.

A plugin that fails to import, or whose hook raises, is recorded with its error and left out; a name that a second
plugin also gives is recorded as a duplicate and the first keeps it. Neither stops the others: ``eureka plugins``
shows every problem.
"""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from eureka.plugins import hookspecs

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from eureka.agent.context import Event
    from eureka.agent.llm import UsageLog
    from eureka.agent.state import Candidate
    from eureka.config import LLMConfig, RunConfig
    from eureka.envs.task import Task
    from eureka.sandbox.backends.base import SandboxBackend
    from eureka.sandbox.protocol import Result

ENTRY_POINT_GROUP = "eureka"
#: The built-in plugins, in the order they are registered.
BUILTINS = (
    "eureka.plugins.default_tasks",
    "eureka.plugins.default_sandboxes",
    "eureka.plugins.default_llms",
    "eureka.plugins.default_executors",
    "eureka.plugins.default_reflection",
    "eureka.plugins.default_feedback",
)
#: What each collection hook adds, as ``eureka plugins`` names it.
COLLECTIONS = {
    "eureka_tasks": "tasks",
    "eureka_sandbox_backends": "sandbox backends",
    "eureka_llm_backends": "llm backends",
    "eureka_executors": "executors",
}
#: The kinds ``Plugins.lookup`` finds by name, and the hook that collects each.
KINDS = {
    "task": "eureka_tasks",
    "sandbox backend": "eureka_sandbox_backends",
    "model provider": "eureka_llm_backends",
    "executor": "eureka_executors",
}


@dataclass
class PluginInfo:
    """One plugin as ``eureka plugins`` lists it."""

    name: str
    source: str
    provides: dict[str, list[str]] = field(default_factory=dict)
    hooks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Plugins:
    """The plugin manager of this process, with the registries built from it."""

    def __init__(self, entry_points: bool = True):
        self.pm = pluggy.PluginManager("eureka")
        self.pm.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}
        for module_name in BUILTINS:
            module = importlib.import_module(module_name)
            self._register(module, module_name.rpartition(".")[2], "built-in")
        if entry_points:
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                where = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
                try:
                    plugin = ep.load()
                except Exception as exc:  # a broken plugin is reported, never fatal
                    self.info[ep.name] = PluginInfo(ep.name, where, problems=[f"failed to import: {exc!r}"])
                    continue
                self._register(plugin, ep.name, where)
        self.pm.check_pending()
        self._collected: dict[str, dict[str, Any]] = {}

    def import_roots(self) -> list[str]:
        """Where the entry-point plugins' code lives (a sandboxed worker must be able to read it)."""
        roots = set()
        for name, info in self.info.items():
            plugin = self.pm.get_plugin(name)
            if info.source == "built-in" or plugin is None:
                continue
            top = sys.modules.get(getattr(plugin, "__name__", type(plugin).__module__).partition(".")[0])
            path = getattr(top, "__file__", None)
            if path:  # a package's folder, or a single module's file
                path = Path(path).resolve()
                roots.add(str(path.parent if path.name == "__init__.py" else path))
        return sorted(roots)

    def _register(self, plugin: object, name: str, source: str) -> None:
        info = self.info[name] = PluginInfo(name, source)
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # a clashing name or a hook with a wrong signature
            info.problems.append(f"not registered: {exc}")
            return
        info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])

    def add(self, plugin: object, name: str, source: str) -> None:
        """Register a plugin that no entry point names (one built in code, or a test's); registries are rebuilt."""
        self._register(plugin, name, source)
        self._collected.clear()

    def remove(self, name: str) -> None:
        """Unregister a plugin added with ``add``; registries are rebuilt."""
        self.pm.unregister(name=name)
        self.info.pop(name, None)
        self._collected.clear()

    def _collect(self, hook: str) -> dict[str, Any]:
        """Merge one collection hook's dicts (or lists of named things) over all plugins, plugins before built-ins."""
        if hook in self._collected:
            return self._collected[hook]
        merged: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            info = self.info[impl.plugin_name]
            try:
                found = impl.function() or {}
            except Exception as exc:
                info.problems.append(f"{hook} raised {exc!r}")
                continue
            items = found.items() if isinstance(found, dict) else ((item.name, item) for item in found)
            for name, item in items:
                if name in merged:
                    info.problems.append(f"{COLLECTIONS[hook]}: {name!r} is already given by {owner[name]}; ignored")
                    continue
                merged[name], owner[name] = item, impl.plugin_name
                info.provides.setdefault(COLLECTIONS[hook], []).append(name)
        self._collected[hook] = merged
        return merged

    # ----- registries

    def tasks(self) -> dict[str, Task]:
        return self._collect("eureka_tasks")

    def sandbox_backends(self) -> dict[str, Callable]:
        return self._collect("eureka_sandbox_backends")

    def llm_backends(self) -> dict[str, Callable]:
        return self._collect("eureka_llm_backends")

    def executors(self) -> dict[str, Callable]:
        return self._collect("eureka_executors")

    def lookup(self, kind: str, name: str) -> Any:
        """The ``kind`` (a key of ``KINDS``) called ``name``, from any plugin: the one place names are resolved.

        Raises:
            KeyError: naming the known ones, and any plugin with problems (the name may be one it failed to give).
        """
        found = self._collect(KINDS[kind])
        if name not in found:
            broken = [f"{i.name} ({'; '.join(i.problems)})" for i in self.info.values() if i.problems]
            raise KeyError(
                f"unknown {kind} {name!r}; known {kind}s: {', '.join(sorted(found))}"
                + (f"; plugins with problems: {', '.join(broken)}" if broken else "")
            )
        return found[name]

    def plugins(self) -> list[PluginInfo]:
        """Every plugin with what it provides and any problem (every registry is built first)."""
        for hook in COLLECTIONS:
            self._collect(hook)
        return list(self.info.values())

    # ----- run hooks

    def metrics(self, task: Task, result: Result) -> dict[str, float]:
        """Every plugin's metrics of a finished job (a plugin that raises is recorded and skipped)."""
        merged: dict[str, float] = {}
        for impl in self.pm.hook.eureka_metrics.get_hookimpls():
            try:
                merged.update(impl.function(task=task, result=result) or {})
            except Exception as exc:
                self.info[impl.plugin_name].problems.append(f"eureka_metrics raised {exc!r}")
        return merged

    def event(self, event: Event, run: str, config: RunConfig) -> None:
        """Every observer's look at a progress event (one that raises is recorded and skipped)."""
        for impl in self.pm.hook.eureka_event.get_hookimpls():
            try:
                impl.function(event=event, run=run, config=config)
            except Exception as exc:
                self.info[impl.plugin_name].problems.append(f"eureka_event raised {exc!r}")

    def feedback(self, task: Task, candidate: Candidate, metrics: dict[str, float], config: RunConfig) -> list[str]:
        """Every feedback text for the iteration's best candidate: the built-ins first, then plugins."""
        texts = []
        for impl in self.pm.hook.eureka_feedback.get_hookimpls():
            text = impl.function(task=task, candidate=candidate, metrics=metrics, config=config)
            if text:
                texts.append(text)
        return texts


@cache
def get_plugins() -> Plugins:
    """This process's plugins (loaded on first use)."""
    return Plugins()


def get_task(name: str) -> Task:
    """The task called ``name``, from any plugin.

    Raises:
        KeyError: with the list of known tasks.
    """
    return get_plugins().lookup("task", name)


def get_backend(name: str, unsafe_no_sandbox: bool = False) -> SandboxBackend:
    """The sandbox backend called ``name``, checked to work here.

    Raises:
        SandboxUnavailable: unknown name, or the backend cannot isolate code here (the message says what to do).
    """
    from eureka.sandbox.backends.base import SandboxUnavailable

    try:
        factory = get_plugins().lookup("sandbox backend", name)
    except KeyError as exc:
        raise SandboxUnavailable(exc.args[0]) from None
    backend = factory(unsafe_no_sandbox)
    backend.check_available()
    return backend


def get_chat_model(config: LLMConfig, usage: UsageLog | None = None) -> BaseChatModel:
    """The chat model of ``config``'s provider, from any plugin.

    Raises:
        LLMError: an unknown provider, a missing key or base URL, or the local model cannot start.
    """
    from eureka.agent.llm import LLMError, chat_model

    try:
        provider = get_plugins().lookup("model provider", config.provider)
    except KeyError as exc:
        raise LLMError(exc.args[0]) from None
    return chat_model(config, usage, provider)
