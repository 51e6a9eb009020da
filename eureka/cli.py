"""The ``eureka`` command line."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from eureka import train_job
from eureka.config import RunConfig, parse_overrides
from eureka.envs import RewardContractError
from eureka.plugins.manager import get_backend, get_chat_model, get_plugins, get_task
from eureka.sandbox.backends import SandboxUnavailable, stop_running_jobs
from eureka.sandbox.executor import LocalExecutor
from eureka.sandbox.protocol import Job
from eureka.sandbox.protocol import Progress as TrainProgress
from eureka.sandbox.ray_executor import ClusterError
from eureka.sandbox.untrusted import clean_text

if TYPE_CHECKING:
    from eureka.agent.context import Context, Event
    from eureka.agent.state import RunState

# Plain help text: rich markup would read "[default: 3]" as a tag and drop it.
app = typer.Typer(
    help="Eureka: reward design by coding LLMs, sandboxed and plugin-based.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
console = Console()
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # what a shell reports for a command ended by Ctrl-C
MAX_MESSAGE_CHARS = 4000


def _fail(message: str) -> typer.Exit:
    """Print ``message`` as an error, as plain text (it may carry a candidate's error or a path: rich markup or
    escape sequences in it are shown, never interpreted), and return the exit for bad input."""
    err_console.print("[bold red]error:[/] " + escape(clean_text(message, MAX_MESSAGE_CHARS)), highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


def _reason(exc: Exception) -> str:
    """What went wrong, in one paragraph: a pydantic error as ``field: problem (got value)`` per field."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors()
        )
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


@app.command()
def tasks(
    name: Annotated[str | None, typer.Argument(help="A task: show its goal and state variables.")] = None,
) -> None:
    """List the available tasks (built-in and from plugins), or show one with the state variables a reward takes."""
    if name is not None:
        try:
            task = get_task(name)
        except KeyError as exc:
            raise _fail(_reason(exc)) from None
        console.print(f"{task.name}: {task.goal}", highlight=False)
        console.print(
            f"fitness: {task.fitness_kind}, success at {task.success_threshold:g}; budget: {task.budget}",
            highlight=False,
        )
        console.print("state variables (a reward's parameters, each (num_envs, ...)):", highlight=False)
        console.print(escape(task.describe_state()), highlight=False)
        return
    table = Table("task", "fitness", "success at", "goal")
    for task in get_plugins().tasks().values():
        table.add_row(task.name, task.fitness_kind, f"{task.success_threshold:g}", task.goal)
    console.print(table)


@app.command()
def train(
    task: Annotated[str, typer.Option(help="Task name (see `eureka tasks`).")],
    reward: Annotated[str, typer.Option(help="'human', 'sparse' or a reward file defining compute_reward.")] = "human",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    epochs: Annotated[int | None, typer.Option(help="PPO epochs [default: the task's budget].")] = None,
    num_envs: Annotated[int | None, typer.Option(help="Parallel envs [default: the task's budget].")] = None,
    device: Annotated[str, typer.Option(help="Torch device: cpu, cuda, cuda:1, ...")] = "cpu",
    threads: Annotated[
        int | None,
        typer.Option(help="Torch threads [default: the usable cores, shared with sandbox jobs already running]."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder [default: runs/train/<task>-<reward>-s<seed>].")] = (
        None
    ),
    checkpoint: Annotated[Path | None, typer.Option(help="Fine-tune from this policy checkpoint.")] = None,
    sandbox: Annotated[str, typer.Option(help="Sandbox backend: process (bubblewrap) or docker.")] = "process",
    timeout: Annotated[float, typer.Option(help="Wall-clock limit of the job, seconds.")] = Job.model_fields[
        "timeout_s"
    ].default,
    memory_mb: Annotated[int, typer.Option(help="Memory limit of the job, MiB.")] = Job.model_fields[
        "memory_mb"
    ].default,
    unsafe_no_sandbox: Annotated[
        bool, typer.Option("--unsafe-no-sandbox", help="Run without bubblewrap where it cannot start (rlimits only).")
    ] = False,
) -> None:
    """Train a PPO policy on a task with a reward, inside the sandbox; save the checkpoint and result.json. An
    --out folder that holds the result of this very job (same reward, seed and budget) is read back, not trained
    again."""
    try:
        backend = get_backend(sandbox, unsafe_no_sandbox)
        job, out_dir, label = train_job(
            task,
            reward,
            seed=seed,
            epochs=epochs,
            num_envs=num_envs,
            device=device,
            threads=threads,
            out=out,
            checkpoint=checkpoint,
            timeout_s=timeout,
            memory_mb=memory_mb,
        )
        spec = get_task(task)
    except (KeyError, ValueError, RewardContractError, SandboxUnavailable) as exc:
        raise _fail(_reason(exc)) from None

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("epoch {task.completed:.0f}/{task.total:.0f}"),
        TextColumn("{task.fields[fps]} steps/s"),
        TextColumn("fitness {task.fields[fitness]}"),
        TimeElapsedColumn(),
        console=console,
    )
    bar = progress.add_task(escape(f"{task} · {Path(label).stem}"), total=job.epochs, fps="-", fitness="-")

    def on_progress(job_id: str, lines: list[TrainProgress]) -> None:
        line = lines[-1]
        fitness = "-" if line.fitness is None else f"{line.fitness:.3g}"
        fps = f"{line.env_steps / max(line.wall_time, 1e-9):,.0f}"
        progress.update(bar, completed=line.epoch, fps=fps, fitness=fitness)

    # the executor of a run, with one job: the same progress watcher, and the same read-back of a job already done
    executor = LocalExecutor(backend, [device], workers=1, threads=job.threads)
    with progress:
        ((_, result),) = list(executor.run([(job, out_dir)], on_progress))

    if not result.ok:
        raise _fail(f"the reward {label!r} failed ({result.status}): {result.error}")
    console.print(
        f"[bold]{task}[/] with the {escape(label)} reward: max fitness {result.max_fitness}, final fitness "
        f"{result.final_fitness} ({spec.fitness_kind}; success at {spec.success_threshold:g}), "
        f"{result.env_steps:,} env steps in {result.wall_time:.1f} s"
    )
    console.print(escape(f"result: {out_dir / 'result.json'}  checkpoint: {result.checkpoint}"), highlight=False)


def _option(key: str, *flags: str) -> Any:
    """The option that sets config ``key``: its help and shown default are the config field's (declared once)."""
    model: type[BaseModel] = RunConfig
    *sections, leaf = key.split(".")
    for section in sections:
        model = model.model_fields[section].annotation
    field = model.model_fields[leaf]
    default = field.get_default(call_default_factory=True)
    text = field.description or leaf
    value = ", ".join(map(str, default)) if isinstance(default, list) else default
    shown = "" if default is None or isinstance(default, bool) else f" [default: {value}]"
    option = typer.Option(*flags, help=f"{text[0].upper()}{text[1:]}.{shown}")
    option.config_key = key  # read back by _config_keys: the option's key is written once, here
    return option


def _config_keys(command: Callable[..., Any]) -> dict[str, str]:
    """Parameter name -> config key of each ``_option`` of ``command``."""
    hints = get_type_hints(command, include_extras=True)
    return {
        name: meta.config_key
        for name, hint in hints.items()
        for meta in getattr(hint, "__metadata__", ())
        if hasattr(meta, "config_key")
    }


def _given(command: Callable[..., Any], values: dict[str, Any]) -> dict[str, Any]:
    """The config overrides of the ``_option`` parameters given on the command line (an unset flag is False)."""
    return {
        key: values[name]
        for name, key in _config_keys(command).items()
        if values[name] is not None and values[name] is not False
    }


@app.command()
def run(
    overrides: Annotated[
        list[str] | None,
        typer.Argument(help="Config overrides KEY=VALUE (YAML values), e.g. search.samples=8 llm.temperature=0.7."),
    ] = None,
    task: Annotated[str | None, _option("task")] = None,
    config: Annotated[Path | None, typer.Option(help="Run configuration (YAML); options below override it.")] = None,
    iterations: Annotated[int | None, _option("search.iterations")] = None,
    samples: Annotated[int | None, _option("search.samples")] = None,
    repair_rounds: Annotated[int | None, _option("search.repair_rounds")] = None,
    tune_trials: Annotated[int | None, _option("search.tune_trials")] = None,
    epochs: Annotated[int | None, _option("training.epochs")] = None,
    num_envs: Annotated[int | None, _option("training.num_envs")] = None,
    final_seeds: Annotated[int | None, _option("training.final_seeds")] = None,
    final_epochs: Annotated[int | None, _option("training.final_epochs")] = None,
    seed: Annotated[int | None, _option("training.seed")] = None,
    llm_provider: Annotated[str | None, _option("llm.provider")] = None,
    llm_model: Annotated[str | None, _option("llm.model")] = None,
    llm_base_url: Annotated[str | None, _option("llm.base_url")] = None,
    llm_api_key_env: Annotated[str | None, _option("llm.api_key_env")] = None,
    sandbox: Annotated[str | None, _option("sandbox.backend")] = None,
    workers: Annotated[int | None, _option("executor.workers")] = None,
    device: Annotated[list[str] | None, _option("executor.devices")] = None,
    executor: Annotated[str | None, _option("executor.kind")] = None,
    ray_address: Annotated[str | None, _option("executor.ray_address")] = None,
    init_reward: Annotated[str | None, _option("init_reward")] = None,
    feedback: Annotated[str | None, _option("feedback")] = None,
    from_checkpoint: Annotated[Path | None, _option("from_checkpoint")] = None,
    show_human_correlation: Annotated[
        bool, _option("search.show_human_correlation", "--show-human-correlation")
    ] = False,
    runs_dir: Annotated[Path, typer.Option(help="Where run folders go.")] = Path("runs"),
    resume: Annotated[str | None, typer.Option(help="Continue the run with this id (its folder name).")] = None,
    unsafe_no_sandbox: Annotated[bool, _option("sandbox.unsafe_no_sandbox", "--unsafe-no-sandbox")] = False,
) -> None:
    """Search for a reward: the model writes k candidates, each trains in the sandbox, the best one's reflection
    goes back; N times. Then the best, human and sparse rewards are re-trained and compared. Any config key can
    be set as KEY=VALUE (`eureka config show` lists them)."""
    options = dict(locals())  # the parameters, before anything else is defined
    if feedback not in (None, "ask"):
        options["feedback"] = str(Path(feedback).resolve())  # the run reads the file from wherever it runs
    if from_checkpoint is not None:
        options["from_checkpoint"] = str(from_checkpoint.resolve())
    from eureka.agent.llm import LLMError
    from eureka.agent.run import check_config, make_context
    from eureka.agent.run_folder import RunFolder, RunNotFound
    from eureka.report.summary import score_text

    try:
        if resume:
            if overrides:
                raise ValueError(f"a resumed run keeps its saved config; {overrides[0]!r} cannot change it")
            folder = RunFolder.open(runs_dir, resume)
            settings = RunConfig.load(folder.config)
        else:
            settings = RunConfig.load(
                config,
                {
                    **parse_overrides(overrides or []),
                    **_given(run, options),
                },
            )
            check_config(settings)
            folder = RunFolder.create(runs_dir, settings.task)
            settings.save(folder.config)
        context = make_context(settings, folder)
    except (KeyError, ValueError, RunNotFound, RewardContractError, SandboxUnavailable, ClusterError, LLMError) as exc:
        raise _fail(_reason(exc)) from None

    state = _live_search(context, resume is not None, f"eureka run --resume {folder.id}")
    finals, score = state.get("finals", {}), state.get("score")
    for label, final in finals.items():
        console.print(f"{label:>7}: max fitness {final.mean:.4g} ± {final.std:.3g} over seeds {final.seeds}")
    console.print(f"human-normalised score: [bold]{score_text(score, finals)}[/]")
    console.print(f"learning-speed score: [bold]{score_text(state.get('speed_score'), finals, speed=True)}[/]")
    console.print(f"report: {folder.report}")


@contextmanager
def _stop_on_interrupt(resume_hint: str) -> Iterator[None]:
    """While the body runs, Ctrl-C and SIGTERM end the command within a second, the run resumable.

    Python's own KeyboardInterrupt would wait: for every sandboxed training (in its own session, which a Ctrl-C
    does not reach) to end, and for the model's request in flight. So the handler kills the workers and the model
    server this process started, says how to continue, and exits at once. What is saved is what a killed run keeps:
    every finished step, every reply already received.
    """

    def stop(signum: int, frame: object) -> None:
        from eureka.agent.local_llm import stop_managed_servers

        jobs = stop_running_jobs()
        stop_managed_servers()
        console.show_cursor(True)
        name = signal.Signals(signum).name
        console.print(f"\n{name}: stopped {jobs} running job(s). The run is saved; continue it with: {resume_hint}")
        logging.shutdown()
        sys.stdout.flush()
        os._exit(EXIT_INTERRUPTED)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _live_search(context: Context, resume: bool, resume_hint: str) -> RunState:
    """Run (or resume) the search with a live table, or without a terminal (nohup, a batch scheduler) with the
    run log's timestamped lines on stdout; a model failure ends the command with how to continue."""
    from eureka.agent.llm import LLMError
    from eureka.agent.run import LOGGER, run_search
    from eureka.report.live import LiveView

    settings, folder = context.config, context.folder
    console.print(f"run {folder.id}: {folder.root}")
    with _stop_on_interrupt(resume_hint):
        try:
            if not console.is_terminal:
                plain = logging.StreamHandler(sys.stdout)
                plain.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
                LOGGER.addHandler(plain)
                try:
                    return run_search(context, resume=resume, answer=lambda q: typer.prompt(q, default=""))
                finally:
                    LOGGER.removeHandler(plain)
            search = settings.search
            view = LiveView(f"{settings.task}: {search.iterations} iterations x {search.samples} samples")

            def ask(question: str) -> str:
                live.stop()
                text = typer.prompt(question, default="", show_default=False)
                live.start()
                return text

            with Live(view.render(), console=console, refresh_per_second=4) as live:

                def on_event(event: Event) -> None:
                    view.add(event)
                    live.update(view.render())

                return run_search(context, resume=resume, on_event=on_event, answer=ask)
        except LLMError as exc:
            raise _fail(f"{exc}\nThe run is saved; continue it with: {resume_hint}") from None


@app.command()
def bench(
    tasks: Annotated[str, typer.Option(help="'all' or a comma-separated list of task names.")] = "all",
    seeds: Annotated[int | None, _option("training.final_seeds")] = None,
    iterations: Annotated[int | None, _option("search.iterations")] = None,
    samples: Annotated[int | None, _option("search.samples")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Run-config override KEY=VALUE (YAML value), repeatable.")
    ] = None,
    runs_dir: Annotated[Path, typer.Option(help="Where bench folders go.")] = Path("runs"),
    resume: Annotated[str | None, typer.Option(help="Continue the bench with this id (its folder name).")] = None,
) -> None:
    """Run the reward search on every task of a suite and tabulate F_sparse, F_human, F_eureka and the
    human-normalised score (clipped to [0, 3] for the average), as the paper does."""
    from eureka.agent.llm import LLMError
    from eureka.bench import run_bench
    from eureka.report.bench import BenchSettings, load_settings, new_bench_dir, save_settings, table_lines

    try:
        if resume:
            bench_dir = Path(resume) if Path(resume).is_dir() else runs_dir / resume
            settings = load_settings(bench_dir)
        else:
            names = sorted(get_plugins().tasks()) if tasks == "all" else [t.strip() for t in tasks.split(",")]
            for name in names:
                get_task(name)
            overrides = parse_overrides(set_ or [])
            sizes = {"seeds": seeds, "iterations": iterations, "samples": samples}
            settings = BenchSettings(
                tasks=names, overrides=overrides, **{key: value for key, value in sizes.items() if value is not None}
            )
            RunConfig.load(None, settings.run_overrides(names[0]))  # refuse bad overrides before any run
            bench_dir = new_bench_dir(runs_dir)
            save_settings(bench_dir, settings)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        raise _fail(_reason(exc)) from None

    console.print(f"bench {bench_dir.name}: {', '.join(settings.tasks)}")
    hint = f"eureka bench --resume {bench_dir.name}"
    try:
        rows, path = run_bench(bench_dir, settings, lambda context, resume: _live_search(context, resume, hint))
    except (KeyError, ValueError, SandboxUnavailable, ClusterError, LLMError) as exc:
        raise _fail(_reason(exc)) from None
    for line in table_lines(rows):
        console.print(line, highlight=False, soft_wrap=True)
    console.print(f"table: {path}")


@app.command()
def plugins() -> None:
    """List every plugin: where it came from, what it provides, and any problem loading it."""
    table = Table("plugin", "from", "provides", "problems")
    for info in get_plugins().plugins():
        provides = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in info.provides.items())
        others = [hook for hook in info.hooks if hook in ("eureka_metrics", "eureka_feedback", "eureka_event")]
        provides = "; ".join(p for p in (provides, ", ".join(others)) if p)
        table.add_row(info.name, info.source, provides or "-", "\n".join(info.problems) or "-")
    console.print(table)


config_app = typer.Typer(
    help="The run configuration: every key, its value and what it does.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    overrides: Annotated[
        list[str] | None, typer.Argument(help="Overrides KEY=VALUE, as `eureka run` takes them.")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="Run configuration (YAML) to start from.")] = None,
) -> None:
    """Print the configuration a run would use (the defaults, the file, then the overrides) as YAML."""
    import yaml

    try:
        settings = RunConfig.load(config, parse_overrides(overrides or []))
    except (ValueError, OSError) as exc:
        raise _fail(_reason(exc)) from None
    console.print(yaml.safe_dump(settings.model_dump(mode="json"), sort_keys=False).rstrip(), highlight=False)


llm_app = typer.Typer(
    help="The embedded local model server, and checks of any configured model.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(llm_app, name="llm")


@llm_app.command("status")
def llm_status() -> None:
    """Say whether a detached local model server is running, and where the model file is."""
    from eureka.agent.local_llm import MODEL_FILE, cache_dir, running_server

    info = running_server()
    model = cache_dir() / "models" / MODEL_FILE
    console.print(f"model file: {model} ({'assembled' if model.exists() else 'not assembled yet'})")
    console.print(f"server: {info.base_url} (pid {info.pid})" if info else "server: not running")


@llm_app.command("serve")
def llm_serve(threads: Annotated[int | None, typer.Option(help="CPU threads [default: all].")] = None) -> None:
    """Start the local model server in the background; later runs use it until `eureka llm stop`."""
    from eureka.agent.local_llm import LocalModelError, running_server, start_server

    info = running_server()
    if info is None:
        try:
            info = start_server(threads=threads, detached=True)
        except LocalModelError as exc:
            raise _fail(str(exc)) from None
    console.print(f"serving {info.model} at {info.base_url} (pid {info.pid})")


@llm_app.command("stop")
def llm_stop() -> None:
    """Stop the background local model server."""
    from eureka.agent.local_llm import stop_server

    info = stop_server()
    console.print(f"stopped pid {info.pid}" if info else "no server was running")


@llm_app.command("ping")
def llm_ping(
    provider: Annotated[str | None, _option("llm.provider")] = None,
    base_url: Annotated[str | None, typer.Option(help="API root for provider 'compatible'.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name.")] = None,
    api_key_env: Annotated[str | None, _option("llm.api_key_env")] = None,
) -> None:
    """Send one short request to a model and report the reply, its tokens and its time (or why it failed)."""
    from eureka.agent.llm import LLMError, UsageLog, explain
    from eureka.config import LLMConfig

    try:
        given = {"provider": provider, "base_url": base_url, "model": model, "api_key_env": api_key_env}
        config = LLMConfig(**{k: v for k, v in given.items() if v is not None}, max_tokens=32, max_retries=1)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    usage = UsageLog()
    try:
        reply = get_chat_model(config, usage).invoke("Reply with one word: ready?")
    except LLMError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        raise _fail(str(explain(exc, config))) from None
    call = usage.calls[-1]
    console.print(
        f"{reply.content.strip()!r} ({call.prompt_tokens} prompt + {call.completion_tokens} completion tokens, "
        f"{call.seconds:.1f} s)"
    )
