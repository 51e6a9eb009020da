"""The embedded model, for real: llama.cpp's server (xllamacpp) on loopback with the pinned Qwen2.5-Coder GGUF."""

import ast
import threading
import time

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from eureka.agent.grammar import reward_grammar
from eureka.agent.llm import LLMError, UsageLog, ask_each, chat_model, explain, sample
from eureka.agent.local_llm import MODEL_SHA256, LocalModelError, assemble_model, server_process, start_server
from eureka.agent.messages import extract_python, task_messages
from eureka.agent.rewrites import rewrite
from eureka.config import LLMConfig
from eureka.plugins.manager import get_task
from eureka.sandbox.rewards import compile_reward

pytestmark = pytest.mark.slow


def _compatible(info, **overrides) -> LLMConfig:
    return LLMConfig(provider="compatible", base_url=info.base_url, model=info.model, **overrides)


@pytest.fixture(scope="module")
def server():
    return start_server()


def test_model_file_is_the_pinned_one():
    path = assemble_model()
    assert path.stat().st_size == 1_117_320_768
    assert path.with_suffix(".sha256").read_text().strip() == MODEL_SHA256


def test_a_corrupt_model_is_refused(tmp_path, monkeypatch):
    """A part with one flipped byte gives an assembled file whose hash is refused, both hashes named."""
    import eureka.agent.local_llm as local_llm

    real_part = local_llm._part

    def corrupt(index):
        path = real_part(index)
        if index != 22:
            return path
        bad = tmp_path / "part22.bin"
        data = bytearray(path.read_bytes())
        data[0] ^= 0xFF
        bad.write_bytes(bytes(data))
        return bad

    monkeypatch.setattr(local_llm, "_part", corrupt)
    with pytest.raises(LocalModelError, match=f"expected 1117320768 bytes with SHA-256 {MODEL_SHA256}, got"):
        assemble_model(tmp_path / "model.gguf")
    assert not (tmp_path / "model.gguf").exists()


def test_round_trip_records_usage(server):
    usage = UsageLog()
    reply = chat_model(_compatible(server, max_tokens=48), usage).invoke("def add(a, b):")
    assert reply.content.strip()
    assert usage.calls[0].prompt_tokens > 0 and 0 < usage.calls[0].completion_tokens <= 48


def test_default_is_the_embedded_model():
    """`chat_model()` with no configuration starts (once) and uses the embedded model, offline."""
    reply = chat_model(LLMConfig(max_tokens=24)).invoke("def add(a, b):")
    assert reply.content.strip()


def test_n_samples_from_one_request_differ(server):
    """n = 4 in one request: four different replies, one request's usage."""
    usage = UsageLog()
    config = _compatible(server, temperature=1.0, max_tokens=40)
    conversation = [HumanMessage("Name a random animal and describe it in one sentence.")]
    texts, used = sample(chat_model(config, usage), conversation, 4, config)
    assert len(texts) == 4 and len(set(texts)) >= 3
    assert used["calls"] == 1 and len(usage.calls) == 1


def test_the_grammar_makes_an_invented_parameter_impossible(server):
    """Asked outright for a parameter the task lacks, the model can only write state variables, each once, and
    code (no annotations, docstring or comment lines: the tokens a small model spends there are a request's time; at
    most a short note at a line's end, and no C++ `//` comment, which a model refused `#` looped on)."""
    task = get_task("cartpole")
    config = _compatible(server, temperature=1.0, max_tokens=200)
    ask = (
        "Write `def compute_reward(state, obs):` returning (total, {'a': total}) in a ```python block, with a "
        "long `// comment` explaining each line."
    )
    # one request at a time: a reply that ignored the grammar came back from an n=2 request and from two requests
    # in flight together (an open question in RESULTS.md); one request alone is what this test holds to it
    model = chat_model(config)
    for _ in range(2):
        (text,), _ = ask_each(model, [[HumanMessage(ask)]], config, grammar=reward_grammar(task))
        assert text.startswith("```python\n") and "def compute_reward(" in text, text
        head = text[text.index("def compute_reward(") :]
        signature, _, body = head.partition(":\n")  # a reply cut at max_tokens may not parse past its signature
        assert ")" in signature, text
        params = signature[len("def compute_reward(") : signature.rindex(")")]
        names = [p.split(":")[0].strip() for p in params.split(",") if p.strip()]
        assert names and set(names) <= set(task.state_vars), text
        assert len(set(names)) == len(names), text
        assert not body.lstrip().startswith(('"', "'")), "no docstring"
        assert ":" not in params and "->" not in signature, "no annotations"
        lines = [line.strip() for line in body.splitlines() if line.strip() and line.strip() != "```"]
        assert not any(line.startswith("#") for line in lines), "no comment lines"
        assert "//" not in body, "no C++ comments"
        notes = [line.partition("# ")[2] for line in lines if "#" in line]
        assert all(len(note) <= 40 for note in notes), notes


def test_the_second_request_reads_the_shared_prefix_from_the_cache(server):
    config = _compatible(server, max_tokens=16)
    conversation = task_messages(get_task("cartpole"))
    model = chat_model(config)
    _, first = sample(model, conversation, 1, config)
    _, second = sample(model, [*conversation, AIMessage("```python\n"), HumanMessage("Go on.")], 1, config)
    assert second["cached_tokens"] > 0.9 * first["prompt_tokens"], (first, second)


def test_a_taken_port_is_a_clear_error(server):
    with pytest.raises(LocalModelError, match=f"port {server.port} on 127.0.0.1 is in use"):
        start_server(port=server.port)


def test_writes_an_extractable_reward_for_cartpole(server):
    """The real model, the real prompt and a run's token limit: the reply holds a code block that parses (it may
    still be wrong), or, cut at the limit (CI's run got a 71-line reply cut mid-expression), one the repair rules
    keep up to its last whole statement."""
    task = get_task("cartpole")
    reply = chat_model(_compatible(server, temperature=0.2)).invoke(task_messages(task))
    code = extract_python(reply.content)
    assert code is not None and "compute_reward" in code
    try:
        ast.parse(code)
    except SyntaxError:
        assert reply.response_metadata["finish_reason"] == "length", code  # only a cut reply may not parse
        rewritten = rewrite(code, task)
        assert rewritten is not None and "cut_replies" in rewritten.rules, code
        code = rewritten.code
    try:
        compile_reward(code, task)
    except Exception as exc:  # a 1.5B model's reward can break the contract; that is what repair is for
        print(f"the sample does not compile under the policy: {exc}")


def test_server_killed_mid_call_is_retried(server):
    """The request in flight dies with its server; the client retries until a new server on the port answers."""
    info = start_server()
    usage = UsageLog()
    model = chat_model(_compatible(info, max_tokens=200, max_retries=8, timeout_s=60), usage)

    def kill_and_restart():
        time.sleep(1.0)  # the request is being served
        dead = server_process(info)
        dead.kill()
        dead.wait()  # its socket closes with it; until then the port is taken
        start_server(port=info.port)

    restarter = threading.Thread(target=kill_and_restart)
    restarter.start()
    reply = model.invoke("Write a long poem about the sea.")
    restarter.join()
    assert reply.content.strip()


def test_bad_base_url_is_a_clear_error():
    config = LLMConfig(provider="compatible", base_url="http://127.0.0.1:9/v1", model="m", max_retries=1)
    with pytest.raises(Exception) as info:
        chat_model(config).invoke("hi")
    message = str(explain(info.value, config))
    assert message.startswith("cannot reach http://127.0.0.1:9/v1 after 1 retries")
    assert "Traceback" not in message


def test_missing_key_and_missing_base_url_are_clear(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMError, match=r"needs an API key in \$OPENAI_API_KEY"):
        chat_model(LLMConfig(provider="openai"))
    with pytest.raises(LLMError, match="needs both base_url"):
        chat_model(LLMConfig(provider="compatible"))
