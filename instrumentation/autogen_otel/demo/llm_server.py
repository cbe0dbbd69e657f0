"""A scripted OpenAI-compatible server on loopback: Chat Completions (``/v1/chat/completions``)
and the Responses API (``/v1/responses``).

Stands in for a paid LLM API: the real OpenAI SDK (through AutoGen's
``OpenAIChatCompletionClient``, AG2's ``OpenAIWrapper`` or Agent Framework's chat clients) talks
HTTP to it, plain JSON or SSE streaming, with tool calls and ``usage``. Replies are scripted per
agent: the script key is matched against the request's system message (a Responses API
conversation continued by ``previous_response_id`` keeps its first instructions), so each agent
follows its own script.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """One scripted model response."""

    text: str | None = None
    tool_calls: Sequence[tuple[str, Mapping[str, Any]]] = ()
    status: int = 200  # anything else returns an OpenAI-style error body (its message: ``text``, if given)
    delay: float = 0.0  # seconds before answering (before the first chunk when streaming)
    chunk_delay: float = 0.0  # seconds between streamed chunks
    cached_tokens: int = 0
    model: str | None = None  # response model; default: the request model's dated name (DATED_MODELS), else itself


# What a provider answers for an alias, as OpenAI does (and as AutoGen's client expects: it warns
# "Resolved model mismatch" on every call when the answer names the alias).
DATED_MODELS = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18", "gpt-4o": "gpt-4o-2024-08-06", "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09", "gpt-3.5-turbo": "gpt-3.5-turbo-0125", "o3-mini": "o3-mini-2025-01-31",
    "o4-mini": "o4-mini-2025-04-16", "gpt-5": "gpt-5-2025-08-07", "gpt-5-mini": "gpt-5-mini-2025-08-07",
}


def count_tokens(text: str) -> int:
    """Deterministic stand-in tokenizer: one token per whitespace-separated word."""
    return len(text.split())


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    text = str(content or "")
    for call in message.get("tool_calls") or ():
        text += " " + json.dumps(call.get("function", {}))
    if message.get("type") == "function_call":  # Responses API input items
        text += " " + json.dumps({"name": message.get("name"), "arguments": message.get("arguments")})
    if message.get("type") == "function_call_output":
        text += " " + str(message.get("output") or "")
    return text


def request_messages(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The conversation of a Chat Completions request (``messages``) or a Responses API request
    (``instructions`` + ``input``), as message-like mappings."""
    if "messages" in request:
        return [m for m in request.get("messages") or [] if isinstance(m, Mapping)]
    items: list[Mapping[str, Any]] = []
    if request.get("instructions"):
        items.append({"role": "system", "content": str(request["instructions"])})
    raw = request.get("input")
    if isinstance(raw, str):
        items.append({"role": "user", "content": raw})
    else:
        items.extend(m for m in raw or [] if isinstance(m, Mapping))
    return items


@dataclass
class Exchange:
    """A request the server answered and what it sent back (for tests to compare against)."""

    request: dict[str, Any]
    reply: Reply
    response_id: str
    prompt_tokens: int
    completion_tokens: int
    streamed: bool


@dataclass
class Script:
    """Replies per key; a key matches when it occurs in the request's first system message.

    Each key's replies are used in order and the last one repeats. ``"*"`` is the fallback.
    """

    replies: Mapping[str, Sequence[Reply]]
    _used: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, request: Mapping[str, Any]) -> Reply:
        messages = request_messages(request)
        system = next((_message_text(m) for m in messages if m.get("role") in ("system", "developer")), "")
        key = next((k for k in self.replies if k != "*" and k in system), "*")
        replies = self.replies.get(key) or [Reply("OK")]
        with self._lock:
            index = self._used.get(key, 0)
            self._used[key] = index + 1
        return replies[min(index, len(replies) - 1)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
            return
        path = urlsplit(self.path).path.rstrip("/")
        if path.endswith("/chat/completions"):
            self.server.owner.answer(self, request)
        elif path.endswith("/responses"):
            self.server.owner.answer(self, request, responses_api=True)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def _json(self, status: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ScriptedLLMServer


class ScriptedLLMServer:
    """``with ScriptedLLMServer(script) as server: OpenAIChatCompletionClient(base_url=server.base_url, ...)``"""

    def __init__(self, script: Script | Mapping[str, Sequence[Reply]] | Callable[[Mapping[str, Any]], Reply],
                 host: str = "127.0.0.1", port: int = 0) -> None:
        if isinstance(script, Mapping):
            script = Script(script)
        self._next: Callable[[Mapping[str, Any]], Reply] = script.next if isinstance(script, Script) else script
        self._httpd = _Server((host, port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None
        self.exchanges: list[Exchange] = []
        self._instructions: dict[str, str] = {}  # Responses API: response id -> its system text
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> ScriptedLLMServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scripted-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- protocol ---
    def answer(self, handler: _Handler, request: dict[str, Any], responses_api: bool = False) -> None:
        previous = request.get("previous_response_id")
        if responses_api and previous and not request.get("instructions"):
            # A stored conversation continued by id: its instructions still pick the script.
            with self._lock:
                instructions = self._instructions.get(str(previous))
            if instructions:
                request = {**request, "instructions": instructions}
        reply = self._next(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.status != 200:
            handler._json(reply.status, {"error": {"message": reply.text or f"scripted error {reply.status}",
                                                   "type": "server_error", "code": str(reply.status)}})
            return
        prompt_tokens = sum(count_tokens(_message_text(m)) for m in request_messages(request))
        tool_calls = [{"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                       "function": {"name": name, "arguments": json.dumps(dict(args))}}
                      for name, args in reply.tool_calls]
        completion_tokens = count_tokens(reply.text or "") + sum(
            count_tokens(c["function"]["name"] + " " + c["function"]["arguments"]) for c in tool_calls)
        response_id = f"{'resp' if responses_api else 'chatcmpl'}-{uuid.uuid4().hex[:20]}"
        streamed = bool(request.get("stream"))
        with self._lock:
            self.exchanges.append(Exchange(request, reply, response_id, prompt_tokens, completion_tokens, streamed))
            if responses_api:
                system = [m for m in request_messages(request) if m.get("role") in ("system", "developer")]
                if system:
                    self._instructions[response_id] = _message_text(system[0])
        requested = str(request.get("model", "scripted"))
        model = reply.model or DATED_MODELS.get(requested, requested)
        finish = "tool_calls" if tool_calls else "stop"
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens,
                 "prompt_tokens_details": {"cached_tokens": reply.cached_tokens}}
        created = int(time.time())
        if responses_api:
            _respond(handler, response_id, created, model, reply, tool_calls, prompt_tokens, completion_tokens,
                     streamed)
            return
        if not streamed:
            message: dict[str, Any] = {"role": "assistant", "content": reply.text}
            if tool_calls:
                message["tool_calls"] = tool_calls
            handler._json(200, {"id": response_id, "object": "chat.completion", "created": created, "model": model,
                                "choices": [{"index": 0, "message": message, "finish_reason": finish,
                                             "logprobs": None}],
                                "usage": usage})
            return
        include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        self._stream(handler, response_id, created, model, reply.text, tool_calls, finish,
                     usage if include_usage else None, reply.chunk_delay)

    def _stream(self, handler: _Handler, response_id: str, created: int, model: str, text: str | None,
                tool_calls: list[dict[str, Any]], finish: str, usage: Mapping[str, Any] | None,
                pause: float = 0.0) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True

        def chunk(delta: Mapping[str, Any], finish_reason: str | None = None, **extra: Any) -> None:
            if pause:
                time.sleep(pause)
            body = {"id": response_id, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
                    **extra}
            handler.wfile.write(f"data: {json.dumps(body)}\n\n".encode())
            handler.wfile.flush()

        chunk({"role": "assistant", "content": ""})
        words = (text or "").split(" ") if text else []
        for i, word in enumerate(words):
            chunk({"content": word if i == 0 else " " + word})
        for index, call in enumerate(tool_calls):
            chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                   "function": {"name": call["function"]["name"], "arguments": ""}}]})
            chunk({"tool_calls": [{"index": index, "function": {"arguments": call["function"]["arguments"]}}]})
        chunk({}, finish)
        if usage is not None:
            body = {"id": response_id, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [], "usage": usage}
            handler.wfile.write(f"data: {json.dumps(body)}\n\n".encode())
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()


def _respond(handler: _Handler, response_id: str, created: int, model: str, reply: Reply,
             tool_calls: list[dict[str, Any]], prompt_tokens: int, completion_tokens: int, streamed: bool) -> None:
    """A Responses API answer: one response object, or its SSE events ending in ``response.completed``."""
    output: list[dict[str, Any]] = []
    if reply.text is not None:
        output.append({"type": "message", "id": f"msg_{uuid.uuid4().hex[:12]}", "role": "assistant",
                       "status": "completed",
                       "content": [{"type": "output_text", "text": reply.text, "annotations": []}]})
    for call in tool_calls:
        output.append({"type": "function_call", "id": f"fc_{uuid.uuid4().hex[:12]}", "call_id": call["id"],
                       "name": call["function"]["name"], "arguments": call["function"]["arguments"],
                       "status": "completed"})
    response = {"id": response_id, "object": "response", "created_at": created, "model": model,
                "status": "completed", "output": output, "parallel_tool_calls": True, "tool_choice": "auto",
                "tools": [], "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens,
                                       "total_tokens": prompt_tokens + completion_tokens,
                                       "input_tokens_details": {"cached_tokens": reply.cached_tokens},
                                       "output_tokens_details": {"reasoning_tokens": 0}}}
    if not streamed:
        handler._json(200, response)
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    sequence = 0

    def event(kind: str, **body: Any) -> None:
        nonlocal sequence
        if reply.chunk_delay:
            time.sleep(reply.chunk_delay)
        handler.wfile.write(f"event: {kind}\ndata: {json.dumps({'type': kind, 'sequence_number': sequence, **body})}"
                            "\n\n".encode())
        handler.wfile.flush()
        sequence += 1

    event("response.created", response={**response, "status": "in_progress", "output": [], "usage": None})
    for index, item in enumerate(output):
        if item["type"] == "message":
            event("response.output_item.added", output_index=index, item={**item, "content": [],
                                                                          "status": "in_progress"})
            words = (reply.text or "").split(" ")
            for i, word in enumerate(words):
                event("response.output_text.delta", item_id=item["id"], output_index=index, content_index=0,
                      delta=word if i == 0 else " " + word, logprobs=[])
        else:
            event("response.output_item.added", output_index=index, item={**item, "arguments": ""})
            event("response.function_call_arguments.delta", item_id=item["id"], output_index=index,
                  delta=item["arguments"])
        event("response.output_item.done", output_index=index, item=item)
    event("response.completed", response=response)


def load_script(path: str) -> Script:
    """A reply script from JSON: ``{"<text in the system message>": [reply, ...], "*": [...]}``, each
    reply ``{"text": "...", "tool_calls": [["tool_name", {"arg": 1}]], "status": 200, "delay": 0.0}``."""
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    if not isinstance(raw, Mapping) or not all(isinstance(v, list) for v in raw.values()):
        raise ValueError(f"{path}: expected an object mapping script keys to lists of replies")
    fields = {"text", "tool_calls", "status", "delay", "chunk_delay", "cached_tokens", "model"}
    replies: dict[str, list[Reply]] = {}
    for key, items in raw.items():
        for item in items:
            unknown = set(item) - fields if isinstance(item, Mapping) else {"(not an object)"}
            if unknown:
                raise ValueError(f"{path}: reply under {key!r} has unknown field(s) {sorted(unknown)}; "
                                 f"accepted: {sorted(fields)}")
        replies[key] = [Reply(**{**item, "tool_calls": tuple((name, arguments) for name, arguments
                                                             in item.get("tool_calls", ()))}) for item in items]
    return Script(replies)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autogen_otel.demo.llm_server --port 8000 --script replies.json``: serve until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autogen_otel.demo.llm_server",
                                     description="A scripted OpenAI-compatible server (Chat Completions and "
                                                 "Responses API) for running an agent app offline.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--script", help="JSON reply script (default: every request answered 'OK.')")
    args = parser.parse_args(argv)
    try:
        script = load_script(args.script) if args.script else Script({"*": [Reply("OK.")]})
    except (OSError, ValueError, TypeError) as exc:
        print(f"llm_server: {exc}", file=sys.stderr)
        return 2
    try:
        server = ScriptedLLMServer(script, host=args.host, port=args.port).start()
    except OSError as exc:  # the port taken, or the host not an address of this machine
        print(f"llm_server: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
              "choose another --port (or --host)", file=sys.stderr)
        return 2
    print(f"scripted OpenAI-compatible server on {server.base_url} (any api_key); Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
