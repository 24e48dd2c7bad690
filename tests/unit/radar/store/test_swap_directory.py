"""A finished directory replaces the old one in one step; the old one is gone afterwards."""

from pathlib import Path

from radar.store.atomic import swap_directory


def test_swap_replaces_and_removes_the_old(tmp_path: Path) -> None:
    target, staging = tmp_path / "2024", tmp_path / ".2024.tmp"
    target.mkdir()
    (target / "aggregates.csv").write_text("old\n")
    staging.mkdir()
    (staging / "aggregates.csv").write_text("new\n")
    swap_directory(staging, target)
    assert (target / "aggregates.csv").read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024"]


def test_swap_into_a_new_place(tmp_path: Path) -> None:
    staging = tmp_path / ".x.tmp"
    staging.mkdir()
    (staging / "f").write_text("1")
    swap_directory(staging, tmp_path / "x")
    assert (tmp_path / "x" / "f").read_text() == "1" and not staging.exists()
