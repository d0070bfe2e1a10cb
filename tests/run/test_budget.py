"""The budget (--max-cost) and the preflight estimate, through the local server: a budget reached with calls in
flight, a resume with a higher budget that repeats no call, and the dry run that spends and writes nothing."""

from __future__ import annotations

import asyncio

import pytest

from arcbench.cli import main
from arcbench.data import load_tasks
from arcbench.errors import UserError
from arcbench.llm import ClientConfig, Completion
from arcbench.llm.tokens import message_tokens
from arcbench.prompts.render import task_messages
from arcbench.run.budget import Budget, BudgetExhausted, estimate_cost
from arcbench.run.config import RunConfig
from arcbench.run.housekeeping import read_run_info
from arcbench.testing import ScriptedModel
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import events, marker, summary, task_log

TASKS = ["6150a2bd", "67a3c6ac", "68b16354", "74dd1130", "3c9b0459", "9dfd6313"]
WRONG = {"content": "no program yet", "prompt_tokens": 1000, "completion_tokens": 1000, "delay_s": 0.3}
"""Every call: $0.002 at $1 per million tokens in and out, and 0.3 s in flight."""
PRICES = ["--price-in", "1", "--price-out", "1", "--est-output-tokens", "1000"]


def _run(server: ScriptedServer, *args: str) -> int:
    return main(["run", "--base-url", server.base_url, "--model", "scripted", "--quiet", *args])


def test_budget_reached_with_calls_in_flight_then_a_higher_budget_finishes_without_repeating_a_call(tmp_path,
                                                                                                      capsys):
    # Task A answers in 0.05 s, B and C in 1.5 s; every call costs $0.002 and is estimated at its prompt alone
    # (--est-output-tokens 1: $0.0004-0.0005). A's second call fits in $0.0035 beside B's and C's estimates; after
    # it $0.004 is spent, so A's third call is refused while B's and C's first calls are still in flight.
    fast, slow = "6150a2bd", ["74dd1130", "3c9b0459"]
    script = [{**WRONG, "match": marker(fast), "delay_s": 0.05}, {**WRONG, "delay_s": 1.5}]
    run_dir = tmp_path / "run"
    with ScriptedServer(script) as server:
        code = _run(server, "--subset", ",".join([fast, *slow]), "--max-turns", "3", "--max-workers", "3",
                    "--price-in", "1", "--price-out", "1", "--est-output-tokens", "1", "--max-cost", "0.0035",
                    "--run-dir", str(run_dir))
        printed = capsys.readouterr().out
        assert code == 1
        before = events(run_dir)
        assert sorted((e["task_id"], e["turn"]) for e in before) == sorted(
            [(fast, 0), (fast, 1), (slow[0], 0), (slow[1], 0)])
        assert len(server.chat_requests) == 4  # the two calls in flight finished and were logged
        assert "Budget reached: $0.0080 spent of the $0.0035 budget (--max-cost); 2 call(s) in flight then " \
               "finished and are logged." in printed
        assert f"3 task(s) unfinished (budget_exhausted). Finish them with: arcbench run --resume {run_dir} " \
               "--max-cost HIGHER" in printed
        s = summary(run_dir)
        assert s.budget_exhausted == 3 and s.api_failures == 0 and s.total_cost == pytest.approx(0.008)
        assert read_run_info(run_dir).state == "incomplete"

        assert main(["run", "--resume", str(run_dir), "--max-cost", "1", "--quiet"]) == 0
        assert len(server.chat_requests) == 9

    after = events(run_dir)
    keys = [(e["task_id"], e["turn"]) for e in after]
    assert len(keys) == len(set(keys)) == 9  # no call repeated, none missing
    s = summary(run_dir)
    assert s.budget_exhausted == 0 and all(t.status == "done" for t in s.tasks)
    assert s.total_cost == pytest.approx(0.018)
    assert all(len(task_log(run_dir, t).turns) == 3 for t in [fast, *slow])
    assert read_run_info(run_dir).state == "complete"


def test_a_resume_without_a_higher_budget_makes_no_call(tmp_path):
    run_dir = tmp_path / "run"
    with ScriptedServer([WRONG]) as server:
        assert _run(server, "--subset", ",".join(TASKS[:2]), "--max-turns", "3", *PRICES, "--max-cost", "0.005",
                    "--run-dir", str(run_dir)) == 1
        sent = len(server.chat_requests)
        assert main(["run", "--resume", str(run_dir), "--quiet"]) == 1
        assert len(server.chat_requests) == sent
    assert summary(run_dir).budget_exhausted == 2


def test_a_run_the_budget_stopped_makes_no_submission_until_finished(tmp_path, capsys):
    run_dir = tmp_path / "run"
    with ScriptedServer([{**WRONG, "delay_s": 0}]) as server:
        assert _run(server, "--subset", TASKS[0], "--max-turns", "3", *PRICES, "--max-cost", "0.003",
                    "--run-dir", str(run_dir)) == 1
    assert main(["submission", str(run_dir)]) == 2
    assert f"arcbench run --resume {run_dir} --max-cost HIGHER" in capsys.readouterr().err


def test_a_server_reported_cost_is_what_the_budget_counts(tmp_path):
    # genai-prices knows gpt-4.1-nano, so a call can be estimated before it starts (10,000 reply tokens: about
    # $0.004); the server then reports each call's own cost, $0.004, where genai-prices would say $0.0005.
    run_dir = tmp_path / "run"
    with ScriptedServer([{**WRONG, "delay_s": 0, "cost": 0.004}]) as server:
        code = main(["run", "--base-url", server.base_url, "--model", "gpt-4.1-nano", "--price-provider", "openai",
                     "--subset", TASKS[0], "--max-turns", "5", "--est-output-tokens", "10000", "--max-cost", "0.01",
                     "--run-dir", str(run_dir), "--quiet"])
    assert code == 1
    assert [e["cost_usd"] for e in events(run_dir)] == [0.004, 0.004]  # $0.008 spent: a third would pass $0.01
    assert task_log(run_dir, TASKS[0]).status == "budget_exhausted"


def test_a_call_of_unknown_cost_stops_new_calls(tmp_path, capsys):
    run_dir = tmp_path / "run"
    with ScriptedServer([{**WRONG, "delay_s": 0, "include_usage": False}]) as server:
        assert _run(server, "--subset", TASKS[0], "--max-turns", "3", *PRICES, "--max-cost", "1",
                    "--run-dir", str(run_dir)) == 1
    assert len(events(run_dir)) == 1
    assert "a call's cost is unknown" in capsys.readouterr().out


def test_max_cost_without_a_known_price_is_refused_in_one_line(tmp_path, capsys):
    with ScriptedServer() as server:
        code = _run(server, "--subset", TASKS[0], "--max-cost", "1", "--run-dir", str(tmp_path / "run"))
        assert not server.chat_requests
    err = capsys.readouterr().err
    assert code == 2 and "--max-cost needs a price known before the calls" in err and "--price-in" in err
    assert not (tmp_path / "run").exists()


def test_dry_run_prints_the_estimate_and_leaves_nothing_behind(tmp_path, capsys):
    with ScriptedServer() as server:
        code = _run(server, "--subset", ",".join(TASKS), *PRICES, "--max-cost", "0.5", "--dry-run",
                    "--output-dir", str(tmp_path / "runs"))
        assert not server.requests
    printed = capsys.readouterr().out
    assert code == 0
    assert "Cost estimate: 6 task(s), up to 3 call(s) each" in printed
    assert "if every task ends after its first call, up to $" in printed
    assert "Dry run: no model called, nothing written." in printed
    assert not (tmp_path / "runs").exists()


def test_dry_run_needs_no_api_key(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--model", "gpt-4.1-nano", "--subset", TASKS[0], "--dry-run"])
    assert code == 0
    assert "priced by genai-prices for 'gpt-4.1-nano' at openai" in capsys.readouterr().out


def test_dry_run_does_not_go_with_resume(tmp_path, capsys):
    assert main(["run", "--resume", str(tmp_path), "--dry-run"]) == 2
    assert "--dry-run does not go with --resume" in capsys.readouterr().err


def _labelled(task_id: str):
    (lt,) = load_tasks("arc-agi-1", task_id)
    return lt.task


def test_estimate_ranges_from_one_call_per_task_to_every_call_of_a_growing_conversation():
    task = _labelled(TASKS[0])
    prompt = message_tokens(task_messages(task))
    config = RunConfig(max_turns=3, est_output_tokens=500,
                       client=ClientConfig(model="m", price_in=1.0, price_out=2.0))
    e = estimate_cost(config, [task])
    assert e.prompt_tokens == prompt
    assert e.low_usd == pytest.approx((prompt * 1.0 + 500 * 2.0) / 1e6)
    # Each feedback turn resends the earlier reply and the feedback on it, so later calls cost more.
    assert e.high_usd is not None and e.high_usd > 3 * e.low_usd
    independent = estimate_cost(config.model_copy(update={"mode": "independent"}), [task])
    assert independent.high_usd == pytest.approx(3 * e.low_usd)


def test_estimate_of_samples_reads_each_prompt_once_per_call_and_pays_every_answer():
    task = _labelled(TASKS[0])
    prompt = message_tokens(task_messages(task))
    config = RunConfig(mode="independent", max_turns=100, n_per_request=8, parallel_requests=3, est_output_tokens=500,
                       client=ClientConfig(model="m", price_in=1.0, price_out=2.0))
    e = estimate_cost(config, [task])
    assert (e.max_turns, e.answers_per_call, e.first_round) == (13, 8, 3)  # 12 calls of 8 answers, one of 4
    assert e.high_tokens == 13 * prompt + 100 * 500
    assert e.low_tokens == 3 * (prompt + 8 * 500)  # the stop rule sees a whole round
    assert e.high_usd == pytest.approx((13 * prompt * 1.0 + 100 * 500 * 2.0) / 1e6)


def test_estimate_of_an_unpriced_model_is_unknown_not_zero():
    config = RunConfig(client=ClientConfig(model="m", base_url="http://127.0.0.1:9/v1"))
    e = estimate_cost(config, [_labelled(TASKS[0])])
    assert (e.low_usd, e.high_usd) == (None, None)


def _budget(max_cost: float) -> Budget:
    return Budget(max_cost, RunConfig(est_output_tokens=1000, client=ClientConfig(model="m", price_in=1.0,
                                                                                   price_out=1.0)))


def test_no_call_starts_once_spent_and_in_flight_would_pass_the_budget():
    budget = _budget(0.0025)
    messages = [{"role": "user", "content": "x" * 400}]  # about 100 tokens in + 1000 out: $0.0011 a call
    first = budget.admit(messages)
    second = budget.admit(messages)
    with pytest.raises(BudgetExhausted):
        budget.admit(messages)  # spent 0 + two in flight + this one > $0.0025
    budget.settle(first, Completion(model="m", request={}, cost_usd=0.0001))
    budget.settle(second, Completion(model="m", request={}, cost_usd=0.0001))
    with pytest.raises(BudgetExhausted):
        budget.admit(messages)  # once reached, it stays reached
    assert budget.report().in_flight_when_exhausted == 2
    assert budget.spent_usd == pytest.approx(0.0002)


def test_failed_calls_cost_nothing_and_release_their_reservation():
    budget = _budget(1.0)
    reserved = budget.admit([{"role": "user", "content": "x"}])
    budget.settle(reserved, Completion(model="m", request={}, error_kind="api_error"))
    assert (budget.spent_usd, budget.reserved_usd, budget.in_flight) == (0.0, pytest.approx(0.0), 0)


def test_replayed_calls_never_reach_the_budget(tmp_path):
    # The budget sits below the recorder: a resume's replayed calls are free and admitted without it.
    from arcbench.run.eventlog import read_replay
    from arcbench.run.recorder import CallRecorder
    from arcbench.run.store import JsonlWriter

    path = tmp_path / "events.jsonl"
    writer = JsonlWriter(path)
    model = ScriptedModel([{"content": "x", "cost": 0.3}])

    async def write(lines):
        writer.append_all(lines)

    messages = [{"role": "user", "content": "task"}]
    budget = _budget(0.5)
    first = asyncio.run(CallRecorder(budget.wrap(model), write).for_task("t").complete(messages))
    assert first.cost_usd == 0.3 and budget.spent_usd == 0.3
    writer.close()
    budget = _budget(0.5)
    budget.spent_usd = 0.3  # as a resume counts it from events.jsonl
    recorder = CallRecorder(budget.wrap(model), write, read_replay(path, {"t"}))
    again = asyncio.run(recorder.for_task("t").complete(messages))
    assert again.call_id == first.call_id and budget.spent_usd == 0.3 and len(model.requests) == 1


def test_an_unpriced_budget_is_a_user_error():
    with pytest.raises(UserError, match="--max-cost needs a price"):
        Budget(1.0, RunConfig(client=ClientConfig(model="m", base_url="http://127.0.0.1:9/v1")))


