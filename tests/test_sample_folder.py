"""sample_folder(), where the tour finds the sample files: the checkout's data_samples/; installed with pip, a
copy written once into the user's cache folder, equal to data_samples/ file for file; a folder named by
XUEJI_SAMPLES is used as it is and never written; each failure is a FileNotFoundError saying what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from xueji_lib.core.version import __version__
from xueji_lib.samples import folder, sample_folder
from xueji_lib.samples.folder import SAMPLES_ENV

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples"


def _tree(top: Path) -> dict[str, bytes]:
    return {str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}


@pytest.fixture()
def installed(tmp_path, monkeypatch):
    """As if installed with pip: no checkout beside the package, the user's cache in tmp_path."""
    monkeypatch.delenv(SAMPLES_ENV, raising=False)
    monkeypatch.setattr(folder, "checkout_samples", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "xueji"


def test_in_the_checkout_it_is_data_samples(monkeypatch):
    monkeypatch.delenv(SAMPLES_ENV, raising=False)
    assert folder.checkout_samples() == SAMPLES
    assert sample_folder() == SAMPLES


def test_installed_the_samples_are_written_once_into_the_user_cache(installed):
    got = sample_folder()
    assert got == installed / f"samples-{__version__}"
    written = _tree(got)
    assert written == _tree(SAMPLES)  # write_samples is deterministic: the same files as the checkout's
    assert [p.name for p in installed.iterdir()] == [got.name]  # no temporary folder left behind
    stamps = {p: p.stat().st_mtime_ns for p in got.rglob("*")}
    assert sample_folder() == got
    assert {p: p.stat().st_mtime_ns for p in got.rglob("*")} == stamps  # the second call writes nothing
    (got / "README.md").unlink()  # a copy cut short: written again, whole
    (got / "k12" / "学生名单_2026春.xlsx").unlink()
    assert sample_folder() == got and _tree(got) == written
    assert [p.name for p in installed.iterdir()] == [got.name]


def test_a_cache_that_cannot_be_written_is_explained(installed, tmp_path, monkeypatch):
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    with pytest.raises(FileNotFoundError, match="找不到样例数据，也无法在 .* 中生成") as info:
        sample_folder()
    assert SAMPLES_ENV in str(info.value) and "xueji samples --out" in str(info.value)


def test_a_named_folder_is_used_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setenv(SAMPLES_ENV, str(SAMPLES))
    assert sample_folder() == SAMPLES
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(SAMPLES_ENV, str(empty))
    with pytest.raises(FileNotFoundError, match="找不到样例数据") as info:
        sample_folder()
    assert f"xueji samples --out {empty}" in str(info.value) and "make samples" in str(info.value)
    assert list(empty.iterdir()) == []  # never written
