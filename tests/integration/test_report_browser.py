"""The HTML report of a real (scripted-reply) run, opened from disk in headless Chromium: no console errors, no
failed loads, every image present and decoded. Playwright drives Debian's Chromium (no browser download)."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright
from scripted import GOOD, SYNTAX_ERROR, scripted_run

pytestmark = pytest.mark.slow
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
LOAD_MS = 30_000
IMAGES = "Array.from(document.images).map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}))"


def _browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        message = f"no headless browser ({', '.join(BROWSERS)}); `make test` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def load_page(url: str) -> tuple[list[str], list[dict]]:
    """Open ``url`` in a fresh headless browser; return its console errors, page errors and failed loads, and its
    images' states."""
    errors: list[str] = []
    with sync_playwright() as playwright:
        # Chromium refuses to run as root with its own sandbox.
        browser = playwright.chromium.launch(executable_path=_browser(), chromium_sandbox=os.geteuid() != 0)
        try:
            page = browser.new_page()
            page.on("console", lambda m: m.type in ("error", "assert") and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"{r.failure} {r.url}"))
            page.goto(url, wait_until="load", timeout=LOAD_MS)
            return errors, page.evaluate(IMAGES)
        finally:
            browser.close()


def test_the_report_loads_with_every_image_and_no_errors(tmp_path):
    # 6 epochs: iteration 1's best learns something (a ~37-step policy), so its reflection is sent back
    settings = {"search.iterations": 2, "training.epochs": 6}
    state, _, folder = scripted_run(tmp_path, [GOOD, SYNTAX_ERROR, GOOD, GOOD, GOOD], **settings)
    assert folder.report.exists() and state["best_id"]
    errors, images = load_page(folder.report.as_uri())
    assert errors == []
    names = sorted(image["src"].rsplit("/", 1)[1] for image in images)
    assert "best_policy.gif" in names and "fitness.png" in names and "final.png" in names
    assert any(name.startswith("components-") for name in names)
    assert all(image["ok"] for image in images), images
    page = folder.report.read_text()
    assert "SyntaxError" in page and "Reflection sent back to the model" in page and "compute_reward" in page
    assert "Reflection (the search ended with this iteration)" in page


def test_a_missing_image_is_caught(tmp_path):
    """The check itself can fail: a page whose image is gone reports it."""
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body><img src='gone.png' alt='x'></body></html>")
    errors, images = load_page(page.as_uri())
    assert images == [{"src": (tmp_path / "gone.png").as_uri(), "ok": False}]
    assert any("gone.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors)
