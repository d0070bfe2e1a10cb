from __future__ import annotations

import pytest

from arcbench.data import load_pool, load_tasks
from arcbench.data.subsets import grid_size_distributed, size_ordered
from arcbench.errors import UserError


def ids(dataset: str, subset: str) -> list[str]:
    return [t.id for t in load_tasks(dataset, subset)]


def test_shortest_training_starts_with_the_documented_tasks():
    got = ids("arc-agi-1", "shortest_training_10")
    assert len(got) == 10
    assert got[:5] == ["6150a2bd", "d631b094", "5582e5ca", "d037b0a7", "e9afcf9a"]


def test_seed_subset_names_work():
    assert ids("arc-agi-1", "shortest_training_1") == ["6150a2bd"]
    assert len(ids("arc-agi-1", "shortest_training_30")) == 30
    assert len(ids("arc-agi-1", "grid_size_distributed_30_training")) == 30


def test_longest_and_middle_are_ordered_by_size():
    pool = load_pool("arc-agi-1")["evaluation"]
    ordered = sorted(pool.values(), key=lambda t: (t.size, t.id))
    assert size_ordered(pool, "longest", 3) == [t.id for t in ordered[-3:]]
    mid = size_ordered(pool, "middle", 4)
    assert mid == [t.id for t in ordered[198:202]]


def test_grid_size_distributed_spans_min_to_max_without_repeats():
    pool = load_pool("arc-agi-1")["training"]
    chosen = grid_size_distributed(pool, 12)
    assert len(set(chosen)) == 12

    def gsize(tid):
        ex = pool[tid].task.train[0]
        return len(ex.input) * len(ex.input[0]) + len(ex.output) * len(ex.output[0])

    sizes = [gsize(t) for t in pool]
    assert gsize(chosen[0]) == min(sizes) and gsize(chosen[-1]) == max(sizes)


def test_mit_all_is_80_evaluation_tasks():
    mit = load_tasks("arc-agi-1", "mit-all")
    assert len(mit) == 80
    evaluation = load_pool("arc-agi-1")["evaluation"]
    assert all(t.id in evaluation for t in mit)
    assert len(load_tasks("arc-agi-1", "mit-hard")) == 20


def test_comma_list_and_id_file(tmp_path):
    assert ids("arc-agi-1", "6150a2bd,d631b094") == ["6150a2bd", "d631b094"]
    f = tmp_path / "ids.txt"
    f.write_text("d631b094\n# a comment\n6150a2bd\n")
    assert ids("arc-agi-1", str(f)) == ["d631b094", "6150a2bd"]


@pytest.mark.parametrize("subset", ["nonsense", "mit-trivial", "ffffffff", "6150a2bd,zzzz"])
def test_unknown_subset_or_id_is_a_clear_error(subset):
    with pytest.raises(UserError) as e:
        load_tasks("arc-agi-1", subset)
    assert "\n" not in str(e.value)
    assert "mit-all" in str(e.value) or "tasks list" in str(e.value)


def test_all_training_and_all_evaluation():
    assert len(ids("arc-agi-2", "all_evaluation")) == 120
    assert len(ids("arc-agi-1", "all_training")) == 400


def test_a_long_id_list_is_not_mistaken_for_a_file_name():
    all_ids = ids("arc-agi-1", "all_training")
    assert ids("arc-agi-1", ",".join(all_ids)) == all_ids
