"""Tests that need a part outside the Python install (Chromium): skipped with the reason on a newcomer's machine,
failed in CI, which installs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import optional


def test_without_chromium_browser_tests_skip_and_name_the_debian_package(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(optional, "CHROMIUM_PATHS", (tmp_path / "no-chromium",))
    monkeypatch.setattr(optional.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Debian's chromium package"):
        optional.chromium()


def test_without_chromium_browser_tests_fail_in_ci(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(optional, "CHROMIUM_PATHS", (tmp_path / "no-chromium",))
    monkeypatch.setattr(optional.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium"):
        optional.chromium()


def test_an_installed_chromium_is_found(monkeypatch, tmp_path: Path):
    browser = tmp_path / "chromium"
    browser.write_text("")
    monkeypatch.setattr(optional, "CHROMIUM_PATHS", (browser,))
    assert optional.chromium() == browser
