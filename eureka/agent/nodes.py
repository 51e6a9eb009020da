"""The graph's nodes (one function each, returning a partial state update) and its routers (pure functions).

Nodes reach the model, the sandbox and the run folder only through ``runtime.context``. Every model reply and
every job result is kept in the run folder as soon as it exists, so that a run resumed after a crash repeats
neither (``RunFolder.reply``, ``finished_result``).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from typing import Literal

from langchain_core.messages import BaseMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from eureka.agent.context import Activity, Context, Event
from eureka.agent.grammar import reward_grammar
from eureka.agent.llm import ask_each, sample
from eureka.agent.messages import extract_python, proposal_messages, repair_messages
from eureka.agent.rewrites import Rewrite, changed_lines, repair_by_rules
from eureka.agent.run_folder import ReplyKey, write_iteration
from eureka.agent.state import (
    Attempt,
    Candidate,
    FinalLabel,
    FinalScore,
    RunState,
    Stage,
    best_candidate,
    candidates_of,
    fittest,
    human_normalised,
    learning_speed,
    rank,
    shown_in_force,
)
from eureka.agent.tuning import TuningStudy, constants, literal, not_tuned_because, run_study, with_values
from eureka.envs.contract import RewardContractError
from eureka.sandbox.protocol import Job, Progress, Result, Status
from eureka.sandbox.rewards import static_check

#: lines the repair rules changed, shown to the model in the reflection (each a wrong and a right line)
RULE_EXAMPLES = 4
NO_CODE = "the reply has no ```python code block defining compute_reward"


# ----- helpers shared by the nodes


def _grammar(ctx: Context) -> str | None:
    """The reply grammar of this task for a local model that is asked to follow one."""
    llm = ctx.config.llm
    return reward_grammar(ctx.task) if llm.provider == "local" and llm.grammar else None


def _samples(ctx: Context, ids: list[str], messages: list[BaseMessage], usage: Counter) -> dict[str, str]:
    """First replies for the candidates ``ids``, all to one conversation: one request for the missing ones."""

    def ask(missing: list[ReplyKey]) -> list[str]:
        texts, used = sample(ctx.llm, messages, len(missing), ctx.config.llm, _grammar(ctx))
        usage.update(used)
        return texts

    return {cid: text for (cid, _), text in ctx.folder.replies([(cid, 0) for cid in ids], ask).items()}


def _repairs(ctx: Context, wanted: dict[ReplyKey, list[BaseMessage]], usage: Counter) -> dict[ReplyKey, str]:
    """A reply to each repair conversation, the missing ones sent together."""

    def ask(missing: list[ReplyKey]) -> list[str]:
        texts, used = ask_each(ctx.llm, [wanted[key] for key in missing], ctx.config.llm, _grammar(ctx))
        usage.update(used)
        return texts

    return ctx.folder.replies(list(wanted), ask)


def _new_attempt(ctx: Context, candidate_id: str, repair_round: int, reply: str) -> Attempt:
    code = extract_python(reply)
    if code is not None:
        ctx.folder.write_code(candidate_id, repair_round, code)
    return Attempt(reply=reply, code=code)


def _job(
    ctx: Context, job_id: str, code: str, seed: int, epochs: int | None, num_envs: int | None, search: bool = False
) -> Job:
    """A sandbox job for ``code``; a ``search`` candidate's job also measures its correlation with the human reward
    (the final re-training compares fitness, not rewards)."""
    sandbox = ctx.config.sandbox
    return Job(
        job_id=job_id,
        task=ctx.task.name,
        reward_code=code,
        seed=seed,
        epochs=epochs,
        num_envs=num_envs,
        timeout_s=sandbox.timeout_s,
        memory_mb=sandbox.memory_mb,
        init_checkpoint=ctx.config.from_checkpoint,
        compare_with_human=search,
    )


# ----- nodes


def load_task(state: RunState, runtime: Runtime[Context]) -> RunState:
    """Start the search: at iteration 1, or at iteration 0 with the given initial reward as its one candidate."""
    ctx = runtime.context
    start: RunState = {
        "last_iteration": ctx.config.search.iterations,
        "retried": False,
        "best_id": None,
    }
    if ctx.config.init_reward is None:
        return {**start, "iteration": 1}
    code, label = ctx.task.reward_source(ctx.config.init_reward)
    ctx.folder.write_code("it0-c0", 0, code)
    given = Candidate(
        id="it0-c0", iteration=0, index=0, attempts=[Attempt(reply=f"given: {label}", code=code)], stage=Stage.PROPOSED
    )
    return {**start, "iteration": 0, "candidates": {given.id: given}}


def propose(state: RunState, runtime: Runtime[Context]) -> RunState:
    """Sample k candidates from one prompt: the task, plus the code and reflection of the candidate shown (the last
    iteration's best, see ``_shown``) and, on the retry of an iteration where every candidate failed, their errors."""
    ctx, iteration = runtime.context, state["iteration"]
    earlier = candidates_of(state, iteration)
    shown_id = shown_in_force(state)
    reflected = state["candidates"][shown_id] if shown_id else None
    code, reflection = (reflected.code, state["reflections"][str(reflected.iteration)]) if reflected else (None, None)
    errors = [c.attempts[-1].error or "failed" for c in earlier] if state.get("retried") else None
    messages = proposal_messages(ctx.task, code, reflection, errors, ctx.config.search.example_reward)
    write, usage, start = get_stream_writer(), Counter(), time.perf_counter()
    indices = range(len(earlier), len(earlier) + ctx.config.search.samples)
    ids = [f"it{iteration}-c{index}" for index in indices]
    for cid in ids:
        write(Event(cid, Activity.WRITING))
    new = {}
    for (cid, reply), index in zip(_samples(ctx, ids, messages, usage).items(), indices, strict=True):
        attempt = _new_attempt(ctx, cid, 0, reply)
        new[cid] = Candidate(id=cid, iteration=iteration, index=index, attempts=[attempt], stage=Stage.PROPOSED)
        write(Event(cid, Stage.PROPOSED))
    return {"candidates": new, "seconds": {"llm": time.perf_counter() - start}, "usage": dict(usage)}


def check(state: RunState, runtime: Runtime[Context]) -> RunState:
    """Static checks that run none of the code: it parses, the policy accepts it, the signature names state
    variables. The dry run on real env steps happens in the sandbox, at the start of each job."""
    ctx, start = runtime.context, time.perf_counter()
    rounds, write = ctx.config.search.repair_rounds, get_stream_writer()
    updates = {}
    for c in candidates_of(state, state["iteration"]):
        if c.stage is not Stage.PROPOSED:
            continue
        try:
            if c.code is None:
                raise RewardContractError(NO_CODE)
            static_check(c.code, ctx.task, filename=f"{c.id}.py")
        except RewardContractError as exc:
            updates[c.id] = c.failed(str(exc), Status.INVALID, rounds)
        else:
            updates[c.id] = c.model_copy(update={"stage": Stage.VALID})
        write(Event(c.id, updates[c.id].stage, updates[c.id].attempts[-1].error or ""))
    return {"candidates": updates, "seconds": {"check": time.perf_counter() - start}}


def repair(state: RunState, runtime: Runtime[Context]) -> RunState:
    """Repair each broken candidate: first by the deterministic rules (kept only if the rewrite passes the static
    check and a dry run in the sandbox; no model call), else by sending it back to the model with its exact error
    while it has model rounds left."""
    ctx, write, usage, start = runtime.context, get_stream_writer(), Counter(), time.perf_counter()
    broken = {c.id: c for c in candidates_of(state, state["iteration"]) if c.stage is Stage.BROKEN}
    updates = _rule_repairs(ctx, broken)
    conversations = {}
    for c in broken.values():
        if c.id in updates:
            continue
        if c.model_repairs >= ctx.config.search.repair_rounds:
            updates[c.id] = c.dropped()
            write(Event(c.id, Stage.DROPPED, c.attempts[-1].error or ""))
            continue
        last = c.attempts[-1]
        write(Event(c.id, Activity.REPAIRING, last.error or ""))
        conversations[(c.id, c.repairs + 1)] = repair_messages(
            ctx.task, last.code, last.reply, last.error or "", ctx.config.search.example_reward
        )
    for (cid, next_round), reply in _repairs(ctx, conversations, usage).items():
        updates[cid] = broken[cid].repaired(_new_attempt(ctx, cid, next_round, reply))
        write(Event(cid, Stage.PROPOSED, f"repair round {next_round}"))
    return {"candidates": updates, "seconds": {"llm": time.perf_counter() - start}, "usage": dict(usage)}


def _rule_repairs(ctx: Context, broken: dict[str, Candidate]) -> dict[str, Candidate]:
    """The broken candidates the repair rules fix: rewritten, statically checked, dry-run together in the sandbox
    (and rewritten again from a dry run's new error, ``RULE_ROUNDS`` at most). A version the rules wrote is not
    rewritten again."""
    write = get_stream_writer()
    versions = {cid: c.repairs + 1 for cid, c in broken.items()}

    def check(rewrites: dict[str, Rewrite], round_: int) -> dict[str, str | None]:
        errors: dict[str, str | None] = {}
        jobs, owner = [], {}
        for cid, rewritten in rewrites.items():
            try:
                static_check(rewritten.code, ctx.task)
            except RewardContractError as exc:
                errors[cid] = str(exc)
                continue
            job_id = f"{ctx.folder.id}.{cid}.r{versions[cid]}.dryrun{round_ or ''}"
            job = _job(ctx, job_id, rewritten.code, 0, None, None).model_copy(update={"check_only": True})
            jobs.append((job, ctx.folder.dry_run_dir(cid, versions[cid], round_)))
            owner[job.job_id] = cid
            write(Event(cid, Activity.REWRITING, ", ".join(rewritten.rules)))
        for job, result in ctx.executor.run(jobs):
            errors[owner[job.job_id]] = None if result.ok else (result.error or str(result.status))
        return errors

    wanted = {
        c.id: (ctx.task, c.attempts[-1].code, c.attempts[-1].error or "")
        for c in broken.values()
        if not c.attempts[-1].rules
    }
    updates = {}
    for cid, rewritten in repair_by_rules(wanted, check).items():
        c, version = broken[cid], versions[cid]
        ctx.folder.write_code(cid, version, rewritten.code)
        ctx.folder.write_json(f"candidates/{cid}/rules-r{version}.json", rewritten.rules)
        reply = "rewritten by the repair rules: " + ", ".join(rewritten.rules)
        updates[cid] = c.repaired(Attempt(reply=reply, code=rewritten.code, rules=rewritten.rules))
        write(Event(cid, Stage.PROPOSED, reply))
    return updates  # the others: the model gets the original error, as without rules


def evaluate(state: RunState, runtime: Runtime[Context]) -> RunState:
    """Train every valid candidate with PPO, each in its own sandbox job, in parallel; a job that fails sends its
    candidate to repair with the job's error."""
    ctx, write, start = runtime.context, get_stream_writer(), time.perf_counter()
    training = ctx.config.training
    budget = {"epochs": training.epochs, "num_envs": training.num_envs}
    valid = {c.id: c for c in candidates_of(state, state["iteration"]) if c.stage is Stage.VALID}
    jobs = [
        (
            _job(ctx, f"{ctx.folder.id}.{c.id}.r{c.repairs}", c.code or "", training.seed, **budget, search=True),
            ctx.folder.job_dir(c.id, c.repairs),
        )
        for c in valid.values()
    ]
    owner = {job.job_id: cid for (job, _), cid in zip(jobs, valid, strict=True)}

    def on_progress(job_id: str, lines: list[Progress]) -> None:
        write(Event(owner[job_id], Activity.TRAINING, epoch=lines[-1].epoch, fitness=lines[-1].fitness))

    updates, worker_seconds = {}, 0.0
    for job, result in ctx.executor.run(jobs, on_progress):
        c = valid[owner[job.job_id]]
        worker_seconds += result.wall_time
        if result.ok:
            updates[c.id] = c.trained(result)
        else:
            updates[c.id] = c.failed(result.error or result.status, result.status, ctx.config.search.repair_rounds)
        write(Event(c.id, updates[c.id].stage, updates[c.id].attempts[-1].error or "", fitness=result.max_fitness))
    seconds = {"evaluate": time.perf_counter() - start, "train_in_worker": worker_seconds}
    return {"candidates": updates, "seconds": seconds}


def tune(state: RunState, runtime: Runtime[Context]) -> RunState:
    """Tune the numbers of the iteration's best reward (``search.tune_trials`` short trainings, as many at once as
    the executor runs); the best trial joins the iteration as one more trained candidate and competes with the
    untuned reward by fitness."""
    ctx, iteration, write = runtime.context, state["iteration"], get_stream_writer()
    trials = ctx.config.search.tune_trials
    candidates = candidates_of(state, iteration)
    trained = [c for c in candidates if c.stage is Stage.TRAINED and c.tuned_from is None]
    if trials == 0 or not trained:
        return {}
    best = fittest(trained)
    assert best.code is not None and best.result is not None  # trained candidates have both
    found = constants(best.code, ctx.task.constants)
    study = TuningStudy(
        candidate=best.id, untuned_fitness=best.fitness, untuned_mean=best.result.mean_fitness,
        constants={c.name: c.value for c in found},
    )  # fmt: skip
    note = not_tuned_because(found, best.fitness, ctx.task)
    if note:
        return {"tuning": {str(iteration): study.model_copy(update={"note": note})}}
    start, where = time.perf_counter(), ctx.folder.tuning_dir(best.id)
    where.mkdir(parents=True, exist_ok=True)
    training = ctx.config.training
    budget = {"epochs": training.epochs, "num_envs": training.num_envs}
    results: dict[int, Result] = {}

    def train(batch: list[tuple[int, str]]) -> list[Result]:
        trial_of = {f"{ctx.folder.id}.{best.id}.t{n}": n for n, _ in batch}
        jobs = [
            (_job(ctx, job_id, code, training.seed, **budget, search=True), where / f"t{n}")
            for (job_id, n), (_, code) in zip(trial_of.items(), batch, strict=True)
        ]
        write(Event(best.id, Activity.TUNING, f"trials {', '.join(str(n) for n, _ in batch)} of {trials}"))
        for job, result in ctx.executor.run(jobs):
            results[trial_of[job.job_id]] = result
        return [results[n] for n, _ in batch]

    journal = where / "study.journal"
    done = run_study(best.code, found, best.fitness or 0.0, trials, ctx.executor.workers, journal, training.seed, train)
    study = study.model_copy(update={"trials": done})
    update: RunState = {"seconds": {"tune": time.perf_counter() - start}}
    winner = study.best
    if winner is not None:
        cid = f"it{iteration}-c{len(candidates)}"
        code = with_values(best.code, found, winner.values)
        ctx.folder.write_code(cid, 0, code)
        reply = f"tuned from {best.id}: " + ", ".join(f"{k} = {literal(v)}" for k, v in winner.values.items())
        tuned = Candidate(
            id=cid, iteration=iteration, index=len(candidates), attempts=[Attempt(reply=reply, code=code)],
            stage=Stage.PROPOSED, tuned_from=best.id,
        ).trained(results[winner.number])  # fmt: skip
        update["candidates"] = {cid: tuned}
        write(Event(cid, Stage.TRAINED, reply, fitness=tuned.fitness))
        study = study.model_copy(update={"tuned": cid})
    return {**update, "tuning": {str(iteration): study}}


def reflect(state: RunState, runtime: Runtime[Context]) -> RunState:
    """Pick the iteration's best candidate by max fitness, write its reward reflection with every feedback
    source's text, and move to the next iteration; an iteration where everything failed is retried once."""
    ctx, iteration = runtime.context, state["iteration"]
    candidates = candidates_of(state, iteration)
    trained = [c for c in candidates if c.stage is Stage.TRAINED]
    if not trained:
        if iteration > 0 and not state.get("retried"):
            return {"retried": True}
        write_iteration(ctx.folder, iteration, candidates, best=None, reflection=None, shown=shown_in_force(state))
        return {"iteration": iteration + 1, "retried": False}
    best = fittest(trained)
    overall = best_candidate(state)
    best_id = best.id if overall is None or rank(best) > rank(overall) else overall.id
    assert best.result is not None  # trained candidates have results
    metrics = ctx.plugins.metrics(ctx.task, best.result)
    study = state.get("tuning", {}).get(str(iteration))
    notes = [*rules_note(candidates), *([study.text()] if study else [])]
    text = "\n\n".join([*ctx.plugins.feedback(ctx.task, best, metrics, ctx.config), *notes])
    shown = _shown(ctx, best, state["candidates"][best_id])
    write_iteration(ctx.folder, iteration, candidates, best=best, reflection=text, shown=shown)
    detail = f"best {best.id} of {len(trained)} trained"
    if shown != best.id and iteration < state["last_iteration"]:
        detail += f"; it learned nothing, so the next prompt shows {shown or 'the task alone'}"
    get_stream_writer()(Event(f"it{iteration}", Activity.REFLECTED, detail, fitness=best.fitness))
    return {
        "iteration": iteration + 1,
        "retried": False,
        "best_id": best_id,
        "reflections": {str(iteration): text},
        "metrics": {str(iteration): metrics},
        "shown": {str(iteration): shown},
    }


def _shown(ctx: Context, best: Candidate, overall: Candidate) -> str | None:
    """The candidate the next prompt shows with its reflection: the iteration's ``best``, unless it learned nothing
    (and ``search.show_learned_nothing`` is off); then the ``overall`` best if that learned something, else None
    (the task prompt alone). The embedded model copies what it is shown, and a copy of a reward that taught nothing
    teaches nothing. A given initial reward (iteration 0) and one a person gives feedback on are always shown."""
    keep = ctx.config.search.show_learned_nothing or best.iteration == 0 or ctx.config.feedback
    if keep or not ctx.task.learned_nothing(best.fitness):
        return best.id
    return None if ctx.task.learned_nothing(overall.fitness) else overall.id


def rules_note(candidates: list[Candidate]) -> list[str]:
    """A line for the reflection naming the repair rules that fixed this iteration's rewards, with a few of the lines
    they changed, before and after, so the model can avoid those mistakes (none when no rule fired)."""
    fired = Counter(rule for c in candidates for a in c.attempts for rule in a.rules)
    if not fired:
        return []
    pairs = [
        pair
        for c in candidates
        for before, after in itertools.pairwise(c.attempts)
        if after.rules and before.code and after.code
        for pair in changed_lines(before.code, after.code)
    ]
    examples = "".join(f"\n  wrong: {old}\n  right: {new}" for old, new in list(dict.fromkeys(pairs))[:RULE_EXAMPLES])
    listed = ", ".join(f"{name} ({count}x)" for name, count in fired.most_common())
    return [
        f"Automatic fixes were needed for some rewards of this iteration ({listed}); write the fixed form directly"
        + (f", for example:{examples}" if examples else ".")
    ]


def finalize(state: RunState, runtime: Runtime[Context]) -> RunState:
    """Re-train the best reward, the human reward and the sparse reward with the same S held-out seeds on the
    task's budget; compute the human-normalised and learning-speed scores (the summary and report are written by
    ``run_search`` once the graph has returned)."""
    ctx, write, start = runtime.context, get_stream_writer(), time.perf_counter()
    training = ctx.config.training
    seeds = training.held_out_seeds
    sources: dict[FinalLabel, str] = {"human": ctx.task.human_reward_source, "sparse": ctx.task.sparse_reward_source}
    best = best_candidate(state)
    if best is not None and best.code is not None:
        sources = {"eureka": best.code, **sources}
        ctx.folder.best_reward.write_text(best.code)
    jobs, where = [], {}
    for label, code in sources.items():
        for seed in seeds:
            job = _job(ctx, f"{ctx.folder.id}.final.{label}.s{seed}", code, seed, training.final_epochs, None)
            jobs.append((job, ctx.folder.final_dir(label, seed)))
            where[job.job_id] = (label, seed)

    def on_progress(job_id: str, lines: list[Progress]) -> None:
        label, seed = where[job_id]
        write(Event(f"{label}-s{seed}", Activity.TRAINING, epoch=lines[-1].epoch, fitness=lines[-1].fitness))

    found: dict[tuple[str, int], tuple[float | None, float | None, str | None]] = {}
    for job, result in ctx.executor.run(jobs, on_progress):
        label, seed = where[job.job_id]
        mean = result.mean_fitness if result.ok else None
        found[label, seed] = (result.max_fitness, mean, None if result.ok else f"seed {seed}: {result.error}")
        write(Event(f"{label}-s{seed}", Activity.FINAL, result.error or "", fitness=result.max_fitness))
    finals = {
        label: FinalScore(
            label=label,
            seeds=seeds,
            max_fitness=[found[label, s][0] for s in seeds],
            curve_mean=[found[label, s][1] for s in seeds],
            errors=[e for s in seeds if (e := found[label, s][2])],
        )
        for label in sources
    }
    update: RunState = {
        "finals": finals,
        "score": human_normalised(finals, ctx.task),
        "speed_score": learning_speed(finals, ctx.task),
        "seconds": {"final": time.perf_counter() - start},
    }
    return update


# ----- routers


def route_start(state: RunState) -> Literal["check", "propose"]:
    """A given initial reward is checked first; otherwise the model writes the first candidates."""
    return "check" if state["iteration"] == 0 else "propose"


def route_check(state: RunState) -> Literal["repair", "evaluate", "tune"]:
    """Broken candidates go to repair first; then the valid ones train; with none left, the best is tuned."""
    stages = {c.stage for c in candidates_of(state, state["iteration"])}
    if Stage.BROKEN in stages:
        return "repair"
    return "evaluate" if Stage.VALID in stages else "tune"


def route_evaluate(state: RunState) -> Literal["repair", "tune"]:
    """A candidate whose job failed goes to repair while it has rounds left."""
    stages = {c.stage for c in candidates_of(state, state["iteration"])}
    return "repair" if Stage.BROKEN in stages else "tune"


def route_reflect(state: RunState) -> Literal["propose", "finalize"]:
    """Another iteration (or the retry of a failed one) until N are done, then finalize."""
    return "propose" if state["iteration"] <= state["last_iteration"] else "finalize"
