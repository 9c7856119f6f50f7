"""The commands that work for many tasks: eval, predict and generate read the run's task and
hand over to the module of that task."""

from ..errors import bad
from .common import load_run
from .labels import LABELLING, eval_labels, predict_labels
from .language import eval_lm, generate_text
from .seq2seq import eval_seq2seq, predict_seq2seq
from .signals import eval_forecast, eval_music, generate_music
from .speech import eval_digit_sequences, eval_digits

EVAL = {"forecast": eval_forecast, "music": eval_music, "digits": eval_digits,
        "digit-sequences": eval_digit_sequences}


def only_labels_vote(args, task: str):
    if args.ensemble and task not in LABELLING:
        raise bad("ensemble", "runs of classify or tag (the tasks whose models vote)",
                  f"a {task} run")


def cmd_eval(args) -> int:
    from ..tasks import SEQ2SEQ
    ck, train_cfg = load_run(args.run)
    task = ck.config.get("task", "lm")
    only_labels_vote(args, task)
    if task in SEQ2SEQ:
        return eval_seq2seq(ck, train_cfg, args)
    if task in EVAL:
        return EVAL[task](ck, train_cfg, args)
    if task != "lm":
        return eval_labels(ck, train_cfg, args)
    return eval_lm(ck, train_cfg, args)


def cmd_predict(args) -> int:
    from ..tasks import SEQ2SEQ
    ck, train_cfg = load_run(args.run)
    only_labels_vote(args, ck.config.get("task", "lm"))
    if ck.config.get("task") in SEQ2SEQ:
        return predict_seq2seq(ck, train_cfg, args)
    return predict_labels(ck, train_cfg, args)


def cmd_generate(args) -> int:
    from ..training import checkpoint
    from ..training.config import TrainConfig, parse_count, parse_optional, parse_value
    temperature = parse_value(TrainConfig, "temperature", args.temperature)
    top_k = parse_value(TrainConfig, "top_k", args.top_k)
    seed = parse_optional(parse_count)("seed", args.seed)
    ck = checkpoint.load(args.run)
    if ck.config.get("task") == "music":
        return generate_music(ck, args, temperature, seed)
    return generate_text(ck, args, temperature, top_k, seed)
