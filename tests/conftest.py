"""Fixtures shared by every test module; keep them small and generic."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh, empty data dir; built directly so the real environment cannot leak in."""
    return Settings(data_dir=tmp_path)
