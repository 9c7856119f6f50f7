"""Settings as dataclass fields: ``opt`` declares one (default, parser, help, whether it is
fixed when a run resumes), the parsers turn a value from a file (typed) or a flag (a string)
into a checked Python value, and ``make`` builds a dataclass from raw values. Used by the
run configuration (``elman.training.config``) and by every task's ``Options``; imports
neither torch nor any task, so ``elman --help`` stays fast.
"""

import math
from dataclasses import MISSING, field, fields

from .errors import bad


def parse_integer(name, v, lo=None):
    if isinstance(v, str):
        try:
            v = int(v.strip())
        except ValueError:
            raise bad(name, "an integer", repr(v)) from None
    if isinstance(v, bool) or not isinstance(v, int):
        raise bad(name, "an integer", repr(v))
    if lo is not None and v < lo:
        raise bad(name, f"an integer >= {lo}", v)
    return v


def parse_number(name, v):
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            raise bad(name, "a number", repr(v)) from None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise bad(name, "a finite number", repr(v))
    return float(v)


def parse_flag(name, v):
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return v.strip().lower() in ("true", "yes", "1")
    raise bad(name, "true or false", repr(v))


def parse_sizes(name, v):
    """An int, a list of ints, or a string '256' / '4,10,20' -> list of positive ints."""
    if isinstance(v, str):
        parts = [p for p in v.replace(" ", "").split(",") if p]
        v = [parse_integer(name, p) for p in parts] if parts else v
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list) or not v or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in v):
        raise bad(name, "positive layer widths such as 256 or 256,256", repr(v))
    return v


UNITS = {"": 1, "k": 2 ** 10, "m": 2 ** 20, "g": 2 ** 30, "t": 2 ** 40}


def parse_bytes(name, v):
    """A size such as 512M, 64G or 1.5T (binary units; a bare number is bytes) -> bytes."""
    text = str(v).strip().lower().removesuffix("ib").removesuffix("b")
    unit = text[-1:] if text[-1:] in UNITS else ""
    try:
        n = float(text[:len(text) - len(unit)]) * UNITS[unit]
    except ValueError:
        n = math.nan
    if isinstance(v, bool) or not math.isfinite(n) or n < 1:
        raise bad(name, "a size such as 512M, 64G or 1.5T", repr(v))
    return int(n)


def parse_choice(options):
    def parse(name, v):
        if v not in options:
            raise bad(name, f"one of {list(options)}", repr(v))
        return v
    return parse


def parse_text(name, v):
    if not isinstance(v, str) or not v:
        raise bad(name, "a non-empty string", repr(v))
    return v


def parse_optional(parse):
    def parse_optional(name, v):
        if v is None or (isinstance(v, str) and v.strip().lower() in ("none", "null", "")):
            return None
        return parse(name, v)
    return parse_optional


def parse_positive_int(name, v):
    return parse_integer(name, v, lo=1)


def parse_count(name, v):
    return parse_integer(name, v, lo=0)


def parse_int_range(lo: int, hi: int):
    """A parser of integers in lo..hi (e.g. a bound on what one HTTP request may ask)."""
    def parse_int_range(name, v):
        v = parse_integer(name, v, lo=lo)
        if v > hi:
            raise bad(name, f"an integer from {lo} to {hi}", v)
        return v
    return parse_int_range


def parse_positive(name, v):
    v = parse_number(name, v)
    if not v > 0:
        raise bad(name, "a number > 0", v)
    return v


def parse_above(lo: float):
    """A parser of numbers > lo."""
    def parse_above(name, v):
        v = parse_number(name, v)
        if not v > lo:
            raise bad(name, f"a number > {lo:g}", v)
        return v
    return parse_above


def parse_nonneg(name, v):
    v = parse_number(name, v)
    if v < 0:
        raise bad(name, "a number >= 0", v)
    return v


def parse_fraction(name, v):
    v = parse_number(name, v)
    if not 0.0 <= v < 1.0:
        raise bad(name, "a number in [0, 1)", v)
    return v


def parse_probability(name, v):
    v = parse_number(name, v)
    if not 0.0 <= v <= 1.0:
        raise bad(name, "a number in [0, 1]", v)
    return v


def opt(default, parse, help: str, metavar: str | None = None, *, fixed: bool = True):
    """A setting: its default, parser and flag help; ``fixed``: a resumed run must keep its
    value (it shapes the data, the model or the optimizer)."""
    meta = dict(parse=parse, help=help, metavar=metavar, fixed=fixed)
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def field_names(cls) -> list[str]:
    return [f.name for f in fields(cls)]


def default_of(cls, name: str):
    f = next(f for f in fields(cls) if f.name == name)
    return f.default_factory() if f.default is MISSING else f.default


def parse_value(cls, name: str, value):
    """Parse and check one setting of a dataclass of ``opt`` fields."""
    f = next(f for f in fields(cls) if f.name == name)
    return f.metadata["parse"](name, value)


def make(cls, values: dict, owner: str | None = None):
    """Build ``cls`` from raw values (strings or typed), checking every one; a key ``cls``
    lacks is an error naming ``owner`` (e.g. "the tag task")."""
    known = field_names(cls)
    for k in values:
        if k not in known:
            raise bad(k.replace("_", "-") if owner else cls.__name__,
                      f"a setting of {owner or cls.__name__} ({', '.join(known) or 'none'})",
                      f"unknown key {k!r}")
    return cls(**{k: parse_value(cls, k, v) for k, v in values.items()})
