"""Built-in plugin: the model providers ``local`` (the embedded model), ``openai`` and ``compatible``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from eureka.plugins import hookimpl

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from eureka.config import LLMConfig


@hookimpl(trylast=True)
def eureka_llm_backends() -> dict[str, Callable[[LLMConfig], BaseChatModel]]:
    # imported here: loading the plugins (as every sandboxed job does, to find its task) must not load langchain
    from eureka.agent.llm import PROVIDERS

    return dict(PROVIDERS)
