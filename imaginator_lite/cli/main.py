"""`imaginator-lite COMMAND ...`: builds the parser from the command modules and runs one handler."""
from __future__ import annotations

import argparse
import sys

from . import course, data, evaluate, generate, model, notebooks, train
from .errors import run  # noqa: F401 - also importable from here, as before

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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(f"imaginator-lite {args.command}", args.func, args)


if __name__ == "__main__":
    sys.exit(main())
