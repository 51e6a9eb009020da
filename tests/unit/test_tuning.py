"""Finding a reward's numbers, writing new ones in their place, and the Optuna study that tunes them (trials are a
synthetic objective here; the graph test trains real ones)."""

import ast
import functools

import pytest

from eureka.agent.tuning import Trial, TuningStudy, constants, literal, not_tuned_because, run_study, with_values
from eureka.envs import builtin_tasks
from eureka.sandbox.protocol import EpochRecord, Result, Status

REWARD = """import torch

def compute_reward(pole_angle, cart_position):
    upright_temperature = 0.5
    bonus = -2
    upright = torch.exp(-pole_angle.abs() / upright_temperature)
    centred = 0.1 * cart_position.abs() * -0.25
    alive = torch.ones_like(pole_angle) * 1.0 + 0 * pole_angle
    shaped = (1.0 - upright) / 4
    return upright + centred + bonus + alive + shaped, {"upright": upright}  # é, a multi-byte comment
"""


def test_named_numbers_and_literal_scales_are_found_in_the_order_they_appear():
    found = constants(REWARD)
    assert [(c.name, c.value) for c in found] == [
        ("upright_temperature", 0.5),
        ("bonus", -2.0),
        ("line 7 scale 1", 0.1),
        ("line 7 scale 2", -0.25),
        ("line 9 scale 1", 4.0),
    ]  # 1.0 and 0 are structure, not scales; the division by a name is the name's


def test_new_values_replace_only_the_numbers_and_keep_the_code_readable():
    found = constants(REWARD)
    values = {"upright_temperature": 0.123456, "bonus": -3.0, "line 7 scale 2": -0.05, "line 9 scale 1": 12.0}
    tuned = with_values(REWARD, found, values)
    assert "upright_temperature = 0.123\n" in tuned and "bonus = -3.0\n" in tuned
    assert "0.1 * cart_position.abs() * -0.05" in tuned and "(1.0 - upright) / 12.0" in tuned
    assert tuned.count("\n") == REWARD.count("\n") and "# é, a multi-byte comment" in tuned
    ast.parse(tuned)
    assert [c.name for c in constants(tuned)] == [c.name for c in constants(REWARD)]


def test_thresholds_and_the_values_torch_where_chooses_are_numbers_too():
    """What the demo's best rewards held: no named number, no scale, but a threshold and a bonus per env."""
    code = (
        "def compute_reward(pole_angle, success):\n"
        "    up = torch.where(pole_angle.abs() < 0.2, 2.0, torch.where(success > 0.5, 0.5, -3.0))\n"
        "    return up, {'up': up}\n"
    )
    found = constants(code)
    assert [(c.name, c.value) for c in found] == [
        ("line 2 threshold 1", 0.2),
        ("line 2 value 1", 2.0),
        ("line 2 threshold 2", 0.5),
        ("line 2 value 2", 0.5),
        ("line 2 value 3", -3.0),
    ]
    tuned = with_values(code, found, {"line 2 value 1": 4.0, "line 2 threshold 1": 0.1})
    assert "torch.where(pole_angle.abs() < 0.1, 4.0, torch.where(success > 0.5, 0.5, -3.0))" in tuned


def test_clamp_bounds_and_the_task_constants_a_reward_uses_as_numbers_are_tuned():
    """A bench's reacher: the model's best had no literal to tune, and its clamp to TARGET_RADIUS gave the policy no
    signal beyond 10 cm; the bound and the two divisors are the reward's numbers."""
    code = (
        "def compute_reward(fingertip, fingertip_velocity, target):\n"
        "    target_distance = (fingertip - target).norm(dim=1).clamp(0, TARGET_RADIUS)\n"
        "    reward = 1 - fingertip_velocity.norm(dim=1) / STOP_SPEED - target_distance / TARGET_RADIUS\n"
        "    near = torch.clamp(target_distance, min=-MARGIN) < DAMPING\n"
        "    return reward + near, {'total': reward}\n"
    )
    named = {"TARGET_RADIUS": 0.1, "STOP_SPEED": 0.2, "DAMPING": 1.0, "MARGIN": 0.05, "UNUSED": 3.0}
    found = constants(code, named)
    assert [(c.name, c.value) for c in found] == [
        ("line 2 bound 1", 0.1),
        ("line 3 scale 1", 0.2),
        ("line 3 scale 2", 0.1),
        ("line 4 bound 1", -0.05),
    ]  # DAMPING is 1.0: structure, as a literal 1 would be
    assert constants(code) == []  # without the task's constants, names are not numbers
    tuned = with_values(code, found, {"line 2 bound 1": 0.8, "line 4 bound 1": -0.5})
    assert ".clamp(0, 0.8)" in tuned and "/ STOP_SPEED - target_distance / TARGET_RADIUS" in tuned
    assert "torch.clamp(target_distance, min=-0.5)" in tuned
    assert [c.name for c in constants(tuned, named)] == [c.name for c in found]
    local = "def compute_reward(x):\n    TARGET_RADIUS = 2\n    return x / TARGET_RADIUS, {'x': x}\n"
    assert [c.name for c in constants(local, named)] == ["TARGET_RADIUS"]  # the reward's own local, not the task's


def test_clamp_guards_against_zero_are_not_numbers_to_tune_but_small_scales_are():
    """A bench's mountain car: its study spent a dimension on a clamp's 1e-10, a guard that changes nothing. A
    scale as small is a number all the same: gymnasium's Humanoid weighs its contact forces by 5e-7."""
    code = (
        "def compute_reward(position, velocity, contact_forces):\n"
        "    progress = position / velocity.abs().clamp(min=1e-10)\n"
        "    return 0.5 * progress - 5e-7 * contact_forces, {'progress': progress}\n"
    )
    assert [(c.name, c.value) for c in constants(code)] == [("line 3 scale 1", 0.5), ("line 3 scale 2", 5e-7)]


@pytest.mark.parametrize("code", ["def compute_reward(x):\n    return x, {'x': x}\n", "def broken(:\n", "x = 3.0\n"])
def test_code_without_numbers_or_that_does_not_parse_has_none(code):
    assert constants(code) == []


@pytest.mark.parametrize("value, text", [(0.123456, "0.123"), (3.0, "3.0"), (1500.0, "1.5e+03"), (-2e-5, "-2e-05")])
def test_literals_are_floats_with_three_significant_digits(value, text):
    assert literal(value) == text and float(text) == pytest.approx(value, rel=1e-2)


def _trained(number: int, fitness: float) -> Result:
    """A trial's job that trained one epoch to ``fitness``."""
    history = [EpochRecord(epoch=1, fitness=fitness, env_steps=0, wall_time=0.0)]
    return Result(job_id=str(number), status=Status.OK, history=history)


def _objective(code: str) -> float:
    """A stand-in for training: fitness peaks where the temperature is 0.1 (the code holds 0.5)."""
    temperature = next(c.value for c in constants(code) if c.name == "upright_temperature")
    return 100.0 - 1000.0 * (temperature - 0.1) ** 2


def test_the_study_improves_on_the_untuned_numbers_and_runs_trials_in_batches(tmp_path):
    found, batches = constants(REWARD), []

    def train(batch):
        batches.append([n for n, _ in batch])
        return [_trained(n, _objective(code)) for n, code in batch]

    untuned = _objective(REWARD)
    trials = run_study(REWARD, found, untuned, 12, 3, tmp_path / "study.journal", 0, train)
    assert batches == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]  # trial 0 is the untuned point
    study = TuningStudy(candidate="it1-c0", untuned_fitness=untuned, trials=trials, constants={"t": 0.5})
    assert study.best is not None and study.best.max_fitness > untuned
    for trial in trials:  # every value stays within a decade of the original, with its sign
        assert 0.05 <= trial.values["upright_temperature"] <= 5.0 and -20.0 <= trial.values["bonus"] <= -0.2


def test_failed_trials_count_as_failed_and_a_resumed_study_reruns_only_the_interrupted_ones(tmp_path):
    found, journal, calls = constants(REWARD), tmp_path / "study.journal", []

    def flaky(batch):
        calls.append([n for n, _ in batch])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the run is killed while trials 3 and 4 train
        return [Result(job_id=str(n), status=Status.TIMEOUT, error="timed out") for n, _ in batch]

    with pytest.raises(KeyboardInterrupt):
        run_study(REWARD, found, 50.0, 4, 2, journal, 0, flaky)

    def finishing(batch):  # as the executor does: finished jobs are read back from their folders, free
        calls.append([n for n, _ in batch])
        return [
            Result(job_id=str(n), status=Status.TIMEOUT, error="timed out") if n <= 2 else _trained(n, 60.0)
            for n, _ in batch
        ]

    trials = run_study(REWARD, found, 50.0, 4, 2, journal, 0, finishing)
    assert calls[2] == [1, 2, 3, 4] and len(calls) == 3  # nothing asked beyond the four trials
    assert [(t.max_fitness, t.error) for t in trials] == [(None, "timed out")] * 2 + [(60.0, None)] * 2


def test_the_reflection_names_both_fitnesses_and_every_new_value():
    study = TuningStudy(
        candidate="it1-c2",
        untuned_fitness=120.0,
        constants={"upright_temperature": 0.5},
        trials=[],
    )
    assert "failed" in study.text()
    study.trials.append(Trial(number=1, values={"upright_temperature": 0.21}, max_fitness=180.0))
    text = study.text()
    assert "120 as written, 180 with upright_temperature: 0.5 -> 0.21" in text
    assert (
        "not tuned: it has no numeric constants"
        in TuningStudy(candidate="x", untuned_fitness=1.0, note="it has no numeric constants").text()
    )


def test_the_best_trial_is_by_max_fitness_then_by_how_long_its_policy_held_it():
    trial = functools.partial(Trial, values={"upright_temperature": 0.5})
    study = TuningStudy(candidate="it1-c0", untuned_fitness=1.0, constants={"upright_temperature": 0.2})
    study.trials = [
        trial(number=1, max_fitness=1.0, mean_fitness=0.2),  # touched success once, then collapsed
        trial(number=2, max_fitness=1.0, mean_fitness=0.7),  # held it
        trial(number=3, max_fitness=None, error="timed out"),
        trial(number=4, max_fitness=0.9, mean_fitness=0.85),
    ]
    assert study.best is not None and study.best.number == 2


def test_a_reward_that_learned_nothing_at_the_ceiling_or_without_numbers_is_not_tuned():
    tasks, found = builtin_tasks(), constants(REWARD)
    reacher, cartpole = tasks["reacher"], tasks["cartpole"]
    # a bench's reacher best: 0.7% of episodes on the target, what an untrained arm gets; 5% of 0.8 is the line
    assert "it learned nothing (max fitness 0.0068, at most 5% of" in not_tuned_because(found, 0.0068, reacher)
    assert not_tuned_because(found, 0.041, reacher) is None
    assert "no episode of it ended" in not_tuned_because(found, None, reacher)
    assert not_tuned_because(found, 500.0, cartpole) == "it already reaches the most fitness can be (500)"
    assert not_tuned_because([], 0.5, reacher) == "it has no numeric constants"
