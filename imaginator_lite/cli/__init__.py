"""The `imaginator-lite` command. One module per command group, each with `register(subparsers)`
and handlers named `run_<command>`; every handler's errors leave through `errors.run`."""
from .main import main

__all__ = ["main"]
