"""The options every strategy shares, through the strategy seam: images, grid descriptions, diff feedback, the
oscillation limit and the generalisation check."""

from __future__ import annotations

from arcbench.prompts.grids import grid_to_text
from arcbench.prompts.images import grid_png, image_part, pair_png
from arcbench.solve import STRATEGIES, choose_attempts
from arcbench.solve.options import SolveOptions
from arcbench.testing import ScriptedModel
from tests.solve.helpers import FLIPLR, IDENTITY, ROT180, answer, solve, train_only


def images_in(content) -> list[str]:
    return [p["image_url"]["url"] for p in content if isinstance(p, dict) and p.get("type") == "image_url"]


def texts_in(content) -> str:
    return "".join(p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text")


def test_images_put_every_grid_of_the_task_in_the_prompt_as_a_png_beside_its_text(lt, sandbox):
    model = ScriptedModel([{"content": answer(ROT180)}])
    solve(lt, STRATEGIES["feedback"], model, sandbox, options=SolveOptions(images=True))
    content = model.requests[0][1]["content"]
    grids = [g for ex in lt.task.train for g in (ex.input, ex.output)] + lt.task.test_inputs
    assert images_in(content) == [image_part(grid_png(g))["image_url"]["url"] for g in grids]
    assert all(grid_to_text(g) in texts_in(content) for g in grids) and "shown as an image" in texts_in(content)


def test_images_only_leave_the_digits_out_but_keep_the_shapes(lt, sandbox):
    model = ScriptedModel([{"content": answer(ROT180)}])
    solve(lt, STRATEGIES["feedback"], model, sandbox, options=SolveOptions(images_only=True))
    content = model.requests[0][1]["content"]
    assert len(images_in(content)) == 5 and "Input (3x3):" in texts_in(content)
    assert grid_to_text(lt.task.train[0].input) not in texts_in(content)


def test_image_feedback_shows_the_expected_and_the_produced_grid_side_by_side(lt, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    solver = solve(lt, STRATEGIES["feedback"], model, sandbox, max_turns=2, options=SolveOptions(images=True))
    feedback = model.requests[1][-1]["content"]
    assert images_in(feedback) == [image_part(pair_png(ex.output, ex.input))["image_url"]["url"]
                                   for ex in lt.task.train]
    assert "[image]" in (solver.turns_made[0].feedback or "")  # the task log keeps the text with a mark per image


DESCRIBING = IDENTITY + (
    "\ndef describe_input(grid):\n    return f'{len(set(c for r in grid for c in r))} colours'\n"
    "\ndef describe_output(grid):\n    return 'corner ' + str(grid[0][0])\n")


def test_grid_descriptions_are_run_on_every_training_grid_and_shown_in_the_feedback(lt, sandbox):
    model = ScriptedModel([{"content": answer(DESCRIBING)}])
    solver = solve(lt, STRATEGIES["feedback"], model, sandbox, max_turns=2, options=SolveOptions(describe_grids=True))
    first = solver.turns_made[0]
    assert "describe_input(grid)" in model.requests[0][1]["content"]
    ex = lt.task.train[0]
    d = (first.descriptions or [])[0]
    assert (d.input, d.expected, d.produced) == (f"{len({c for r in ex.input for c in r})} colours",
                                                 f"corner {ex.output[0][0]}", f"corner {ex.input[0][0]}")
    assert f"describe_output(expected output): corner {ex.output[0][0]}" in model.requests[1][-1]["content"]


def test_a_describe_function_that_is_missing_or_fails_says_so(lt, sandbox):
    code = IDENTITY + "\ndef describe_input(grid):\n    return 1 / 0\n"
    model = ScriptedModel([{"content": answer(code)}])
    solver = solve(lt, STRATEGIES["feedback"], model, sandbox, max_turns=1, options=SolveOptions(describe_grids=True))
    d = (solver.turns_made[0].descriptions or [])[0]
    assert d.input is not None and "describe_input failed: exception" in d.input
    assert d.expected == "(describe_output is not defined)"


def test_diff_feedback_shows_a_wrong_output_cell_by_cell(lt, sandbox):
    model = ScriptedModel([{"content": answer(FLIPLR)}])
    solve(lt, STRATEGIES["feedback"], model, sandbox, max_turns=2, options=SolveOptions(feedback="diff"))
    feedback = model.requests[1][-1]["content"]
    assert "wrong cells as expected/produced" in feedback and "Your output (3x3)" not in feedback
    ex = lt.task.train[0]
    got = [row[::-1] for row in ex.input]
    assert f"{ex.output[0][0]}/{got[0][0]}" in feedback


def test_an_oscillating_conversation_restarts_from_a_fresh_sample_after_k_repeats(lt, sandbox):
    # A, B, A (repeat 1), B (repeat 2): with --max-repeats 2 the fifth call starts over from the task alone.
    model = ScriptedModel([{"turn": t, "content": answer(IDENTITY if t % 2 else FLIPLR)} for t in (1, 2, 3, 4)]
                          + [{"content": answer(IDENTITY)}])
    solver = solve(lt, STRATEGIES["feedback"], model, sandbox, max_turns=6, options=SolveOptions(max_repeats=2))
    turns = solver.turns_made
    assert [t.repeat_of for t in turns] == [None, None, 0, 1, None, None]  # a fresh conversation, fresh memory
    assert [(t.sample, t.turn_in_sample, t.phase) for t in turns[3:]] == [(0, 4, "feedback"), (1, 1, "restart"),
                                                                          (1, 2, "feedback")]
    assert len(model.requests[4]) == 2  # the fresh sample sees only the task
    assert solver.stop_reason == "budget"


def test_without_the_limit_a_repeating_conversation_is_only_marked(lt, sandbox):
    model = ScriptedModel([{"content": answer(IDENTITY)}])
    turns = solve(lt, STRATEGIES["feedback"], model, sandbox, max_turns=3).turns_made
    assert [t.repeat_of for t in turns] == [None, 0, 0] and {t.sample for t in turns} == {0}


def test_the_generalisation_check_shows_test_outputs_and_keeps_a_confirmed_program(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "content": answer(train_only(lt))}, {"turn": 2, "content": "CONFIRMED"}])
    solver = solve(lt, STRATEGIES["feedback"], model, sandbox, max_turns=3,
                   options=SolveOptions(generalise_check=True))
    _, check = solver.turns_made
    asked = model.requests[1][-1]["content"]
    assert "nobody has checked these outputs" in asked and "your output (1x1)\n0" in asked
    assert check.phase == "generalise" and check.code is None and "confirmed" in check.code_note
    assert solver.stop_reason == "train_correct"


def test_a_revised_program_and_the_first_both_stay_candidates(lt, sandbox):
    model = ScriptedModel([{"turn": 1, "content": answer(train_only(lt))}, {"turn": 2, "content": answer(ROT180)}])
    solver = solve(lt, STRATEGIES["feedback"], model, sandbox, max_turns=3,
                   options=SolveOptions(generalise_check=True))
    first, check = solver.turns_made
    assert check.code == ROT180 and check.all_train_correct
    (attempts,) = choose_attempts(solver.turns_made, 1)
    assert {str(a.output) for a in attempts} == {str(first.test[0].output), str(check.test[0].output)}


def test_there_is_no_check_without_budget_for_it(lt, sandbox):
    model = ScriptedModel([{"content": answer(train_only(lt))}])
    solver = solve(lt, STRATEGIES["independent"], model, sandbox, max_turns=1,
                   options=SolveOptions(generalise_check=True))
    assert len(solver.turns_made) == 1 and solver.stop_reason == "train_correct"
