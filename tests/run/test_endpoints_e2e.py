"""`arcbench run` over several endpoints: one that keeps failing is taken out (said once on the console), the others
finish the run, and summary.json counts what each endpoint did."""

from __future__ import annotations

from arcbench.cli import main
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import IDENTITY, answer, summary

TASKS = "6150a2bd,67a3c6ac,68b16354,74dd1130"


def test_a_failing_endpoint_is_taken_out_and_the_others_finish_the_run(tmp_path, capsys):
    run_dir = tmp_path / "run"
    good = [{"content": answer(IDENTITY), "delay_s": 0.05}]
    with ScriptedServer([{"status": 503}]) as bad, ScriptedServer(good) as a, ScriptedServer(good) as b:
        code = main(["run", "--base-url", a.base_url, "--base-url", bad.base_url, "--base-url", b.base_url,
                     "--model", "scripted", "--subset", TASKS, "--max-turns", "3", "--stop-when", "never",
                     "--max-workers", "4", "--run-dir", str(run_dir), "--quiet"])
        served = {s.base_url: len(s.chat_requests) for s in (a, b, bad)}
    assert code == 0
    out = capsys.readouterr().out
    assert out.count(f"endpoint {bad.base_url} failed 3 times in a row") == 1 and "taken out for 30 s" in out
    s = summary(run_dir)
    assert s.api_failures == 0 and s.total_turns == 12
    counts = {e.url: e for e in s.endpoints}
    assert set(counts) == {a.base_url, bad.base_url, b.base_url}
    assert counts[bad.base_url].calls == 0 and counts[bad.base_url].taken_out == 1
    assert counts[bad.base_url].failed_attempts == served[bad.base_url]
    assert counts[a.base_url].calls + counts[b.base_url].calls == 12
    assert counts[a.base_url].calls == served[a.base_url] and counts[b.base_url].calls == served[b.base_url]
    assert main(["report", str(run_dir)]) == 0
    page = (run_dir / "report.html").read_text()
    assert f"{bad.base_url}: 0 calls answered, {served[bad.base_url]} failed attempts, taken out 1x" in page


def test_endpoints_can_come_from_a_file(tmp_path):
    run_dir = tmp_path / "run"
    with ScriptedServer([{"content": answer(IDENTITY)}]) as a, ScriptedServer([{"content": answer(IDENTITY)}]) as b:
        urls = tmp_path / "endpoints.txt"
        urls.write_text(f"# two servers of one model\n{a.base_url}\n\n{b.base_url}  # the second\n")
        code = main(["run", "--base-url-file", str(urls), "--model", "scripted", "--subset", TASKS,
                     "--max-turns", "2", "--stop-when", "never", "--max-workers", "4", "--run-dir", str(run_dir),
                     "--quiet"])
        assert code == 0 and a.chat_requests and b.chat_requests
    assert {e.url for e in summary(run_dir).endpoints} == {a.base_url, b.base_url}


def test_an_unreachable_endpoint_among_several_is_named_and_the_run_goes_on(tmp_path, capsys):
    run_dir = tmp_path / "run"
    dead = "http://127.0.0.1:9/v1"
    with ScriptedServer([{"content": answer(IDENTITY)}]) as a:
        code = main(["run", "--base-url", dead, "--base-url", a.base_url, "--model", "scripted", "--subset",
                     "6150a2bd", "--max-turns", "1", "--run-dir", str(run_dir), "--quiet"])
    assert code == 0
    assert f"endpoint {dead} cannot be reached" in capsys.readouterr().out


def test_no_reachable_endpoint_is_a_user_error(tmp_path, capsys):
    code = main(["run", "--base-url", "http://127.0.0.1:9/v1", "--base-url", "http://127.0.0.1:7/v1", "--model",
                 "scripted", "--subset", "6150a2bd", "--run-dir", str(tmp_path / "run")])
    assert code == 2 and "none of the 2 endpoints can be reached" in capsys.readouterr().err


def test_an_empty_endpoints_file_is_a_user_error(tmp_path, capsys):
    urls = tmp_path / "endpoints.txt"
    urls.write_text("# nothing yet\n")
    code = main(["run", "--base-url-file", str(urls), "--model", "scripted", "--run-dir", str(tmp_path / "run")])
    assert code == 2 and "no URL in it" in capsys.readouterr().err
