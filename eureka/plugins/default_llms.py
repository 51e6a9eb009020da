"""Built-in plugin: the model providers ``local`` (the embedded model), ``openai`` and ``compatible``."""

from collections.abc import Callable

from langchain_core.language_models import BaseChatModel

from eureka.agent.llm import LLMConfig, compatible_model, local_model, openai_model
from eureka.plugins import hookimpl


@hookimpl(trylast=True)
def eureka_llm_backends() -> dict[str, Callable[[LLMConfig], BaseChatModel]]:
    return {"local": local_model, "openai": openai_model, "compatible": compatible_model}
