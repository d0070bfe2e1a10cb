"""A run that asks for tools through the Responses API is refused in one line before anything starts."""

from __future__ import annotations

from arcbench.cli import main


def test_tools_mode_with_the_responses_api_is_one_line(capsys, tmp_path):
    code = main(["run", "--mode", "tools", "--api", "responses", "--model", "x", "--base-url",
                 "http://127.0.0.1:9/v1", "--run-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == ["error: --mode tools needs --api chat: function tools are not mapped to the Responses API"]
    assert not (tmp_path / "r").exists()
