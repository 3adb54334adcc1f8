"""The course's editions: the student notebooks (nbgrader), the instructor notebooks' checks, the website.

Fast tests check the nbgrader transformation and the book's sources; `slow` ones execute notebooks
(quick mode, one intra-op thread, every output path in a temp folder) and open the site in headless
Debian chromium (skipped with the reason when it is absent). The instructor run is shared, session-wide,
by the instructor test and the site test, so each tutorial executes once.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbtools import NOTEBOOKS_DIR, parameters, quick_params, tutorial_paths  # noqa: E402
from test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from imaginator_lite.cli.main import main  # noqa: E402
from imaginator_lite.course.editions import (MARKER, is_check_cell, is_exercise_cell, is_solution_cell,  # noqa: E402
                                    prepare_book, record_pages, remote_assets, student_notebook)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = tutorial_paths()
IDS = [p.stem[:2] for p in NOTEBOOKS]
ARTEFACT = ROOT / "runs" / "artefacts" / "site_chapter.png"
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                    "(/usr/bin/chromium missing): apt-get install -y chromium")

#: Sizes cut for the student-edition runs: every cell must run, but nothing needs to learn there.
STUDENT_RUN_SIZES = {"STEPS": 12, "LIVE_STEPS": 3, "IDENTITIES": 12}

# ------------------------------------------------------------------------------------------ helpers

SETUP = '''class ExerciseError(AssertionError):
    pass

def check_add_one(fn):
    try:
        out = fn(1)
    except NotImplementedError:
        raise ExerciseError("not done yet: replace `raise NotImplementedError()` in add_one") from None
    if out != 2:
        raise ExerciseError(f"add_one(1) should be 2, got {out!r}")
    print("✓ add_one(1) == 2")'''
SOLUTION = 'def add_one(x):\n    """x + 1."""\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION'


def _nbgrader(grade_id: str, solution: bool, grade: bool, **extra) -> dict:
    return {"nbgrader": dict(grade=grade, grade_id=grade_id, locked=not solution, schema_version=3,
                             solution=solution, task=False, **extra)}


def synthetic_notebook():
    """One code exercise (solution + check), one written answer, and ordinary cells around them."""
    new_code, new_md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_md("# 01 · A tiny exercise"),
                new_code("QUICK = True\nSEED = 0", metadata={"tags": ["parameters"]}),
                new_code(SETUP),
                new_code(SOLUTION, metadata=_nbgrader("add_one", solution=True, grade=False)),
                new_code("check_add_one(add_one)", metadata=_nbgrader("add_one_check", False, True, points=1)),
                new_md("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                       metadata=_nbgrader("why", solution=True, grade=True, points=1)),
                new_code("print('after the exercises', QUICK)")]
    return nb


def solution_lines(cell) -> set[str]:
    """The answer's non-blank lines: between the solution markers (the whole cell if it has none), less
    any line that also occurs outside them."""
    lines = [line.strip() for line in cell.source.splitlines()]
    if not any("BEGIN SOLUTION" in line for line in lines):
        return {line for line in lines if line}
    inside, body, rest = False, set(), set()
    for line in lines:
        if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
            inside = "BEGIN SOLUTION" in line
        elif line:
            (body if inside else rest).add(line)
    return body - rest


def assert_student_version(instructor, student, name: str) -> None:
    """Same cells; no solution region, instructor line or output left; parameters cell intact."""
    assert len(student.cells) == len(instructor.cells), name
    assert parameters(student) == parameters(instructor), f"{name}: the parameters cell changed"
    for i, (before, after) in enumerate(zip(instructor.cells, student.cells)):
        where = f"{name} cell {i}"
        assert "BEGIN SOLUTION" not in after.source and "END SOLUTION" not in after.source, where
        assert not after.get("outputs") and after.get("execution_count") is None, f"{where} kept outputs"
        if is_solution_cell(before):
            leaked = solution_lines(before) & {line.strip() for line in after.source.splitlines()}
            assert not leaked, f"{where} still holds instructor code: {sorted(leaked)}"
            stub = "raise NotImplementedError()" if before.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in after.source, where
        else:
            assert after.source == before.source, f"{where} changed but is not a solution cell"


def error_outputs(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def stdout_lines(cell) -> list[str]:
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")
    return text.splitlines()


def assert_student_run(nb, name: str) -> None:
    """Every check cell fails with its ExerciseError message; every other cell ran without error."""
    checks = 0
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        errors, where = error_outputs(cell), f"{name} code cell {i}"
        if is_check_cell(cell):
            checks += 1
            assert errors, f"{where}: the check passed on the stub"
            ename, evalue = errors[0].ename, errors[0].evalue
            assert ename == "ExerciseError" and evalue.strip(), f"{where}: {ename}: {evalue!r}"
        elif not is_exercise_cell(cell):
            assert not errors, f"{where} failed: {errors[0].ename}: {errors[0].evalue}\n{cell.source}"
    assert checks, f"{name} has no check cell"


def assert_instructor_run(nb, name: str) -> None:
    """Every check cell printed a line starting with ✓ and no cell failed."""
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        assert not error_outputs(cell), f"{name} code cell {i} failed"
        if is_check_cell(cell):
            assert any(line.startswith("✓") for line in stdout_lines(cell)), \
                f"{name} code cell {i}: no ✓ line in {stdout_lines(cell)}\n{cell.source}"


def run_with_errors(path: Path, params: dict):
    """Execute a notebook (cwd: its folder) with papermill's parameter injection, going on past errors."""
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(load_notebook_node(str(path)), params)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def has_exercises(path: Path) -> bool:
    return any(map(is_check_cell, nbformat.read(path, as_version=4).cells))


# ------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="session")
def student_edition(tmp_path_factory) -> Path:
    """`imaginator-lite course student --out DIR` of the tutorials."""
    out = tmp_path_factory.mktemp("course") / "student"
    assert main(["course", "student", "--out", str(out), "--notebooks-dir", str(NOTEBOOKS_DIR)]) == 0
    return out


# ------------------------------------------------------------------------------------------ fast tests

def test_synthetic_student_version_has_stubs_and_no_solution():
    student = student_notebook(synthetic_notebook(), "synthetic")
    assert_student_version(synthetic_notebook(), student, "synthetic")
    assert "def add_one(x):" in student.cells[3].source and "return x + 1" not in student.cells[3].source
    assert student.cells[4].metadata["editable"] is False, "nbgrader locks the check cell"


def test_solution_region_outside_a_solution_cell_is_refused():
    nb = synthetic_notebook()
    nb.cells[2].source += "\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION"
    with pytest.raises(ValueError, match="synthetic: nbgrader could not make the student version"):
        student_notebook(nb, "synthetic")


def test_student_edition_of_the_tutorials(student_edition):
    assert sorted(p.name for p in student_edition.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    assert (student_edition / MARKER).is_file()
    for path in NOTEBOOKS:
        instructor = nbformat.read(path, as_version=4)
        student = nbformat.read(student_edition / path.name, as_version=4)
        nbformat.validate(student)
        assert_student_version(instructor, student, path.name)
    assert [p.name for p in student_edition.parent.iterdir()] == ["student"], "a staging folder was left behind"


def test_a_second_student_edition_replaces_the_first_and_leaves_nothing_beside_it(student_edition):
    """publish swaps the new edition in over the old one (atomic.replace_dir) and removes the old one."""
    (student_edition / "stale.txt").write_text("from the first edition")
    assert main(["course", "student", "--out", str(student_edition), "--notebooks-dir", str(NOTEBOOKS_DIR)]) == 0
    assert not (student_edition / "stale.txt").exists() and (student_edition / MARKER).is_file()
    assert sorted(p.name for p in student_edition.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    assert [p.name for p in student_edition.parent.iterdir()] == ["student"], "the old edition was left behind"


def test_course_refuses_folders_it_must_not_replace(tmp_path, capsys):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    for out in (NOTEBOOKS_DIR, NOTEBOOKS_DIR.parent, foreign):
        assert main(["course", "student", "--out", str(out), "--notebooks-dir", str(NOTEBOOKS_DIR)]) == 2
    err = capsys.readouterr().err
    assert "would overwrite or nest in" in err and "was not written by `imaginator-lite course`" in err
    assert (foreign / "keep.txt").read_text() == "mine"
    assert main(["course", "site", "--out", str(tmp_path / "s"), "--executed", str(tmp_path / "none"),
                 "--notebooks-dir", str(NOTEBOOKS_DIR), "--only", "02"]) == 2
    assert "no executed 02_transposed_1plus2d.ipynb" in capsys.readouterr().err


def test_book_sources(tmp_path):
    executed = tmp_path / "exec" / "01_tiny.ipynb"
    executed.parent.mkdir()
    nb = synthetic_notebook()
    nb.cells.insert(2, nbformat.v4.new_code_cell("QUICK = True", metadata={"tags": ["injected-parameters"]}))
    cdn = "https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css"
    html = f'<link rel="stylesheet"\nhref="{cdn}">\n<p>hi</p>'
    nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", {"text/html": html})]
    nbformat.write(nb, executed)
    prepare_book([executed], tmp_path / "book")
    book = tmp_path / "book"
    assert "  - file: 01_tiny\n" in (book / "_toc.yml").read_text()
    assert "1. [01 · A tiny exercise](01_tiny.ipynb)" in (book / "index.md").read_text()
    copy = nbformat.read(book / "01_tiny.ipynb", as_version=4)
    assert "remove-cell" in copy.cells[2].metadata["tags"], "papermill's injected parameters are hidden"
    assert copy.cells[-1].outputs[0].data["text/html"] == "<p>hi</p>"


def test_remote_assets_are_found(tmp_path):
    (tmp_path / "a.html").write_text('<script src="_static/x.js"></script><script src="https://cdn.x/y.js"></script>'
                                     '<a href="https://example.org">a link is fine</a>'
                                     '<link rel="stylesheet" href="//f.css">')
    (tmp_path / "s.css").write_text("@font-face { src: url(https://fonts.x/f.woff2) }")
    assert remote_assets(tmp_path) == ["a.html: https://cdn.x/y.js", "a.html: //f.css",
                                       "s.css: https://fonts.x/f.woff2"]


# ------------------------------------------------------------------------------------------ the `course` extra

#: Each instructor's command, and the module of the `course` extra it needs first.
COURSE_COMMANDS = {
    "grade": (["course", "grade", "submitted", "--out", "grades.csv"], "nbgrader"),
    "student": (["course", "student", "--out", "student"], "nbgrader"),
    "copy --student": (["course", "copy", "--student", "--out", "mine"], "nbgrader"),
    "site": (["course", "site", "--out", "site"], "jupyter_book"),
}


@pytest.mark.parametrize("name", list(COURSE_COMMANDS))
def test_without_the_course_extra_each_command_says_what_to_install(name, tmp_path, monkeypatch, capsys):
    argv, module = COURSE_COMMANDS[name]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "submitted" / "alice").mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.setitem(sys.modules, module, None)  # `import nbgrader` now fails as if it were not installed
    code = main(argv + ["--notebooks-dir", str(NOTEBOOKS_DIR)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert 'pip install "imaginator-lite[course]"' in err and f"`course {name}` needs" in err
    assert sorted(tmp_path.rglob("*")) == before, "it stopped before any work"


def test_without_nbgrader_a_plain_copy_still_works(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "nbgrader", None)
    assert main(["course", "copy", "--out", str(tmp_path / "mine"), "--notebooks-dir", str(NOTEBOOKS_DIR),
                 "--only", "02"]) == 0
    assert (tmp_path / "mine" / "notebooks" / "02_transposed_1plus2d.ipynb").is_file()


def test_without_nbgrader_the_command_fails_in_one_line_not_a_traceback(tmp_path):
    """The real process: a sitecustomize hides nbgrader, as a plain `pip install imaginator-lite` leaves it."""
    (tmp_path / "hide").mkdir()
    (tmp_path / "hide" / "sitecustomize.py").write_text("import sys\nsys.modules['nbgrader'] = None\n")
    (tmp_path / "submitted" / "alice").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "imaginator_lite.cli", "course", "grade", "submitted", "--out",
                           "grades.csv", "--notebooks-dir", str(NOTEBOOKS_DIR)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env=dict(env, PYTHONPATH=str(tmp_path / "hide")))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == ["imaginator-lite course: error: `course grade` needs nbgrader, which is not "
                                        'installed; install the instructor\'s tools with: pip install '
                                        '"imaginator-lite[course]"'], proc.stderr
    assert not (tmp_path / "grades.csv").exists()


def test_the_dev_extra_holds_the_course_extra():
    """`pip install -e ".[dev]"` gets the instructor's tools (the lists are repeated, so kept equal here)."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {r.split(">")[0].split("<")[0].split("=")[0].strip() for r in extras["course"]}
    assert names == {"nbgrader", "jupyter-book", "sphinx-mathjax-offline"}
    assert set(extras["course"]) <= set(extras["dev"])


# ------------------------------------------------------------------------------------------ slow: execution

@pytest.mark.e2e
def test_synthetic_exercise_fails_for_the_student_and_passes_for_the_instructor(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    nbformat.write(synthetic_notebook(), books / "01_tiny.ipynb")
    assert main(["course", "student", "--out", str(tmp_path / "student"), "--notebooks-dir", str(books)]) == 0
    assert_student_run(run_with_errors(tmp_path / "student" / "01_tiny.ipynb", {}), "student 01_tiny")
    assert_instructor_run(run_with_errors(books / "01_tiny.ipynb", {}), "instructor 01_tiny")


@pytest.mark.e2e
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_edition_runs_and_every_check_fails_with_its_message(path, student_edition, tmp_path, monkeypatch):
    if not has_exercises(path):
        pytest.skip(f"{path.name} has no exercise yet: its student edition is the instructor's (tested there)")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    declared = parameters(nbformat.read(path, as_version=4))
    short = {k: v for k, v in STUDENT_RUN_SIZES.items() if k in declared}  # the checks do not need long runs
    nb = run_with_errors(student_edition / path.name, {**quick_params([path], tmp_path), **short})
    assert_student_run(nb, f"student {path.name}")


@pytest.mark.e2e
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_instructor_edition_runs_and_every_check_passes(path, instructor_run):
    result = instructor_run["results"][path.name]
    assert result["ok"], f"{path.name} failed:\n{result['error']}"
    print(f"{path.name}: {result['seconds']:.1f}s")
    assert_instructor_run(nbformat.read(instructor_run["dir"] / path.name, as_version=4), path.name)


# ------------------------------------------------------------------------------------------ slow: the website

@pytest.fixture(scope="session")
def site(instructor_run, tmp_path_factory) -> Path:
    """`imaginator-lite course site --executed` of the instructor run (no second execution)."""
    failed = [name for name, r in instructor_run["results"].items() if not r["ok"]]
    assert not failed, f"cannot build the site: {failed} failed in the instructor run"
    out = tmp_path_factory.mktemp("site") / "site"
    start = time.perf_counter()
    assert main(["course", "site", "--out", str(out), "--executed", str(instructor_run["dir"]),
                 "--notebooks-dir", str(NOTEBOOKS_DIR), "--only", ",".join(p.stem[:2] for p in NOTEBOOKS)]) == 0
    print(f"site build (jupyter-book, {len(NOTEBOOKS)} executed notebooks): {time.perf_counter() - start:.1f}s")
    return out


RECORD = record_pages(NOTEBOOKS_DIR)


def figure_count(executed: Path) -> int:
    """Image outputs of an executed notebook (what its page must show as <img>)."""
    nb = nbformat.read(executed, as_version=4)
    return sum(any(k.startswith("image/") for k in o.get("data", {})) for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.e2e
def test_site_is_static_offline_and_has_every_chapter(site, instructor_run):
    assert (site / "index.html").is_file() and (site / MARKER).is_file()
    index = (site / "index.html").read_text()
    for path in NOTEBOOKS:
        assert (site / f"{path.stem}.html").is_file()
        assert f'href="{path.stem}.html"' in index, f"the landing page does not link {path.stem}"
    assert RECORD, "docs/*.md: the record's pages"
    for page in RECORD:
        assert (site / "record" / f"{page.stem}.html").is_file() and f'href="record/{page.stem}.html"' in index, page
    assert "<table" in (site / "record" / "shipped_models.html").read_text(), "the record's tables are rendered"
    assert remote_assets(site) == []
    assert 'src="_static/mathjax/tex-chtml.js"' in (site / f"{NOTEBOOKS[1].stem}.html").read_text()
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    with_figures = sum(figure_count(instructor_run["dir"] / p.name) > 0 for p in NOTEBOOKS)
    assert len(list((site / "_images").iterdir())) >= with_figures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def served_site(site):
    """The site over HTTP on 127.0.0.1:<free port>."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def visit(page, url: str) -> dict:
    """Load a page, let MathJax typeset and the images decode; what it shows."""
    page.goto(url, wait_until="load", timeout=60_000)
    page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=30_000)
    return page.evaluate("""() => ({
        images: Array.from(document.images).map(i => [i.naturalWidth, i.src.slice(0, 80)]),
        math: document.querySelectorAll('mjx-container').length,
        tex: document.querySelectorAll('.math').length,
        nav: Array.from(document.querySelectorAll('.bd-sidenav a')).map(a => a.getAttribute('href')),
    })""")


@pytest.mark.e2e
@pytest.mark.browser
@needs_chromium
def test_site_in_the_browser(served_site, instructor_run, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    base, problems, outside = served_site, [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: console error: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"{page.url}: page error: {e}"))
        page.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:")) else outside.append(r.url))
        try:
            chapters = [href for href in visit(page, f"{base}/index.html")["nav"] if href != "#"]
            assert chapters == [f"{p.stem}.html" for p in NOTEBOOKS] + [f"record/{p.stem}.html" for p in RECORD], \
                "the navigation lists the chapters in order, then the record's pages"
            for path in NOTEBOOKS:
                shown = visit(page, f"{base}/{path.stem}.html")
                assert all(w > 0 for w, _ in shown["images"]), f"{path.stem}: an image did not load: {shown['images']}"
                if figure_count(instructor_run["dir"] / path.name):
                    assert shown["images"], f"{path.stem} shows none of its figures"
                assert shown["math"] >= shown["tex"], f"{path.stem}: MathJax typeset {shown['math']} of {shown['tex']}"
            page.goto(f"{base}/{NOTEBOOKS[1].stem}.html")
            page.locator("mjx-container").nth(4).scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / ARTEFACT.name))
        finally:
            browser.close()
    ARTEFACT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / ARTEFACT.name, ARTEFACT)
    assert not problems, "\n".join(problems)
    assert not outside, f"the site fetched from outside 127.0.0.1: {outside}"


def test_a_record_page_travels_with_the_images_it_shows(tmp_path):
    from imaginator_lite.course.editions import copy_page

    (tmp_path / "notebooks" / "results").mkdir(parents=True)
    (tmp_path / "notebooks" / "results" / "fig.png").write_bytes(b"png")
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text("# P\n\n![a figure](../notebooks/results/fig.png)\n![gone](missing.png)\n[a link](other.md)\n")
    out = copy_page(page, tmp_path / "book" / "record")
    text = out.read_text()
    assert "![a figure](_images/fig.png)" in text and "![gone](missing.png)" in text and "[a link](other.md)" in text
    assert (tmp_path / "book" / "record" / "_images" / "fig.png").read_bytes() == b"png"
