"""Tuning the numbers of a reward: the model writes its structure, an optimiser sets its constants.

Small models are weak at numeric tuning, and training here is cheap next to a model call (later work splits the
problem the same way: URDP, TMLR 2025; R*, 2025). ``constants`` finds a reward's numbers by its syntax tree: locals
assigned a number (``temperature = 0.5``, the names the prompt asks for), literal scales (``0.1 * x``,
``x / 0.5``), thresholds (``x.abs() < 0.2``), clamp bounds (``d.clamp(0, 0.1)``) and the values ``torch.where``
chooses between (``torch.where(up, 2.0, -0.5)``: small models write bonuses that way, with no name); the task's
own constants count where the reward uses them so (``d / TARGET_RADIUS``). ``with_values`` writes new
values in their place, leaving the rest of the code as it was. The study itself (Optuna's TPE, seeded, stored in
the candidate's folder so that a resumed run continues it) runs in the graph's ``tune`` node; each trial is one
sandboxed training job with the candidate's own budget and seed.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, Field

from eureka.envs.task import NOTHING_LEARNED_SHARE, Task
from eureka.sandbox.protocol import Result, ranking

#: At most this many constants are tuned (the first ones in the code): a handful of trials cannot search more.
MAX_CONSTANTS = 8
#: Each constant is searched on a log scale from its value / SPAN to its value * SPAN, keeping its sign.
SPAN = 10.0
#: A clamp bound smaller than this is a guard against a division by zero or a log of zero (``d.clamp(min=1e-8)``),
#: not a scale: tuning it spends a trial's dimension on a value that changes nothing. (Scales can be as small: the
#: Humanoid's contact cost is ``5e-7 * forces**2``.)
GUARD = 1e-6


@dataclass(frozen=True)
class Constant:
    """One tunable number of a reward.

    Attributes:
        name: the local it is assigned to, or ``"line <n> <kind> <i>"`` for the i-th literal scale, threshold or
            ``torch.where`` value on line n.
        value: its value in the code.
        line: the line of its literal (1-based); ``col`` and ``end_col`` bound the literal's text, sign included.
    """

    name: str
    value: float
    line: int
    col: int
    end_col: int

    @property
    def bounds(self) -> tuple[float, float]:
        """The search range of its magnitude."""
        return abs(self.value) / SPAN, abs(self.value) * SPAN


def _number(node: ast.expr, named: dict[str, float]) -> float | None:
    """The value of a numeric literal or of a name in ``named``, a negative one included; None for anything else
    (booleans too)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand, named)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        return named.get(node.id)
    return None


def _tunable(node: ast.expr, named: dict[str, float]) -> float | None:
    """A number worth tuning: 0 and +-1 are structure (``1.0 - x``, ``-1 * x``), not scales."""
    value = _number(node, named)
    return None if value is None or abs(value) in (0.0, 1.0) or node.lineno != node.end_lineno else value


def _bounds(node: ast.Call) -> list[ast.expr]:
    """The bounds of a clamp: ``x.clamp(lo, hi)``, ``torch.clamp(x, lo, hi)``, ``min=``/``max=`` keywords. A bound
    is a scale in disguise: ``distance.clamp(0, 0.1)`` gives the policy no signal beyond 10 cm."""
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in ("clamp", "clip"):
        return []
    function_form = isinstance(func.value, ast.Name) and func.value.id == "torch"
    return [*node.args[1 if function_form else 0 :], *(k.value for k in node.keywords if k.arg in ("min", "max"))]


def constants(code: str, named: dict[str, float] | None = None) -> list[Constant]:
    """The tunable numbers of ``compute_reward`` in ``code``, in the order they appear (at most MAX_CONSTANTS);
    empty when the code does not parse or has none. ``named`` are the task's constants by name (``TARGET_RADIUS``):
    where the reward uses one as a scale, threshold, bound or value, that use is a number the reward chose (the
    task defines it for its own purpose), so it is tuned like a literal, and a new value is written in its place."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, RecursionError):  # RecursionError: an expression thousands of operators deep
        return []
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "compute_reward"), None)
    if function is None:
        return []
    found: dict[tuple[int, int], tuple[str, Constant]] = {}  # (line, col) -> (kind of literal or "", constant)
    names: set[str] = set()
    assigned = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    named = {k: v for k, v in (named or {}).items() if k not in assigned}  # a local of that name is the reward's own

    def literal_of(kind: str, side: ast.expr) -> None:
        value = _tunable(side, named)
        if value is not None:
            found.setdefault((side.lineno, side.col_offset), (kind, _at("", value, side)))

    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, _tunable(node.value, named)
            if value is not None and name not in names:
                names.add(name)
                found[node.value.lineno, node.value.col_offset] = ("", _at(name, value, node.value))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
            for side in (node.left, node.right):
                literal_of("scale", side)
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1:  # a threshold: ``x.abs() < 0.2``
            for side in (node.left, node.comparators[0]):
                literal_of("threshold", side)
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "torch.where" and len(node.args) == 3:
            for side in node.args[1:]:  # a bonus or penalty chosen per env: ``torch.where(up, 2.0, -0.5)``
                literal_of("value", side)
        elif isinstance(node, ast.Call):
            for side in _bounds(node):
                if abs(_number(side, named) or 0.0) >= GUARD:
                    literal_of("bound", side)
    ordered, on_line = [], Counter()
    for key in sorted(found):
        kind, c = found[key]
        if kind:  # a literal: named by where it is, so the name survives new values
            on_line[c.line, kind] += 1
            c = replace(c, name=f"line {c.line} {kind} {on_line[c.line, kind]}")
        ordered.append(c)
    return ordered[:MAX_CONSTANTS]


def not_tuned_because(found: list[Constant], fitness: float | None, task: Task) -> str | None:
    """Why a reward with these constants and this max fitness is not worth tuning on ``task``, or None when it is."""
    if not found:
        return "it has no numeric constants"
    ceiling = task.fitness_ceiling
    if ceiling is not None and (fitness or 0.0) >= ceiling:  # a tuned copy could only tie: trials are waste
        return f"it already reaches the most fitness can be ({ceiling:g})"
    # Trials around a reward that learned nothing tie at noise and show the sampler nothing: a bench's pendulum spent
    # 192 s on 12 trials at 0, a reacher run 3 studies that moved 0.3-0.7% to 0.4-0.5%.
    if fitness is None:
        return "no episode of it ended in its budget, so it has no fitness: trials of its numbers would show nothing"
    if task.learned_nothing(fitness):
        return (
            f"it learned nothing (max fitness {fitness:.3g}, at most {NOTHING_LEARNED_SHARE:.0%} of the success "
            f"threshold): trials of its numbers would tie at noise and show the sampler nothing"
        )
    return None


def _at(name: str, value: float, node: ast.expr) -> Constant:
    return Constant(name, value, node.lineno, node.col_offset, node.end_col_offset or node.col_offset)


def literal(value: float) -> str:
    """``value`` as a readable Python float literal, 3 significant digits."""
    text = f"{value:.3g}"
    return text if any(ch in text for ch in ".en") else f"{text}.0"


def with_values(code: str, found: list[Constant], values: dict[str, float]) -> str:
    """``code`` with each constant named in ``values`` replaced by its new value; everything else unchanged.
    Offsets are the AST's, in UTF-8 bytes, so lines are edited as bytes."""
    lines = code.splitlines(keepends=True)
    for c in sorted(found, key=lambda c: (c.line, c.col), reverse=True):
        if c.name in values:
            raw = lines[c.line - 1].encode()
            lines[c.line - 1] = (raw[: c.col] + literal(values[c.name]).encode() + raw[c.end_col :]).decode()
    return "".join(lines)


class Trial(BaseModel):
    """One trial of a study: the values it tried and how its training ended."""

    number: int
    values: dict[str, float]
    max_fitness: float | None = Field(None, description="None when its job failed")
    mean_fitness: float | None = Field(None, description="over training; breaks ties of max fitness")
    error: str | None = None


class TuningStudy(BaseModel):
    """The tuning of one iteration's best reward, for the reflection and the report."""

    candidate: str = Field(description="the id of the reward whose numbers were tuned")
    untuned_fitness: float | None
    untuned_mean: float | None = Field(None, description="its mean fitness over training")
    constants: dict[str, float] = Field(default_factory=dict, description="name -> value in the untuned code")
    trials: list[Trial] = Field(default_factory=list)
    tuned: str | None = Field(None, description="the id of the tuned candidate, when a trial trained")
    note: str | None = Field(None, description="why it was not tuned, when it was not")

    @property
    def best(self) -> Trial | None:
        """The best trial that trained, if any: ranked as candidates are (max fitness, then mean fitness), since
        at a success rate's top the trials tie on max fitness and differ in how long their policies held it."""
        trained = [t for t in self.trials if t.max_fitness is not None]
        return max(trained, key=lambda t: ranking(t.max_fitness, t.mean_fitness)) if trained else None

    def text(self) -> str:
        """One paragraph for the reflection: what was tuned, and both fitnesses."""
        if self.note:
            return f"The numbers of {self.candidate} were not tuned: {self.note}."
        best = self.best
        if best is None:
            return f"Tuning the numbers of {self.candidate} failed: none of its {len(self.trials)} trials trained."
        changed = ", ".join(
            f"{name}: {literal(old)} -> {literal(best.values[name])}" for name, old in self.constants.items()
        )
        untuned = "-" if self.untuned_fitness is None else f"{self.untuned_fitness:.4g}"
        return (
            f"The numbers of {self.candidate} were tuned by {len(self.trials)} short trainings (the structure kept): "
            f"max fitness {untuned} as written, {best.max_fitness:.4g} with {changed}."
        )


#: Runs trials' codes as sandbox jobs, several at once: ``[(trial number, code)]`` -> their results, in order.
TrialRunner = Callable[[list[tuple[int, str]]], list[Result]]


def run_study(
    code: str, found: list[Constant], untuned: float, trials: int, at_once: int, storage: Path, seed: int,
    train: TrialRunner,
) -> list[Trial]:  # fmt: skip
    """Tune ``found`` in ``code`` with ``trials`` trainings, ``at_once`` at a time; every trial, in order.

    The study starts from the untuned values and their fitness (a known point for TPE); it lives in ``storage``
    (an Optuna journal file), so a resumed run keeps its finished trials (their results are read back from their
    job folders) and re-runs the ones a crash interrupted. A trial whose job fails counts as failed, and the study
    goes on.
    """
    import optuna
    from optuna.distributions import FloatDistribution
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = {c.name: FloatDistribution(*c.bounds, log=True) for c in found}
    study = optuna.create_study(
        study_name="tuning",
        storage=JournalStorage(JournalFileBackend(str(storage))),
        sampler=optuna.samplers.TPESampler(seed=seed),
        direction="maximize",
        load_if_exists=True,
    )
    if not study.trials:
        untuned_params = {c.name: abs(c.value) for c in found}
        study.add_trial(optuna.trial.create_trial(params=untuned_params, distributions=space, value=untuned))

    def signed(params: dict[str, float]) -> dict[str, float]:
        return {c.name: params[c.name] if c.value > 0 else -params[c.name] for c in found}

    done: dict[int, Trial] = {}

    def record(batch: list[tuple[int, dict[str, float], bool]]) -> None:
        """Train ``(number, values, open)`` trials; tell the study about the open ones."""
        results = train([(number, with_values(code, found, values)) for number, values, _ in batch])
        for (number, values, still_open), result in zip(batch, results, strict=True):
            fitness, mean = (result.max_fitness, result.mean_fitness) if result.ok else (None, None)
            done[number] = Trial(
                number=number, values=values, max_fitness=fitness, mean_fitness=mean, error=result.error
            )
            if still_open:
                if fitness is None:
                    study.tell(number, state=TrialState.FAIL)
                else:
                    study.tell(number, fitness)

    earlier = [t for t in study.trials if t.number > 0]  # trial 0 is the untuned reward, trained already
    if earlier:  # a resumed study: finished trials are read back, interrupted ones run again
        record([(t.number, signed(t.params), t.state is TrialState.RUNNING) for t in earlier])
    while len(done) < trials:
        asked = [study.ask(space) for _ in range(min(at_once, trials - len(done)))]
        record([(t.number, signed(t.params), True) for t in asked])
    return [done[number] for number in sorted(done)]
