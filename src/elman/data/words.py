"""Word tokens of free text (for word-level language models): runs of letters and digits, with
an inner apostrophe kept ("don't", "I'll"), and every other non-space character on its own.

    >>> words("Hey, I will be late to the")
    ['Hey', ',', 'I', 'will', 'be', 'late', 'to', 'the']
"""

import re

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|\S")


def words(text: str, lowercase: bool = False) -> list[str]:
    """The word tokens of ``text``, lower-cased when ``lowercase``."""
    return WORD.findall(text.lower() if lowercase else text)
