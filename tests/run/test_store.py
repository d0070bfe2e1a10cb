from __future__ import annotations

from arcbench.run.store import JsonlWriter, read_jsonl, write_json_atomic


def test_jsonl_append_after_a_torn_line_starts_a_fresh_line(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n{"b": ')  # a kill in the middle of a write
    assert read_jsonl(path) == [{"a": 1}]
    w = JsonlWriter(path)
    w.append({"c": 3})
    w.close()
    assert read_jsonl(path) == [{"a": 1}, {"c": 3}]


def test_atomic_write_leaves_no_temp_files(tmp_path):
    path = tmp_path / "x" / "summary.json"
    write_json_atomic(path, {"score": 1})
    write_json_atomic(path, {"score": 2})
    assert path.read_text().strip().endswith("}") and '"score": 2' in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["summary.json"]
