"""Commands for the encoder-decoder tasks: predict (sort, reverse, copy, add), translate, and
eval of all five."""

import sys

from ..errors import bad
from .common import input_lines, load_run, read_input, write_output


def beam_flags(args) -> tuple[int, float]:
    from ..training.config import parse_nonneg, parse_positive_int
    return (parse_positive_int("beam", "1" if args.beam is None else args.beam),
            parse_nonneg("length_penalty", args.length_penalty))


def seq2seq_task(ck, train_cfg, command: str, tasks: tuple):
    """The encoder-decoder task of a checkpoint, one of ``tasks``."""
    from ..tasks import get_task
    task = ck.config.get("task", "lm")
    if task not in tasks or not ck.meta:
        raise bad("run", f"a {' or '.join(tasks)} run for elman {command}", f"a {task} run")
    return get_task(task).from_checkpoint(ck, train_cfg)


def predict_seq2seq(ck, train_cfg, args) -> int:
    """sort, reverse, copy, add: the model's answer to each input line."""
    task = seq2seq_task(ck, train_cfg, "predict", ("sort", "reverse", "copy", "add"))
    lines, name = input_lines(args)
    found = task.predict_lines(ck.model, lines, name, *beam_flags(args))
    write_output("".join(f"{line}\n" for line in found), args.output)
    return 0


def cmd_translate(args) -> int:
    from ..training.heatmap import plot_attention
    ck, train_cfg = load_run(args.run)
    task = seq2seq_task(ck, train_cfg, "translate", ("translate",))
    lines, name = input_lines(args)
    texts, sources, outputs, weights, unknown = task.translate(ck.model, lines, name,
                                                               *beam_flags(args))
    if unknown:
        print(f"note: {len(unknown):,} source token(s) not in the vocabulary, read as <unk>: "
              f"{' '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}", file=sys.stderr)
    if args.attention_plot:
        if weights[0] is None:
            raise bad("attention_plot", "a model trained with --attention additive, "
                      "multiplicative or scaled", "a model without attention")
        plot_attention(weights[0], sources[0], outputs[0] + ["</s>"], args.attention_plot,
                       title=lines[0])
    write_output("".join(f"{t}\n" for t in texts), args.output)
    if args.attention_plot:
        print(f"attention: {args.attention_plot}", file=sys.stderr)
    return 0


def eval_seq2seq(ck, train_cfg, args) -> int:
    """Decoded scores of an encoder-decoder on its held-out set, or on --data pairs
    (translate)."""
    from ..tasks import get_task
    beam, penalty = beam_flags(args)
    name = ck.config["task"]
    how = "greedy" if beam == 1 else f"beam {beam}, length penalty {penalty:g}"
    if name != "translate":
        if args.data:
            raise bad("data", f"no file: a {name} run is scored on its generated held-out set",
                      repr(args.data))
        task = get_task(name)(train_cfg, vocab=ck.vocab, meta=ck.meta)
        r = task.evaluate(ck.model, beam=beam, length_penalty=penalty)
        print(f"exact match: {r['exact_match']:.4f} ({r['sequences']:,} sequences, {how})")
        print(f"token accuracy: {r['token_accuracy']:.4f}")
        print(f"loss: {r['loss']:.4f} nats per token (teacher forced accuracy "
              f"{r['accuracy']:.4f})")
        return 0
    if args.data:
        task = get_task(name).from_checkpoint(ck, train_cfg)
        text, data = read_input(args.data, "data")
        rows = task.read(text, data)
    else:
        task = get_task(name)(train_cfg, vocab=ck.vocab, meta=ck.meta)
        rows, data = task.valid_rows, f"the held-out pairs of {train_cfg.data}"
        if not rows:
            raise bad("data", "a file (--data FILE): the run held no pairs out", "none")
    r = task.score(ck.model, rows, beam=beam, length_penalty=penalty)
    print(f"BLEU: {r['bleu']:.2f} ({r['sentences']:,} sentences against "
          f"{r['references']:,} references of {data}, {how})")
    print(f"chrF: {r['chrf']:.2f}")
    print(f"loss: {r['loss']:.4f} nats per token (teacher forced accuracy {r['accuracy']:.4f})")
    return 0
