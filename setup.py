"""Only one thing beyond pyproject.toml: the wheel also carries the course (notebooks/NN_*.ipynb,
notebooks/results/ and the record's pages, docs/*.md) as package data in imaginator_lite/tutorials, so `imaginator-lite course copy` works
from a plain `pip install`. An editable install reads notebooks/ from the checkout instead."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithCourse(build_py):
    """build_py, then a copy of the tutorials and their committed results into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        source = HERE / "notebooks"
        target = Path(self.build_lib) / "imaginator_lite" / "tutorials"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for book in sorted(source.glob("[0-9][0-9]_*.ipynb")):
            shutil.copy2(book, target / book.name)
        if (source / "results").is_dir():
            shutil.copytree(source / "results", target / "results")
        (target / "docs").mkdir()  # the record's pages, which the course site shows beside the tutorials
        for page in sorted((HERE / "docs").glob("*.md")):
            shutil.copy2(page, target / "docs" / page.name)


setup(cmdclass={"build_py": BuildPyWithCourse})
