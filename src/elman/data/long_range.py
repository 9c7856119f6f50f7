"""Long-range memory problems, generated from a seed: a recurrent network must carry
something it read early across T steps to the answer.

=============  ===========================================================================
adding         x (B, T, 2): channel 0 values drawn uniformly from [0, 1); channel 1 marks
               two of them with 1, one in the first half (t < T // 2) and one in the second.
               y (B, 1): the sum of the two marked values (Hochreiter and Schmidhuber 1997,
               in the form of Le et al. 2015). Predicting 1 always scores MSE 1/6 ~ 0.167.
copy-memory    symbols 1..K, blank 0, delimiter K + 1. x (B, T + 2N, K + 2) one-hot: N
               symbols, T - 1 blanks, the delimiter, N blanks; y (B, T + 2N) ids: T + N
               blanks, then the N symbols (Arjovsky et al. 2016). Blanks and then a uniform
               guess score a cross-entropy of N log K / (T + 2N) nats per step.
parity         x (B, T, 1): bits 0 or 1; y (B,): 1 when an odd number of them are 1. Chance
               accuracy 1/2. ``RunningParity``: y (B, T), step t's label the parity of bits
               1..t (a target at every step; the last is the parity).
=============  ===========================================================================

Each problem is a class with the sequence length it draws: ``draw(n, g)`` -> (x, y),
``answer(x)`` -> y of given inputs, ``steps`` per sequence, ``parse(line, ...)`` -> the x of a user's input line.
"""

from collections.abc import Iterator

import torch

from ..errors import bad
from ..nn.memory import available_bytes, size
from .batching import Batch, epoch_generator


def check_length(T, least: int, what: str) -> int:
    if isinstance(T, bool) or not isinstance(T, int) or T < least:
        raise bad("length", f"an integer >= {least} ({what})", repr(T))
    return T


def check_fits(problem, sequences: int, sizes: dict[str, int]):
    """Refuse ``sequences`` of ``problem`` whose float32 inputs do not fit in the memory
    available, naming the largest of ``sizes`` ({setting: its value}) as the argument."""
    values = sequences * problem.steps * problem.features
    available = available_bytes()
    if available is not None and 4 * values > available:
        argument = max(sizes, key=sizes.get)
        raise bad(argument, f"sequences that fit in this machine's memory ({size(available)} "
                  "available)", f"{sizes[argument]:,}: {sequences:,} sequences of "
                  f"{problem.steps:,} x {problem.features:,} values, {size(4 * values)}")


class Adding:
    """The adding problem at T steps."""

    name, features = "adding", 2

    def __init__(self, T: int):
        self.T = self.steps = check_length(T, 2, "one marked value in each half")

    def draw(self, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(x (n, T, 2), y (n, 1))."""
        T, half = self.T, self.T // 2
        values = torch.rand(n, T, generator=g)
        first = torch.randint(0, half, (n,), generator=g)
        second = torch.randint(half, T, (n,), generator=g)
        marks = torch.zeros(n, T)
        rows = torch.arange(n)
        marks[rows, first] = 1.0
        marks[rows, second] = 1.0
        x = torch.stack([values, marks], dim=-1)                       # (n, T, 2)
        return x, self.answer(x)

    @staticmethod
    def answer(x: torch.Tensor) -> torch.Tensor:
        """x (n, T, 2) -> (n, 1): the sum of the marked values."""
        return (x[..., 0] * x[..., 1]).sum(1, keepdim=True)

    @staticmethod
    def parse(line: str, where: str, argument: str = "input") -> torch.Tensor:
        """"0.3 0.9* 0.1 0.5*" (values in [0, 1], exactly two marked with *) -> x (T, 2)."""
        expected = "values in [0, 1] separated by spaces, exactly two marked with *, such as " \
                   "0.3 0.9* 0.1 0.5*"
        if not isinstance(line, str):
            raise bad(argument, "a string", type(line).__name__)
        rows = []
        for word in line.split():
            try:
                value = float(word.removesuffix("*"))
            except ValueError:
                raise bad(argument, expected, f"{word!r} at {where}") from None
            if not 0.0 <= value <= 1.0:
                raise bad(argument, expected, f"{word!r} at {where}")
            rows.append([value, 1.0 if word.endswith("*") else 0.0])
        marked = sum(mark for _, mark in rows)
        if marked != 2:
            raise bad(argument, expected, f"{int(marked)} marked at {where}")
        return torch.tensor(rows)


class CopyMemory:
    """The copy-memory problem: recall ``memorize`` symbols of 1..``symbols`` after a delay
    of T steps."""

    name = "copy-memory"

    def __init__(self, T: int, symbols: int = 8, memorize: int = 10):
        self.T = check_length(T, 1, "the steps between the last symbol and the delimiter")
        self.K, self.N = symbols, memorize
        self.features, self.classes = symbols + 2, symbols + 1

    @property
    def steps(self) -> int:
        return self.T + 2 * self.N

    def draw(self, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(x (n, T + 2N, K + 2) one-hot, y (n, T + 2N) ids)."""
        return self.encode(torch.randint(1, self.K + 1, (n, self.N), generator=g))

    def encode(self, symbols: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """symbols (n, N) ids in 1..K -> (x (n, T + 2N, K + 2), y (n, T + 2N))."""
        n, N = symbols.shape[0], self.N
        ids = torch.zeros(n, self.steps, dtype=torch.long)
        ids[:, :N] = symbols
        ids[:, N + self.T - 1] = self.K + 1                            # the delimiter
        y = torch.zeros(n, self.steps, dtype=torch.long)
        y[:, -N:] = symbols
        return torch.nn.functional.one_hot(ids, self.features).float(), y

    def answer(self, x: torch.Tensor) -> torch.Tensor:
        """x (n, T + 2N, K + 2) -> y (n, T + 2N)."""
        return self.encode(x[:, :self.N].argmax(-1))[1]

    def parse(self, line: str, where: str, argument: str = "input") -> torch.Tensor:
        """"3 1 4 1 5 2 6 5 3 5" (N symbols in 1..K) -> x (T + 2N, K + 2)."""
        expected = f"{self.N} symbols in 1..{self.K} separated by spaces"
        if not isinstance(line, str):
            raise bad(argument, "a string", type(line).__name__)
        words = line.split()
        wrong = next((w for w in words if not (w.isascii() and w.isdigit()
                                               and 1 <= int(w) <= self.K)), None)
        if wrong is not None:
            raise bad(argument, expected, f"{wrong!r} at {where}")
        if len(words) != self.N:
            raise bad(argument, expected, f"{len(words)} at {where}")
        return self.encode(torch.tensor([[int(w) for w in words]]))[0][0]


class Parity:
    """The parity of T bits."""

    name, features = "parity", 1

    def __init__(self, T: int):
        self.T = self.steps = check_length(T, 1, "bits per sequence")

    def draw(self, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(x (n, T, 1), y = ``answer(x)``: (n,) here, (n, T) for ``RunningParity``)."""
        x = torch.randint(0, 2, (n, self.T, 1), generator=g).float()
        return x, self.answer(x)

    @staticmethod
    def answer(x: torch.Tensor) -> torch.Tensor:
        """x (n, T, 1) -> (n,) 0 or 1."""
        return x[..., 0].sum(1).long() % 2

    @staticmethod
    def parse(line: str, where: str, argument: str = "input") -> torch.Tensor:
        """"0110 1" (bits, spaces optional) -> x (T, 1)."""
        if not isinstance(line, str):
            raise bad(argument, "a string", type(line).__name__)
        bits = "".join(line.split())
        if not bits or set(bits) - {"0", "1"}:
            raise bad(argument, "bits 0 and 1 (spaces optional), such as 0110 1",
                      f"{line!r} at {where}")
        return torch.tensor([[float(b)] for b in bits])


class RunningParity(Parity):
    """The parity of T bits with a label at every step: the parity of the bits so far."""

    @staticmethod
    def answer(x: torch.Tensor) -> torch.Tensor:
        """x (n, T, 1) -> (n, T) 0 or 1: step t's is the parity of bits 1..t."""
        return x[..., 0].long().cumsum(1) % 2


class Drawn:
    """A fixed set of batches: x (B, T, F) and y, in order; equal-length inputs share a
    batch (``batched``)."""

    bptt = "full"

    def __init__(self, batches: list[tuple[torch.Tensor, torch.Tensor]], batch_size: int):
        self.batches, self.batch_size = batches, batch_size
        self.seq_len = max(x.shape[1] for x, _ in batches)
        self.sequences = sum(x.shape[0] for x, _ in batches)

    def __len__(self) -> int:
        return len(self.batches)

    def epoch(self, epoch: int = 0, start: int = 0) -> Iterator[Batch]:
        for x, y in self.batches[start:]:
            yield Batch(x, y, False)


def drawn(problem, n: int, seed: int, batch_size: int) -> Drawn:
    """``n`` sequences from generator ``seed`` (a held-out set), in batches."""
    g = torch.Generator().manual_seed(seed)
    return Drawn([problem.draw(min(batch_size, n - k), g) for k in range(0, n, batch_size)],
                 batch_size)


def batched(problem, inputs: list[torch.Tensor], batch_size: int) -> Drawn:
    """Inputs x (T_i, F) of any lengths and their answers, batched by length."""
    by_length: dict[int, list[torch.Tensor]] = {}
    for x in inputs:
        by_length.setdefault(x.shape[0], []).append(x)
    batches = []
    for group in by_length.values():
        for k in range(0, len(group), batch_size):
            x = torch.stack(group[k:k + batch_size])
            batches.append((x, problem.answer(x)))
    return Drawn(batches, batch_size)


class Fresh:
    """Training batches of new sequences, ``per_epoch`` batches an epoch; batch k of epoch e
    comes from a generator seeded by (seed, e, k), so a resumed run sees the same ones."""

    bptt = "full"

    def __init__(self, problem, batch_size: int, seed: int = 0, per_epoch: int = 1000):
        self.problem, self.batch_size, self.seed = problem, batch_size, seed
        self.seq_len, self.per_epoch = problem.steps, per_epoch

    def __len__(self) -> int:
        return self.per_epoch

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        for k in range(start, self.per_epoch):
            g = epoch_generator(self.seed * 1_000_003 + epoch, k)
            yield Batch(*self.problem.draw(self.batch_size, g), False)
