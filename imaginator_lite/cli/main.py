"""`imaginator-lite COMMAND ...`: builds the parser from the command modules and runs one handler."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from . import course, data, evaluate, generate, model, notebooks, train

#: The command groups, in the order `--help` lists them.
COMMAND_MODULES = (model, data, train, evaluate, generate, notebooks, course)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imaginator-lite",
        description="ImaGINator teaching package: synthetic data, training, evaluation, generation, the course.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def run(prog: str, handler: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """The one error path: a handler's return code, or one line on stderr and 2 (bad input or a
    missing file), 3 (training diverged: a non-finite loss) or 130 (Ctrl-C)."""
    try:
        return int(handler(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except FloatingPointError as exc:  # training.NonFiniteLossError
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(f"imaginator-lite {args.command}", args.func, args)


if __name__ == "__main__":
    sys.exit(main())
