"""The reward-search graph driven by scripted model replies, with the real sandbox and real PPO (tiny budgets).

Each test scripts what the model says and checks which branch the graph took: repairs, retries, reflection,
initial reward, feedback, and what lands in the run folder.
"""

from __future__ import annotations

import json
import re

import pytest
from scripted import CRASHES, FALLS, GOOD, MATH_ON_A_BATCH, NAN, NO_CODE, SYNTAX_ERROR, WRONG_SIGNATURE, scripted_run
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from eureka.agent.state import Stage, candidates_of
from eureka.envs.task import Task
from eureka.plugins.manager import get_task
from eureka.sandbox.protocol import Status

EXAMPLE = "An example for another task"  # the system prompt's example reward (prompts/example.txt)


def test_good_candidate_and_a_syntax_error_repaired(tmp_path):
    state, model, folder = scripted_run(tmp_path, [GOOD, SYNTAX_ERROR, GOOD])
    first, second = state["candidates"]["it1-c0"], state["candidates"]["it1-c1"]
    assert first.stage is Stage.TRAINED and first.fitness is not None and first.fitness > 0
    # measured on the same steps in the sandbox (GOOD shares the human reward's upright term), never in final runs
    assert 0.0 < first.result.human_correlation <= 1.0
    finals = [json.loads(p.read_text()) for p in (folder.root / "final").glob("*/result.json")]
    assert finals and all(r["human_correlation"] is None for r in finals)
    assert second.stage is Stage.TRAINED and second.repairs == 1
    assert "SyntaxError" in second.attempts[0].error
    repair_prompt = model.prompts[2][-1].content
    assert "SyntaxError" in repair_prompt and "return pole_angle +" in model.prompts[2][-2].content
    assert all(EXAMPLE in prompt[0].content for prompt in model.prompts), "samples and repair see the example"
    # run folder: replies, code, job folders, iteration record, summary, report
    assert (folder.candidate_dir("it1-c1") / "reply-r1.md").read_text() == GOOD
    assert (folder.job_dir("it1-c1", 1) / "result.json").exists()
    summary = json.loads(folder.summary.read_text())
    assert summary["best"]["id"] in ("it1-c0", "it1-c1")
    assert set(summary["final"]) == {"eureka", "human", "sparse"}
    # re-trained on seeds the search never ranked on (it ran on training.seed, 0)
    assert all(f["seeds"] == [1] for f in summary["final"].values())
    assert folder.best_reward.read_text() == state["candidates"][state["best_id"]].code
    assert "Human-normalised score" in folder.report.read_text()
    assert json.loads((folder.root / "iterations" / "it1.json").read_text())["best"] == state["best_id"]
    # run-level TensorBoard scalars at step = iteration, and the run log
    board = EventAccumulator(str(folder.root / "tensorboard"))
    board.Reload()
    best = board.Scalars("search/best_fitness")
    assert [(e.step, e.value) for e in best] == [(1, pytest.approx(state["candidates"][state["best_id"]].fitness))]
    assert {"search/trained", "model/calls", "time/evaluate_s"} <= set(board.Tags()["scalars"])
    assert " it1 reflected fitness " in folder.log.read_text()


def test_wrong_signature_and_missing_code_are_sent_back_and_dropped_when_out_of_rounds(tmp_path):
    # without the example reward, as the paper's prompt: neither the samples nor the repairs see one
    state, model, _ = scripted_run(
        tmp_path, [WRONG_SIGNATURE, NO_CODE, GOOD, NO_CODE], **{"search.example_reward": False}
    )
    assert not any(EXAMPLE in prompt[0].content for prompt in model.prompts)
    fixed, dropped = state["candidates"]["it1-c0"], state["candidates"]["it1-c1"]
    assert "'state' is not a state variable" in fixed.attempts[0].error and "pole_angle" in fixed.attempts[0].error
    assert fixed.stage is Stage.TRAINED
    assert dropped.stage is Stage.DROPPED and dropped.repairs == 1
    assert all("no ```python code block" in a.error for a in dropped.attempts)
    assert len(model.prompts) == 4


def test_runtime_crash_and_nan_reward_are_repaired_after_their_jobs_fail(tmp_path):
    state, model, _ = scripted_run(tmp_path, [CRASHES, NAN, GOOD, GOOD])
    crashed, nan = state["candidates"]["it1-c0"], state["candidates"]["it1-c1"]
    assert crashed.attempts[0].status is Status.RUNTIME_ERROR and "undefined_method" in crashed.attempts[0].error
    assert nan.attempts[0].status is Status.NONFINITE_REWARD
    assert crashed.stage is Stage.TRAINED and nan.stage is Stage.TRAINED
    assert "undefined_method" in model.prompts[2][-1].content


def test_the_repair_rules_fix_a_scalar_function_on_a_batch_without_a_model_call(tmp_path):
    """math.exp and abs on a batch fail the dry run in the sandbox; the rules rewrite them, the rewrite passes its
    own dry run and trains; the model is asked for nothing but the first samples, and hears of the fix."""
    state, model, folder = scripted_run(tmp_path, [MATH_ON_A_BATCH, GOOD], **{"search.repair_rounds": 0})
    fixed = state["candidates"]["it1-c0"]
    assert "only one element tensors can be converted" in fixed.attempts[0].error
    assert fixed.attempts[-1].rules == ["math_on_tensors", "builtins_on_tensors"]
    assert "torch.exp(-torch.abs(pole_angle))" in fixed.code
    assert fixed.stage is Stage.TRAINED and fixed.model_repairs == 0
    assert len(model.prompts) == 2 and model.prompts[0] == model.prompts[1], "the two samples, and no repair"
    rules = json.loads((folder.candidate_dir("it1-c0") / "rules-r1.json").read_text())
    assert rules == fixed.attempts[-1].rules
    assert (folder.dry_run_dir("it1-c0", 1) / "result.json").exists()
    # the model hears which rules fired and sees the lines they fixed, not a pattern it could copy (math.f)
    note = "(math_on_tensors (1x), builtins_on_tensors (1x)); write the fixed form directly, for example:\n"
    note += "  wrong: upright = math.exp(-abs(pole_angle))\n  right: upright = torch.exp(-torch.abs(pole_angle))"
    assert note in state["reflections"]["1"]
    assert "repair rules: math_on_tensors, builtins_on_tensors" in folder.report.read_text()


def test_an_iteration_where_everything_failed_is_retried_once_with_the_errors(tmp_path):
    replies = [NO_CODE, WRONG_SIGNATURE, NO_CODE, WRONG_SIGNATURE, GOOD, GOOD]
    state, model, _ = scripted_run(tmp_path, replies, init_reward="human")
    assert [c.stage for c in candidates_of(state, 1)] == [
        Stage.DROPPED,
        Stage.DROPPED,
        Stage.TRAINED,
        Stage.TRAINED,
    ]
    retry = model.prompts[4]
    assert "Every reward function written for this round failed" in retry[-1].content and "'state'" in retry[-1].content
    # the iteration's own context stays: the best reward so far (here the human one) and its reflection
    assert [m.type for m in retry] == ["system", "human", "ai", "human"]
    assert retry[2].content == model.prompts[0][2].content and "def compute_reward(" in retry[2].content
    assert "fitness: [" in retry[-1].content
    assert state["best_id"] in ("it1-c2", "it1-c3")


def test_all_failed_twice_ends_with_no_best_and_only_human_and_sparse_retrained(tmp_path):
    state, model, folder = scripted_run(tmp_path, [NO_CODE] * 8)
    retry = model.prompts[4]  # from scratch there is no best code to show, only the errors
    assert [m.type for m in retry] == ["system", "human", "human"] and "no ```python code block" in retry[-1].content
    assert state["best_id"] is None and state["score"] is None
    assert set(state["finals"]) == {"human", "sparse"}
    assert "n/a (no candidate trained)" in folder.report.read_text()


def test_second_iteration_gets_the_best_code_and_its_reflection(tmp_path):
    # 6 epochs: GOOD's policy then lasts ~37 steps, past the ~22 of one that learned nothing (below)
    state, model, _ = scripted_run(tmp_path, [GOOD] * 4, **{"search.iterations": 2, "training.epochs": 6})
    assert state["iteration"] == 3
    conversation = model.prompts[2]
    assert [m.type for m in conversation] == ["system", "human", "ai", "human"]
    assert "upright_temperature" in conversation[2].content
    assert "fitness: [" in conversation[3].content and "upright: [" in conversation[3].content


def test_a_best_that_learned_nothing_is_not_shown_the_best_earlier_one_or_the_task_alone_is(tmp_path):
    """The model copies the reward it is shown; a copy of one that taught nothing teaches nothing."""
    settings = {"search.iterations": 4, "search.samples": 1, "training.epochs": 6}
    state, model, folder = scripted_run(tmp_path, [FALLS, GOOD, FALLS, GOOD], **settings)
    fitness = {cid: c.fitness for cid, c in state["candidates"].items()}
    task = get_task("cartpole")
    assert task.learned_nothing(fitness["it1-c0"]) and task.learned_nothing(fitness["it3-c0"]), fitness
    assert not task.learned_nothing(fitness["it2-c0"]), fitness
    assert state["shown"] == {"1": None, "2": "it2-c0", "3": "it2-c0", "4": "it4-c0"}
    # iteration 2 is sampled as the first was; iteration 4 sees iteration 3's prompt again: it2-c0 and its reflection
    assert model.prompts[1] == model.prompts[0] and [m.type for m in model.prompts[0]] == ["system", "human"]
    assert model.prompts[3] == model.prompts[2] and "tilt" not in model.prompts[3][2].content
    assert json.loads((folder.root / "iterations" / "it1.json").read_text())["shown_next"] is None
    assert "it1 reflected fitness" in folder.log.read_text() and "the next prompt shows the task alone" in (
        folder.log.read_text()
    )
    report = folder.report.read_text()
    assert "Reflection not sent back: it1-c0 learned nothing, so the next prompt showed the task alone" in report
    assert "it3-c0 learned nothing, so the next prompt showed it2-c0 (an earlier best)" in report
    assert "Reflection (the search ended with this iteration)" in report  # iteration 4's: no prompt followed

    # the paper's way, on request: the best is shown whatever it learned
    settings = {"search.iterations": 2, "search.samples": 1, "training.epochs": 6, "search.show_learned_nothing": True}
    state, model, _ = scripted_run(tmp_path, [FALLS, FALLS], **settings)
    assert state["shown"] == {"1": "it1-c0", "2": "it2-c0"} and "tilt" in model.prompts[1][2].content


def test_initial_human_reward_and_feedback_from_a_file_and_from_a_person(tmp_path):
    notes = tmp_path / "feedback.txt"
    notes.write_text("The cart drifts to the right.")
    correlation = {"search.show_human_correlation": True}
    state, model, _ = scripted_run(tmp_path, [GOOD, GOOD], init_reward="human", feedback=str(notes), **correlation)
    given = state["candidates"]["it0-c0"]
    assert given.stage is Stage.TRAINED and given.attempts[0].reply == "given: human"
    first_prompt = model.prompts[0]
    assert "def compute_reward(" in first_prompt[2].content  # the human reward, as the code to improve
    assert "Feedback from the user: The cart drifts to the right." in first_prompt[3].content
    assert "correlation with the task author's reward on the same steps: 1.00" in first_prompt[3].content

    state, model, _ = scripted_run(tmp_path, [GOOD, GOOD, GOOD, GOOD], feedback="ask", **{"search.iterations": 2})
    assert "Feedback from the user: Keep the cart centred." in model.prompts[2][-1].content


def test_the_best_rewards_numbers_are_tuned_by_real_trainings_and_the_tuned_reward_competes(tmp_path):
    # 5 epochs: the untuned reward learns something (a policy of ~31 steps), so it is worth tuning
    state, model, folder = scripted_run(tmp_path, [GOOD, GOOD], **{"search.tune_trials": 2, "training.epochs": 5})
    study = state["tuning"]["1"]
    assert study.candidate in ("it1-c0", "it1-c1") and study.constants == {
        "upright_temperature": 0.5,
        "line 6 scale 1": -0.1,
    }
    assert [t.number for t in study.trials] == [1, 2] and all(t.max_fitness is not None for t in study.trials)
    tuned = state["candidates"]["it1-c2"]
    assert tuned.tuned_from == study.candidate and tuned.stage is Stage.TRAINED and study.tuned == "it1-c2"
    assert tuned.fitness == study.best.max_fitness  # it competes by the fitness of its trial
    # the same code with other numbers, kept in the run folder beside the study and every trial's job
    original = state["candidates"][study.candidate].code
    numbers = re.compile(r"-?\d+\.?\d*(e[-+]?\d+)?")
    assert tuned.code != original and numbers.sub("N", tuned.code) == numbers.sub("N", original)
    assert (folder.candidate_dir("it1-c2") / "reward-r0.py").read_text() == tuned.code
    where = folder.tuning_dir(study.candidate)
    assert (where / "study.journal").exists() and (where / "t1" / "result.json").exists()
    reflection = state["reflections"]["1"]
    assert "were tuned by 2 short trainings" in reflection and "upright_temperature: 0.5 ->" in reflection
    assert "Tuning" in folder.report.read_text()
    assert json.loads(folder.summary.read_text())["tuning"]["1"]["trials"][0]["number"] == 1


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--task", "nope", "unknown task"),
        ("--init-reward", "missing.py", "cannot read the reward file"),
        ("--tune-trials", "-1", "tune_trials"),
        ("--tune-trials", "100000", "tune_trials"),
        ("search.sample=8", None, "unknown config key 'search.sample'; did you mean 'search.samples'?"),
        ("search.samples=0", None, "search.samples: Input should be greater than or equal to 1"),
        ("--from-checkpoint", "missing.pth", "is not a file; give a policy.pth"),
    ],
)
def test_bad_run_settings_fail_before_anything_runs(tmp_path, option, value, message):
    from typer.testing import CliRunner

    from eureka.cli import app

    value = str(tmp_path / value) if option in ("--init-reward", "--from-checkpoint") else value
    args = [option] if value is None else [option, value]  # a KEY=VALUE override stands alone
    result = CliRunner().invoke(app, ["run", "--runs-dir", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())  # the console wraps long lines
    assert not any(tmp_path.iterdir())


def test_resume_of_an_unknown_run_names_the_problem(tmp_path):
    from typer.testing import CliRunner

    from eureka.cli import app

    result = CliRunner().invoke(app, ["run", "--runs-dir", str(tmp_path), "--resume", "cartpole-x"])
    assert result.exit_code == 2 and "no run 'cartpole-x'" in result.output


def test_from_checkpoint_fine_tunes_every_candidate_and_the_final_runs(tmp_path):
    state, _, folder = scripted_run(tmp_path, [GOOD, GOOD], **{"training.epochs": 8})
    policy = state["candidates"][state["best_id"]].result.checkpoint
    tuned, _, tuned_folder = scripted_run(tmp_path, [GOOD, GOOD], from_checkpoint=policy, **{"training.epochs": 8})
    jobs = [json.loads(p.read_text()) for p in tuned_folder.root.glob("**/job.json")]
    assert len(jobs) == 5 and all(job["init_checkpoint"] == policy for job in jobs)
    # eight more epochs from the policy trained for eight go further than those first eight
    assert tuned["candidates"]["it1-c0"].fitness > state["candidates"]["it1-c0"].fitness


def test_a_best_reward_at_the_fitness_ceiling_is_not_tuned(tmp_path, monkeypatch):
    """A tuned copy of a reward that already reaches the most fitness can be could only tie: no trial is run."""
    monkeypatch.setattr(Task, "fitness_ceiling", property(lambda task: 1.0))  # the scripted budget reaches more
    state, _, folder = scripted_run(tmp_path, [GOOD, GOOD], **{"search.tune_trials": 2})
    study = state["tuning"]["1"]
    assert study.trials == [] and study.tuned is None
    assert study.note == "it already reaches the most fitness can be (1)"
    assert not folder.tuning_dir(study.candidate).exists()


def test_a_best_reward_that_never_succeeded_is_not_tuned(tmp_path):
    """Around a reward that learned nothing, every trial would most likely tie at noise: the study would learn
    nothing."""
    # Pendulum's swing-up: no policy of 13 epochs (the first to end 200-step episodes) ends one upright and still.
    reply = "```python\ndef compute_reward(pole_angle, torque):\n    upright_temperature = 0.5\n"
    reply += "    upright = torch.exp(-pole_angle.abs() / upright_temperature)\n    effort = -0.01 * torque**2\n"
    reply += "    return upright + effort, {'upright': upright, 'effort': effort}\n```"
    settings = {"search.tune_trials": 2, "training.epochs": 13}
    state, _, folder = scripted_run(tmp_path, [reply, reply], task="pendulum", **settings)
    study = state["tuning"]["1"]
    assert study.untuned_fitness == 0.0 and study.trials == [] and study.tuned is None
    assert study.note.startswith("it learned nothing (max fitness 0, at most 5% of the success threshold)")
    assert not folder.tuning_dir(study.candidate).exists()


def test_the_fitness_ceiling_is_known_only_where_the_task_says():
    assert get_task("cartpole").fitness_ceiling == 500.0  # episode length: a full episode
    assert get_task("reacher").fitness_ceiling is None  # a success fitness: a plugin's may be a distance
