"""The HTML report of runs made with tools, images and experts: tool calls, the images sent and the experts shown
readably, and model-made text (code, printed output) escaped like any other."""

from __future__ import annotations

from pathlib import Path

import pytest

from arcbench.cli import main
from arcbench.prompts.images import grid_png
from arcbench.testing.server import ScriptedServer
from tests.run.helpers import FLIPLR, ROT180, answer

TASK = "6150a2bd"
PAYLOAD = "<script>window.__pwned=1</script>"


@pytest.fixture
def server():
    with ScriptedServer() as s:
        yield s


def report(server: ScriptedServer, tmp_path: Path, *args: str) -> str:
    run_dir = tmp_path / "run"
    assert main(["run", "--base-url", server.base_url, "--model", "scripted", "--run-dir", str(run_dir), "--quiet",
                 "--subset", TASK, *args]) == 0
    assert main(["report", str(run_dir)]) == 0
    return (run_dir / "report.html").read_text()


def test_tool_calls_show_their_code_and_results_escaped(server, tmp_path):
    server.set_script([
        {"turn": 1, "tool_calls": [{"name": "run_python", "arguments": {"code": f"print({PAYLOAD!r})"}}]},
        {"turn": 2, "tool_calls": [{"name": "submit", "arguments": {"code": ROT180}}]},
    ])
    page = report(server, tmp_path, "--mode", "tools", "--max-turns", "3")
    assert "Tool calls (1)" in page and "<b>run_python</b>" in page and "<b>submit</b>" in page
    assert PAYLOAD not in page and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "step 2" in page and "tool use" in page


def test_the_images_a_turn_sent_are_shown_with_its_message(server, tmp_path):
    server.set_script([{"content": answer(FLIPLR)}])
    page = report(server, tmp_path, "--images", "--max-turns", "2")
    assert "5 image(s) sent with this message" in page and "2 image(s) sent with this message" in page
    import base64

    first = "data:image/png;base64," + base64.b64encode(grid_png([[3, 3, 8], [3, 7, 0], [5, 0, 0]])).decode()
    assert f'<img class="sent" src="{first}"' in page


def test_a_refinement_run_shows_its_experts_and_their_votes(server, tmp_path):
    server.set_script([{"times": 1, "content": answer(ROT180)}, {"times": 1, "content": answer(FLIPLR)},
                       {"times": 1, "content": answer(ROT180)}])
    page = report(server, tmp_path, "--mode", "refine", "--experts", "3", "--max-turns", "3")
    assert "<h4>Experts</h4>" in page and page.count("<td>expert ") == 3
    assert "expert 2, iteration 1" in page and "2 expert(s)" in page
