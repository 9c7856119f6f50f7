"""``elman summary``: layer shapes and parameter counts of a run or of given sizes."""

from ..errors import bad


def summary_from_args(input_size: int, hidden_sizes, output_size: int | None = None,
                      cell: str = "elman", batch_size: int = 1, seq_len: int = 1,
                      bidirectional: bool = False) -> str:
    """The summary of an RNN (with an output layer when output_size is given) built from
    sizes."""
    from ..models import ManyToMany
    from ..nn import RNN
    from ..nn.summary import summarize
    if output_size:
        model = ManyToMany(input_size, hidden_sizes, output_size, cell=cell,
                           bidirectional=bidirectional)
    else:
        model = RNN(input_size, hidden_sizes, cell=cell, bidirectional=bidirectional)
    return str(summarize(model, batch_size, seq_len))


def cmd_summary(args) -> int:
    from ..options import parse_flag, parse_optional, parse_positive_int, parse_sizes
    B = parse_positive_int("batch_size", args.batch_size)
    T = parse_positive_int("seq_len", args.seq_len)
    if args.run:
        from ..io import checkpoint
        from ..nn.summary import summarize
        print(summarize(checkpoint.load(args.run).model, B, T))
        return 0
    if args.input_size is None or args.hidden_sizes is None:
        raise bad("summary", "a RUN folder, or --input-size and --hidden-sizes", "neither")
    print(summary_from_args(parse_positive_int("input_size", args.input_size),
                            parse_sizes("hidden_sizes", args.hidden_sizes),
                            parse_optional(parse_positive_int)("output_size", args.output_size),
                            args.cell, B, T, parse_flag("bidirectional", args.bidirectional)))
    return 0
