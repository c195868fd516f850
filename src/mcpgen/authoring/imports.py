"""Import workspace files by path, each folder its own package.

Shared by the discovery worker (which describes modules) and the runtime
(which loads exactly the modules the manifest lists), so a file imports the
same way in both.

Every folder holding a workspace file is a package of its own
(``tools/a/`` is ``mcpgen_workspace.tools.a``, ``connectors/`` is
``connectors``), and a plain ``import _helpers`` (or ``from _helpers import
VALUE``, at the top of the file or inside a function) in a file of that folder
means the folder's own ``_helpers.py``, imported once as
``mcpgen_workspace.tools.a._helpers``. Two folders with a ``_helpers.py`` each
therefore never share a ``sys.modules`` entry, however the files are loaded.
The mechanism: modules loaded here get a ``__builtins__`` whose ``__import__``
turns a top-level import of a sibling (a ``.py`` file or a folder with an
``__init__.py`` next to the importing file) into an import of the package
member; a meta path finder gives the helper modules the same treatment, so
helpers importing helpers behave alike. Anything else (the standard library,
installed packages, ``connectors.notion``) imports as usual.

A file that is a symbolic link (or lies in a linked folder) is named and
resolved by where it sits in the workspace, not by its target: its helpers are
the files next to the link, shared with its neighbours.
"""

from __future__ import annotations

import builtins
import importlib.machinery
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from mcpgen.errors import LoadError

_SAFE = re.compile(r"[^A-Za-z0-9_]")


def _relative(root: Path, path: Path) -> Path:
    """``path`` relative to ``root`` as the user sees it (symbolic links not followed)."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        return path.resolve().relative_to(root.resolve())


def module_name(root: Path, path: Path, namespace: str = "mcpgen_workspace") -> str:
    """The module name a workspace file is imported under.

    Files in ``connectors/`` are ``connectors.<name>``, the name a tool imports
    them by (``from connectors.notion import Notion``), so both share one module;
    everything else lives under ``namespace``.
    """
    parts = [_SAFE.sub("_", part) for part in _relative(root, path).with_suffix("").parts]
    if len(parts) > 1 and parts[0] == "connectors":
        return ".".join(parts)
    return ".".join([namespace, *parts])


class _Folder:
    """A workspace folder as a package: its name, its path, and the ``__builtins__`` of its modules."""

    def __init__(self, package: str, path: str) -> None:
        self.package = package
        self.path = path
        self._siblings: dict[str, bool] = {}
        self.builtins: dict[str, Any] = {**vars(builtins), "__import__": self._import}

    def _is_sibling(self, head: str) -> bool:
        found = self._siblings.get(head)
        if found is None:
            found = os.path.isfile(os.path.join(self.path, head + ".py")) or os.path.isfile(
                os.path.join(self.path, head, "__init__.py")
            )
            self._siblings[head] = found
        return found

    def _import(
        self,
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level == 0 and self._is_sibling(head := name.partition(".")[0]):
            module = builtins.__import__(f"{self.package}.{name}", globals, locals, fromlist, 0)
            return module if fromlist else sys.modules[f"{self.package}.{head}"]
        return builtins.__import__(name, globals, locals, fromlist, level)


_folders: dict[str, _Folder] = {}
"""Package name → folder, for every folder a workspace file was imported from."""


def _owner(fullname: str) -> _Folder | None:
    """The folder package ``fullname`` belongs to (the innermost one), if any."""
    package = fullname.rpartition(".")[0]
    while package:
        folder = _folders.get(package)
        if folder is not None:
            return folder
        package = package.rpartition(".")[0]
    return None


class _SiblingLoader(importlib.machinery.SourceFileLoader):
    """Loads a workspace module with its folder's ``__import__``."""

    def __init__(self, fullname: str, path: str, folder: _Folder) -> None:
        super().__init__(fullname, path)
        self._folder = folder

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__["__builtins__"] = self._folder.builtins
        super().exec_module(module)


class _SiblingFinder:
    """Finds the members of folder packages (helper modules) and loads them with :class:`_SiblingLoader`."""

    @staticmethod
    def find_spec(
        fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        folder = _owner(fullname)
        if folder is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            assert spec.origin is not None
            spec.loader = _SiblingLoader(fullname, spec.origin, folder)
        return spec


def _package(name: str, path: str) -> _Folder:
    """Make ``name`` the package of folder ``path`` in ``sys.modules`` and return the folder.

    A package that already searches ``path`` (say ``connectors`` imported by a
    tool) is kept; one created here for a parent is given the path; one of
    another folder (another workspace under the same namespace) is replaced,
    with everything imported under it.
    """
    existing = sys.modules.get(name)
    search = getattr(existing, "__path__", None)
    if existing is None or search is None or (list(search) and path not in search):
        for key in [key for key in sys.modules if key.startswith(name + ".")] if existing else ():
            del sys.modules[key]
        _ensure_parents(name)
        sys.modules[name] = _package_module(name, [path])
    elif path not in search:
        search.append(path)  # a parent created below, now a folder of its own
    folder = _folders.get(name)
    if folder is None or folder.path != path:
        folder = _folders[name] = _Folder(name, path)
    if not any(isinstance(f, _SiblingFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SiblingFinder())
    return folder


def _ensure_parents(name: str) -> None:
    parent = name.rpartition(".")[0]
    if parent and parent not in sys.modules:
        _ensure_parents(parent)
        sys.modules[parent] = _package_module(parent, [])


def _package_module(name: str, search: list[str]) -> ModuleType:
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = search
    return importlib.util.module_from_spec(spec)


def import_file(root: Path, path: Path, namespace: str = "mcpgen_workspace") -> ModuleType:
    """Import ``path`` (inside workspace ``root``) as a fresh module of its folder's package.

    Sibling helper modules resolve inside the folder (see the module
    docstring); the folder and the workspace root also go on ``sys.path``, so
    ``importlib.import_module("_helpers")`` and ``from connectors.notion import
    Notion`` keep working. A connector module a tool already imported is reused,
    not run twice. Errors propagate unchanged: callers decide whether they are
    diagnostics (discovery) or a :class:`LoadError` (runtime).
    """
    name = module_name(root, path, namespace)
    folder_path = os.path.abspath(path.parent)
    if folder_path not in sys.path:
        sys.path.insert(0, folder_path)
    workspace = str(root.resolve())
    if workspace not in sys.path:
        sys.path.append(workspace)
    existing = sys.modules.get(name)
    if name.startswith("connectors.") and existing is not None and _same_file(existing, path):
        return existing
    folder = _package(name.rpartition(".")[0], folder_path)
    spec = importlib.util.spec_from_file_location(name, path, loader=_SiblingLoader(name, str(path), folder))
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not an importable Python file", path=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _same_file(module: ModuleType, path: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve() == path.resolve()


def _under(prefixes: Sequence[str]) -> Callable[[str], bool]:
    return lambda file: any(file.startswith(prefix) for prefix in prefixes)


def purge_workspace_modules(root: Path) -> None:
    """Forget every imported module whose file lives under ``root`` (before a reload).

    Linked files count by where the link is, like :func:`import_file` names them.
    """
    inside = _under([os.path.abspath(root) + os.sep, str(root.resolve()) + os.sep])
    for package in [p for p, folder in _folders.items() if inside(folder.path + os.sep)]:
        del _folders[package]  # their helper lists are rebuilt: files may have come or gone
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and (inside(os.path.abspath(file)) or inside(str(Path(file).resolve()))):
            del sys.modules[name]
