"""The instructor's tools (the `course` extra: nbgrader, jupyter-book): whether they are installed, with one
error that names the install command."""
from __future__ import annotations

import importlib

#: What a plain install lacks for the instructor's commands.
INSTALL_COURSE = 'pip install "imaginator-lite[course]"'
#: The `course` extra's packages, by the module a command imports.
COURSE_PACKAGES = {"nbgrader": "nbgrader", "jupyter_book": "jupyter-book", "sphinx-mathjax-offline": "sphinx-mathjax-offline"}


class MissingCourseTools(ValueError):
    """An instructor's tool (the `course` extra) is not installed. A ValueError, so that the CLI's one error
    path (cli.main.run) prints it as one line and exits 2."""


def require(command: str, *modules: str) -> None:
    """MissingCourseTools, naming the install command, unless every module in `modules` imports."""
    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(COURSE_PACKAGES.get(module, module))
    if missing:
        raise MissingCourseTools(f"`{command}` needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'}"
                                 f" not installed; install the instructor's tools with: {INSTALL_COURSE}")
