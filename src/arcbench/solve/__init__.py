"""Solving one task: strategies made of shared steps, code extraction, and the choice of attempts.

    solver = Solver(task, STRATEGIES["feedback"], model, sandbox, SolveSettings(max_turns=3))
    async for turn in solver.turns():
        ...
    attempts = choose_attempts(solver.turns_made, len(task.test_inputs))
"""

from arcbench.solve.extract import ExtractedCode, extract_code
from arcbench.solve.hardcode import hardcoding
from arcbench.solve.normalise import normalise_source, program_key
from arcbench.solve.options import SolveOptions
from arcbench.solve.records import AttemptSource, ExampleDescription, ExampleResult, TestRun, ToolCallRecord, Turn
from arcbench.solve.select import VoteBy, choose_attempts
from arcbench.solve.solver import Solver, SolveSettings, StopRule, TestOracle
from arcbench.solve.steps import BudgetExceeded, Executor, SolveContext, ToolJournal, conversation, most_promising
from arcbench.solve.strategies import STRATEGIES
from arcbench.solve.strategy import Strategy

__all__ = [
    "STRATEGIES",
    "AttemptSource",
    "BudgetExceeded",
    "ExampleDescription",
    "ExampleResult",
    "Executor",
    "ExtractedCode",
    "SolveContext",
    "SolveOptions",
    "SolveSettings",
    "Solver",
    "StopRule",
    "Strategy",
    "TestOracle",
    "TestRun",
    "ToolCallRecord",
    "ToolJournal",
    "Turn",
    "VoteBy",
    "choose_attempts",
    "conversation",
    "extract_code",
    "hardcoding",
    "most_promising",
    "normalise_source",
    "program_key",
]
