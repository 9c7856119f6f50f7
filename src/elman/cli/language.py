"""Commands for language models (task lm): eval, generate and next."""

import sys

from ..errors import bad
from .common import load_run, stream


def eval_lm(ck, train_cfg, args) -> int:
    """Loss, bits per token and perplexity of a language model on --data or its validation
    text."""
    from ..data.text import read_text
    from ..tasks import get_task
    from ..tasks.lm import evaluate_text
    from ..training import config
    B = config.parse_value(config.TrainConfig, "batch_size", args.batch_size)
    T = config.parse_value(config.TrainConfig, "seq_len", args.seq_len)
    if args.data:
        result = evaluate_text(ck.model, ck.vocab, read_text(args.data), B, T,
                               train_cfg.lowercase)
        if result["unknown"]:
            unit = "characters" if ck.vocab.level == "char" else "words"
            print(f"note: {result['unknown']:,} {unit} not in the vocabulary were read as "
                  f"unknown", file=sys.stderr)
    else:
        task = get_task(ck.config.get("task", "lm"))(train_cfg, vocab=ck.vocab)
        if task.valid_batches is None:
            raise bad("data", "a file (--data FILE): the run kept no validation text", "none")
        result = task.evaluate(ck.model)
    unit = ck.vocab.level
    print(f"loss: {result['loss']:.4f} nats/{unit}")
    print(f"bits per {unit}: {result['bpc']:.4f}")
    print(f"perplexity: {result['perplexity']:.3f}")
    print(f"{unit}s: {result['tokens']:,}")
    return 0


def generate_text(ck, args, temperature: float, top_k: int | None, seed: int | None) -> int:
    """Write --prompt, then stream the characters (or words) sampled after it."""
    from ..tasks.lm import generate
    from ..training.config import parse_count
    length = parse_count("length", args.length or "500")
    sys.stdout.write(args.prompt)
    stream(generate(ck.model, ck.vocab, args.prompt, length, temperature, top_k, seed))
    return 0


def cmd_next(args) -> int:
    from ..tasks.lm import next_words
    from ..training.config import parse_positive_int
    k = parse_positive_int("k", args.k)
    ck, train_cfg = load_run(args.run)
    if ck.config.get("task", "lm") != "lm" or ck.vocab.level != "word":
        raise bad("run", "a word language model (train --task lm --level word)",
                  f"a {ck.config.get('task', 'lm')} run at {ck.vocab.level} level")
    for word, p in next_words(ck.model, ck.vocab, args.prompt, k, train_cfg.lowercase):
        print(f"{word}\t{p:.4f}")
    return 0
