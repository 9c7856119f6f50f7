"""``elman serve RUN [RUN ...]``: the runs' models over HTTP (``elman.serve``)."""

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

from ..errors import bad
from ..options import parse_int_range, parse_positive, parse_positive_int

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_serve_parser(sub):
    from ..serve.limits import Limits
    p = sub.add_parser("serve", help="serve trained runs over HTTP (routes from each run's task)")
    p.add_argument("runs", metavar="RUN", nargs="+", help="run folders; each is served under "
                   "/v1/NAME/..., NAME its folder's name")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, "
                   "this machine only; another address warns)")
    p.add_argument("--port", default="8000", help="port (default: 8000)")
    p.add_argument("--threads", default=None, help="torch threads of the model calls "
                   "(default: one less than the cores, leaving one to the HTTP event loop)")
    for f in fields(Limits):
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, default=None,
                       help=f"{f.metadata['help']} (default: {f.default:g})")
    p.set_defaults(func=cmd_serve)


def limits_of(args: argparse.Namespace):
    from ..serve.limits import Limits
    given = {}
    for f in fields(Limits):
        value = getattr(args, f.name)
        if value is not None:
            parse = parse_positive_int if f.type is int else parse_positive
            given[f.name] = parse(f.name, value)
    return Limits(**given)


def served_runs(paths: list[str]) -> list:
    from ..serve.app import Served
    from .run import load_run
    names = [Path(p).resolve().name for p in paths]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise bad("runs", "run folders of different names (the names are the URLs)",
                  f"{twice[0]!r} twice")
    out = []
    for name, path in zip(names, paths):
        run, task = load_run(path)
        if not task.routes:
            raise bad("runs", "runs of tasks that offer routes", f"a {task.name} run at {path}")
        out.append(Served(name, run, task))
    return out


def cmd_serve(args: argparse.Namespace) -> int:
    from ..extras import require
    require("fastapi", "serve")
    uvicorn = require("uvicorn", "serve")
    port = parse_int_range(1, 65535)("port", args.port)
    limits = limits_of(args)
    threads = max(1, (os.cpu_count() or 2) - 1) if args.threads is None else \
        parse_positive_int("threads", args.threads)
    from ..serve.app import build_app
    served = served_runs(args.runs)
    if args.host not in LOOPBACK:
        print(f"elman: warning: serving on {args.host}: other machines can reach these "
              "models; elman serve has no authentication", file=sys.stderr)
    app = build_app(served, limits, threads=threads)
    for s in served:
        for r in s.task.routes:
            print(f"http://{args.host}:{port}/v1/{s.name}/{r.name}  ({s.task.name}: {r.help})")
    print(f"http://{args.host}:{port}/docs  (the API page)")
    print(f"http://{args.host}:{port}/  (the page: what each run can do, and inside it)",
          flush=True)
    uvicorn.run(app, host=args.host, port=port, log_level="warning")
    return 0
