"""``elman summary``: layer shapes and parameter counts of a run or of given sizes."""

from ..errors import bad


def cmd_summary(args) -> int:
    from ..training.config import parse_flag, parse_optional, parse_positive_int, parse_sizes
    B = parse_positive_int("batch_size", args.batch_size)
    T = parse_positive_int("seq_len", args.seq_len)
    if args.run:
        from ..summary import summarize
        from ..training import checkpoint
        print(summarize(checkpoint.load(args.run).model, B, T))
        return 0
    from ..summary import summary_from_args
    if args.input_size is None or args.hidden_sizes is None:
        raise bad("summary", "a RUN folder, or --input-size and --hidden-sizes", "neither")
    print(summary_from_args(parse_positive_int("input_size", args.input_size),
                            parse_sizes("hidden_sizes", args.hidden_sizes),
                            parse_optional(parse_positive_int)("output_size", args.output_size),
                            args.cell, B, T, parse_flag("bidirectional", args.bidirectional)))
    return 0
