"""Entry point of the managed model server: ``python -m eureka.agent.llm_server --model PATH --port N ...``.

llama-cpp-python's OpenAI-compatible app under uvicorn, plus a watchdog: given ``--parent-pid`` the server exits
as soon as that process is gone, so a run killed with SIGKILL leaves no model server behind.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

WATCH_INTERVAL_S = 1.0


def _exit_with_parent(parent_pid: int) -> None:
    while True:
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        time.sleep(WATCH_INTERVAL_S)


def main() -> None:
    """Parse the arguments and serve until stopped (or until the parent dies)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--n-ctx", type=int, required=True)
    parser.add_argument("--cache", action="store_true", help="keep KV states of earlier prompts (prefix reuse)")
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args()
    if args.parent_pid is not None:
        threading.Thread(target=_exit_with_parent, args=(args.parent_pid,), daemon=True).start()

    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    app = create_app(
        server_settings=ServerSettings(host="127.0.0.1", port=args.port),
        model_settings=[
            ModelSettings(
                model=args.model,
                model_alias=args.alias,
                n_ctx=args.n_ctx,
                n_threads=args.threads,
                n_threads_batch=args.threads,
                cache=args.cache,
                verbose=False,
            )
        ],
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
