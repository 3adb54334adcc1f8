"""Structure contracts of the library, read with ast (nothing is imported): no import circle between its
files (imports inside functions count), no function over 60 lines, and crash-safe writing in one home."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "imaginator_lite"
MAX_FUNCTION_LINES = 60
#: Imports inside functions: only an optional dependency or one whose import cost matters on a path that does not
#: need it (nbgrader, papermill, OpenCV, PyAV, matplotlib, IPython, ipywidgets, h5py, TensorBoard,
#: torch.distributed.nn), each explained by a
#: comment. The count may fall, never rise.
MAX_FUNCTION_IMPORTS = 22


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package (a package is its __init__.py)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports anywhere in its file, relative imports resolved.

    `from X import y` is an edge to X.y where that is a module, else to X. The parent packages that Python
    also runs on the way are not counted: an edge is what the file names."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported_modules(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_the_import_graph_resolves_relative_imports():
    graph = _import_graph()
    assert "imaginator_lite.cli.data" in graph["imaginator_lite.cli.main"]  # `from . import ... data ...`
    assert "imaginator_lite.atomic" in graph["imaginator_lite.data.store_writer"]  # `from ..atomic import ...`


def test_no_import_circle_between_the_library_files():
    cycles = _cycles(_import_graph())
    assert not cycles, "import circles (imports inside functions count): " + "; ".join(" <-> ".join(c) for c in cycles)


def _package_of(module: str) -> str:
    """The library's top-level part a module belongs to: imaginator_lite.data.store -> imaginator_lite.data."""
    return ".".join(module.split(".")[:2])


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The import graph between the library's top-level parts (the root __init__, which re-exports, left out)."""
    parts: dict[str, set[str]] = {}
    for name, targets in graph.items():
        if name == "imaginator_lite":
            continue
        parts.setdefault(_package_of(name), set()).update(
            _package_of(t) for t in targets if t != "imaginator_lite" and _package_of(t) != _package_of(name))
    return parts


def test_no_import_circle_between_the_library_packages():
    """Layers: no package imports one that (through others) imports it back, e.g. pipeline <-> pretrained."""
    cycles = _cycles(_package_graph(_import_graph()))
    assert not cycles, "circles between packages: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_course_and_the_shipping_tools_sit_above_the_library():
    """Only the CLI (the top floor) may import the course; nothing in the package imports the shipping tools."""
    graph = _import_graph()
    upward = {(name, t) for name, targets in graph.items() for t in targets
              if (_package_of(t) == "imaginator_lite.course" and _package_of(name) not in
                  ("imaginator_lite.course", "imaginator_lite.cli"))
              or (_package_of(t) == "imaginator_lite.shipping" and _package_of(name) != "imaginator_lite.shipping")}
    assert not upward, "imports from a lower layer up: " + ", ".join(f"{a} -> {b}" for a, b in sorted(upward))


def test_the_package_graph_sees_a_circle_between_packages():
    graph = {"pkg.a.x": {"pkg.b.y"}, "pkg.b.y": {"pkg.a.z"}, "pkg.a.z": set()}
    assert _cycles(_package_graph(graph)) == [["pkg.a", "pkg.b"]]


def _function_imports(source: str) -> list[tuple[int, str]]:
    """(line, the import's first line) of every import statement inside a function of `source`."""
    lines = source.splitlines()
    found = set()
    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found |= {(node.lineno, lines[node.lineno - 1].strip()) for node in ast.walk(fn)
                      if isinstance(node, (ast.Import, ast.ImportFrom))}
    return sorted(found)


def _unexplained(source: str) -> list[tuple[int, str]]:
    """The function-level imports of `source` with no comment on their line or the line above."""
    lines = source.splitlines()
    return [(n, text) for n, text in _function_imports(source)
            if "#" not in lines[n - 1] and not (n >= 2 and lines[n - 2].strip().startswith("#"))]


def test_imports_sit_at_the_top_of_each_module():
    """Every dependency is visible at the top of a file; the few deferred imports say why, and cannot creep back."""
    deferred, unexplained = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        deferred += [f"{rel}:{n}" for n, _ in _function_imports(source)]
        unexplained += [f"{rel}:{n}: {text}" for n, text in _unexplained(source)]
    assert not unexplained, "imports inside functions without a comment saying why: " + "; ".join(unexplained)
    assert len(deferred) <= MAX_FUNCTION_IMPORTS, (
        f"{len(deferred)} imports inside functions (at most {MAX_FUNCTION_IMPORTS}): move the new ones to the top: "
        + ", ".join(deferred))


def test_the_import_counter_sees_function_level_imports():
    source = "import os\n\ndef f():\n    import json\n    # deferred: heavy\n    import cv2\n    return json\n"
    assert _function_imports(source) == [(4, "import json"), (6, "import cv2")]
    assert _unexplained(source) == [(4, "import json")]


def test_the_circle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_function_is_longer_than_60_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines = node.end_lineno - first + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def _file_system_swaps(tree: ast.AST) -> list[tuple[int, str]]:
    """Calls that fsync, rename or replace on the file system: os.fsync / os.rename / os.replace (and
    os.renames), and a path's .rename(target) or .replace(target) (one argument: str.replace takes two,
    a dataclass's .replace(...) takes keywords)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        attr, owner = node.func.attr, node.func.value
        if isinstance(owner, ast.Name) and owner.id == "os" and attr in ("fsync", "fdatasync", "rename", "renames",
                                                                           "replace"):
            found.append((node.lineno, f"os.{attr}"))
        elif attr == "rename" or (attr == "replace" and len(node.args) == 1 and not node.keywords):
            found.append((node.lineno, f".{attr}(...)"))
    return found


def test_the_swap_finder_tells_a_path_replace_from_str_and_dataclass_replace():
    tree = ast.parse("os.replace(a, b)\nos.fsync(fd)\np.replace(q)\np.rename(q)\n"
                     "s.replace('a', 'b')\ncfg.replace(steps=3)\n")
    assert [what for _, what in _file_system_swaps(tree)] == ["os.replace", "os.fsync", ".replace(...)",
                                                               ".rename(...)"]


def test_crash_safe_writing_has_one_home():
    """Only atomic.py fsyncs, renames or replaces files and folders; everyone else asks it."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "atomic.py":
            continue
        for line, what in _file_system_swaps(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(ROOT)}:{line} {what}")
    assert not offenders, f"fsync / rename / replace outside atomic.py: {offenders}"
