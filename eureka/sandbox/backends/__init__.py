"""Sandbox backends (the built-in ones: ``process`` and ``docker``); plugins add more, looked up by name with
``eureka.plugins.manager.get_backend``."""

from eureka.sandbox.backends.base import SandboxBackend, SandboxUnavailable, stop_running_jobs
from eureka.sandbox.backends.docker import DockerBackend
from eureka.sandbox.backends.process import ProcessBackend

__all__ = ["DockerBackend", "ProcessBackend", "SandboxBackend", "SandboxUnavailable", "stop_running_jobs"]
