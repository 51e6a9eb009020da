"""The HTML report of a real (scripted-reply) run, opened from disk in headless Chromium: no console errors, no
failed loads, every image present and decoded. The browser is driven through the DevTools protocol."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest
from scripted import GOOD, SYNTAX_ERROR, scripted_run
from websockets.sync.client import connect

pytestmark = pytest.mark.slow
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
START_S = 30.0
LOAD_S = 30.0


def _browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        message = f"no headless browser ({', '.join(BROWSERS)}); `make test` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def load_page(url: str) -> tuple[list[str], list[dict]]:
    """Open ``url`` in a fresh headless browser; return its console/log errors and its images' states."""
    profile = tempfile.mkdtemp(prefix="eureka-chromium-")
    args = [_browser(), "--headless=new", "--disable-gpu", "--remote-debugging-port=0", f"--user-data-dir={profile}"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its own sandbox
    browser = subprocess.Popen([*args, "about:blank"], stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.monotonic() + START_S
        while port is None and time.monotonic() < deadline:
            line = browser.stderr.readline()
            if match := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
                port = int(match.group(1))
        assert port is not None, "the browser did not start its DevTools endpoint"
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            return _inspect(ws, url)
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _inspect(ws, url: str) -> tuple[list[str], list[dict]]:
    ids = iter(range(1, 1000))

    def send(method: str, **params) -> int:
        message_id = next(ids)
        ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        return message_id

    for method in ("Runtime.enable", "Log.enable", "Page.enable"):
        send(method)
    send("Page.navigate", url=url)
    errors, loaded = [], False
    deadline = time.monotonic() + LOAD_S
    evaluate = None
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=LOAD_S))
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(params["entry"]["text"] + " " + params["entry"].get("url", ""))
        elif method == "Page.loadEventFired" and not loaded:
            loaded = True
            images = "Array.from(document.images).map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}))"
            evaluate = send("Runtime.evaluate", expression=f"JSON.stringify({images})", returnByValue=True)
        elif evaluate is not None and message.get("id") == evaluate:
            return errors, json.loads(message["result"]["result"]["value"])
    raise AssertionError(f"the page did not finish loading in {LOAD_S} s (loaded: {loaded})")


def test_the_report_loads_with_every_image_and_no_errors(tmp_path):
    state, _, folder = scripted_run(tmp_path, [GOOD, SYNTAX_ERROR, GOOD, GOOD, GOOD], **{"search.iterations": 2})
    assert folder.report.exists() and state["best_id"]
    errors, images = load_page(folder.report.as_uri())
    assert errors == []
    names = sorted(image["src"].rsplit("/", 1)[1] for image in images)
    assert "best_policy.gif" in names and "fitness.png" in names and "final.png" in names
    assert any(name.startswith("components-") for name in names)
    assert all(image["ok"] for image in images), images
    page = folder.report.read_text()
    assert "SyntaxError" in page and "Reflection sent back to the model" in page and "compute_reward" in page


def test_a_missing_image_is_caught(tmp_path):
    """The check itself can fail: a page whose image is gone reports it."""
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body><img src='gone.png' alt='x'></body></html>")
    errors, images = load_page(page.as_uri())
    assert images == [{"src": (tmp_path / "gone.png").as_uri(), "ok": False}]
    assert any("gone.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors)
