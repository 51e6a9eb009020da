"""Plugins: the hooks (``hookspecs``), the manager that loads them, and the built-ins registered through them.

A plugin is a module (or object) with functions marked ``@hookimpl``, exposed by its package as an entry point of
the group ``eureka``; see docs/plugins.md.
"""

import pluggy

hookimpl = pluggy.HookimplMarker("eureka")

__all__ = ["hookimpl"]
