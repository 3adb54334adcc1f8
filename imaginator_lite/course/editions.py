"""The course's editions: student notebooks made with nbgrader, and a static website (Jupyter Book) of the
executed tutorials. `imaginator-lite course student | site` is the command; this is the library side.

The student edition applies nbgrader's own preprocessors, in the order `nbgrader generate_assignment`
uses, minus its gradebook step (SaveCells): no course directory or database is needed.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

import nbformat

from ..atomic import atomic_path, replace_dir

#: Written into every folder this module produces; only such a folder (or an empty one) is replaced.
MARKER = ".imaginator-course"
SITE_TEMPLATES = Path(__file__).resolve().with_name("course_site")


class SiteBuildError(RuntimeError):
    """Jupyter Book failed, or the built pages would need the network."""


# ----------------------------------------------------------------------------------------- output folders

def check_target(out: Path, protected: list[Path]) -> None:
    """ValueError unless `out` may be (re)written: not a protected folder, its parent or child, and
    either absent, empty, or an earlier output of this module."""
    out = out.resolve()
    for keep in (p.resolve() for p in protected):
        if out == keep or keep.is_relative_to(out) or out.is_relative_to(keep):
            raise ValueError(f"--out {out} would overwrite or nest in {keep}; pick a folder outside it")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ValueError(f"--out {out} exists and was not written by `imaginator-lite course`; "
                         "remove it or pick another")


@contextlib.contextmanager
def staging_dir(out: Path, protected: list[Path]) -> Iterator[Path]:
    """A temporary folder beside `out` (same file system, so `publish` is a rename), removed afterwards."""
    check_target(out, protected)
    out.resolve().parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.resolve().parent) as tmp:
        yield Path(tmp)


def publish(ready: Path, out: Path, info: dict) -> Path:
    """Mark the finished folder `ready` and swap it in at `out` (atomic.replace_dir: an earlier output is
    renamed aside first, then removed)."""
    (ready / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return replace_dir(ready, out.resolve())


def travels_with_tutorials(relative: Path) -> bool:
    """Whether a path beside the tutorials (relative to their folder) goes into an edition or a copy: not the
    tutorials themselves, nothing hidden or cached, and not the notebooks' own runs/ (their outputs)."""
    hidden = any(part.startswith((".", "__")) for part in relative.parts)
    return not (hidden or relative.parts[0] == "runs" or len(relative.parts) == 1 and relative.suffix == ".ipynb")


def copy_companions(folder: Path, dest: Path) -> list[str]:
    """Copy what sits beside the tutorials (e.g. a results/ folder), but no notebook, hidden file, cache or the
    notebooks' own runs/ (their outputs, which can be large)."""
    copied = []
    for item in sorted(folder.iterdir()):
        if not travels_with_tutorials(Path(item.name)):
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name)
        else:
            shutil.copy2(item, dest / item.name)
        copied.append(item.name)
    return copied


# ----------------------------------------------------------------------------------------- exercise cells

def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution_cell(cell) -> bool:
    """A cell the student writes: nbgrader `solution: true` (code or a markdown answer)."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_check_cell(cell) -> bool:
    """An autograded test: a code cell with nbgrader `grade: true` and no solution."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_exercise_cell(cell) -> bool:
    """Any cell nbgrader manages as part of an exercise (solution, answer or check)."""
    return is_solution_cell(cell) or bool(nbgrader_meta(cell).get("grade"))


# ----------------------------------------------------------------------------------------- student edition

def student_preprocessors() -> list:
    """nbgrader's generate_assignment pipeline without the gradebook (SaveCells) and the optional
    header/footer and autotest steps."""
    # deferred, optional: the course extra (nbgrader)
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    return [LockCells(), ClearSolutions(), ClearOutput(), CheckCellMetadata(), ComputeChecksums(),
            ClearHiddenTests(), ClearMarkScheme(), ComputeChecksums(), CheckCellMetadata()]


def student_notebook(nb, name: str = "notebook"):
    """The student version of an instructor notebook: solutions replaced by stubs, outputs cleared."""
    from nbgrader.nbgraderformat import ValidationError  # deferred, optional: the course extra (nbgrader)

    resources: dict = {}
    try:
        for pre in student_preprocessors():
            nb, resources = pre.preprocess(nb, resources)
    except (RuntimeError, ValueError, ValidationError) as exc:  # e.g. a solution region outside a solution cell
        raise ValueError(f"{name}: nbgrader could not make the student version: {exc}") from exc
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    return nb


def write_student_edition(books: list[Path], out: Path, log: Callable[[str], None] = print) -> Path:
    """Write the student notebooks of `books` (and what sits beside them) into `out`, atomically."""
    folder = books[0].parent
    with staging_dir(out, [folder]) as tmp:
        ready = tmp / "student"
        ready.mkdir()
        for book in books:
            nb = student_notebook(nbformat.read(book, as_version=4), book.name)
            nbformat.write(nb, ready / book.name)
            log(f"  {book.name}: {sum(map(is_solution_cell, nb.cells))} solution cell(s) replaced by stubs")
        extras = copy_companions(folder, ready)
        return publish(ready, out, dict(edition="student", notebooks=[b.name for b in books], copied=extras))


# ----------------------------------------------------------------------------------------- a working copy

def _write_new(path: Path, write: Callable[[Path], None], kept: list[str], written: list[str], name: str) -> None:
    """write(tmp) then rename to `path` (atomic.atomic_path), unless `path` exists: a student's file is never
    overwritten."""

    if path.exists():
        kept.append(name)
        return
    with atomic_path(path) as tmp:
        write(Path(tmp))
    written.append(name)


def copy_course(books: list[Path], out: Path, student: bool = False) -> dict[str, list[str]]:
    """A working copy of the course in out/notebooks: the tutorials (the student edition when `student`) and
    what sits beside them (results/). Files already there are kept, never overwritten: run it again after an
    update to get only what is new. Returns {"written": [...], "kept": [...]} (paths relative to out)."""
    folder, dest = books[0].parent.resolve(), Path(out).resolve() / "notebooks"
    if dest == folder or dest.is_relative_to(folder) or folder.is_relative_to(dest):
        raise ValueError(f"--out {out} would copy the course into itself ({folder}); pick another folder")
    written: list[str] = []
    kept: list[str] = []
    for book in books:
        nb = nbformat.read(book, as_version=4)
        if student:
            nb = student_notebook(nb, book.name)
        _write_new(dest / book.name, lambda tmp, nb=nb: nbformat.write(nb, tmp), kept, written,
                   f"notebooks/{book.name}")
    for item in sorted(folder.rglob("*")):
        relative = item.relative_to(folder)
        if item.is_dir() or not travels_with_tutorials(relative):
            continue
        _write_new(dest / relative, lambda tmp, item=item: shutil.copy2(item, tmp), kept, written,
                   f"notebooks/{relative}")
    return {"written": written, "kept": kept}


# ----------------------------------------------------------------------------------------- the website

def chapter_title(nb, fallback: str) -> str:
    """The notebook's `# Title` (its first markdown heading), else `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return fallback


def executed_copies(books: list[Path], executed_dir: Path) -> list[Path]:
    """The executed copies of `books` in `executed_dir`; FileNotFoundError if one is missing,
    ValueError if papermill recorded that it failed."""
    copies = [Path(executed_dir) / b.name for b in books]
    missing = [c.name for c in copies if not c.is_file()]
    if missing:
        raise FileNotFoundError(f"no executed {', '.join(missing)} in {executed_dir}; run `imaginator-lite notebooks "
                                f"--out {executed_dir}` first, or leave out --executed")
    failed = [c.name for c in copies
              if nbformat.read(c, as_version=4).metadata.get("papermill", {}).get("exception")]
    if failed:
        raise ValueError(f"{', '.join(failed)} in {executed_dir} stopped with an error; execute them again")
    return copies


#: Font Awesome from a CDN (matplotlib's `to_jshtml` animation controls ask for it); the theme ships its own.
CDN_FONT_AWESOME = re.compile(r"<link[^>]*href=[\"'](?:https?:)?//[^\"']*font-?awesome[^\"']*[\"'][^>]*>\n?", re.I)


def site_notebook(nb):
    """An executed notebook as the site shows it: papermill's injected-parameters cell hidden, and
    CDN Font Awesome stylesheets dropped from HTML outputs (the site's theme serves the icons)."""
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html:
                text = "".join(html) if isinstance(html, list) else html
                output["data"]["text/html"] = CDN_FONT_AWESOME.sub("", text)
    return nb


def record_pages(notebooks_dir: Path | None) -> list[Path]:
    """The record's pages (docs/*.md: the tour, the shipped models, the study, ...) that go on the site beside the
    tutorials: docs/ beside notebooks/ in a checkout, tutorials/docs/ in an installed wheel ([] if neither)."""
    if notebooks_dir is None:
        return []
    for folder in (Path(notebooks_dir) / "docs", Path(notebooks_dir).parent / "docs"):
        if folder.is_dir():
            return sorted(folder.glob("*.md"))
    return []


def page_title(page: Path) -> str:
    """A Markdown page's first heading (its file name without one)."""
    heading = next((line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("# ")), None)
    return heading[2:].strip() if heading else page.stem


#: A Markdown image: ![alt](target), the target relative to the page (no scheme, no anchor).
MARKDOWN_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s:#]+)(\))")


def copy_page(page: Path, folder: Path) -> Path:
    """Copy a Markdown page into `folder` with the images it shows: each local image it links (e.g.
    ../notebooks/results/x.png) goes to folder/_images/ and the link is rewritten to it; a missing one stays as it is
    (the site's build then names it)."""
    text = page.read_text(encoding="utf-8")

    def local(match: re.Match) -> str:
        source = (page.parent / match[2]).resolve()
        if not source.is_file():
            return match[0]
        (folder / "_images").mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, folder / "_images" / source.name)
        return f"{match[1]}_images/{source.name}{match[3]}"

    target = folder / page.name
    target.write_text(MARKDOWN_IMAGE.sub(local, text), encoding="utf-8")
    return target


def prepare_book(executed: list[Path], book: Path, companions: Path | None = None,
                 pages: list[Path] | None = None) -> None:
    """A Jupyter Book source folder: what sits beside the tutorials, the executed notebooks, the record's pages
    (under record/) and the packaged templates (course_site/), with one chapter per notebook and page in
    _toc.yml and index.md."""
    book.mkdir(parents=True)
    if companions is not None:
        copy_companions(companions, book)
    pages = record_pages(companions) if pages is None else pages
    links = []
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        nbformat.write(site_notebook(nb), book / path.name)
        links.append(f"{len(links) + 1}. [{chapter_title(nb, path.stem)}]({path.name})")
    if pages:
        (book / "record").mkdir()
        links.append("\n## The record\n")
    for page in pages:
        copy_page(page, book / "record")
        links.append(f"- [{page_title(page)}](record/{page.name})")
    for template in sorted(SITE_TEMPLATES.iterdir()):
        if template.is_file():
            shutil.copy2(template, book / template.name)
    with open(book / "_toc.yml", "a", encoding="utf-8") as toc:
        toc.writelines(f"  - file: {p.stem}\n" for p in executed)
        toc.writelines(f"  - file: record/{p.stem}\n" for p in pages)
    index = (book / "index.md").read_text(encoding="utf-8")
    (book / "index.md").write_text(index.replace("{chapters}", "\n".join(links)), encoding="utf-8")


def run_jupyter_book(book: Path, build: Path, log: Callable[[str], None] = print) -> Path:
    """`jupyter-book build` (in a child process, as its CLI does) of `book` into `build`; the HTML folder.
    Its warnings go to `log`; a failure raises SiteBuildError with the lines that say why."""
    cmd = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
           "build", str(book), "--path-output", str(build), "--keep-going"]
    proc = subprocess.run(cmd, cwd=book, capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    lines = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr).splitlines()
    said = [line for line in lines if re.search(r"\b(warning|error|exception)\b", line, re.I)
            and not line.startswith("build succeeded")]
    html = build / "_build" / "html"
    if proc.returncode != 0 or not (html / "index.html").is_file():
        raise SiteBuildError(f"jupyter-book build failed ({proc.returncode}):\n" + "\n".join((said or lines)[-30:]))
    for line in said:
        log(f"  jupyter-book: {line}")
    return html


class _AssetLinks(HTMLParser):
    """Collects the addresses a page loads by itself: scripts, stylesheets, icons, fonts, images, frames."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src", "link": "href"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        url = attrs.get(self.LOADS.get(tag, ""))
        if tag == "link" and attrs.get("rel") in ("canonical", "next", "prev", "search", "index"):
            return
        if url:
            self.urls.append(url)


REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)
CSS_REMOTE = re.compile(r"(?:url\(\s*['\"]?|@import\s+['\"])((?:https?:)?//[^'\")\s]+)", re.I)


def remote_assets(html_dir: Path) -> list[str]:
    """'page: url' for every script, style, font, image or frame a built page would fetch from the network."""
    found = []
    for page in sorted(html_dir.rglob("*.html")):
        parser = _AssetLinks()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        found += [f"{page.relative_to(html_dir)}: {u}" for u in parser.urls if REMOTE.match(u)]
    for css in sorted(html_dir.rglob("*.css")):
        found += [f"{css.relative_to(html_dir)}: {u}" for u in CSS_REMOTE.findall(css.read_text(errors="replace"))]
    return found


def build_site(executed: list[Path], out: Path, companions: Path | None = None,
               log: Callable[[str], None] = print) -> Path:
    """Build the website of the executed notebooks with Jupyter Book (no re-execution) into `out`,
    atomically; SiteBuildError if the build fails or a page would need the network."""
    with staging_dir(out, [companions] if companions else []) as tmp:
        prepare_book(executed, tmp / "book", companions)
        html = run_jupyter_book(tmp / "book", tmp / "build", log)
        remote = remote_assets(html)
        if remote:
            raise SiteBuildError("the site would load from the network:\n  " + "\n  ".join(remote[:20]))
        return publish(html, out, dict(edition="site", notebooks=[p.name for p in executed]))
