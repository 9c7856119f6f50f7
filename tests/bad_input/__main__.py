"""``python tests/bad_input``: write docs/errors.md from the catalogue (``--check``: exit 1
if it is stale instead)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bad_input.docs import PATH, render  # noqa: E402

text = render()
if "--check" in sys.argv[1:]:
    stale = not PATH.exists() or PATH.read_text(encoding="utf-8") != text
    print(f"{PATH}: {'stale (python tests/bad_input)' if stale else 'up to date'}")
    sys.exit(1 if stale else 0)
PATH.write_text(text, encoding="utf-8")
print(f"wrote {PATH}")
