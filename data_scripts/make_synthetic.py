#!/usr/bin/env python
"""Write a synthetic faces/actions clip store (thin wrapper around imaginator_lite.data.synthetic)."""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from imaginator_lite.cli.data import add_synth_arguments, run_data_synth  # noqa: E402
from imaginator_lite.cli.errors import run  # noqa: E402


def main(argv=None) -> int:
    """Parse `argv` (default sys.argv[1:]) and render the store; returns the exit code."""
    parser = argparse.ArgumentParser(prog="make_synthetic.py", description=__doc__)
    add_synth_arguments(parser)
    return run("make_synthetic.py", run_data_synth, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
