"""Data: vocabularies, text corpora and batching of token streams."""

from .batching import Batch, StreamBatches
from .text import default_corpus, load_corpus, read_text, split_blocks
from .vocab import Vocab

__all__ = ["Batch", "StreamBatches", "Vocab", "default_corpus", "load_corpus", "read_text",
           "split_blocks"]
