"""The public API is listed once (``auditkit._PUBLIC``), and the list is right in both directions: every
name in ``__all__`` can be imported, and every public attribute of the package is in ``__all__``
(httpx's tests/test_exported_members.py, for a lazily loaded package). The type checkers' copy of the
list (the ``TYPE_CHECKING`` imports) is held equal to it."""

from __future__ import annotations

import ast
import importlib
import types

import auditkit
from tests.conftest import REPO


def test_every_name_in_all_can_be_imported_from_the_package() -> None:
    for name in auditkit.__all__:
        namespace: dict = {}
        exec(f"from auditkit import {name}", namespace)
        assert namespace[name] is getattr(auditkit, name)


def test_every_public_attribute_of_the_package_is_in_all() -> None:
    for name in auditkit.__all__:
        getattr(auditkit, name)  # every export loaded, as a user would after a while
    for layer in ("trail", "store", "loading", "custody", "analysis", "present", "outbound"):
        importlib.import_module(f"auditkit.{layer}")
    public = {
        name
        for name, value in vars(auditkit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "TYPE_CHECKING"
    }
    assert public == set(auditkit.__all__) - {"__version__"}
    assert sorted(dir(auditkit)) == sorted(auditkit.__all__)


def test_all_is_the_public_table_and_each_name_comes_from_its_module() -> None:
    table = auditkit._PUBLIC
    assert sorted(n for names in table.values() for n in names) == sorted(auditkit.__all__)
    assert len(auditkit.__all__) == len(set(auditkit.__all__))
    for module, names in table.items():
        for name in names:
            assert getattr(importlib.import_module(module), name) is getattr(auditkit, name), f"{module}.{name}"


def test_the_type_checkers_imports_are_the_public_table() -> None:
    tree = ast.parse((REPO / "auditkit" / "__init__.py").read_text())
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"]
    seen: dict[str, list[str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name}: an explicit re-export is `import x as x`"
            seen.setdefault(node.module, []).append(alias.name)
    assert {m: sorted(n) for m, n in seen.items()} == {m: sorted(n) for m, n in auditkit._PUBLIC.items()}
