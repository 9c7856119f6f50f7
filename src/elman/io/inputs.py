"""What commands read and write: input text from a file or stdin, one input per line, and
output to stdout or atomically to a file."""

import os
import sys
from pathlib import Path

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


def writable(path, argument: str) -> Path:
    """``path`` as a file a command will write, checked before the command does its work: not
    a folder, and in a folder that exists (else an error naming ``argument`` and the path
    given, not the temporary file the write goes through)."""
    p = Path(path)
    if p.is_dir():
        raise bad(argument, "a file path, not a folder", repr(str(path)))
    if not p.parent.is_dir():
        raise bad(argument, "a file in an existing folder", repr(str(path)))
    if not os.access(p.parent, os.W_OK):
        raise bad(argument, "a file in a folder elman may write to", repr(str(path)))
    return p


def write_output(out: str, path: str | None, argument: str = "output"):
    """``out`` to stdout, or atomically to the file ``path``."""
    if path:
        write_text(path, out, argument)
    else:
        sys.stdout.write(out)
