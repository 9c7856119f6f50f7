"""What commands read and write: input text from a file or stdin, one input per line, and
output to stdout or atomically to a file."""

import sys

from ..errors import bad
from .atomic import write_text


def read_input(path: str, argument: str = "input") -> tuple[str, str]:
    """(text, name) of a UTF-8 file, or of stdin for "-"."""
    from ..data.text import read_text
    if path != "-":
        return read_text(path, argument), path
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as e:
        raise bad(argument, "UTF-8 text on stdin", f"byte 0x{raw[e.start]:02x} at offset "
                  f"{e.start} that is not UTF-8") from None
    if not text.strip():
        raise bad(argument, "some text on stdin", "nothing")
    return text, "<stdin>"


def input_lines(text: str | None, path: str | None) -> tuple[list[str], str]:
    """(non-blank lines, name) of a text argument or of the file ``path`` (one of them)."""
    if (text is None) == (path is None):
        raise bad("input", "either a text argument or --input FILE", "both" if text
                  is not None else "neither")
    if text is not None:
        return [text], "<text>"
    text, name = read_input(path)
    return [line for line in text.splitlines() if line.strip()], name


def write_output(out: str, path: str | None):
    """``out`` to stdout, or atomically to the file ``path``."""
    if path:
        write_text(path, out)
    else:
        sys.stdout.write(out)
