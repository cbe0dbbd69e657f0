"""Patching a method on a base class *and* every subclass that overrides it.

AgentChat agents, model clients, tools and workbenches override the methods we trace
(CodeExecutorAgent overrides ``on_messages_stream``, every model client overrides
``create``), so patching the base alone misses them. Subclasses defined after
``instrument()`` -- the usual case under ``opentelemetry-instrument`` -- are patched as they
are created, through an ``__init_subclass__`` hook on the base.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import wrapt

from .failopen import safely
from .wrappers import transparent_to_warnings

logger = logging.getLogger(__name__)

_HOOK = "__init_subclass__"
# wrapt 2 split the proxy hierarchy: FunctionWrapper no longer derives from wrapt.ObjectProxy.
_WRAPPERS = tuple({getattr(wrapt, n) for n in ("ObjectProxy", "BaseObjectProxy", "FunctionWrapper")
                   if hasattr(wrapt, n)})


def unwrap(owner: Any, name: str) -> None:
    """Put back what ``wrapt.wrap_function_wrapper`` replaced.

    Reads the wrapper from the owner's ``__dict__``: through ``getattr`` a class attribute comes
    back as a bound wrapper, which ``opentelemetry.instrumentation.utils.unwrap`` does not
    recognise with wrapt 2.
    """
    attr = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if isinstance(attr, _WRAPPERS):
        setattr(owner, name, attr.__wrapped__)


def _walk(base: type) -> Iterator[type]:
    seen: set[type] = set()
    stack = [base]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        try:
            stack.extend(cls.__subclasses__())
        except TypeError:
            pass


class FamilyPatch:
    """Wraps ``methods`` (name -> wrapt wrapper) wherever a class in ``base``'s family defines them."""

    def __init__(self, base: type, methods: dict[str, Callable[..., Any]]) -> None:
        self.base = base
        self.methods = methods
        self._patched: list[tuple[type, str]] = []
        self._original_hook: Any = None
        self._hooked = False

    def apply(self) -> None:
        for cls in list(_walk(self.base)):
            self._patch_class(cls)
        self._install_hook()

    def remove(self) -> None:
        if self._hooked:
            if self._original_hook is not None:
                setattr(self.base, _HOOK, self._original_hook)
            else:
                try:
                    delattr(self.base, _HOOK)
                except AttributeError:
                    pass
            self._hooked = False
        for cls, name in reversed(self._patched):
            unwrap(cls, name)
        self._patched.clear()

    def _patch_class(self, cls: type) -> None:
        for name, wrapper in self.methods.items():
            attr = cls.__dict__.get(name)
            if attr is None or isinstance(attr, _WRAPPERS) or not callable(attr):
                continue
            if getattr(attr, "__isabstractmethod__", False):
                continue
            wrapt.wrap_function_wrapper(cls, name, transparent_to_warnings(wrapper))
            self._patched.append((cls, name))

    def _install_hook(self) -> None:
        base = self.base
        original = base.__dict__.get(_HOOK)
        patch = self

        def hook(cls: type, **kwargs: Any) -> None:
            if original is not None:
                original.__func__(cls, **kwargs)
            else:
                super(base, cls).__init_subclass__(**kwargs)  # type: ignore[misc]
            safely(f"patching {cls.__qualname__}", patch._patch_class, cls)

        self._original_hook = original
        setattr(base, _HOOK, classmethod(hook))
        self._hooked = True


class AttributePatch:
    """Wraps one attribute of a module or class, if it exists."""

    def __init__(self, owner: Any, name: str, wrapper: Callable[..., Any]) -> None:
        self.owner, self.name, self.wrapper = owner, name, wrapper
        self._applied = False

    def apply(self) -> None:
        attr = getattr(self.owner, self.name, None)
        if attr is None or isinstance(attr, _WRAPPERS):
            return
        wrapt.wrap_function_wrapper(self.owner, self.name, transparent_to_warnings(self.wrapper))
        self._applied = True

    def remove(self) -> None:
        if self._applied:
            unwrap(self.owner, self.name)
        self._applied = False


class PatchGroup:
    """Several patches applied together, and removed in reverse order."""

    def __init__(self, patches: list[Any] | None = None) -> None:
        self.patches: list[Any] = list(patches or [])

    def apply(self) -> None:
        for patch in self.patches:
            patch.apply()

    def remove(self) -> None:
        for patch in reversed(self.patches):
            patch.remove()
