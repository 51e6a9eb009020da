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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from eureka.agent.local_llm import MODEL_NAME, local_server
from eureka.config import LLMConfig

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
T = TypeVar("T")


class LLMError(RuntimeError):
    """A model cannot be reached or configured; the message says what to fix."""


@dataclass(frozen=True)
class CallUsage:
    """Tokens and time of one model call.

    Attributes:
        cached_tokens: prompt tokens the server took from its prompt cache instead of processing them again.
    """

    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cached_tokens: int = 0


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
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        self.calls.append(
            CallUsage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), seconds, cached_tokens=cached)
        )

    @property
    def totals(self) -> CallUsage:
        """Sum over all calls."""
        return CallUsage(
            sum(c.prompt_tokens for c in self.calls),
            sum(c.completion_tokens for c in self.calls),
            sum(c.seconds for c in self.calls),
            sum(c.cached_tokens for c in self.calls),
        )


Conversation = list[BaseMessage]


def _usage(message: BaseMessage) -> Counter:
    """One request's tokens, from the usage langchain put on its reply."""
    meta = getattr(message, "usage_metadata", None) or {}
    cached = (meta.get("input_token_details") or {}).get("cache_read") or 0
    return Counter(
        calls=1,
        prompt_tokens=meta.get("input_tokens", 0),
        completion_tokens=meta.get("output_tokens", 0),
        cached_tokens=cached,
    )


def _body(config: LLMConfig, grammar: str | None) -> dict[str, Any]:
    """Per-request arguments: the grammar goes in the request body, beside the classic ``max_tokens`` that
    compatible servers need (``extra_body`` given per request replaces the model's own)."""
    return {} if grammar is None else {"extra_body": {"max_tokens": config.max_tokens, "grammar": grammar}}


def _explained(call: Callable[[], T], config: LLMConfig) -> T:
    try:
        return call()
    except LLMError:
        raise
    except Exception as exc:  # the OpenAI client's errors, in one paragraph
        raise explain(exc, config) from exc


def ask_each(
    model: BaseChatModel, conversations: list[Conversation], config: LLMConfig, grammar: str | None = None
) -> tuple[list[str], Counter]:
    """One reply to each conversation, ``config.max_concurrency`` requests at a time (a local server decodes them
    together in its slots); the replies in the order of the conversations, and the tokens of all requests.

    Args:
        grammar: a GBNF grammar every reply must follow (llama.cpp servers only).

    Raises:
        LLMError: the model cannot be reached (explained in one paragraph).
    """
    if not conversations:
        return [], Counter()
    options = {"max_concurrency": config.max_concurrency}
    replies = _explained(lambda: model.batch(conversations, options, **_body(config, grammar)), config)
    return [str(r.content) for r in replies], sum((_usage(r) for r in replies), Counter())


def sample(
    model: BaseChatModel, conversation: Conversation, k: int, config: LLMConfig, grammar: str | None = None
) -> tuple[list[str], Counter]:
    """``k`` replies to one conversation: requests with ``n`` choices where the provider supports it (the prompt is
    processed once per request; at most ``config.max_n`` choices a request, or the local server's slots), else, and for
    any choices a server left out, concurrent requests.

    Raises:
        LLMError: the model cannot be reached (explained in one paragraph).
    """
    texts, usage = [], Counter()
    most = config.max_n or (config.slots if config.provider == "local" else k)
    while _supports_n(config) and k - len(texts) > 1:
        n = min(most, k - len(texts))
        result = _explained(lambda n=n: model.generate([conversation], n=n, **_body(config, grammar)), config)
        generations = result.generations[0][:n]
        texts += [g.text for g in generations]
        usage += _usage(generations[0].message) if generations else Counter()  # the request's, on every choice
        if len(generations) < n:
            break
    rest, more = ask_each(model, [conversation] * (k - len(texts)), config, grammar)
    return texts + rest, usage + more


def chat_model(
    config: LLMConfig | None = None,
    usage: UsageLog | None = None,
    provider: Callable[[LLMConfig], BaseChatModel] | None = None,
) -> BaseChatModel:
    """The chat model for ``config`` (the embedded local model by default).

    Args:
        provider: builds the model; by default the built-in provider that ``config.provider`` names (a plugin's
            is looked up by name at the top: ``eureka.plugins.manager.get_chat_model``).

    Raises:
        LLMError: an unknown provider, a missing key or base URL, or the local model cannot start.
    """
    config = config or LLMConfig()
    if provider is None:
        if config.provider not in PROVIDERS:
            raise LLMError(f"unknown model provider {config.provider!r}; built in: {', '.join(sorted(PROVIDERS))}")
        provider = PROVIDERS[config.provider]
    model = provider(config)
    if usage is not None:
        model.callbacks = [usage]
    return model


def local_model(config: LLMConfig) -> BaseChatModel:
    """The embedded model, served by a managed local server (started on first use)."""
    from eureka.agent.local_llm import LocalModelError

    try:
        server = local_server(
            threads=config.threads,
            slots=config.slots,
            gpu_layers=config.gpu_layers,
            speculative=config.speculative,
        )
    except LocalModelError as exc:
        raise LLMError(str(exc)) from None
    return _chat_openai(config, server.base_url, config.model or MODEL_NAME, "local")


#: Hosted providers reached through their OpenAI-compatible endpoints: (key variable, base URL, `n` supported).
#: Azure's URL is the resource's own, so it must be given; Anthropic's compatibility layer takes one sample per
#: request, so its k samples go out as k concurrent requests.
PRESETS: dict[str, tuple[str, str | None, bool]] = {
    "openai": ("OPENAI_API_KEY", None, True),
    "azure": ("AZURE_OPENAI_API_KEY", None, True),
    "anthropic": ("ANTHROPIC_API_KEY", "https://api.anthropic.com/v1/", False),
}


def _supports_n(config: LLMConfig) -> bool:
    """Whether one request may ask for several samples: the config's say, unless the provider cannot."""
    return config.supports_n and PRESETS.get(config.provider, ("", None, True))[2]


def _key_name(config: LLMConfig) -> str | None:
    """The environment variable the key comes from, if any."""
    return config.api_key_env or (PRESETS[config.provider][0] if config.provider in PRESETS else None)


def _api_key(config: LLMConfig) -> str:
    """The key from ``config.api_key_env`` or the provider's own variable.

    Raises:
        LLMError: the variable is not set.
    """
    name = _key_name(config)
    key = os.environ.get(name) if name else None
    if not key:
        raise LLMError(f"provider {config.provider!r} needs an API key in ${name}; it is not set")
    return key


def openai_model(config: LLMConfig) -> BaseChatModel:
    """OpenAI's API (or ``base_url``), with the key from ``$OPENAI_API_KEY`` or ``config.api_key_env``."""
    return _chat_openai(config, config.base_url, config.model or DEFAULT_OPENAI_MODEL, _api_key(config))


def azure_model(config: LLMConfig) -> BaseChatModel:
    """Azure OpenAI's v1 API: ``base_url`` is ``https://<resource>.openai.azure.com/openai/v1/``, ``model`` the
    deployment's name, the key from ``$AZURE_OPENAI_API_KEY`` or ``config.api_key_env``."""
    if not config.base_url or not config.model:
        raise LLMError(
            "provider 'azure' needs base_url (https://<resource>.openai.azure.com/openai/v1/) and model (the "
            "deployment's name)"
        )
    return _chat_openai(config, config.base_url, config.model, _api_key(config))


def anthropic_model(config: LLMConfig) -> BaseChatModel:
    """Anthropic's OpenAI-compatible endpoint, with the key from ``$ANTHROPIC_API_KEY`` or ``config.api_key_env``.
    It takes one sample per request: the k samples go out as concurrent requests (``supports_n`` is ignored)."""
    if not config.model:
        raise LLMError("provider 'anthropic' needs a model name (llm.model), e.g. claude-sonnet-4-5")
    return _chat_openai(config, config.base_url or PRESETS["anthropic"][1], config.model, _api_key(config))


def compatible_model(config: LLMConfig) -> BaseChatModel:
    """Any OpenAI-compatible server: vLLM, Ollama, llama.cpp, LM Studio. It gets no key unless
    ``config.api_key_env`` names one (a key for one service is never sent to another)."""
    if not config.base_url or not config.model:
        raise LLMError("provider 'compatible' needs both base_url (e.g. http://localhost:8000/v1) and model")
    key = os.environ.get(config.api_key_env) if config.api_key_env else None
    if config.api_key_env and not key:
        raise LLMError(f"llm.api_key_env names ${config.api_key_env}, which is not set")
    return _chat_openai(config, config.base_url, config.model, key or "none")


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


#: The built-in providers by name (the ``default_llms`` plugin gives these).
PROVIDERS: dict[str, Callable[[LLMConfig], BaseChatModel]] = {
    "local": local_model,
    "openai": openai_model,
    "azure": azure_model,
    "anthropic": anthropic_model,
    "compatible": compatible_model,
}


def explain(exc: Exception, config: LLMConfig) -> LLMError:
    """Turn an OpenAI client error into a one-paragraph LLMError naming the endpoint and the likely fix."""
    import openai

    where = config.base_url or ("the embedded model" if config.provider == "local" else "api.openai.com")
    if isinstance(exc, openai.AuthenticationError):
        name = _key_name(config)
        return LLMError(f"{where} refused the API key{f' in ${name}' if name else ''} (401): set a valid key")
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
