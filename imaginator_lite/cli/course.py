"""`imaginator-lite course student | site`: the student edition of the tutorials (nbgrader) and the
course website (Jupyter Book of the notebooks executed in quick mode)."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from .notebooks import execute_notebooks, find_notebooks_dir, select_notebooks


def _books(args: argparse.Namespace) -> list[Path]:
    """The tutorials chosen by --notebooks-dir and --only."""
    return select_notebooks(find_notebooks_dir(args.notebooks_dir), args.only)


def run_course_student(args: argparse.Namespace) -> int:
    from ..course import write_student_edition

    books = _books(args)
    print(f"student edition of {len(books)} notebook(s) from {books[0].parent} -> {args.out}")
    out = write_student_edition(books, Path(args.out))
    print(f"wrote {out}")
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
    from ..course import SiteBuildError, build_site, executed_copies

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


def _common_flags(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument("--out", required=True, help=out_help)
    p.add_argument("--only", action="append", metavar="NN",
                   help="only notebooks starting with NN (repeat or comma-separate, e.g. --only 02,03)")
    p.add_argument("--notebooks-dir", default=None, help="folder holding the tutorials (default ./notebooks)")


def register(sub) -> None:
    """Add `imaginator-lite course student | site` to the `imaginator-lite` parser."""
    course = sub.add_parser("course", help="the student edition (nbgrader) and the course website (Jupyter Book)",
                            description="Make the course's editions from notebooks/NN_*.ipynb (never modified).")
    editions = course.add_subparsers(dest="edition", metavar="EDITION", required=True)
    student = editions.add_parser("student", help="student notebooks: solutions replaced by stubs, outputs cleared",
                                  description="Write the student edition with nbgrader's preprocessors, atomically.")
    _common_flags(student, "folder for the student notebooks (replaced if it holds an earlier edition)")
    student.set_defaults(func=run_course_student)
    site = editions.add_parser("site", help="static HTML website of the notebooks executed in quick mode",
                               description="Execute the tutorials in quick mode (papermill), then build them into "
                                           "a static site with Jupyter Book without re-executing; works offline.")
    _common_flags(site, "folder for the website (replaced if it holds an earlier site)")
    site.add_argument("--executed", default=None, metavar="DIR",
                      help="reuse notebooks already executed into DIR (e.g. by `imaginator-lite notebooks --out DIR`)")
    site.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    site.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default none)")
    site.set_defaults(func=run_course_site)
