"""The course from a wheel: build it, install it into a fresh venv, copy the course out, run notebook 02."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel built from a copy of the sources, installed without its dependencies into a fresh venv that
    borrows them from this environment (a .pth line: the editable install of this checkout stays out)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "imaginator_lite", src / "imaginator_lite", ignore=ignore)
    shutil.copytree(ROOT / "notebooks", src / "notebooks", ignore=ignore)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp / "dist", src])
    wheel = next((tmp / "dist").glob("imaginator_lite-*.whl"))
    _run([sys.executable, "-m", "venv", tmp / "venv"])
    python = tmp / "venv" / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
    return dict(tmp=tmp, python=python, wheel=wheel, site=site)


def test_the_wheel_carries_the_tutorials_and_their_results(installed):
    import zipfile

    names = zipfile.ZipFile(installed["wheel"]).namelist()
    books = sorted(n for n in names if n.startswith("imaginator_lite/tutorials/") and n.endswith(".ipynb"))
    assert [Path(b).name for b in books] == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert "imaginator_lite/tutorials/results/ablations.json" in names
    assert "imaginator_lite/course/tutorial_times.json" in names  # `course grade`'s default per-cell limits
    where = _run([installed["python"], "-c", "import imaginator_lite; print(imaginator_lite.__file__)"],
                 cwd=installed["tmp"]).stdout
    assert where.startswith(str(installed["site"]))  # the wheel, not this checkout
    limits = _run([installed["python"], "-c", "import json; from imaginator_lite.course.grading import default_timeouts; "
                   "print(json.dumps(default_timeouts()))"], cwd=installed["tmp"]).stdout
    from imaginator_lite.course.grading import default_timeouts

    assert json.loads(limits) == default_timeouts()


def test_course_copy_from_the_wheel_runs_notebook_02_and_keeps_edits(installed):
    tmp, python = installed["tmp"], installed["python"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    copied = _run([python, "-m", "imaginator_lite.cli", "course", "copy", "--out", tmp / "course"], cwd=tmp, env=env)
    expected = [*(ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"), *(ROOT / "notebooks" / "results").iterdir()]
    assert f"copied {len(expected)} file(s)" in copied.stdout  # the notebooks and their committed results/
    book = tmp / "course" / "notebooks" / "02_transposed_1plus2d.ipynb"
    _run([python, "-m", "papermill", book, tmp / "02_executed.ipynb", "--cwd", book.parent, "-k", "python3",
          "--no-progress-bar"], cwd=tmp, env=env)
    executed = json.loads((tmp / "02_executed.ipynb").read_text())
    assert not executed["metadata"]["papermill"].get("exception")
    edited = tmp / "course" / "notebooks" / "01_data.ipynb"
    edited.write_text(edited.read_text().replace("QUICK = True", "QUICK = True  # my note"))
    again = _run([python, "-m", "imaginator_lite.cli", "course", "copy", "--out", tmp / "course"], cwd=tmp, env=env)
    assert "copied 0 file(s)" in again.stdout and "notebooks/01_data.ipynb" in again.stdout
    assert "# my note" in edited.read_text()  # a student's edit is never overwritten
    student = _run([python, "-m", "imaginator_lite.cli", "course", "copy", "--student", "--out", tmp / "student"],
                   cwd=tmp, env=env)
    assert "student edition" in student.stdout
    assert "NotImplementedError" in (tmp / "student" / "notebooks" / "02_transposed_1plus2d.ipynb").read_text()
