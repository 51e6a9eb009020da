"""Prompt templates (plain text files beside this module), filled with ``str.format`` fields."""

from functools import cache
from importlib.resources import files


@cache
def template(name: str) -> str:
    """The text of ``prompts/<name>.txt``."""
    return (files(__package__) / f"{name}.txt").read_text()


def render(name: str, **fields: str) -> str:
    """``prompts/<name>.txt`` with its ``{field}`` slots filled (the values are inserted as they are)."""
    return template(name).format(**fields)
