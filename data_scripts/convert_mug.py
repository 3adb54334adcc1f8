#!/usr/bin/env python
"""Convert a mug download into an imaginator-lite clip store (thin wrapper; logic in imaginator_lite.data.importers)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from imaginator_lite.cli.convert_args import script_main  # noqa: E402


def main(argv=None) -> int:
    """Parse `argv` (default sys.argv[1:]) and convert; returns the exit code."""
    return script_main("mug", argv, prog="convert_mug.py")


if __name__ == "__main__":
    sys.exit(main())
