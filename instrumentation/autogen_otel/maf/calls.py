"""One wrapper for Agent Framework's two call shapes: ``run`` / ``get_response`` return an
awaitable (``stream=False``) or a ``ResponseStream`` (``stream=True``).

The span opens when the call is made and is current while the call builds its awaitable or
stream, around every ``await`` of the awaitable and around every pull of the stream -- never
across a ``yield`` to the app. A stream ends its span in a cleanup hook (fully consumed,
failed or closed); one the app drops unfinished ends it when it is garbage collected.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from ..core.failopen import safely
from ..core.scopes import Scope
from ..core.wrappers import Awaiting, Hooks, current, transparent_to_warnings


def _is_stream(result: Any) -> bool:
    return hasattr(result, "with_cleanup_hook") and hasattr(result, "with_pull_context_manager")


def response_wrapper(hooks: Hooks) -> Callable[..., Any]:
    site = hooks.site
    calling = getattr(hooks, "calling", None)  # hooks' own context around the call itself

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        scope = safely(site, hooks.start, instance, args, kwargs)
        if scope is None:
            return wrapped(*args, **kwargs)
        try:
            with current(scope), (calling(scope) if calling is not None else contextlib.nullcontext()):
                result = wrapped(*args, **kwargs)
        except BaseException as exc:
            safely(site, hooks.fail, scope, exc)
            raise
        if _is_stream(result):
            traced = safely(site, _trace_stream, hooks, scope, result)
            return result if traced is None else traced
        if hasattr(result, "__await__"):
            return Awaiting(_awaited(hooks, scope, result), result, wrapped,
                            lambda: hooks.abandon(scope))
        safely(site, hooks.finish, scope, result)
        return result

    return transparent_to_warnings(wrapper)


async def _awaited(hooks: Hooks, scope: Scope, awaitable: Any) -> Any:
    site = hooks.site
    try:
        with current(scope):
            result = await awaitable
    except BaseException as exc:
        safely(site, hooks.fail, scope, exc)
        raise
    safely(site, hooks.finish, scope, result)
    return result


transparent_to_warnings(_awaited)


def _trace_stream(hooks: Hooks, scope: Scope, stream: Any) -> Any:
    site = hooks.site
    state = {"ended": False, "adopting": False}

    def observe(update: Any) -> None:
        safely(site, hooks.item, scope, update)
        return None  # keep the update as it is

    async def finish() -> None:
        if state["ended"]:
            return
        state["ended"] = True
        error = getattr(stream, "_stream_error", None)
        if error is not None:
            safely(site, hooks.fail, scope, error)
            return
        try:
            final = await stream.get_final_response()
        except Exception as exc:
            safely(site, hooks.fail, scope, exc)
            return
        safely(site, hooks.finish, scope, final)

    def dropped() -> None:
        if not state["ended"]:
            state["ended"] = True
            safely(site, hooks.abandon, scope)

    adopt = getattr(hooks, "adopt", None)

    @contextlib.contextmanager
    def adopting() -> Iterator[None]:
        if scope.span is None:
            safely(site, adopt, scope)  # type: ignore[arg-type]
        yield

    @contextlib.contextmanager
    def pull() -> Iterator[None]:
        if adopt is not None and scope.span is None:
            safely(site, adopt, scope)  # the framework's pull context (its span) entered before ours
            if scope.span is None and not state["adopting"]:
                # ... or after ours: look from inside it.
                state["adopting"] = True
                traced.with_pull_context_manager(adopting)
        try:
            with current(scope):
                yield
        except StopAsyncIteration:
            raise
        except BaseException as exc:
            # A pull that raised (cancellation included, which older releases pass to no hook).
            if not state["ended"]:
                state["ended"] = True
                safely(site, hooks.fail, scope, exc)
            raise

    traced = stream.with_transform_hook(observe).with_cleanup_hook(finish).with_pull_context_manager(pull)
    weakref.finalize(traced, dropped)
    return traced
