"""Chat models for the agent, all through langchain-openai's ``ChatOpenAI``.

Providers: ``local`` (default; the embedded model of ``eureka.agent.local_llm``, offline), ``openai`` (needs
``OPENAI_API_KEY``), and ``compatible``: any OpenAI-compatible endpoint by ``base_url`` + ``model`` (vLLM, Ollama,
llama.cpp, LM Studio). Timeouts and retries with exponential backoff on 429, 5xx and connection errors come from
the OpenAI client (``max_retries``); ``UsageLog`` records tokens and seconds per call; ``LLMError`` carries a
one-paragraph explanation instead of a traceback wall.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult
from pydantic import BaseModel, Field

from eureka.agent.local_llm import MODEL_NAME, local_server

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


class LLMConfig(BaseModel):
    """Which model writes the rewards, and how it is called."""

    provider: str = Field(
        "local", description="local (embedded, offline), openai, compatible (base_url), or a plugin's provider"
    )
    model: str | None = Field(None, description="model name; the provider's default when empty")
    base_url: str | None = Field(None, description="API root of an OpenAI-compatible server, e.g. http://host:8000/v1")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the API key")
    temperature: float = Field(1.0, description="sampling temperature; the paper samples at 1.0")
    max_tokens: int = Field(1024, description="most tokens per reply")
    timeout_s: float = Field(300.0, description="seconds per request before it is retried")
    max_retries: int = Field(3, description="retries with exponential backoff on 429, 5xx and connection errors")


class LLMError(RuntimeError):
    """A model cannot be reached or configured; the message says what to fix."""


@dataclass(frozen=True)
class CallUsage:
    """Tokens and time of one model call."""

    prompt_tokens: int
    completion_tokens: int
    seconds: float


@dataclass
class UsageLog(BaseCallbackHandler):
    """Records every call's token usage and duration (attach with ``callbacks=[log]``)."""

    calls: list[CallUsage] = field(default_factory=list)
    _started: dict[UUID, float] = field(default_factory=dict)

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        self._started[run_id] = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        seconds = time.perf_counter() - self._started.pop(run_id, time.perf_counter())
        usage = (response.llm_output or {}).get("token_usage") or {}
        self.calls.append(CallUsage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), seconds=seconds))

    @property
    def totals(self) -> CallUsage:
        """Sum over all calls."""
        return CallUsage(
            sum(c.prompt_tokens for c in self.calls),
            sum(c.completion_tokens for c in self.calls),
            sum(c.seconds for c in self.calls),
        )


def chat_model(config: LLMConfig | None = None, usage: UsageLog | None = None) -> BaseChatModel:
    """The chat model for ``config`` (the embedded local model by default), from the provider's plugin.

    Raises:
        LLMError: an unknown provider, a missing key or base URL, or the local model cannot start.
    """
    from eureka.plugins.manager import get_plugins

    config = config or LLMConfig()
    providers = get_plugins().llm_backends()
    if config.provider not in providers:
        raise LLMError(f"unknown model provider {config.provider!r}; known: {', '.join(sorted(providers))}")
    model = providers[config.provider](config)
    if usage is not None:
        model.callbacks = [usage]
    return model


def local_model(config: LLMConfig) -> BaseChatModel:
    """The embedded model, served by a managed local server (started on first use)."""
    from eureka.agent.local_llm import LocalModelError

    try:
        server = local_server()
    except LocalModelError as exc:
        raise LLMError(str(exc)) from None
    return _chat_openai(config, server.base_url, config.model or MODEL_NAME, "local")


def openai_model(config: LLMConfig) -> BaseChatModel:
    """OpenAI's API (or ``base_url``), with the key from ``config.api_key_env``."""
    api_key = os.environ.get(config.api_key_env)
    if not api_key:
        raise LLMError(f"provider 'openai' needs an API key in ${config.api_key_env}; it is not set")
    return _chat_openai(config, config.base_url, config.model or DEFAULT_OPENAI_MODEL, api_key)


def compatible_model(config: LLMConfig) -> BaseChatModel:
    """Any OpenAI-compatible server: vLLM, Ollama, llama.cpp, LM Studio."""
    if not config.base_url or not config.model:
        raise LLMError("provider 'compatible' needs both base_url (e.g. http://localhost:8000/v1) and model")
    return _chat_openai(config, config.base_url, config.model, os.environ.get(config.api_key_env) or "none")


def _chat_openai(config: LLMConfig, base_url: str | None, model: str, api_key: str) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=api_key,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        # langchain-openai sends the limit as `max_completion_tokens`, which llama.cpp's and other compatible
        # servers ignore (a reply then runs to the context size): send the classic field as well.
        extra_body=None if config.provider == "openai" else {"max_tokens": config.max_tokens},
        timeout=config.timeout_s,
        max_retries=config.max_retries,
    )


def explain(exc: Exception, config: LLMConfig) -> LLMError:
    """Turn an OpenAI client error into a one-paragraph LLMError naming the endpoint and the likely fix."""
    import openai

    where = config.base_url or ("the embedded model" if config.provider == "local" else "api.openai.com")
    if isinstance(exc, openai.AuthenticationError):
        return LLMError(f"{where} refused the API key in ${config.api_key_env} (401): set a valid key")
    if isinstance(exc, openai.NotFoundError):
        return LLMError(f"{where} has no model {config.model!r} (404): check --llm-model / the server's model list")
    if isinstance(exc, openai.APIConnectionError | openai.APITimeoutError):
        return LLMError(
            f"cannot reach {where} after {config.max_retries} retries ({type(exc).__name__}); "
            "check the base URL and that the server is running"
        )
    if isinstance(exc, openai.APIStatusError):
        return LLMError(f"{where} answered HTTP {exc.status_code} after {config.max_retries} retries: {exc.message}")
    return LLMError(f"calling {where} failed: {type(exc).__name__}: {exc}")
