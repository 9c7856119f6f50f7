"""What several test files share: a tiny text file to train on (``data``)."""

import pytest

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


@pytest.fixture
def data(tmp_path) -> str:
    """The path of a small text file (``TEXT``)."""
    p = tmp_path / "tiny.txt"
    p.write_text(TEXT, encoding="utf-8")
    return str(p)
