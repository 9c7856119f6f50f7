"""One exception type for bad input, so the CLI can print it as one line and exit non-zero.

Every message names the argument, what was expected and what came, e.g.
``x: expected a 3-D tensor (B, T, I), got shape (4, 5)``.
"""


class ElmanError(ValueError):
    """Bad input from a user: an argument, a file or a checkpoint that cannot be used."""


def bad(argument: str, expected: str, got) -> ElmanError:
    """Build the standard one-line error: ``argument: expected ..., got ...``."""
    return ElmanError(f"{argument}: expected {expected}, got {got}")
