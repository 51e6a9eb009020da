"""Model providers: the hosted presets reach their endpoints with their own key, and a key is never sent where it
was not meant to go (the models are built, not called: no network)."""

import pytest

from eureka.agent.llm import LLMError, chat_model
from eureka.config import LLMConfig


def _key(model) -> str:
    return model.openai_api_key.get_secret_value()


def test_compatible_sends_no_key_unless_one_is_named(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-secret")
    monkeypatch.setenv("MY_SERVER_KEY", "server-key")
    config = LLMConfig(provider="compatible", base_url="http://10.0.0.5:8000/v1", model="m")
    assert _key(chat_model(config)) == "none"
    assert _key(chat_model(config.model_copy(update={"api_key_env": "MY_SERVER_KEY"}))) == "server-key"
    with pytest.raises(LLMError, match=r"names \$UNSET_KEY, which is not set"):
        chat_model(config.model_copy(update={"api_key_env": "UNSET_KEY"}))


def test_openai_takes_its_own_variable_or_the_one_named(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-1")
    monkeypatch.setenv("TEAM_KEY", "sk-2")
    assert _key(chat_model(LLMConfig(provider="openai"))) == "sk-1"
    assert _key(chat_model(LLMConfig(provider="openai", api_key_env="TEAM_KEY"))) == "sk-2"


def test_anthropic_preset(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    model = chat_model(LLMConfig(provider="anthropic", model="claude-sonnet-4-5"))
    assert model.openai_api_base == "https://api.anthropic.com/v1/" and _key(model) == "sk-ant"
    with pytest.raises(LLMError, match="provider 'anthropic' needs a model name"):
        chat_model(LLMConfig(provider="anthropic"))
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(LLMError, match=r"provider 'anthropic' needs an API key in \$ANTHROPIC_API_KEY"):
        chat_model(LLMConfig(provider="anthropic", model="m"))


def test_azure_preset(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az-key")
    url = "https://my-resource.openai.azure.com/openai/v1/"
    model = chat_model(LLMConfig(provider="azure", base_url=url, model="my-deployment"))
    assert model.openai_api_base == url and model.model_name == "my-deployment" and _key(model) == "az-key"
    with pytest.raises(LLMError, match="provider 'azure' needs base_url"):
        chat_model(LLMConfig(provider="azure", model="my-deployment"))
