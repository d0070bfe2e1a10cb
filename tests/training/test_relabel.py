"""Which programs qualify and what task each one solves, with programs re-executed in the real sandbox."""

from __future__ import annotations

from arcbench.data.types import Example, Task
from arcbench.sandbox.types import GridResult
from arcbench.training.extract import FoundProgram, read_runs
from arcbench.training.relabel import Qualified, qualify
from tests.run.helpers import ROT180
from tests.training.helpers import ALWAYS_RAISES, SPECIAL, partial, task


def _qualify(runs, sandbox, task_id: str, code: str) -> Qualified | str:
    ex = read_runs(runs)
    (prog,) = [p for p in ex.programs if p.task_id == task_id and p.code == code]
    t = ex.tasks[task_id]
    return qualify(prog, t, sandbox.run_sync(code, [e.input for e in t.train] + t.test_inputs).results)


def test_a_program_returning_an_invalid_grid_on_one_input_is_rejected(runs, sandbox):
    assert _qualify(runs, sandbox, "67a3c6ac", SPECIAL["67a3c6ac"]) == "bad_output"


def test_a_program_that_always_fails_is_rejected(runs, sandbox):
    assert _qualify(runs, sandbox, "3c9b0459", ALWAYS_RAISES) == "no_train_output"


def test_a_test_output_contradicting_the_announced_shape_leaves_no_test_input(runs, sandbox):
    assert _qualify(runs, sandbox, "ed36ccf7", SPECIAL["ed36ccf7"]) == "no_test_output"


def test_an_execution_failure_drops_only_that_example(runs, sandbox):
    q = _qualify(runs, sandbox, "68b16354", SPECIAL["68b16354"])
    assert isinstance(q, Qualified)
    original = task("68b16354")
    assert q.train_indices == [1, 2] and q.task.train == original.train[1:]  # flipping up-down is the rule
    assert q.originally_correct == 2 and q.train_total == 3 and not q.all_correct and q.some_correct


def test_relabelled_outputs_are_the_programs_outputs(runs, sandbox):
    q = _qualify(runs, sandbox, "6150a2bd", partial("6150a2bd"))
    assert isinstance(q, Qualified)
    original = task("6150a2bd")
    assert q.task.train[0] == original.train[0]
    assert q.task.train[1] == Example(input=original.train[1].input, output=original.train[1].input)
    assert q.originally_correct == 1 and q.test_outputs == original.test_inputs


def test_a_program_solving_every_training_example_is_all_correct(runs, sandbox):
    q = _qualify(runs, sandbox, "6150a2bd", ROT180)
    assert isinstance(q, Qualified) and q.all_correct and q.task == task("6150a2bd")


def _task() -> Task:
    return Task(id="t", train=[Example(input=[[1]], output=[[2]]), Example(input=[[3]], output=[[3]])],
                test_inputs=[[[5]]])


def _prog(code: str = "def transform(grid):\n    return grid\n") -> FoundProgram:
    return FoundProgram(task_id="t", code=code, key=code)


def test_an_out_of_range_colour_counts_as_an_invalid_grid_even_if_the_sandbox_passed_it():
    results = [GridResult(output=[[1]]), GridResult(output=[[12]]), GridResult(output=[[5]])]
    assert qualify(_prog(), _task(), results) == "bad_output"


def test_a_timeout_drops_the_example_and_a_failed_test_input_is_left_out():
    t = Task(id="t", train=_task().train, test_inputs=[[[5]], [[6]]])
    results = [GridResult(error="timeout"), GridResult(output=[[3]]), GridResult(error="exception"),
               GridResult(output=[[6]])]
    q = qualify(_prog(), t, results)
    assert isinstance(q, Qualified)
    assert q.task.train == [Example(input=[[3]], output=[[3]])] and q.task.test_inputs == [[[6]]]
    assert q.test_outputs == [[[6]]] and q.originally_correct == 1


def test_a_program_quoting_a_code_fence_cannot_be_an_answer():
    results = [GridResult(output=[[1]]), GridResult(output=[[3]]), GridResult(output=[[5]])]
    assert qualify(_prog("def transform(grid):\n    s = '```'\n    return grid\n"), _task(), results) == "code_fence"
