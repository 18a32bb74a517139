"""The layout STYLE.md draws: imports flow one way, from the command line to the arithmetic.

Every module of the package is read (not imported) and each of its imports of another part
of npconv is checked against the layers below, highest first.  A module may import its own
sub-package's siblings and anything in a lower layer, never a higher one; the two variants
of an op (``loops`` and ``im2col``, in the core and in the family) never import each other.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "npconv"

LAYERS = [
    ("cli",),
    ("tools", "viz"),
    ("nn", "optim", "testing"),
    ("family",),
    ("api",),
    ("loops", "im2col"),
    ("shapes",),
    ("padding",),
]
"""Parts of npconv, from the command line at the top to the arithmetic at the bottom."""

RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}
TWINS = {frozenset({"loops", "im2col"})}


def modules():
    """Every module of the package as (path, dotted name)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield path, ".".join(parts)


def imported_modules(path, name):
    """The dotted names of the npconv modules that ``path`` imports, wherever it does."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            # "from . import loops" imports the module npconv.<package>.loops
            found += [f"{module}.{alias.name}" for alias in node.names] + [module]
    return [module for module in found if module.split(".")[0] == "npconv"]


def part_of(dotted):
    """The layer part a dotted npconv name belongs to (None for the package root)."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


MODULES = [(path, name) for path, name in modules() if part_of(name) is not None]


@pytest.mark.parametrize("path, name", MODULES, ids=[name for _, name in MODULES])
def test_imports_flow_one_way(path, name):
    here = part_of(name)
    for imported in imported_modules(path, name):
        there = part_of(imported)
        if there is None or there == here:
            continue
        assert RANK[there] > RANK[here] or (RANK[there] == RANK[here]
                                             and frozenset({here, there}) not in TWINS), (
            f"{name} imports {imported}: {there} is not below {here}")


@pytest.mark.parametrize("sub_package", ["", "family"])
def test_the_two_variants_never_import_each_other(sub_package):
    folder = PACKAGE / sub_package
    for variant, twin in (("loops", "im2col"), ("im2col", "loops")):
        name = ".".join(filter(None, ["npconv", sub_package, variant]))
        imported = imported_modules(folder / f"{variant}.py", name)
        assert not [m for m in imported if m.split(".")[-1] == twin
                    or m.endswith(f".{twin}")], (name, imported)


def test_the_package_root_shows_the_core_and_the_sub_packages():
    """A newcomer listing npconv/ sees the five core modules, the sub-packages, nothing else."""
    files = {path.name for path in PACKAGE.glob("*.py")}
    assert files == {"__init__.py", "__main__.py", "api.py", "shapes.py", "padding.py",
                     "loops.py", "im2col.py"}
    folders = {path.name for path in PACKAGE.iterdir()
               if path.is_dir() and (path / "__init__.py").exists()}
    assert folders == {part for parts in LAYERS for part in parts} - {
        "api", "shapes", "padding", "loops", "im2col"}


def test_the_import_reader_sees_absolute_and_relative_imports():
    """A witness for the checks above, whose loops run zero times if the reader finds no
    import: api.py imports both variants with ``from . import``, the benchmark tool imports
    api and the family with ``from ..``, and an upward import would break the rule."""
    api = imported_modules(PACKAGE / "api.py", "npconv.api")
    assert {"npconv.loops", "npconv.im2col", "npconv.shapes"} <= set(api), api
    bench = imported_modules(PACKAGE / "tools" / "bench.py", "npconv.tools.bench")
    assert {"npconv.api", "npconv.family.api", "npconv.shapes"} <= set(bench), bench
    assert RANK[part_of("npconv.tools.bench")] < RANK[part_of("npconv.api")]
