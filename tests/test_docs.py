"""The record: README.md and docs/*.md agree with the committed JSON they are rendered from, the README stays a
front door, and the README's papermill command works as written from the repository root."""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nbtools import parameters, readme_papermill_commands

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "docs" / "tables.py"


def run_tables(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TABLES), *args], capture_output=True, text=True, timeout=300)


def test_every_rendered_block_matches_its_json():
    proc = run_tables("--check")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def copy_of_the_record(tmp: Path) -> Path:
    """The files docs/tables.py reads and writes, in `tmp` (weights and caches left out)."""
    skip = shutil.ignore_patterns("*.safetensors", "__pycache__", "runs", "*.png", "*.gif")
    for folder in ("docs", "benchmarks/results", "notebooks", "imaginator_lite"):
        shutil.copytree(ROOT / folder, tmp / folder, ignore=skip)
    shutil.copy2(ROOT / "README.md", tmp / "README.md")
    return tmp


def test_the_check_fails_after_one_committed_number_changes(tmp_path):
    """Change one number in one committed JSON file: --check names the stale block and exits 1; rendering mends it."""
    root = copy_of_the_record(tmp_path)
    card = root / "imaginator_lite" / "pretrained" / "faces.json"
    data = json.loads(card.read_text())
    data["held_out"]["results"]["model"]["moving_l1"] += 0.01
    card.write_text(json.dumps(data))
    proc = run_tables("--check", "--root", str(root))
    assert proc.returncode == 1, proc.stdout
    assert "docs/shipped_models.md: block 'shipped_models'" in proc.stdout
    assert "docs/shipped_models.md: block 'shipped_vs_tour'" in proc.stdout
    assert run_tables("--root", str(root)).returncode == 0
    assert run_tables("--check", "--root", str(root)).returncode == 0


TYPED = ROOT / "docs" / "typed_numbers.py"


def run_typed(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TYPED), *args], capture_output=True, text=True, timeout=120)


def test_no_measured_number_is_typed_by_hand():
    """README, docs and the notebooks: every measured number is rendered or computed (docs/typed_numbers.py)."""
    proc = run_typed()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_the_typed_number_check_finds_each_kind_and_passes_definitions(tmp_path):
    root = copy_of_the_record(tmp_path)
    page = root / "docs" / "study.md"
    page.write_text(page.read_text() + "\nThe tour took 26 s, is 7x faster, 45% better and reached FD 0.73 in 800 runs.\n"
                    "Exercise 5.1 uses a 32 px frame and torch==2.13.0.\n")
    nb_path = root / "notebooks" / "05_ablations.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('display(Markdown(f"The step took {t:.2f} s, not 3.5 s."))'))
    nbformat.write(nb, nb_path)
    proc = run_typed("--root", str(root))
    assert proc.returncode == 1
    flagged = re.findall(r"docs/study.md:\d+: (\S+(?: \S+)?) \|", proc.stdout)
    assert flagged == ["26 s", "7x", "45%", "0.73", "800 runs"], proc.stdout
    assert "05_ablations.ipynb cell" in proc.stdout and "3.5 s" in proc.stdout
    assert "Exercise" not in proc.stdout and "32 px" not in proc.stdout and "2.13" not in proc.stdout


def test_an_unknown_block_is_an_error(tmp_path):
    root = copy_of_the_record(tmp_path)
    page = root / "docs" / "study.md"
    page.write_text(page.read_text() + "\n<!-- BEGIN no_such_table -->\n<!-- END no_such_table -->\n")
    proc = run_tables("--check", "--root", str(root))
    assert proc.returncode != 0 and "unknown block 'no_such_table'" in proc.stdout + proc.stderr


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    for page in re.findall(r"\]\((docs/[\w.]+\.md)\)", text):
        assert (ROOT / page).is_file(), page
    for page in sorted((ROOT / "docs").glob("*.md")):  # every docs page is reachable from the README
        assert f"docs/{page.name}" in text or any(f"({page.name})" in p.read_text()
                                                  for p in (ROOT / "docs").glob("*.md")), page.name


@pytest.mark.e2e
def test_the_readme_papermill_command_works_as_written_from_the_repository_root(tmp_path):
    """The README's command, run from the root of a copy of the repository (so its outputs stay in tmp), with
    only the sizes cut to a few steps: the notebook's own relative paths land inside the copy's notebooks/."""
    from test_notebooks import FULL_MODE_SIZES

    commands = readme_papermill_commands()
    assert commands, "the README shows how to run a notebook with papermill"
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("runs"))
    for command in commands:
        argv = shlex.split(command)
        book = tmp_path / argv[argv.index("--cwd") + 2]
        sizes = FULL_MODE_SIZES[book.stem[:2]]
        assert set(sizes) <= set(parameters(nbformat.read(book, as_version=4)))
        cut = [arg for name, value in sizes.items() for arg in ("-y", f"{name}: {json.dumps(value)}")]
        proc = subprocess.run([sys.executable, "-m", "papermill", *argv[1:], *cut, "--no-progress-bar"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, command + "\n" + proc.stderr[-3000:]
        output = tmp_path / argv[argv.index("--cwd") + 3]
        assert output.is_file(), output
        written = {p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*") if p.is_file()}
        assert ("notebooks", "runs") in written, "the notebook's runs/ resolves inside the copy's notebooks/"
