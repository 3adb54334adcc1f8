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
"""
from __future__ import annotations

import copy
import csv
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from .course import is_check_cell, nbgrader_meta

ASSIGNMENT = "course"
CSV_COLUMNS = ("student", "notebook", "exercise", "score", "max_score", "status")


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


def _resources(db_url: str, notebook: str, student: str | None = None, path: Path | None = None) -> dict:
    res = {"nbgrader": {"db_url": db_url, "assignment": ASSIGNMENT, "notebook": notebook}}
    if student is not None:
        res["nbgrader"]["student"] = student
    if path is not None:
        res["metadata"] = {"path": str(path)}
    return res


def record_instructor_edition(books: list[Path], db_url: str) -> None:
    """nbgrader's generate pipeline up to SaveCells: the gradebook learns each exercise and check cell."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, ClearSolutions, ComputeChecksums,
                                        LockCells, SaveCells)

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
    from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, Execute, LimitOutput,
                                        OverwriteCells, SaveAutoGrades)

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


def grade_submissions(books: list[Path], submissions: Path, timeout: int = 120,
                      log: Callable[[str], None] = print) -> GradeReport:
    """Grade SUBMISSIONS/<student>/NN_*.ipynb against the instructor edition `books`."""
    from nbgrader.api import Gradebook

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
    companions = books[0].parent / "results"
    report = GradeReport()
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
                work = Path(tmp) / "work" / student / stem  # executed here: nothing of the student's is touched
                work.mkdir(parents=True)
                if companions.is_dir():
                    shutil.copytree(companions, work / "results")
                try:
                    for note in autograde_notebook(path, instructor[stem], db_url, student, timeout, work):
                        report.notes.append(f"{student}/{path.name}: {note}")
                except Exception as exc:  # noqa: BLE001 - a broken submission must not stop the others
                    failed[stem] = f"not graded: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                    report.notes.append(f"{student}/{path.name}: {failed[stem]}")
                log(f"graded {student}/{path.name}" + (f" ({failed[stem]})" if stem in failed else ""))
            report.rows += _rows(db_url, student, graded, handed_in, failed, order)
    return report


def _rows(db_url: str, student: str, graded: list[Path], handed_in: dict, failed: dict,
          order: dict[str, dict[str, int]]) -> list[GradeRow]:
    """One row per exercise (a grade cell) of every graded notebook, in notebook order (`order`: grade id ->
    cell position per notebook stem), then the student's total."""
    from nbgrader.api import Gradebook

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
    from .atomic import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for r in report.rows:
            writer.writerow([r.student, r.notebook, r.exercise, "" if r.score is None else f"{r.score:g}",
                             f"{r.max_score:g}", r.status])
    return path
