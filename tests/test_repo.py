"""Repository contracts: README's two commands, CI runs the README's test command, env mirrors pyproject."""
import re
import tomllib
from pathlib import Path
import pytest

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


def test_the_end_to_end_tier_is_one_command_the_readme_names_and_ci_runs():
    """`python -m pytest` deselects the e2e marker (pyproject's addopts); README and .ci/run name the second tier."""
    e2e = "python -m pytest -m e2e"
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-m 'not e2e'" in options["addopts"] and any(m.startswith("e2e:") for m in options["markers"])
    assert e2e in (ROOT / "README.md").read_text()
    assert e2e in [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]


def _names(requirements) -> set[str]:
    return {re.split(r"[<>=!\[ ]", r.strip(), maxsplit=1)[0].lower() for r in requirements}


def test_environment_yml_mirrors_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"]) | _names(project["optional-dependencies"]["dev"])
    env = (ROOT / "environment.yml").read_text()
    listed = {re.split(r"[<>=!\[ ]", line.strip()[2:].strip(), maxsplit=1)[0].lower()
              for line in env.splitlines() if line.strip().startswith("- ")}
    assert wanted <= listed, f"missing from environment.yml: {sorted(wanted - listed)}"


def test_the_layout_matches_the_package_tree():
    """Every module and sub-package of imaginator_lite is named in the layout block of docs/development.md, and
    vice versa."""
    page = (ROOT / "docs" / "development.md").read_text()
    block = re.search(r"## What is inside\n\n```\n(.*?)```", page, re.S).group(1)
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


def _default_copies(lines, facts: dict) -> list[str]:
    """`where: fact: line` for every line that types one of the course defaults again."""
    return [f"{where}: {fact}: {line.strip()}" for where, line in lines
            for fact, pattern in facts.items() if pattern.search(line)]


def _course_fact_patterns() -> dict:
    from imaginator_lite import defaults

    n, epochs, least = defaults.SYNTHETIC_IDENTITIES, defaults.JUDGE_EPOCHS, defaults.JUDGE_MIN_STEPS
    return {
        "split fractions": re.compile(r"\(0\.7, 0\.15, 0\.15\)"),
        "identity count": re.compile(rf"(identities|IDENTITIES)\s*(:\s*int\s*)?=\s*{n}\b|default={n}\b"),
        "judge settings": re.compile(rf"(epochs|min_steps|MIN_STEPS)\s*(:\s*int\s*)?=\s*({epochs}|{least})\b"),
        "held-out seed": re.compile(rf"(DATA_SEED|held_out_seed)\s*=\s*{defaults.HELD_OUT_SEED}\b"),
        "run folders": re.compile("|".join(re.escape(f'"{folder}"') for folder in (
            defaults.DATA_ROOT, defaults.TRAIN_DIR, defaults.TOUR_DIR, defaults.STUDY_DIR, defaults.NOTEBOOKS_DIR))),
    }


def test_the_course_defaults_are_written_once_in_the_library():
    """Identity count, split fractions, judge settings and run folders live in imaginator_lite/defaults.py;
    a second copy of one of these literals anywhere else in the library is how defaults drift apart."""
    package = Path(__file__).resolve().parents[1] / "imaginator_lite"
    lines = [(f"{path.relative_to(package)}:{n}", line)
             for path in sorted(package.rglob("*.py")) if path.name != "defaults.py"
             for n, line in enumerate(path.read_text().splitlines(), 1)]
    copies = _default_copies(lines, _course_fact_patterns())
    assert not copies, "import these from imaginator_lite.defaults instead:\n" + "\n".join(copies)


def test_the_notebooks_take_the_course_defaults_from_the_library():
    """The tutorials' code (parameters included) never types a course default or the tour's learning rate:
    a parameter left at None means the library's value, so the notebooks cannot drift from the package."""
    import nbformat

    facts = dict(_course_fact_patterns(), **{"a learning rate": re.compile(r"\blr\s*=\s*[0-9.]+e-?[0-9]+")})
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    lines = [(f"{path.name} cell {i}", line) for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
             for i, cell in enumerate(nbformat.read(path, as_version=4).cells) if cell.cell_type == "code"
             for line in cell.source.splitlines()]
    assert len(lines) > 300, "the notebooks were not found"
    copies = _default_copies(lines, facts)
    assert not copies, "read these from imaginator_lite.defaults (or tour.TOUR_RECIPE) instead:\n" + "\n".join(copies)


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
    sources = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "notebooks").glob("*.ipynb"))]
    for folder in ("imaginator_lite", "tests", "benchmarks", "data_scripts"):
        sources += sorted((ROOT / folder).rglob("*.py"))
    quoted = {(m.group(0).rstrip("."), path.relative_to(ROOT)) for path in sources
              for m in re.finditer(r"\bimaginator_lite(?:\.[A-Za-z_]\w*)+", path.read_text(encoding="utf-8"))}
    broken = sorted(f"{path}: {dotted}" for dotted, path in quoted if not _resolve(dotted))
    assert len(quoted) > 40 and not broken, "\n".join(broken)


def test_a_study_resumes_across_new_train_config_fields_and_refuses_other_settings(tmp_path):
    """The committed study was recorded before TrainConfig had `sync_batchnorm`: it must still resume, and a
    study with another recipe must be refused (never silently discarded)."""
    import json

    from imaginator_lite.study import StudySettings, run_study, settings_changes, settings_dict

    committed = json.loads((Path(__file__).resolve().parents[1] / "notebooks/results/ablations.json").read_text())
    assert settings_changes(committed["settings"], settings_dict(StudySettings())) == []
    old = dict(committed["settings"], recipe={k: v for k, v in committed["settings"]["recipe"].items()
                                               if k != "sync_batchnorm"})
    assert settings_changes(old, settings_dict(StudySettings())) == []
    other = StudySettings(recipe=StudySettings().recipe.replace(lr=5e-4))
    assert settings_changes(committed["settings"], settings_dict(other)) == ["recipe.lr 0.001 -> 0.0005"]
    results = tmp_path / "ablations.json"
    results.write_text(json.dumps(committed))
    with pytest.raises(ValueError, match=r"other settings \(recipe.lr 0.001 -> 0.0005\).*another results file"):
        run_study(results, other, tmp_path / "work", progress=False)
    assert json.loads(results.read_text()) == committed


def test_a_study_that_only_adds_a_variant_keeps_the_whole_studys_command_and_variants(tmp_path):
    """`study --variants X` on the committed file runs nothing already there and keeps the file's full variant list
    and the command that makes the whole study."""
    import json

    from imaginator_lite.study import VARIANT_NAMES, StudySettings, run_study

    committed = json.loads((Path(__file__).resolve().parents[1] / "notebooks/results/ablations.json").read_text())
    assert committed["settings"]["variants"] == list(VARIANT_NAMES)
    assert all(len(v["runs"]) == 3 for v in committed["variants"].values())
    results = tmp_path / "ablations.json"
    results.write_text(json.dumps(committed))
    data = run_study(results, StudySettings(variants=("warp",)), tmp_path / "work", command="study --variants warp",
                     progress=False, log=lambda line: pytest.fail(f"it ran a finished run: {line}"))
    assert data["command"] == committed["command"] and data["settings"]["variants"] == list(VARIANT_NAMES)
    assert data["variants"] == committed["variants"]
