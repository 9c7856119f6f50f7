"""``elman prepare --data FILE_OR_GLOB --out DIR``: tokenise a corpus once into a memory-mapped
token array for ``elman train --data DIR`` (``elman.data.prepared``)."""

import time


def add_prepare_parser(sub):
    p = sub.add_parser("prepare", help="tokenise a corpus once into a memory-mapped folder "
                       "of token ids, for language models of corpora larger than memory "
                       "(elman train --data DIR)")
    p.add_argument("--data", required=True, metavar="FILE_OR_GLOB", help="a UTF-8 text file, "
                   "or a quoted glob of them ('books/**/*.txt'), read in sorted order with a "
                   "newline between files")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write (replaced "
                   "whole)")
    p.add_argument("--level", default="char", help="char, word or subword tokens (default: "
                   "char)")
    p.add_argument("--lowercase", default="false", help="lower-case the text first (default: "
                   "false)")
    p.add_argument("--min-count", default="1", help="keep words seen at least this often; "
                   "the rest read as <unk> (level word; default: 1)")
    p.add_argument("--subwords", default="2000", help="pieces of the sentencepiece model "
                   "trained on the first 64 MiB of the text (level subword; default: 2000)")
    p.set_defaults(func=cmd_prepare)


def cmd_prepare(args) -> int:
    from ..io.prepare import prepare
    from ..options import parse_choice, parse_flag, parse_positive_int
    level = parse_choice(("char", "word", "subword"))("level", args.level)
    lowercase = parse_flag("lowercase", args.lowercase)
    min_count = parse_positive_int("min_count", args.min_count)
    subwords = parse_positive_int("subwords", args.subwords)
    t0 = time.monotonic()
    header = prepare(args.data, args.out, level=level, lowercase=lowercase,
                     min_count=min_count, subwords=subwords)
    seconds = time.monotonic() - t0
    print(f"{args.out}: {header['count']:,} {level}s of {len(header['sources'])} file(s) as "
          f"{header['dtype']} in {seconds:.1f} s ({header['count'] / max(seconds, 1e-9):,.0f} "
          f"tokens/s); elman train --data {args.out}" + ("" if level == "char" else
                                                         f" --level {level}") +
          (f" --subwords {subwords}" if level == "subword" else ""))
    return 0
