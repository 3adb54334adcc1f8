"""Measured quantities typed by hand: the prose that docs/tables.py does not render, read for numbers.

    python docs/typed_numbers.py           list every typed number and exit 1 if any is not allowed

A measurement belongs in a committed file and on the page through a rendered block (docs/tables.py) or a notebook
cell that computes its sentence. This check looks at what is typed instead: README.md and docs/*.md outside the
rendered blocks, the notebooks' Markdown cells, and the string literals that a notebook's code cell prints as prose
(`Markdown(...)`, `print(...)`). It flags a decimal (0.73), a percentage (45%), a ratio (7x) and a count or time
with a unit (26 s, 3 min, 256 px, 800 steps, 3 runs). Definitions and parameters pass through ALLOWED: each entry
is a phrase (a regular expression) that may stand in the prose, with the reason it is not a measurement.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RENDERED = re.compile(r"<!-- BEGIN [\w-]+ -->\n.*?<!-- END [\w-]+ -->", re.S)
UNIT = r"(?:s|ms|min|px|steps|runs|seconds|minutes|pixels)"
TYPED = re.compile(rf"""(?<![\w.`/=-])(
      \d+(?:,\d{{3}})*\.\d+\s?(?:x|×)?(?![\w.])        # a decimal (or a decimal ratio: 1.06x)
    | \d+(?:\.\d+)?\s?%                                 # a percentage
    | \d+(?:x|×)(?![\w\d])                              # a ratio: 7x
    | \d+(?:,\d{{3}})*\s?{UNIT}(?![\w])                 # a count or a time with a unit
    )""", re.X)

#: (phrase, reason): a phrase that matches is a definition or a parameter, not a measurement.
ALLOWED: list[tuple[str, str]] = [
    (r"[Ee]xercise \d+\.\d+", "an exercise's number"),
    (r"[\w-]+==\d+(?:\.\d+)+", "a pinned package version"),
    (r"Python 3\.\d+", "a Python version"),
    (r"127\.0\.0\.1", "the loopback address"),
    (r"\$[^$\n]+\$", "LaTeX maths: a definition or a derivation, not a measurement"),
    (r"\b(?:16|32|64|128|256) (?:px|pixels)\b", "a model's or a photo crop's size (the presets' image sizes, the "
                                                "largest photo side): a parameter"),
    (r"\b8 (?:px|pixels)\b", "notebook 07's hand-made flow: its amplitude is a parameter of the example"),
    (r"\(0\.5, 0\.999\)", "Adam's betas, the paper's recipe"),
    (r"LeakyReLU\(0\.2\)|LeakyReLU_\{0\.2\}", "the LeakyReLU slope of the paper's networks"),
    (r"N\(0, 0\.02\)", "the DCGAN initialisation"),
    (r"by more than 0\.1", "the moving threshold that defines moving_l1 (evaluation.metrics)"),
    (r"> 0\.1", "the moving threshold in code (evaluation.metrics)"),
    (r"29\.97 fps", "the carphone clip's frame rate, a property of the data"),
    (r"\(70 / 15 / 15 %\)", "the split fractions (defaults.SPLIT_FRACTIONS)"),
    (r"2 / C\(6, 3\) = 2/20 = 10%", "arithmetic: the chance that two sets of three seeds separate"),
    (r"\) × 10%", "the same chance, in a formula"),
    (r"2/252, under 1%", "arithmetic: the chance for five seeds a side"),
    (r"(?:at least|most) \d+(?:\.\d+)?% of", "a goal (issue 29), not a measurement"),
    (r"goals?: (?:at (?:most|least) [\d.]+%?|0 and at most 1%)", "a goal (issue 29), not a measurement"),
    (r"half-axes 0\.36 and 0\.45", "the face ellipse's definition (models/smooth_warp.FACE_ELLIPSE)"),
    (r"\(< 0\.5 or > 2\)", "the squash share's definition (evaluation.photo_motion)"),
    (r"at least 3(?:x|×) chance", "the pass mark's definition (evaluation.verdict)"),
    (r"\b(?:800|150|20|5) steps\b", "a recipe's parameter (the tour's 800, notebook 05's live pair's 150, the "
                                    "tour's first report after 20, the official-loop benchmark's median of 5)"),
    (r"\d+\.\d+(?:\.\d+)? \(`fer`|fer \d+\.\d+\.\d+", "a package version"),
]


def _allowed_removed(line: str) -> str:
    for phrase, _ in ALLOWED:
        line = re.sub(phrase, " ", line)
    return line


def typed(text: str, where: str) -> list[str]:
    """'where:line: number | the line' for every typed number in `text` that no ALLOWED phrase covers."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in TYPED.finditer(_allowed_removed(line)):
            out.append(f"{where}:{number}: {match.group(1).strip()} | {line.strip()[:120]}")
    return out


def printed_strings(source: str) -> list[str]:
    """The literal parts of every string passed to Markdown(...) or print(...) in a code cell."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    texts: list[str] = []

    def literals(node: ast.AST) -> None:  # string constants, but not an f-string's format specs ({x:5s})
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.FormattedValue):
            literals(node.value)
        else:
            for child in ast.iter_child_nodes(node):
                literals(child)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("Markdown", "print"):
            for arg in node.args:
                literals(arg)
    return texts


def findings(root: Path = ROOT) -> list[str]:
    """Every typed number in README.md, docs/*.md and the notebooks that ALLOWED does not cover."""
    out = []
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        out += typed(RENDERED.sub("", page.read_text(encoding="utf-8")), str(page.relative_to(root)))
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            source = "".join(cell["source"])
            where = f"{path.relative_to(root)} cell {index}"
            if cell["cell_type"] == "markdown":
                out += typed(source, where)
            elif cell["cell_type"] == "code":
                out += [f for text in printed_strings(source) for f in typed(text, where + " (printed)")]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to read (default: this one)")
    args = parser.parse_args(argv)
    found = findings(args.root.resolve())
    if found:
        print("typed numbers (render them from a committed file, compute them in the notebook, or add the phrase "
              "to ALLOWED with its reason if it is a definition or a parameter):\n  " + "\n  ".join(found))
        return 1
    print("no typed measured number in README.md, docs/*.md or the notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
