"""Waiting for the app's imports: whether a framework is installed, and a patch built only when
the app imports what it patches -- from a table of names, so that neither the framework nor our
patch module for it (nor the telemetry behind them) is imported before then."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

import wrapt

from .failopen import safely

# (what it instruments, the module the app imports, "our.module:factory" building the patch)
PatchEntry = tuple[str, str, str]


def importable(module: str) -> bool:
    """Whether ``module`` is installed, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def load(target: str, package: str) -> Callable[..., Any]:
    """The factory ``"module:name"`` names (``module`` relative to ``package`` if it starts with a dot)."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module, package), name)


class OnImport:
    """A patch built and applied when the app imports ``module`` (at once if it already has), so an
    app that never imports a framework never pays for importing it; removed like any other."""

    def __init__(self, module: str, build: Callable[[Any], Any], site: str) -> None:
        self.module, self.build, self.site = module, build, site
        self._active = False
        self._patch: Any = None

    def apply(self) -> None:
        self._active = True
        # Runs at once if the module is already imported, else when it is.
        wrapt.register_post_import_hook(self._on_import, self.module)

    def _on_import(self, module: Any) -> None:
        safely(self.site, self._build_and_apply, module)

    def _build_and_apply(self, module: Any) -> None:
        if not self._active or self._patch is not None:
            return
        patch = self.build(module)
        self._patch = patch
        patch.apply()

    def remove(self) -> None:
        self._active = False
        if self._patch is not None:
            self._patch.remove()
            self._patch = None
