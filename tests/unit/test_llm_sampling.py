"""Sampling k replies: one request with n where the provider has it, concurrent requests where it has not, and
replies kept one by one in the run folder (scripted models: no server needed)."""

import threading
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from eureka.agent.llm import ask_each, sample
from eureka.agent.run_folder import RunFolder
from eureka.config import LLMConfig

CONVERSATION = [HumanMessage("write a reward")]


class WithN(BaseChatModel):
    """Honours ``n`` like OpenAI, vLLM and llama.cpp: one request, n choices, the request's usage on each."""

    requests: list[dict[str, Any]] = []

    @property
    def _llm_type(self) -> str:
        return "with-n"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        self.requests.append(kwargs)
        usage = {
            "input_tokens": 100,
            "output_tokens": 40,
            "total_tokens": 140,
            "input_token_details": {"cache_read": 90},
        }
        return ChatResult(
            generations=[
                ChatGeneration(message=AIMessage(f"reply {i}", usage_metadata=usage)) for i in range(kwargs.get("n", 1))
            ]
        )


class WithoutN(BaseChatModel):
    """Ignores ``n`` (one choice a request, replies in the order requests arrive), and records how many requests
    were in flight at once."""

    responses: list[str]
    calls: int = 0
    active: int = 0
    most_active: int = 0
    lock: Any = None

    @property
    def _llm_type(self) -> str:
        return "without-n"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        with self.lock:
            text = self.responses[self.calls]
            self.calls += 1
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        time.sleep(0.2)
        with self.lock:
            self.active -= 1
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


def _without_n(replies: list[str]) -> WithoutN:
    return WithoutN(responses=replies, lock=threading.Lock())


def test_k_samples_come_from_one_request_with_n():
    model = WithN(requests=[])
    texts, usage = sample(model, CONVERSATION, 4, LLMConfig(), grammar="root ::= x")
    assert texts == ["reply 0", "reply 1", "reply 2", "reply 3"]
    assert len(model.requests) == 1 and model.requests[0]["n"] == 4
    assert model.requests[0]["extra_body"] == {"max_tokens": LLMConfig().max_tokens, "grammar": "root ::= x"}
    assert usage == {"calls": 1, "prompt_tokens": 100, "completion_tokens": 40, "cached_tokens": 90}


def test_the_local_server_gets_at_most_one_choice_per_slot_in_a_request():
    # llama.cpp refuses n above its slots (HTTP 400): k = 10 on 4 slots is three requests, 4 + 4 + 2
    model = WithN(requests=[])
    texts, usage = sample(model, CONVERSATION, 10, LLMConfig(slots=4))
    assert [r["n"] for r in model.requests] == [4, 4, 2] and len(texts) == 10
    assert usage["calls"] == 3


def test_a_provider_without_n_gets_k_concurrent_requests():
    model = _without_n(["a", "b", "c", "d"])
    texts, usage = sample(model, CONVERSATION, 4, LLMConfig(supports_n=False, max_concurrency=4))
    assert sorted(texts) == ["a", "b", "c", "d"]
    assert model.calls == 4 and model.most_active == 4 and usage["calls"] == 4


def test_a_server_that_ignores_n_gets_the_missing_choices_as_more_requests():
    model = _without_n(["a", "b", "c"])
    texts, _ = sample(model, CONVERSATION, 3, LLMConfig(max_concurrency=1))
    assert texts == ["a", "b", "c"] and model.calls == 3


def test_repairs_of_one_round_go_out_together_in_order():
    model = _without_n(["one", "two", "three"])
    conversations = [[HumanMessage(f"fix {i}")] for i in range(3)]
    texts, _ = ask_each(model, conversations, LLMConfig(max_concurrency=3))
    assert sorted(texts) == ["one", "three", "two"] and model.most_active == 3


def test_replies_land_one_by_one_and_a_resumed_run_asks_only_for_the_missing(tmp_path):
    folder = RunFolder.create(tmp_path, "cartpole")
    asked = []

    def ask(missing):
        asked.append(missing)
        return [f"reply to {cid}" for cid, _ in missing]

    first = folder.replies([("c0", 0), ("c1", 0)], ask)
    again = folder.replies([("c0", 0), ("c1", 0), ("c2", 0)], ask)
    assert asked == [[("c0", 0), ("c1", 0)], [("c2", 0)]]
    assert first[("c1", 0)] == again[("c1", 0)] == "reply to c1" and again[("c2", 0)] == "reply to c2"
    assert (folder.candidate_dir("c2") / "reply-r0.md").read_text() == "reply to c2"


def test_a_provider_without_n_gets_one_request_per_sample_whatever_the_config_says():
    """Anthropic's compatibility layer takes one sample per request: k requests even with supports_n left on."""
    model = WithN()
    model.requests = []
    texts, usage = sample(model, CONVERSATION, 3, LLMConfig(provider="anthropic", model="m"))
    assert len(texts) == 3 and len(model.requests) == 3 and all("n" not in r for r in model.requests)
