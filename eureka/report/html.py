"""The run's report: one static HTML page (opens from disk, no server, no scripts) with its pictures beside it in
``report_files/``."""

from __future__ import annotations

import difflib
import html
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from eureka.agent.run_folder import RunFolder, write_text
from eureka.agent.state import Candidate, RunState, Stage, best_candidate, fittest, ordered_candidates
from eureka.agent.tuning import TuningStudy, literal
from eureka.config import RunConfig
from eureka.envs.task import Task
from eureka.report import plots
from eureka.report.summary import fmt_number, score_text

FILES = "report_files"
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { border: 1px solid #ccc; padding: 0.2rem 0.6rem; }
th { background: #f3f3f3; } pre { background: #f8f8f8; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
.failed { color: #b00; } .trained { color: #070; } img { max-width: 100%; } details { margin: 0.3rem 0; }
"""


def _code(source: str) -> str:
    return highlight(source, PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True))


def _text(text: str | None) -> str:
    return f"<pre>{html.escape(text or '')}</pre>"


def _img(folder: RunFolder, path: Path, alt: str) -> str:
    return f'<img src="{path.relative_to(folder.root).as_posix()}" alt="{html.escape(alt)}">'


def _animation(folder: RunFolder, task: Task, checkpoint: Path | None) -> str:
    """The best policy moving, or why there is no animation (a report never fails the run)."""
    if task.draw is None:
        return "<p>This task has no drawing (its <code>Task.draw</code> is not set).</p>"
    if checkpoint is None or not checkpoint.exists():
        return "<p>No trained policy to animate.</p>"
    from eureka.policies.rollout import rollout

    try:
        gif = plots.rollout_gif(task, rollout(task, checkpoint), folder.root / FILES / "best_policy.gif")
    except Exception as exc:  # drawing or acting failed: say so in the page
        return f"<p class='failed'>No animation: {html.escape(f'{type(exc).__name__}: {exc}')}</p>"
    return (
        _img(folder, gif, "the best policy, one episode")
        + f"<p>Policy: <code>{html.escape(str(checkpoint))}</code>, the one that played its training's epoch of "
        "highest fitness (the policy training ended with is <code>last.pth</code> beside it)</p>"
    )


def _correlation(c: Candidate) -> str:
    value = c.result.human_correlation if c.result is not None else None
    return "" if value is None else f", correlation with the human reward {value:.2f}"


def _candidate_section(c: Candidate) -> str:
    status = "trained" if c.stage is Stage.TRAINED else "failed"
    parts = [
        f"<details><summary><b>{c.id}</b>: <span class='{status}'>{c.stage}</span>, max fitness "
        f"{fmt_number(c.fitness)}{_correlation(c)}, {c.repairs} repair(s)</summary>"
    ]
    for round_, attempt in enumerate(c.attempts):
        if attempt.rules:
            before = c.attempts[round_ - 1].code or ""
            diff = difflib.unified_diff(before.splitlines(), (attempt.code or "").splitlines(), lineterm="", n=1)
            parts.append(f"<h4>version {round_} (repair rules: {html.escape(', '.join(attempt.rules))})</h4>")
            parts.append(_text("\n".join(list(diff)[2:])))
            continue
        parts.append(f"<h4>version {round_}{' (repair)' if round_ else ''}</h4>")
        parts.append(_code(attempt.code) if attempt.code else "<p>(no code in the reply)</p>" + _text(attempt.reply))
        if attempt.error:
            parts.append(f"<p class='failed'>{html.escape(str(attempt.status or 'check'))}:</p>{_text(attempt.error)}")
    parts.append("</details>")
    return "\n".join(parts)


def _tuning_section(study: TuningStudy) -> str:
    """One iteration's tuning study: the values of every trial and the fitness each trained to."""
    if study.note or not study.trials:
        return f"<h4>Tuning</h4><p>{html.escape(study.text())}</p>"
    names = list(study.constants)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    untuned = "".join(f"<td>{literal(v)}</td>" for v in study.constants.values())
    fitness = f"<td>{fmt_number(study.untuned_fitness)}</td><td>{fmt_number(study.untuned_mean)}</td>"
    rows = [f"<tr><td>as written</td>{untuned}{fitness}</tr>"]
    for t in study.trials:
        cells = "".join(f"<td>{literal(t.values[n])}</td>" for n in names)
        outcome = (
            f"<td>{fmt_number(t.max_fitness)}</td><td>{fmt_number(t.mean_fitness)}</td>"
            if t.error is None
            else f"<td colspan='2'><span class='failed'>{html.escape(t.error)}</span></td>"
        )
        rows.append(f"<tr><td>trial {t.number}</td>{cells}{outcome}</tr>")
    return (
        f"<h4>Tuning</h4><p>{html.escape(study.text())} Optuna TPE; each trial one training with the candidate's "
        "budget and seed; the best is chosen by max fitness, then mean fitness.</p>"
        f"<table><tr><th></th>{head}<th>max fitness</th><th>mean fitness</th></tr>{''.join(rows)}</table>"
    )


def write_report(folder: RunFolder, task: Task, config: RunConfig, state: RunState) -> Path:
    """Write ``report.html`` and its pictures; return the page's path."""
    files = folder.root / FILES
    candidates = ordered_candidates(state)
    finals = state.get("finals", {})
    best = best_candidate(state)
    body = [
        f"<h1>Eureka run {html.escape(folder.id)}</h1>",
        f"<p>Task <b>{task.name}</b>: {html.escape(task.goal)} Fitness: {task.fitness_kind.replace('_', ' ')}, "
        f"solved at {task.success_threshold:g}. Search: {config.search.iterations} iterations × "
        f"{config.search.samples} samples, model {html.escape(config.llm.provider)} "
        f"{html.escape(config.llm.model or '')}.</p>",
        "<h2>Final comparison</h2>",
    ]
    if finals:
        body += [
            "<table><tr><th>reward</th><th>max fitness, mean</th><th>std</th><th>per seed</th>"
            "<th>mean fitness over training</th></tr>",
            *(
                f"<tr><td>{label}</td><td>{f.mean:.4g}</td><td>{f.std:.3g}</td>"
                f"<td>{', '.join(fmt_number(v) for v in f.max_fitness)}</td><td>{f.speed:.4g}</td></tr>"
                for label, f in finals.items()
            ),
            "</table>",
            f"<p>Human-normalised score: <b>{html.escape(score_text(state.get('score'), finals))}</b> "
            "(F<sub>eureka</sub> − F<sub>sparse</sub>) / |F<sub>human</sub> − F<sub>sparse</sub>|, F = max fitness "
            f"over training, mean over the seeds {', '.join(map(str, next(iter(finals.values())).seeds))} (the "
            f"search ranked its candidates on seed {config.training.seed}).</p>",
            f"<p>Learning-speed score: <b>{html.escape(score_text(state.get('speed_score'), finals, speed=True))}"
            "</b>, the same with F = mean fitness over training (the area under the fitness curve): it tells which "
            "reward teaches sooner where human and sparse reach the same maximum.</p>",
            _img(folder, plots.save(plots.final_figure(finals, task), files / "final.png"), "final comparison"),
        ]
    body += ["<h2>Fitness over the search</h2>"]
    if candidates:
        figure = plots.fitness_figure(candidates, task)
        body.append(_img(folder, plots.save(figure, files / "fitness.png"), "fitness per iteration"))
    if best is not None and best.code is not None:
        checkpoint = folder.final_dir("eureka", config.training.held_out_seeds[0]) / "train" / "policy.pth"
        body += [f"<h2>Best reward: {best.id} (max fitness {fmt_number(best.fitness)})</h2>", _code(best.code)]
        body += ["<h3>The best reward's policy</h3>", _animation(folder, task, checkpoint)]
    body.append("<h2>Iterations</h2>")
    reflections = state.get("reflections", {})
    for iteration in sorted({c.iteration for c in candidates}):
        body.append(f"<h3>Iteration {iteration}</h3>")
        members = [c for c in candidates if c.iteration == iteration]
        scored = [c for c in members if c.fitness is not None]
        best_of = fittest(scored) if scored else None
        if best_of is not None and best_of.result is not None and best_of.result.components:
            figure = plots.components_figure(best_of, task)
            body.append(_img(folder, plots.save(figure, files / f"components-{best_of.id}.png"), best_of.id))
        body += [_candidate_section(c) for c in members]
        if str(iteration) in state.get("tuning", {}):
            body.append(_tuning_section(state["tuning"][str(iteration)]))
        if str(iteration) in reflections:
            shown = state.get("shown", {}).get(str(iteration))
            sent = "Reflection sent back to the model"
            if iteration == config.search.iterations:
                sent = "Reflection (the search ended with this iteration)"
            elif best_of is not None and shown != best_of.id:
                sent = f"Reflection not sent back: {best_of.id} learned nothing, so the next prompt showed " + (
                    f"{shown} (an earlier best) with its reflection" if shown else "the task alone"
                )
            body += [
                f"<details><summary>{sent}</summary>",
                _text(reflections[str(iteration)]),
                "</details>",
            ]
    seconds, usage = state.get("seconds", {}), state.get("usage", {})
    body += [
        "<h2>Costs</h2>",
        f"<p>Model: {usage.get('calls', 0):.0f} requests, {usage.get('prompt_tokens', 0):.0f} prompt tokens (of "
        f"which {usage.get('cached_tokens', 0):.0f} from the server's prompt cache), "
        f"{usage.get('completion_tokens', 0):.0f} completion tokens.</p>",
        "<table><tr><th>phase</th><th>seconds</th></tr>",
        *(f"<tr><td>{phase}</td><td>{value:.1f}</td></tr>" for phase, value in sorted(seconds.items())),
        "</table>",
    ]
    page = (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Eureka {html.escape(folder.id)}"
        f"</title><style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    write_text(folder.report, page)
    return folder.report
