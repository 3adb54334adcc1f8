"""`imaginator-lite course grade`: made-up submissions of notebook 02 scored with nbgrader's autograder: all
solved, half solved, one that deleted a check cell (and weakened another) to hide a wrong answer, and one whose
notebook kills its kernel (scored 0 with the reason, without stopping the others)."""
import copy
import csv
from pathlib import Path

import nbformat
import pytest

from imaginator_lite.cli.main import main
from imaginator_lite.course import is_check_cell, is_solution_cell, nbgrader_meta, student_notebook

pytest.importorskip("nbgrader")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BOOK = NOTEBOOKS / "02_transposed_1plus2d.ipynb"


def _code_solutions(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if is_solution_cell(c) and c.cell_type == "code"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    instructor = nbformat.read(BOOK, as_version=4)
    solutions = _code_solutions(instructor)
    assert len(solutions) == 6

    alice = copy.deepcopy(instructor)  # every exercise solved

    bob = student_notebook(copy.deepcopy(instructor), BOOK.name)  # the first half solved, the rest left as stubs
    for i in solutions[:3]:
        bob.cells[i].source = instructor.cells[i].source

    carol = copy.deepcopy(instructor)  # a wrong answer whose check she deleted, and a check she emptied
    wrong = solutions[1]
    carol.cells[wrong].source = carol.cells[wrong].source.replace("    ### BEGIN SOLUTION", "    ### BEGIN SOLUTION\n"
                                                                  "    raise ValueError('I gave up')")
    deleted = nbgrader_meta(carol.cells[wrong + 1])["grade_id"]
    assert is_check_cell(carol.cells[wrong + 1])
    del carol.cells[wrong + 1]
    emptied = next(c for c in carol.cells if is_check_cell(c))
    emptied.source = "pass  # my check now"

    dave = copy.deepcopy(instructor)  # a notebook that crashes its kernel
    dave.cells.insert(2, nbformat.v4.new_code_cell("import os\nos._exit(1)"))

    for name, nb in (("alice", alice), ("bob", bob), ("carol", carol), ("dave", dave)):
        (root / "submitted" / name).mkdir(parents=True)
        nbformat.write(nb, root / "submitted" / name / BOOK.name)
    before = {p: p.read_bytes() for p in (root / "submitted").rglob("*.ipynb")}
    code = main(["course", "grade", str(root / "submitted"), "--out", str(root / "grades.csv"), "--only", "02",
                 "--notebooks-dir", str(NOTEBOOKS), "--timeout", "300"])
    assert code == 0
    after = {p: p.read_bytes() for p in (root / "submitted").rglob("*.ipynb")}
    with open(root / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    print((root / "grades.csv").read_text())
    return dict(rows=rows, untouched=before == after, deleted=deleted)


def _total(rows, student) -> tuple[float, float]:
    row = next(r for r in rows if r["student"] == student and r["exercise"] == "TOTAL")
    return float(row["score"]), float(row["max_score"])


def test_one_row_per_student_and_exercise_plus_totals(graded):
    rows = graded["rows"]
    assert list(rows[0]) == ["student", "notebook", "exercise", "score", "max_score", "status"]
    exercises = {r["exercise"] for r in rows if r["exercise"] != "TOTAL"}
    assert len(exercises) == 7  # six autograded checks and one written answer
    assert sorted({r["student"] for r in rows}) == ["alice", "bob", "carol", "dave"]
    assert all(sum(r["student"] == s and r["exercise"] != "TOTAL" for r in rows) == 7 for s in ("alice", "bob", "carol"))
    written = {r["student"]: r for r in rows if r["exercise"] == "02_speed_discussion"}
    assert written["alice"]["score"] == "" and written["alice"]["status"] == "needs manual grading"
    assert written["bob"]["score"] == "0"  # left as handed out: nbgrader scores an unchanged answer 0
    order = [r["exercise"] for r in rows if r["student"] == "alice"]
    assert order.index("02_conv_transpose1d_check") < order.index("02_speed_discussion")  # notebook order


def test_scores_follow_what_each_student_solved(graded):
    rows = graded["rows"]
    assert _total(rows, "alice") == (6.0, 7.0)
    assert _total(rows, "bob") == (3.0, 7.0)
    assert _total(rows, "carol") == (5.0, 7.0)  # the restored check catches the wrong answer


def test_a_deleted_check_is_restored_and_scores_zero(graded):
    row = next(r for r in graded["rows"] if r["student"] == "carol" and r["exercise"] == graded["deleted"])
    assert float(row["score"]) == 0.0 and row["status"] == "graded"


def test_a_crashing_notebook_scores_zero_with_the_reason_and_the_others_are_graded(graded):
    dave = [r for r in graded["rows"] if r["student"] == "dave" and r["exercise"] != "TOTAL"]
    assert len(dave) == 7 and all(r["score"] == "0" and r["status"].startswith("not graded:") for r in dave)
    assert _total(graded["rows"], "dave") == (0.0, 7.0)
    total = next(r for r in graded["rows"] if r["student"] == "dave" and r["exercise"] == "TOTAL")
    assert total["status"] == "some work not graded (see its rows)"


def test_grading_never_modifies_the_submissions(graded):
    assert graded["untouched"]
