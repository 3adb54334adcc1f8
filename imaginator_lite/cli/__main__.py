"""`python -m imaginator_lite.cli ...` (what `torchrun ... -m imaginator_lite.cli train ...` runs)."""
import sys

from .main import main

sys.exit(main())
