"""Repository contracts: README's two commands, CI runs the README's test command, env mirrors pyproject."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_quick_start_has_exactly_two_commands():
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert "imaginator-lite tour" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quick_start_commands()[1] in [line.strip() for line in ci]
    assert "torch==2.13.0" in "\n".join(ci)  # the CPU build on disk, not a several-GB CUDA download


def _names(requirements) -> set[str]:
    return {re.split(r"[<>=!\[ ]", r.strip(), maxsplit=1)[0].lower() for r in requirements}


def test_environment_yml_mirrors_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"]) | _names(project["optional-dependencies"]["dev"])
    env = (ROOT / "environment.yml").read_text()
    listed = {re.split(r"[<>=!\[ ]", line.strip()[2:].strip(), maxsplit=1)[0].lower()
              for line in env.splitlines() if line.strip().startswith("- ")}
    assert wanted <= listed, f"missing from environment.yml: {sorted(wanted - listed)}"


def test_readme_layout_matches_the_package_tree():
    """Every module and sub-package of imaginator_lite is named in the README's layout block, and vice versa."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## What is inside\n\n```\n(.*?)```", readme, re.S).group(1)
    package = ROOT / "imaginator_lite"
    tree = {p.name for p in package.iterdir() if p.suffix == ".py" and p.name != "__init__.py"}
    tree |= {p.name + "/" for p in package.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    tree |= {p.name for p in package.rglob("*.py") if p.name != "__init__.py" and "__pycache__" not in p.parts}
    named = set(re.findall(r"\b([a-z_]+(?:\.py|/))", block))
    assert tree <= named, f"missing from the README layout: {sorted(tree - named)}"
    stale = {n for n in named if n.endswith(".py") and n not in tree and not n.startswith(("convert_", "make_", "bench_"))}
    assert not stale, f"the README layout names modules that do not exist: {sorted(stale)}"


def test_the_version_has_one_home():
    """`imaginator_lite.__version__` is the installed distribution's, i.e. pyproject.toml's."""
    import tomllib
    from importlib.metadata import version

    import imaginator_lite

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert imaginator_lite.__version__ == version("imaginator-lite") == pyproject["project"]["version"]


def test_the_course_defaults_are_written_once_in_the_library():
    """Identity count, split fractions, judge settings and run folders live in imaginator_lite/defaults.py;
    a second copy of one of these literals anywhere else in the library is how defaults drift apart."""
    from imaginator_lite import defaults

    package = Path(__file__).resolve().parents[1] / "imaginator_lite"
    facts = {
        "split fractions": re.compile(r"\(0\.7, 0\.15, 0\.15\)"),
        "identity count": re.compile(rf"(identities|n_identities)\s*(:\s*int\s*)?=\s*{defaults.SYNTHETIC_IDENTITIES}\b"
                                     rf"|default={defaults.SYNTHETIC_IDENTITIES}\b"),
        "judge settings": re.compile(rf"(epochs|min_steps)\s*(:\s*int\s*)?=\s*({defaults.JUDGE_EPOCHS}|"
                                     rf"{defaults.JUDGE_MIN_STEPS})\b"),
        "run folders": re.compile("|".join(re.escape(f'"{folder}"') for folder in (
            defaults.DATA_ROOT, defaults.TRAIN_DIR, defaults.TOUR_DIR, defaults.STUDY_DIR, defaults.NOTEBOOKS_DIR))),
    }
    copies = [f"{path.relative_to(package)}:{n}: {fact}: {line.strip()}"
              for path in sorted(package.rglob("*.py")) if path.name != "defaults.py"
              for n, line in enumerate(path.read_text().splitlines(), 1)
              for fact, pattern in facts.items() if pattern.search(line)]
    assert not copies, "import these from imaginator_lite.defaults instead:\n" + "\n".join(copies)


def _resolve(dotted: str) -> bool:
    """Whether a dotted path names a module, or an attribute reached from its longest importable module."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def test_every_quoted_imaginator_lite_path_resolves():
    """Dotted paths in code, docstrings, error messages, the README and the notebooks name things that exist."""
    sources = [ROOT / "README.md", *sorted((ROOT / "notebooks").glob("*.ipynb"))]
    for folder in ("imaginator_lite", "tests", "benchmarks", "data_scripts"):
        sources += sorted((ROOT / folder).rglob("*.py"))
    quoted = {(m.group(0).rstrip("."), path.relative_to(ROOT)) for path in sources
              for m in re.finditer(r"\bimaginator_lite(?:\.[A-Za-z_]\w*)+", path.read_text(encoding="utf-8"))}
    broken = sorted(f"{path}: {dotted}" for dotted, path in quoted if not _resolve(dotted))
    assert len(quoted) > 40 and not broken, "\n".join(broken)
