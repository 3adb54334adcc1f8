"""`imaginator-lite course grade`: made-up submissions scored with nbgrader's autograder, in ONE grading run.

- every tutorial with exercises (found by their nbgrader metadata), as submitted by `erin`: the student edition
  with every answer filled in but the last code exercise, which keeps its `raise NotImplementedError()` stub. Her
  other checks pass, and the stubbed exercise's solution passes its check in the instructor edition's run
  (test_course), so every solution is shown to score without grading a second full copy of every tutorial;
- notebook 02 only, by four more: every exercise solved (`alice`, the instructor edition), half solved (`bob`), a
  deleted check cell (and a weakened one) hiding a wrong answer (`carol`), a notebook that kills its kernel (`dave`,
  scored 0 with the reason, the others graded on).

The notebooks run as committed (quick mode), with `course grade`'s default per-cell limits (derived from
imaginator_lite/course/tutorial_times.json), one intra-op thread, every output inside the grader's temporary folder.
Grading is slow (notebooks 04 and 05 train in quick mode), so the run is shared by the module's `slow` tests;
the fast tests check the limits' derivation.
"""
import contextlib
import copy
import csv
import io
import json
import sys
import time
from pathlib import Path

import nbformat
import pytest

from imaginator_lite.cli.main import main
from imaginator_lite.course.editions import is_check_cell, is_solution_cell, nbgrader_meta, student_notebook
from imaginator_lite.course.grading import (AVX2_FACTOR, SLOWER_CPU, TIMEOUT_FLOOR, TUTORIAL_TIMES, default_timeouts,
                                     timeouts_for)

pytest.importorskip("nbgrader")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BOOK = NOTEBOOKS / "02_transposed_1plus2d.ipynb"
#: Every tutorial with an exercise (an nbgrader grade cell): what `course grade` grades.
GRADED = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
          if any(nbgrader_meta(c).get("grade") for c in nbformat.read(p, as_version=4).cells)]


def _code_solutions(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if is_solution_cell(c) and c.cell_type == "code"]


def _check_of(nb, solution: int) -> str:
    """The grade id of the first check cell after the solution cell `solution`."""
    return next(nbgrader_meta(c)["grade_id"] for c in nb.cells[solution + 1:] if is_check_cell(c))


def _one_stub_left(instructor, name: str):
    """The student edition with every answer filled in from `instructor` except the last code exercise's;
    returns it and the grade id of the check that must fail."""
    nb = student_notebook(copy.deepcopy(instructor), name)
    solutions = [i for i, c in enumerate(instructor.cells) if is_solution_cell(c)]
    stub = _code_solutions(instructor)[-1]
    for i in solutions:
        if i != stub:
            nb.cells[i].source = instructor.cells[i].source
    assert "raise NotImplementedError()" in nb.cells[stub].source
    return nb, _check_of(instructor, stub)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    submitted = {}
    broken = {}
    for path in GRADED:
        instructor = nbformat.read(path, as_version=4)
        submitted[("erin", path.name)], broken[path.stem] = _one_stub_left(instructor, path.name)

    instructor = nbformat.read(BOOK, as_version=4)
    submitted[("alice", BOOK.name)] = copy.deepcopy(instructor)  # every exercise solved
    solutions = _code_solutions(instructor)
    assert len(solutions) == 6

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

    for name, nb in (("bob", bob), ("carol", carol), ("dave", dave)):
        submitted[(name, BOOK.name)] = nb
    for (student, book), nb in submitted.items():
        (root / "submitted" / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, root / "submitted" / student / book)
    before = {p: p.read_bytes() for p in (root / "submitted").rglob("*.ipynb")}
    out = io.StringIO()
    start = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("OMP_NUM_THREADS", "1")  # the kernels: one intra-op thread, as the timings were measured
        code = main(["course", "grade", str(root / "submitted"), "--out", str(root / "grades.csv"),
                     "--notebooks-dir", str(NOTEBOOKS)])  # one run; the default per-cell limits
    seconds = time.perf_counter() - start
    print(out.getvalue())
    print(f"graded {len(submitted)} submitted notebooks of {len(GRADED)} tutorials in {seconds:.0f}s")
    assert code == 0
    after = {p: p.read_bytes() for p in (root / "submitted").rglob("*.ipynb")}
    with open(root / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    print((root / "grades.csv").read_text())
    return dict(rows=rows, untouched=before == after, deleted=deleted, broken=broken, stdout=out.getvalue())


def _rows(rows, student, book=None) -> list[dict]:
    return [r for r in rows if r["student"] == student and r["exercise"] != "TOTAL"
            and (book is None or r["notebook"] == book.name)]


def _total(rows, student, book=BOOK) -> tuple[float, float]:
    """(score, max) of one student's notebook."""
    mine = _rows(rows, student, book)
    return sum(float(r["score"] or 0) for r in mine), sum(float(r["max_score"]) for r in mine)


# ------------------------------------------------------------------------------------------ fast: time limits

def test_the_timings_cover_every_graded_tutorial_and_say_where_they_were_measured():
    times = json.loads(TUTORIAL_TIMES.read_text())
    assert times["machine"]["cpu"] and times["machine"]["native_isa"]
    assert times["classes"], "no CPU class measured"
    for name, measured in times["classes"].items():
        assert {p.stem for p in GRADED} <= set(measured["notebooks"]), f"{name} lacks a graded tutorial"
        for stem, t in measured["notebooks"].items():
            assert 0 < t["slowest_cell_s"] <= t["total_s"], (name, stem)


def test_default_limits_follow_the_documented_rule():
    times = json.loads(TUTORIAL_TIMES.read_text())["classes"]
    limits = default_timeouts()
    for path in GRADED:
        slowest = max((AVX2_FACTOR if name.startswith("AVX512") else 1) * c["notebooks"][path.stem]["slowest_cell_s"]
                      for name, c in times.items())
        assert limits[path.stem] >= TIMEOUT_FLOOR and limits[path.stem] % 10 == 0
        assert limits[path.stem] >= SLOWER_CPU * slowest, path.stem  # room for a CPU 3x slower than the AVX2 class
        assert limits[path.stem] < SLOWER_CPU * slowest + 10 or limits[path.stem] == TIMEOUT_FLOOR, path.stem
    # notebook 04's training cell took 80-200 s on an AVX2 laptop: 120 s per cell scored a correct student 0
    assert limits["04_training"] > 200


def test_timeout_overrides_every_limit_and_an_unmeasured_notebook_gets_the_roomiest(tmp_path):
    assert timeouts_for(GRADED, 50) == {p.stem: 50 for p in GRADED}
    mine = tmp_path / "07_mine.ipynb"
    assert timeouts_for([*GRADED, mine])["07_mine"] == max(default_timeouts().values())


def test_grade_help_states_the_rule_and_the_limits(capsys):
    with pytest.raises(SystemExit):
        main(["course", "grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "slowest cell" in text and "AVX-512 time counts 2x" in text and f"at least {TIMEOUT_FLOOR} s" in text
    assert f"04: {default_timeouts()['04_training']}s" in text


def test_the_gradebook_finds_alembic_without_an_activated_venv(monkeypatch):
    """nbgrader runs the `alembic` command to create its gradebook: found beside this interpreter, as in a
    venv run as venv/bin/imaginator-lite without `activate`."""
    import os
    import shutil

    from imaginator_lite.course.grading import _alembic_on_path

    monkeypatch.setenv("PATH", "/nonexistent")
    with _alembic_on_path():
        assert Path(shutil.which("alembic")).parent == Path(sys.executable).parent
    assert os.environ["PATH"] == "/nonexistent"


# ------------------------------------------------------------------------------------------ slow: one grading run

@pytest.mark.e2e
def test_every_tutorial_with_exercises_is_graded_with_its_measured_limit(graded):
    assert len(GRADED) >= 5 and "06_generate_widgets.ipynb" not in [p.name for p in GRADED]
    limits = default_timeouts()
    assert "per-cell time limit: " + ", ".join(f"{p.stem} {limits[p.stem]}s" for p in GRADED) in graded["stdout"]
    for path in GRADED:
        assert _rows(graded["rows"], "erin", path), path.name
    assert _rows(graded["rows"], "alice", BOOK)


@pytest.mark.e2e
def test_the_solutions_score_full_marks(graded):
    rows = _rows(graded["rows"], "alice", BOOK)
    auto = [r for r in rows if r["status"] == "graded"]
    assert auto, f"{BOOK.name}: no autograded exercise"
    assert all(float(r["score"]) == float(r["max_score"]) for r in auto), [r for r in auto if r["score"] != r["max_score"]]
    assert all(r["status"] in ("graded", "needs manual grading") for r in rows)


@pytest.mark.e2e
@pytest.mark.parametrize("path", GRADED, ids=[p.stem[:2] for p in GRADED])
def test_a_stub_left_scores_less_and_names_that_exercise(graded, path):
    rows = _rows(graded["rows"], "erin", path)
    broken = graded["broken"][path.stem]
    auto = [r for r in rows if r["status"] == "graded"]
    zero = [r["exercise"] for r in auto if float(r["score"]) < float(r["max_score"])]
    assert zero == [broken], f"{path.name}: expected only {broken} to fail, got {zero}"  # the others are solved
    assert float(next(r["score"] for r in auto if r["exercise"] == broken)) == 0
    assert all(float(r["score"]) == float(r["max_score"]) for r in auto if r["exercise"] != broken)  # solved: full marks
    assert sum(float(r["score"]) for r in auto) < sum(float(r["max_score"]) for r in auto)
    written = [r for r in rows if r["status"] != "graded"]  # answered written questions: left for the instructor
    assert all(r["status"] == "needs manual grading" for r in written)


@pytest.mark.e2e
def test_one_row_per_student_and_exercise_plus_totals(graded):
    rows = graded["rows"]
    assert list(rows[0]) == ["student", "notebook", "exercise", "score", "max_score", "status"]
    exercises = {r["exercise"] for r in rows if r["notebook"] == BOOK.name}
    assert len(exercises) == 7  # six autograded checks and one written answer
    assert sorted({r["student"] for r in rows}) == ["alice", "bob", "carol", "dave", "erin"]
    assert all(len(_rows(rows, s, BOOK)) == 7 for s in ("alice", "bob", "carol", "erin"))
    written = {r["student"]: r for r in rows if r["exercise"] == "02_speed_discussion"}
    assert written["alice"]["score"] == "" and written["alice"]["status"] == "needs manual grading"
    assert written["bob"]["score"] == "0"  # left as handed out: nbgrader scores an unchanged answer 0
    order = [r["exercise"] for r in rows if r["student"] == "alice"]
    assert order.index("02_conv_transpose1d_check") < order.index("02_speed_discussion")  # notebook order
    others = [r for r in _rows(rows, "bob") if r["notebook"] != BOOK.name]  # bob handed in notebook 02 only
    assert others and all(r["score"] == "0" and r["status"] == "not handed in" for r in others)


@pytest.mark.e2e
def test_scores_follow_what_each_student_solved(graded):
    rows = graded["rows"]
    assert _total(rows, "alice") == (6.0, 7.0)
    assert _total(rows, "bob") == (3.0, 7.0)
    assert _total(rows, "carol") == (5.0, 7.0)  # the restored check catches the wrong answer


@pytest.mark.e2e
def test_a_deleted_check_is_restored_and_scores_zero(graded):
    row = next(r for r in graded["rows"] if r["student"] == "carol" and r["exercise"] == graded["deleted"])
    assert float(row["score"]) == 0.0 and row["status"] == "graded"


@pytest.mark.e2e
def test_a_crashing_notebook_scores_zero_with_the_reason_and_the_others_are_graded(graded):
    dave = _rows(graded["rows"], "dave", BOOK)
    assert len(dave) == 7 and all(r["score"] == "0" and r["status"].startswith("not graded:") for r in dave)
    assert _total(graded["rows"], "dave") == (0.0, 7.0)
    total = next(r for r in graded["rows"] if r["student"] == "dave" and r["exercise"] == "TOTAL")
    assert total["status"] == "some work not graded (see its rows)"


@pytest.mark.e2e
def test_grading_never_modifies_the_submissions(graded):
    assert graded["untouched"]
