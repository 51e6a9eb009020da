"""Entry point of the managed model server: ``python -m eureka.agent.llm_server --model PATH --port N ...``.

llama.cpp's own C++ server through xllamacpp (a prebuilt wheel: nothing is compiled at install), listening on
loopback only: continuous batching over ``--slots`` sequences (``n`` samples of one request decode together), the
prompt cache (a request whose prompt starts like an earlier one reprocesses only the rest), GBNF grammars per
request, and optionally n-gram speculative decoding and GPU offload. A watchdog: given ``--parent-pid`` the server
exits as soon as that process is gone, so a run killed with SIGKILL leaves no model server behind.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

WATCH_INTERVAL_S = 1.0
LOOPBACK = "127.0.0.1"
#: Host memory for prompt states kept beyond the slots' own caches (llama.cpp's default is 8 GiB)
CACHE_RAM_MIB = 2048


def _exit_with_parent(parent_pid: int) -> None:
    while True:
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        time.sleep(WATCH_INTERVAL_S)


def server_params(args: argparse.Namespace):  # noqa: ANN201 - xllamacpp.CommonParams, imported lazily
    """The llama.cpp server parameters for the parsed command line."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = args.alias
    params.hostnames = [LOOPBACK]
    params.port = args.port
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.n_parallel = args.slots
    # One KV buffer shared by every slot: the n samples of a request share their prompt's cells instead of each
    # slot holding n_ctx / slots, and any one reply may use the whole context.
    params.kv_unified = True
    params.n_ctx = args.n_ctx
    params.cache_ram_mib = CACHE_RAM_MIB
    params.warmup = False
    if args.gpu_layers is not None:
        params.n_gpu_layers = args.gpu_layers
    if args.speculative:
        # Drafts from n-grams of the context itself: repairs and edits mostly copy code the prompt holds.
        params.speculative.types = [xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
    return params


def main() -> None:
    """Parse the arguments and serve until stopped (or until the parent dies)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--n-ctx", type=int, required=True)
    parser.add_argument("--slots", type=int, required=True, help="sequences decoded together")
    parser.add_argument("--gpu-layers", type=int, default=None, help="layers offloaded to the GPU; -1: all")
    parser.add_argument("--speculative", action="store_true", help="n-gram speculative decoding")
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args()
    if args.parent_pid is not None:
        threading.Thread(target=_exit_with_parent, args=(args.parent_pid,), daemon=True).start()

    import xllamacpp

    server = xllamacpp.Server(server_params(args))  # serves HTTP from its own threads until it is deleted
    print(f"serving on {server.listening_address}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
