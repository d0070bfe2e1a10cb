"""tools: a code interpreter. The model is offered two function tools and works in one conversation:

- `run_python(code)` runs code in a Python session that lasts for the task (`arcbench.solve.session`: it starts
  with `train` and `test_inputs`, never a test output) and returns what it printed, its last value and its error;
- `submit(code)` hands in a program defining `transform(grid)`, which is run and fed back like any turn's program
  (its training results are the tool's result). A reply without tool calls but with a python block counts as a
  submit.

Every model call is a turn (`--max-turns` counts them); `--max-tool-calls` bounds the tool calls of the task. Once it
is spent the model is told so and the next calls offer the tools with `tool_choice: "none"`. One submit runs per
reply (later ones in the same reply are answered without running). Tool results are written to events.jsonl as they
happen and, on resume, read back from it instead of being run again.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from arcbench.llm import Message, Tool
from arcbench.prompts.strategies import tools_nocode_message, tools_spent_message
from arcbench.solve.records import Turn
from arcbench.solve.session import PythonSession
from arcbench.solve.steps import SolveContext, tool_messages

TOOLS: list[Tool] = [
    {"type": "function", "function": {
        "name": "run_python",
        "description": "Run Python code in this puzzle's persistent session (numpy as np; `train` is a list of "
                       "{'input': grid, 'output': grid}, `test_inputs` a list of grids). Returns printed output, the "
                       "value of the last expression, and the error if one was raised.",
        "parameters": {"type": "object", "properties": {"code": {"type": "string", "description": "Python code"}},
                       "required": ["code"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "submit",
        "description": "Hand in your program: Python code defining transform(grid), which takes a grid (list of "
                       "lists of ints) and returns the output grid. It is run on every training input and you are "
                       "told the results.",
        "parameters": {"type": "object", "properties": {"code": {"type": "string",
                                                                 "description": "code defining transform(grid)"}},
                       "required": ["code"], "additionalProperties": False}}},
]


def _code_argument(arguments: str) -> str | None:
    try:
        args = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return None
    code = args.get("code") if isinstance(args, dict) else None
    return code if isinstance(code, str) else None


class Tools:
    name = "tools"
    max_budget = 100
    """One conversation that grows with every step: a hundred steps is already past most models' context."""

    async def solve(self, ctx: SolveContext) -> AsyncIterator[Turn]:
        opts = ctx.options
        session = PythonSession(ctx.executor, ctx.task.train, ctx.task.test_inputs, timeout_s=opts.tool_timeout_s,
                                memory_mb=opts.tool_memory_mb, base=ctx.limits)
        messages: list[Message] = ctx.opening(tools=True)
        used = 0
        step = 1
        while ctx.remaining > 0:
            spent = used >= opts.max_tool_calls
            turn = await ctx.sample(messages, sample=0, turn_in_sample=step, phase="sample" if step == 1 else "tools",
                                    tools=TOOLS, tool_choice="none" if spent else None, run=False)
            if turn.error_kind is not None:
                yield turn
                return
            if turn.tool_calls:
                used = await self._answer_calls(ctx, session, turn, used)
            else:
                await ctx.execute(turn)  # a final message with a python block counts as a submit
            yield turn
            follow: list[Message] = [ctx.reply(turn), *tool_messages(turn)]
            if turn.tool_calls and used >= opts.max_tool_calls and not spent:
                follow.append({"role": "user", "content": tools_spent_message(opts.max_tool_calls)})
            elif not turn.tool_calls:
                if turn.code is not None:
                    follow.append({"role": "user", "content": ctx.feedback(turn)})
                else:
                    text = tools_spent_message(opts.max_tool_calls) if spent else tools_nocode_message()
                    follow.append({"role": "user", "content": text})
            messages = [*messages, *follow]
            step += 1

    async def _answer_calls(self, ctx: SolveContext, session: PythonSession, turn: Turn, used: int) -> int:
        """Answer every call of the turn, in order; the number of tool calls used after them. A run_python call a
        resumed run finds in the journal is not run again: its logged result is used and its code, if it ran,
        joins the session as it did then."""
        limit = ctx.options.max_tool_calls
        submitted = False
        for call in turn.tool_calls:
            started = time.monotonic()
            code = _code_argument(call.arguments)
            if used >= limit:
                call.result = f"not run: the {limit} tool calls of this puzzle are spent"
            elif call.name not in ("run_python", "submit"):
                used += 1
                call.result = f"there is no tool {call.name!r}: use run_python or submit"
            elif code is None:
                used += 1
                call.result = 'the arguments must be JSON with a string "code": {"code": "..."}'
            elif call.name == "run_python":
                used += 1
                logged = ctx.journal.logged_tool(turn.index, call.id) if ctx.journal is not None else None
                if logged is not None and logged.name == call.name:
                    call.result, call.ok, call.replayed = logged.result, logged.ok, True
                    if call.ok:
                        session.keep(code)
                else:
                    ran = await session.run(code)
                    call.result, call.ok = ran.text, ran.ok
            elif submitted:
                used += 1
                call.result = "not run: one submit runs per reply, and this reply already made one"
            else:
                used += 1
                submitted = True
                await ctx.run_program(turn, code, note="handed in with the submit tool")
                call.result, call.ok = ctx.feedback(turn), True
            call.duration_s = time.monotonic() - started
            if ctx.journal is not None and not call.replayed:
                await ctx.journal.record_tool(turn.index, call.model_copy())
        return used
