"""`imaginator-lite course student | copy | grade | site`: the student edition of the tutorials (nbgrader),
a working copy, autograding, and the course website (Jupyter Book of the notebooks executed in quick mode).

The instructor's tools are the `course` extra (pip install "imaginator-lite[course]"); without them, the
commands that need them stop before any work with one line naming that command (exit 2, the CLI's error
path for a missing thing), not a traceback. `course copy` without --student needs none of them."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ..course.editions import SiteBuildError, build_site, copy_course, executed_copies, write_student_edition
from ..course.grading import (
    AVX2_FACTOR,
    SLOWER_CPU,
    TIMEOUT_FLOOR,
    default_timeouts,
    grade_submissions,
    write_grades_csv,
)
from ..course.tools import INSTALL_COURSE, require
from ..course.tutorials import execute_notebooks, find_notebooks_dir, select_notebooks


def _books(args: argparse.Namespace) -> list[Path]:
    """The tutorials chosen by --notebooks-dir and --only."""
    return select_notebooks(find_notebooks_dir(args.notebooks_dir), args.only)


def run_course_student(args: argparse.Namespace) -> int:
    require("course student", "nbgrader")
    books = _books(args)
    print(f"student edition of {len(books)} notebook(s) from {books[0].parent} -> {args.out}")
    out = write_student_edition(books, Path(args.out))
    print(f"wrote {out}")
    return 0


def run_course_copy(args: argparse.Namespace) -> int:
    if args.student:
        require("course copy --student", "nbgrader")
    books = _books(args)
    report = copy_course(books, Path(args.out), student=args.student)
    edition = "student edition" if args.student else "tutorials"
    print(f"copied {len(report['written'])} file(s) of the {edition} from {books[0].parent} to "
          f"{Path(args.out) / 'notebooks'}")
    if report["kept"]:
        print(f"kept {len(report['kept'])} file(s) you already have (never overwritten): {', '.join(report['kept'])}")
    print(f"open them with: jupyter lab {Path(args.out) / 'notebooks'}")
    return 0


def run_course_grade(args: argparse.Namespace) -> int:
    require("course grade", "nbgrader")
    books = _books(args)
    report = grade_submissions(books, Path(args.submissions), timeout=args.timeout)
    path = write_grades_csv(report, Path(args.out))
    print("  per-cell time limit: " + ", ".join(f"{stem} {s}s" for stem, s in report.timeouts.items())
          + (" (--timeout)" if args.timeout is not None else " (from the measured quick-mode times; --timeout overrides)"))
    for note in report.notes:
        print(f"  note: {note}")
    totals = [r for r in report.rows if r.exercise == "TOTAL"]
    for r in totals:
        print(f"  {r.student}: {r.score:g} / {r.max_score:g} ({r.status})")
    print(f"wrote {path}: {len(report.rows) - len(totals)} exercise rows for {len(totals)} student(s)")
    return 0


def _execute_quick(books: list[Path], folder: Path, args: argparse.Namespace) -> Path | None:
    """Execute `books` in quick mode into `folder` (papermill); None, after saying which, if one fails."""
    start = time.perf_counter()
    results = execute_notebooks(books, folder, {"QUICK": True}, args.kernel, args.timeout)
    failed = [name for name, r in results.items() if not r["ok"]]
    if failed:
        print(f"not building the site: {', '.join(failed)} failed (see above)", file=sys.stderr)
        return None
    print(f"executed {len(books)} notebook(s) in quick mode in {time.perf_counter() - start:.0f}s")
    return folder


def run_course_site(args: argparse.Namespace) -> int:
    require("course site", "jupyter_book", "sphinx-mathjax-offline")
    books = _books(args)
    with tempfile.TemporaryDirectory(prefix="imaginator-course-") as tmp:
        executed = Path(args.executed) if args.executed else _execute_quick(books, Path(tmp), args)
        if executed is None:
            return 1
        copies = executed_copies(books, executed)
        start = time.perf_counter()
        try:
            site = build_site(copies, Path(args.out), companions=books[0].parent)
        except SiteBuildError as exc:
            print(f"imaginator-lite course site: error: {exc}", file=sys.stderr)
            return 1
    print(f"built the site of {len(books)} chapter(s) in {time.perf_counter() - start:.0f}s: {site / 'index.html'}")
    return 0


def _grade_timeout_help() -> str:
    """--timeout's help: the rule and the limits it gives (imaginator_lite.course.grading.default_timeouts)."""
    try:
        limits = ", ".join(f"{stem[:2]}: {s}s" for stem, s in default_timeouts().items())
    except (OSError, ValueError, KeyError) as exc:
        limits = f"unavailable: {exc}"
    return (f"one per-cell time limit in seconds for every notebook. Default: per notebook, {SLOWER_CPU:g}x its "
            f"slowest cell in quick mode as measured (tutorial_times.json in the package; an AVX-512 time counts "
            f"{AVX2_FACTOR:g}x, as AVX2 CPUs train up to that much slower), rounded up to 10 s, at least "
            f"{TIMEOUT_FLOOR} s: room for a CPU {SLOWER_CPU:g}x slower than the AVX2 class ({limits})").replace("%", "%%")


def _common_flags(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument("--out", required=True, help=out_help)
    p.add_argument("--only", action="append", metavar="NN",
                   help="only notebooks starting with NN (repeat or comma-separate, e.g. --only 02,03)")
    p.add_argument("--notebooks-dir", default=None, help="folder holding the tutorials (default ./notebooks)")


def register(sub) -> None:
    """Add `imaginator-lite course student | copy | site | grade` to the `imaginator-lite` parser."""
    course = sub.add_parser("course", help="the student edition (nbgrader) and the course website (Jupyter Book)",
                            description="Make the course's editions from notebooks/NN_*.ipynb (never modified). "
                                        "student, grade, site and copy --student need the instructor's tools: "
                                        f"{INSTALL_COURSE}")
    editions = course.add_subparsers(dest="edition", metavar="EDITION", required=True)
    student = editions.add_parser("student", help="student notebooks: solutions replaced by stubs, outputs cleared",
                                  description="Write the student edition with nbgrader's preprocessors, atomically.")
    _common_flags(student, "folder for the student notebooks (replaced if it holds an earlier edition)")
    student.set_defaults(func=run_course_student)
    copy = editions.add_parser("copy", help="your own working copy of the tutorials (from the installed package)",
                               description="Copy the tutorials and their results into OUT/notebooks; files you "
                                           "already have there are kept, never overwritten.")
    _common_flags(copy, "folder for your working copy (the notebooks go to OUT/notebooks)")
    copy.add_argument("--student", action="store_true", help="the student edition (solutions replaced by stubs)")
    copy.set_defaults(func=run_course_copy)
    grade = editions.add_parser("grade", help="score SUBMISSIONS/<student>/NN_*.ipynb with nbgrader's autograder",
                                description="Autograde every student's notebooks (nbgrader preprocessors; the "
                                            "instructor's check cells are restored first) into a CSV: one row "
                                            "per student and exercise, plus totals.")
    grade.add_argument("submissions", help="folder of student folders, each holding that student's NN_*.ipynb")
    _common_flags(grade, "the CSV to write (e.g. grades.csv)")
    grade.add_argument("--timeout", type=int, default=None, metavar="S", help=_grade_timeout_help())
    grade.set_defaults(func=run_course_grade)
    site = editions.add_parser("site", help="static HTML website of the notebooks executed in quick mode",
                               description="Execute the tutorials in quick mode (papermill), then build them into "
                                           "a static site with Jupyter Book without re-executing; works offline.")
    _common_flags(site, "folder for the website (replaced if it holds an earlier site)")
    site.add_argument("--executed", default=None, metavar="DIR",
                      help="reuse notebooks already executed into DIR (e.g. by `imaginator-lite notebooks --out DIR`)")
    site.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    site.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default none)")
    site.set_defaults(func=run_course_site)
