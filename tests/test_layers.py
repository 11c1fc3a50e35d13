"""Apps import downward only: each app may import from its own layer and the layers below it,
never from one above. Imports inside functions count as much as those at the top of a module.
The order is the README's layout section; it is what the code says (the fund's reference data
and ledger are read and written by banks, loans and claims, so ``fund`` sits below them; jobs
are recorded by loans' imports and reports, so ``jobs`` sits below both)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. The project package ``riskcomp`` is two things: the core every app uses
# (policy, labels, listing, exports, audit, uploads, …), at the bottom; and the project's wiring
# (settings, root URLconf, middleware, context processors, Celery app and housekeeping tasks,
# management commands), which names every app and so sits at the top with ``portal`` and
# ``demo``.
PROJECT_WIRING = (
    "riskcomp.settings", "riskcomp.urls", "riskcomp.wsgi",
    "riskcomp.middleware", "riskcomp.context_processors", "riskcomp.tasks",
    "riskcomp.management",
)
LAYERS: tuple[tuple[str, ...], ...] = (
    ("riskcomp",),
    ("accounts",),
    ("jobs",),
    ("fund",),
    ("banks",),
    ("loans",),
    ("claims",),
    ("notifications",),
    ("reports",),
    ("api",),
    ("portal", "demo", *PROJECT_WIRING),
)
LAYER_OF = {prefix: n for n, layer in enumerate(LAYERS) for prefix in layer}
APPS = sorted({prefix.split(".")[0] for prefix in LAYER_OF})

# Upward imports that remain, each with why it is still there. The list only shrinks: a test
# below fails when one of them is gone, so that it is struck off here too.
KNOWN_UPWARD: dict[tuple[str, str], str] = {
    # The one formula for what banks owe the fund (issue: every receivable read in
    # fund/selectors.py) counts the returns still owed on recoveries, which are claims' records.
    ("fund/selectors.py", "claims.models"): "returns owed on recoveries",
}


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool
                     ) -> Iterator[tuple[int, str, str]]:
    """(line, module, module or submodule) of every import in ``tree``, wherever the statement
    is (functions included), relative imports resolved against ``module``. For
    ``from a import b`` the third is ``a.b``, since ``b`` may be a submodule of ``a``."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                yield node.lineno, target, f"{target}.{alias.name}"


def layer_of(module: str) -> int | None:
    """The layer of ``module`` by its longest listed prefix; None outside the project."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        layer = LAYER_OF.get(".".join(parts[:end]))
        if layer is not None:
            return layer
    return None


def upward_imports(source: str, path: str) -> Iterator[tuple[str, int, str]]:
    """(path, line, imported module) of each import in ``source`` (the file at ``path``,
    relative to the repository) from a layer above the file's own."""
    file = ROOT / path
    module = module_of(file)
    own = layer_of(module)
    assert own is not None, f"{path} is in no layer"
    for line, target, name in imported_modules(ast.parse(source), module,
                                               file.name == "__init__.py"):
        layer = layer_of(name)
        if layer is not None and layer > own:
            # Name the module (``claims.models``), or the submodule when that alone is above
            # (``from riskcomp import urls``).
            yield path, line, target if layer_of(target) == layer else name


def all_upward_imports() -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    for app in APPS:
        for file in sorted((ROOT / app).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            found.extend(upward_imports(file.read_text(encoding="utf-8"), path))
    return found


def test_no_app_imports_from_an_app_above_it() -> None:
    unexpected = [f"{path}:{line} imports {name}" for path, line, name in all_upward_imports()
                  if (path, name) not in KNOWN_UPWARD]
    assert unexpected == []


def test_every_known_upward_import_is_still_there() -> None:
    found = {(path, name) for path, _line, name in all_upward_imports()}
    assert sorted(set(KNOWN_UPWARD) - found) == []


def test_every_app_on_disk_has_a_layer() -> None:
    apps_on_disk = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps_on_disk <= set(APPS)


@pytest.mark.parametrize(("path", "source", "expected"), [
    # A lazy import inside a function counts.
    ("banks/services.py", "def f():\n    from claims.models import Claim\n",
     [("banks/services.py", 2, "claims.models")]),
    # A relative import is resolved against the importing module's package.
    ("riskcomp/audit.py", "from .urls import urlpatterns\n",
     [("riskcomp/audit.py", 1, "riskcomp.urls")]),
    ("loans/views.py", "import reports.models\n", [("loans/views.py", 1, "reports.models")]),
    # Downward, sideways within an app, and third-party imports are fine.
    ("claims/views.py", "from banks.models import Bank\nfrom .models import Claim\n", []),
    ("portal/views.py", "from riskcomp.urls import urlpatterns\nimport django\n", []),
    ("riskcomp/urls.py", "from portal import views\n", []),
])
def test_the_check_sees_an_upward_import(path: str, source: str,
                                          expected: list[tuple[str, int, str]]) -> None:
    assert list(upward_imports(source, path)) == expected
