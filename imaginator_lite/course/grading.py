"""Score a folder of student submissions with nbgrader's own autograde machinery, no course directory needed.

    imaginator-lite course grade SUBMISSIONS --out grades.csv      # SUBMISSIONS/<student>/NN_*.ipynb

1. The instructor edition goes through nbgrader's generate pipeline up to `SaveCells`, into a temporary
   gradebook: it records every exercise, its points and the instructor's check cells (hidden tests included).
2. Each submission goes through the autograde pipeline: `OverwriteCells` restores the instructor's check
   cells (a student cannot edit a check away; a check cell the student deleted is put back first),
   `Execute` runs it (errors become 0 points), `SaveAutoGrades` stores the scores (a written answer left as
   it was handed out scores 0; an answered one is left for manual grading).
3. One CSV row per student and exercise plus a total per student. A submission that crashes, hangs past the
   timeout or cannot be read scores 0 with the reason, and the others are graded on.

Per-cell time limits (`default_timeouts`). A cell that runs past its limit is interrupted and fails, and so
do the checks after it, so the limit must fit the slowest cell of a correct submission on a slow CPU. It is
derived, per notebook, from each tutorial's measured quick-mode time (tutorial_times.json beside this module,
written by benchmarks/time_tutorials.py: the slowest cell per CPU class, one intra-op thread):

    reference = the slowest cell, on the slowest CPU class measured, where an AVX-512 time counts AVX2_FACTOR
                (2) times (AVX2 machines trained 1.5-2x slower than the AVX-512 one the times come from)
    limit     = max(TIMEOUT_FLOOR, SLOWER_CPU * reference rounded up to 10 s)   # SLOWER_CPU = 3, floor 120 s

so a CPU three times slower than the AVX2 class still finishes every cell. A notebook without a measurement
gets the roomiest limit of the measured ones. `course grade --timeout S` sets one limit for every cell instead.
"""
from __future__ import annotations

import contextlib
import copy
import csv
import json
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import nbformat

from ..atomic import atomic_path
from .editions import is_check_cell, nbgrader_meta

ASSIGNMENT = "course"
CSV_COLUMNS = ("student", "notebook", "exercise", "score", "max_score", "status")

#: Each tutorial's measured quick-mode times per CPU class (benchmarks/time_tutorials.py writes it).
TUTORIAL_TIMES = Path(__file__).resolve().with_name("tutorial_times.json")
#: Room for a CPU this many times slower than the slowest class measured.
SLOWER_CPU = 3.0
#: An AVX-512 measurement counts this many times: AVX2 machines trained 1.5-2x slower than the AVX-512 one.
AVX2_FACTOR = 2.0
#: Never less per cell (seconds): kernel start, imports and a busy machine; the limit before measurements.
TIMEOUT_FLOOR = 120


def load_tutorial_times(path: Path = TUTORIAL_TIMES) -> dict:
    """The committed measurements: {"machine": ..., "classes": {class: {"notebooks": {stem: timings}}}}."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"no tutorial timings at {path} (run benchmarks/time_tutorials.py), "
                                "or pass --timeout") from None


def default_timeouts(path: Path = TUTORIAL_TIMES) -> dict[str, int]:
    """{notebook stem: per-cell limit in seconds}, derived from the measured quick-mode times as the module
    docstring says: max(TIMEOUT_FLOOR, SLOWER_CPU x the slowest cell on the slowest class, rounded up to 10 s),
    an AVX-512 time counting AVX2_FACTOR times."""
    reference: dict[str, float] = {}
    for name, measured in load_tutorial_times(path)["classes"].items():
        factor = AVX2_FACTOR if name.upper().startswith("AVX512") else 1.0
        for stem, times in measured["notebooks"].items():
            reference[stem] = max(reference.get(stem, 0.0), factor * float(times["slowest_cell_s"]))
    return {stem: max(TIMEOUT_FLOOR, 10 * math.ceil(SLOWER_CPU * seconds / 10)) for stem, seconds in reference.items()}


def timeouts_for(books: list[Path], timeout: int | None = None) -> dict[str, int]:
    """{stem: per-cell limit} for `books`: `timeout` for all when given, else default_timeouts (a notebook
    not measured gets the roomiest measured limit)."""
    if timeout is not None:
        return {b.stem: int(timeout) for b in books}
    measured = default_timeouts()
    roomiest = max(measured.values(), default=TIMEOUT_FLOOR)
    return {b.stem: measured.get(b.stem, roomiest) for b in books}


@dataclass
class GradeRow:
    """One exercise of one student's notebook (or a student's total, exercise 'TOTAL')."""

    student: str
    notebook: str
    exercise: str
    score: float | None
    max_score: float
    status: str = "graded"


@dataclass
class GradeReport:
    """The rows, and per notebook what had to be repaired or went wrong."""

    rows: list[GradeRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timeouts: dict[str, int] = field(default_factory=dict)  # per-cell limit (s) per notebook stem


def _resources(db_url: str, notebook: str, student: str | None = None, path: Path | None = None) -> dict:
    res = {"nbgrader": {"db_url": db_url, "assignment": ASSIGNMENT, "notebook": notebook}}
    if student is not None:
        res["nbgrader"]["student"] = student
    if path is not None:
        res["metadata"] = {"path": str(path)}
    return res


def record_instructor_edition(books: list[Path], db_url: str) -> None:
    """nbgrader's generate pipeline up to SaveCells: the gradebook learns each exercise and check cell."""
    from nbgrader.api import Gradebook  # deferred, optional: the course extra (nbgrader)

    # deferred, optional: the course extra (nbgrader)
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
        SaveCells,
    )

    with Gradebook(db_url) as gb:
        gb.update_or_create_assignment(ASSIGNMENT)
    for book in books:
        nb = nbformat.read(book, as_version=4)
        resources = _resources(db_url, book.stem)
        for pre in (LockCells(), ClearSolutions(), ClearOutput(), CheckCellMetadata(), ComputeChecksums(),
                    SaveCells()):
            nb, resources = pre.preprocess(nb, resources)


def restore_deleted_checks(submission, instructor) -> list[str]:
    """Put back every instructor check cell missing from the submission (by grade id), after the cell that
    precedes it in the instructor notebook; returns the restored grade ids."""
    present = {nbgrader_meta(c).get("grade_id") for c in submission.cells}
    restored = []
    for i, cell in enumerate(instructor.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not is_check_cell(cell) or grade_id in present:
            continue
        before = next((nbgrader_meta(c).get("grade_id") for c in reversed(instructor.cells[:i])
                       if nbgrader_meta(c).get("grade_id")), None)
        at = next((j + 1 for j, c in enumerate(submission.cells) if before and nbgrader_meta(c).get("grade_id") == before),
                  len(submission.cells))
        submission.cells.insert(at, copy.deepcopy(cell))
        present.add(grade_id)
        restored.append(grade_id)
    return restored


def autograde_notebook(path: Path, instructor_nb, db_url: str, student: str, timeout: int, workdir: Path) -> list[str]:
    """Autograde one submitted notebook into the gradebook; returns notes (restored checks)."""
    # deferred, optional: the course extra (nbgrader)
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        Execute,
        LimitOutput,
        OverwriteCells,
        SaveAutoGrades,
    )

    nb = nbformat.read(path, as_version=4)
    restored = restore_deleted_checks(nb, instructor_nb)
    resources = _resources(db_url, path.stem, student, workdir)
    for pre in (ClearOutput(), DeduplicateIds(), OverwriteCells(), CheckCellMetadata(),
                Execute(timeout=timeout, kernel_name="python3"), LimitOutput(), SaveAutoGrades()):
        nb, resources = pre.preprocess(nb, resources)
    return [f"restored the deleted check cell {g}" for g in restored]


def _submitted_notebooks(folder: Path, names: list[str]) -> dict[str, Path]:
    """{notebook stem: path} of a student's folder (notebooks directly inside, or one level down)."""
    found = {}
    for name in names:
        hits = sorted(folder.glob(name)) or sorted(folder.glob(f"*/{name}"))
        if hits:
            found[Path(name).stem] = hits[0]
    return found


@contextlib.contextmanager
def _alembic_on_path() -> Iterator[None]:
    """nbgrader's Gradebook runs the `alembic` command (from PATH) to create a database. Installed in a
    virtual environment that is not activated (e.g. `venv/bin/imaginator-lite course grade`), it is not on
    PATH: put this interpreter's scripts folder, where pip installed it, first while grading."""
    scripts = str(Path(sys.executable).parent)
    if shutil.which("alembic") or not shutil.which("alembic", path=scripts):
        yield
        return
    before = os.environ.get("PATH")
    os.environ["PATH"] = scripts + os.pathsep + (before or "")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = before


def grade_submissions(books: list[Path], submissions: Path, timeout: int | None = None,
                      log: Callable[[str], None] = print) -> GradeReport:
    """Grade SUBMISSIONS/<student>/NN_*.ipynb against the instructor edition `books`. `timeout`: seconds per
    cell for every notebook; None: each notebook's limit from its measured time (`default_timeouts`)."""
    with _alembic_on_path():
        return _grade_submissions(books, submissions, timeout, log)


def _grade_submissions(books: list[Path], submissions: Path, timeout: int | None,
                       log: Callable[[str], None]) -> GradeReport:
    from nbgrader.api import Gradebook  # deferred, optional: the course extra (nbgrader)

    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"no submissions folder {submissions}; expected SUBMISSIONS/<student>/NN_*.ipynb")
    students = sorted(d.name for d in submissions.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not students:
        raise ValueError(f"{submissions} holds no student folders; expected SUBMISSIONS/<student>/NN_*.ipynb")
    editions = {b: nbformat.read(b, as_version=4) for b in books}  # each instructor notebook read once
    graded = [b for b, nb in editions.items() if any(nbgrader_meta(c).get("grade") for c in nb.cells)]
    instructor = {b.stem: editions[b] for b in graded}
    order = {stem: {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)} for stem, nb in instructor.items()}
    limits = timeouts_for(graded, timeout)
    companions = books[0].parent / "results"
    report = GradeReport(timeouts=limits)
    with tempfile.TemporaryDirectory(prefix="imaginator-grade-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'gradebook.db'}"
        record_instructor_edition(graded, db_url)
        for student in students:
            with Gradebook(db_url) as gb:
                gb.update_or_create_student(student)
                gb.add_submission(ASSIGNMENT, student)
            handed_in = _submitted_notebooks(submissions / student, [b.name for b in graded])
            failed: dict[str, str] = {}
            for stem, path in handed_in.items():
                start = time.perf_counter()
                work = Path(tmp) / "work" / student / stem  # executed here: nothing of the student's is touched
                work.mkdir(parents=True)
                if companions.is_dir():
                    shutil.copytree(companions, work / "results")
                try:
                    for note in autograde_notebook(path, instructor[stem], db_url, student, limits[stem], work):
                        report.notes.append(f"{student}/{path.name}: {note}")
                except Exception as exc:  # noqa: BLE001 - a broken submission must not stop the others
                    failed[stem] = f"not graded: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                    report.notes.append(f"{student}/{path.name}: {failed[stem]}")
                log(f"graded {student}/{path.name} in {time.perf_counter() - start:.0f}s"
                    + (f" ({failed[stem]})" if stem in failed else ""))
            report.rows += _rows(db_url, student, graded, handed_in, failed, order)
    return report


def _rows(db_url: str, student: str, graded: list[Path], handed_in: dict, failed: dict,
          order: dict[str, dict[str, int]]) -> list[GradeRow]:
    """One row per exercise (a grade cell) of every graded notebook, in notebook order (`order`: grade id ->
    cell position per notebook stem), then the student's total."""
    from nbgrader.api import Gradebook  # deferred, optional: the course extra (nbgrader)

    rows = []
    with Gradebook(db_url) as gb:
        for book in graded:
            notebook = gb.find_submission_notebook(book.stem, ASSIGNMENT, student)
            position = order[book.stem]
            for grade in sorted(notebook.grades, key=lambda g: position.get(g.cell.name, len(position))):
                if book.stem not in handed_in:
                    score, status = 0.0, "not handed in"
                elif book.stem in failed:
                    score, status = 0.0, failed[book.stem]
                elif grade.auto_score is None:
                    score, status = None, "needs manual grading"
                else:
                    score, status = float(grade.score), "graded"
                rows.append(GradeRow(student, book.name, grade.cell.name, score, float(grade.max_score), status))
    total = sum(r.score or 0.0 for r in rows)
    status = ("some work not graded (see its rows)" if any(r.status.startswith("not ") for r in rows) else
              "manual grades still to add" if any(r.score is None for r in rows) else "graded")
    rows.append(GradeRow(student, "", "TOTAL", total, sum(r.max_score for r in rows), status))
    return rows


def write_grades_csv(report: GradeReport, path: Path) -> Path:
    """grades.csv (atomically): the columns of CSV_COLUMNS, one row per student and exercise plus totals."""

    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for r in report.rows:
            writer.writerow([r.student, r.notebook, r.exercise, "" if r.score is None else f"{r.score:g}",
                             f"{r.max_score:g}", r.status])
    return path
