"""Generic wrapt wrappers for coroutine methods and async-stream methods.

Each wrapper takes ``Hooks`` that open a ``Scope`` (our span plus bookkeeping) and record
what happened. The span is made current only while the wrapped code runs synchronously in
this task -- around one ``await`` or one stream step -- never across a ``yield``, so no
context token is ever detached in a different context than it was attached in.
"""

from __future__ import annotations

import collections.abc
import contextlib
import functools
import inspect
import linecache
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

from opentelemetry import context as otel_context

from .failopen import report, safely
from .scopes import Scope

logger = logging.getLogger("autogen_otel")


class Hooks(Protocol):
    site: str

    def start(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None: ...

    def item(self, scope: Scope, item: Any) -> None: ...

    def finish(self, scope: Scope, result: Any) -> None: ...

    def fail(self, scope: Scope, exc: BaseException) -> None: ...

    def abandon(self, scope: Scope) -> None: ...


_WARNINGS_MARK = "[importlib._bootstrap: skipped by warnings]"


def transparent_to_warnings(fn: Any) -> Any:
    """Hide ``fn``'s frames from ``warnings.warn(..., stacklevel=N)``, as CPython hides importlib's.

    A warning AutoGen raises with ``stacklevel=2`` inside a call we wrap would otherwise be
    attributed to our wrapper: its location changes, the once-per-location filter then shows
    repeats from different app lines only once, and filters keyed on the app's module stop
    matching. When counting ``stacklevel`` frames, the warnings machinery skips frames whose code
    file name contains ``importlib`` and ``_bootstrap`` (its own import frames); our wrapper code
    carries that mark in its file name, and its source lines stay available to tracebacks.
    """
    code = getattr(fn, "__code__", None)
    if code is None or _WARNINGS_MARK in code.co_filename:
        return fn
    try:
        fn.__code__ = _marked(code)
    except (AttributeError, TypeError, ValueError):
        pass
    return fn


@functools.cache
def _marked(code: Any) -> Any:
    filename = f"{code.co_filename} {_WARNINGS_MARK}"
    lines = linecache.getlines(code.co_filename)
    if lines:  # tracebacks read source by file name: serve ours under the marked one
        linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
    return code.replace(co_filename=filename)


def call_arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    """A wrapped method's argument, passed by keyword or at ``index`` (``self`` excluded)."""
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else None


def _attach(scope: Scope) -> object | None:
    if scope.context is None or scope.span is None:
        return None  # a scope without a span of its own (yet) leaves the current context as it is
    try:
        return otel_context.attach(scope.context)
    except Exception as exc:  # fail-open, but visible to whoever debugs it
        logger.debug("autogen-otel: making the %s span %r current failed: %r", scope.kind, scope.name, exc)
        return None


def _detach(token: object | None) -> None:
    if token is not None:
        try:
            otel_context.detach(token)  # type: ignore[arg-type]
        except Exception as exc:
            logger.debug("autogen-otel: restoring the context after a traced step failed: %r", exc)


@contextlib.contextmanager
def current(scope: Scope) -> Iterator[None]:
    """``scope``'s span current inside the block (fail-open: a context error never reaches the app)."""
    token = _attach(scope)
    try:
        yield
    finally:
        _detach(token)


class _Traced:
    """One hooked call as a ``with`` block: ``start`` on entering (in the context current then),
    our span current inside the block, then ``fail`` (span still current) or ``finish`` with
    ``result`` (after detaching). A hook's own error is reported, never raised. A class, not a
    generator: it wraps hot calls; the block's body runs in this task, so attaching before and
    detaching after is safe."""

    __slots__ = ("_call", "_hooks", "_token", "result", "scope")

    def __init__(self, hooks: Hooks, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._hooks, self._call = hooks, (instance, args, kwargs)
        self.scope: Scope | None = None
        self._token: object | None = None
        self.result: Any = None

    # safely() inlined in both: they run around every hooked call.
    def __enter__(self) -> _Traced:
        try:
            self.scope = self._hooks.start(*self._call)
        except Exception as exc:
            report(self._hooks.site, exc)
        if self.scope is not None:
            self._token = _attach(self.scope)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if self.scope is None:
            return
        try:
            if exc is not None:
                try:
                    self._hooks.fail(self.scope, exc)
                finally:
                    _detach(self._token)
            else:
                _detach(self._token)
                self._hooks.finish(self.scope, self.result)
        except Exception as error:
            report(self._hooks.site, error)


def function_wrapper(hooks: Hooks) -> Callable[..., Any]:
    """For plain synchronous methods (AG2 Classic's ConversableAgent API)."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        with _Traced(hooks, instance, args, kwargs) as call:
            call.result = wrapped(*args, **kwargs)
        return call.result

    return wrapper


def traced_block(hooks: Hooks, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Traced:
    """For code AutoGen runs inside a ``with`` block of its own (a runtime's trace block)."""
    return _Traced(hooks, instance, args, kwargs)


def named(awaitable: Any, wrapped: Callable[..., Any]) -> Any:
    """Give the coroutine (or async generator) our wrapper created the wrapped function's names, as
    an unwrapped call would: they show in "never awaited" warnings, debuggers and task names."""
    try:
        awaitable.__name__ = wrapped.__name__
        awaitable.__qualname__ = wrapped.__qualname__
    except (AttributeError, TypeError):
        pass
    return awaitable


class Awaiting(collections.abc.Coroutine):  # type: ignore[type-arg]
    """Our coroutine around an awaitable the wrapped call already returned (``inner``).

    Closed without being awaited, it also closes ``inner`` -- as closing the unwrapped call's
    coroutine would, releasing what it holds (a workflow's run lock) -- and calls ``on_close``
    (which ends our span). Everything else is the coroutine's own; it carries the wrapped names.
    """

    __slots__ = ("_coro", "_inner", "_on_close")

    def __init__(self, coro: Any, inner: Any, wrapped: Callable[..., Any],
                 on_close: Callable[[], None] | None = None) -> None:
        self._coro, self._inner, self._on_close = named(coro, wrapped), inner, on_close

    def __await__(self) -> Any:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        unstarted = inspect.getcoroutinestate(self._coro) == inspect.CORO_CREATED
        self._coro.close()
        if unstarted:
            close = getattr(self._inner, "close", None)
            if callable(close):
                close()
            if self._on_close is not None:
                safely("closing an un-awaited call", self._on_close)

    def __getattr__(self, name: str) -> Any:  # __name__, __qualname__, cr_frame, cr_code, ...
        return getattr(self._coro, name)

    def __repr__(self) -> str:
        return repr(self._coro)


def async_wrapper(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorates a wrapt wrapper written as ``async def``: its coroutine carries the wrapped names."""

    transparent_to_warnings(fn)

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return named(fn(wrapped, instance, args, kwargs), wrapped)

    return wrapper


def coroutine_wrapper(hooks: Hooks) -> Callable[..., Any]:
    @async_wrapper
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        with _Traced(hooks, instance, args, kwargs) as call:
            call.result = await wrapped(*args, **kwargs)
        return call.result

    return wrapper


def stream_wrapper(hooks: Hooks) -> Callable[..., Any]:
    """For methods returning an async iterator (``async def ... yield`` or a plain ``def``)."""
    site = hooks.site

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        return named(_traced_stream(hooks, site, wrapped, instance, args, kwargs), wrapped)

    return wrapper


async def _traced_stream(hooks: Hooks, site: str, wrapped: Callable[..., Any], instance: Any,
                         args: tuple[Any, ...], kwargs: dict[str, Any]) -> AsyncIterator[Any]:
    # The span opens on first iteration, so a stream that is created but never iterated
    # leaves nothing open.
    scope = safely(site, hooks.start, instance, args, kwargs)
    if scope is None:
        async for item in wrapped(*args, **kwargs):
            yield item
        return
    inner: Any = None
    try:
        token = _attach(scope)
        try:
            inner = wrapped(*args, **kwargs)
        finally:
            _detach(token)
        while True:
            token = _attach(scope)
            try:
                item = await inner.__anext__()
            except StopAsyncIteration:
                break
            finally:
                _detach(token)
            try:  # safely(), inlined: this runs for every item of every stream
                hooks.item(scope, item)
            except Exception as exc:
                report(site, exc)
            yield item
    except GeneratorExit:
        safely(site, hooks.abandon, scope)
        close = getattr(inner, "aclose", None)
        if close is not None:
            await close()
        raise
    except BaseException as exc:
        safely(site, hooks.fail, scope, exc)
        raise
    else:
        safely(site, hooks.finish, scope, None)


transparent_to_warnings(_traced_stream)
