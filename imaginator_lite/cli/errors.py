"""The command line's one error path, in a module of its own: every command module and data_scripts/ can run
a handler through it without importing main.py (which imports them all)."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

__all__ = ["run"]


def run(prog: str, handler: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """The one error path: a handler's return code, or one line on stderr and 2 (bad input or a
    missing file), 3 (training diverged: a non-finite loss) or 130 (Ctrl-C)."""
    try:
        return int(handler(args) or 0)
    except (ValueError, FileNotFoundError, IsADirectoryError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except FloatingPointError as exc:  # training.NonFiniteLossError
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
