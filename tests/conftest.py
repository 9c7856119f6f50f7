"""What several test files share: a tiny text file to train on (``data``) and torch on one
thread (``one_thread``, for modules of tiny models: ``pytestmark =
pytest.mark.usefixtures("one_thread")``)."""

import pytest
import torch

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


@pytest.fixture
def data(tmp_path) -> str:
    """The path of a small text file (``TEXT``)."""
    p = tmp_path / "tiny.txt"
    p.write_text(TEXT, encoding="utf-8")
    return str(p)


@pytest.fixture(scope="module")
def one_thread():
    """torch on one thread for a module: tensors this small gain nothing from threads, and
    oneDNN's LSTM on a shared machine takes seconds otherwise."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
