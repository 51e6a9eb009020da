"""Reward reflection text from a training result."""

from eureka.agent.reflection import diagnostics, reflection, sample, statistics_text
from eureka.plugins.manager import get_task
from eureka.sandbox.protocol import ComponentSummary, EpisodeReturn, EpochRecord, Result, Status

TASK = get_task("cartpole")


def _result(fitness, components):
    epochs = len(fitness)
    return Result(
        job_id="c",
        status=Status.OK,
        history=[
            EpochRecord(
                epoch=i + 1,
                fitness=fitness[i],
                env_steps=0,
                wall_time=0.0,
                components={
                    name: ComponentSummary(mean=v[i], min=v[i] - 1, max=v[i] + 1) for name, v in components.items()
                },
            )
            for i in range(epochs)
        ],
    )


def test_sample_spreads_and_keeps_the_last():
    assert sample(list(range(100)), 10) == [0, 11, 22, 33, 44, 55, 66, 77, 88, 99]
    assert sample([1, 2], 10) == [1, 2]


def test_statistics_lists_fitness_and_every_component():
    result = _result([None, 10.0, 50.0], {"upright": [0.1, 0.5, 0.9], "calm": [-1.0, -0.5, -0.2]})
    text = statistics_text(result, TASK)
    assert text.splitlines()[0] == "fitness: [-, 10, 50], max 50"
    assert "upright: [0.1, 0.5, 0.9], max 1.9, mean 0.5, min -0.9" in text
    assert "calm: [-1, -0.5, -0.2]" in text


def test_diagnostics_find_flat_dominant_and_failed():
    result = _result([0.0, 1.0, 2.0], {"big": [500.0, 400.0, 300.0], "flat": [1.0, 1.0, 1.0], "small": [2, 3, 4]})
    findings = diagnostics(result, TASK)
    assert "the fitness stayed near zero" in findings
    assert "component 'flat' hardly changed during training" in findings
    assert any("'big' is more than 10x larger" in f for f in findings)


def test_reflection_carries_numbers_findings_and_metrics():
    result = _result([100.0, 480.0], {"upright": [0.2, 0.9], "calm": [-0.1, -0.05]})
    text = reflection(result, TASK, metrics={"epochs_to_threshold": 12.0})
    assert "fitness: [100, 480], max 480" in text and "475 counts as solved" in text
    assert "epochs_to_threshold: 12" in text
    assert "stayed near zero" not in text


def test_correlation_with_the_human_reward_reaches_the_model_only_when_asked():
    result = _result([100.0, 480.0], {"upright": [0.2, 0.9]}).model_copy(update={"human_correlation": 0.834})
    assert "correlation" not in reflection(result, TASK)
    assert "correlation with the task author's reward on the same steps: 0.83" in reflection(
        result, TASK, correlation=True
    )


def test_a_reward_that_pays_for_doing_nothing_is_named_with_its_terms_while_the_task_is_unsolved():
    """A bench's pendulum reward of stillness terms, measured: hanging still from the start collects 348 per
    episode, the trained policy 384, and the upright term nothing."""
    stillness = {"pole_angle": 1e-6, "pole_angular_velocity": 148.0, "torque": 200.0, "success": 0.0}
    returns = {
        "policy_return": EpisodeReturn(total=384.0, components={**stillness, "pole_angular_velocity": 196.0}),
        "idle_return": EpisodeReturn(total=348.0, components=stillness),
    }
    failed = _result([0.0, 0.0], {"torque": [0.2, 0.9]}).model_copy(update=returns)
    text = reflection(failed, TASK)
    assert "mean return of an episode, actions all 0: 348 (pole_angle 1e-06, pole_angular_velocity 148," in text
    assert (
        "a policy whose actions are all 0 collects 348 per episode, about as much as the trained policy (384): doing "
        "nothing is rewarded about as well as what was learned (the terms that pay it most: 'torque', "
        "'pole_angular_velocity')" in text
    )
    solved = _result([100.0, 480.0], {"torque": [0.2, 0.9]}).model_copy(update=returns)
    assert "all 0" not in " ".join(diagnostics(solved, TASK))  # an alive bonus pays idling too, harmlessly
    learned = {**returns, "idle_return": EpisodeReturn(total=-397.0, components={"upright": -198.6})}
    assert "all 0" not in " ".join(diagnostics(failed.model_copy(update=learned), TASK))
    worse = {"policy_return": EpisodeReturn(total=-1246.0), "idle_return": EpisodeReturn(total=92.7)}
    assert "collects 92.7 per episode, more than the trained policy (-1.25e+03)" in " ".join(
        diagnostics(failed.model_copy(update=worse), TASK)
    )  # a quadrotor of the benches: its policy did worse than nothing
