"""The `imaginator-lite` command: dispatches to sub-commands registered by cli_* modules."""
from __future__ import annotations

import argparse
import sys
from importlib import import_module

#: Modules that each provide `register(subparsers)`; handlers are `func(args) -> int`.
COMMAND_MODULES = ("imaginator_lite.cli_model", "imaginator_lite.cli_data", "imaginator_lite.cli_train",
                   "imaginator_lite.cli_notebooks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imaginator-lite",
        description="ImaGINator teaching package: synthetic data, training, generation, notebooks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"imaginator-lite {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
