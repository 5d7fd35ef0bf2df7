"""A minimal Anthropic Messages API on 127.0.0.1 for driving the real Claude Code CLI in tests.

Every request gets the same short reply and the same usage, streamed or not; requests are
counted so a test can tell how many Claude Code made (some never reach the transcript). With
`tool_call=(marker, name, input)`, a prompt containing the marker is answered with that tool
call first (the reply after its result is the usual text).
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USAGE = {
    "input_tokens": 1200,
    "output_tokens": 42,
    "cache_creation_input_tokens": 3000,
    "cache_read_input_tokens": 5000,
}


class FakeApi:
    def __init__(
        self, usage: dict[str, int] | None = None, tool_call: tuple[str, str, dict[str, str]] | None = None
    ) -> None:
        self.usage = usage or USAGE
        self.tool_call = tool_call
        self.requests: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, body: str, kind: str = "application/json") -> None:
                data = body.encode()
                self.send_response(200)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._reply(json.dumps({"data": [], "has_more": False}))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    request = json.loads(raw)
                except ValueError:
                    request = {}
                if "count_tokens" in self.path:
                    self._reply(json.dumps({"input_tokens": 100}))
                    return
                api.requests.append(str(request.get("model")))
                message = {
                    "id": "msg_" + uuid.uuid4().hex[:24],
                    "type": "message",
                    "role": "assistant",
                    "model": request.get("model", "claude"),
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": dict(api.usage),
                }
                text = "Hello from the fake API."
                call = api.tool_call_for(request)
                if not request.get("stream"):
                    message.update(content=[{"type": "text", "text": text}], stop_reason="end_turn")
                    self._reply(json.dumps(message))
                    return
                if call is not None:
                    block, delta = (
                        {
                            "type": "tool_use",
                            "id": "toolu_" + uuid.uuid4().hex[:24],
                            "name": call[0],
                            "input": {},
                        },
                        {"type": "input_json_delta", "partial_json": json.dumps(call[1])},
                    )
                else:
                    block, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": text}
                events = [
                    (
                        "message_start",
                        {
                            "type": "message_start",
                            "message": dict(message, usage=dict(api.usage, output_tokens=1)),
                        },
                    ),
                    (
                        "content_block_start",
                        {"type": "content_block_start", "index": 0, "content_block": block},
                    ),
                    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
                    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                    (
                        "message_delta",
                        {
                            "type": "message_delta",
                            "delta": {
                                "stop_reason": "tool_use" if call else "end_turn",
                                "stop_sequence": None,
                            },
                            "usage": {"output_tokens": api.usage["output_tokens"]},
                        },
                    ),
                    ("message_stop", {"type": "message_stop"}),
                ]
                self._reply(
                    "".join(f"event: {e}\ndata: {json.dumps(d)}\n\n" for e, d in events), "text/event-stream"
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def tool_call_for(self, request: dict[str, object]) -> tuple[str, dict[str, str]] | None:
        """The tool call to answer with: the user's last message is the prompt with the marker
        (Claude Code 2.1.332 puts a `system` message after it)."""
        messages = request.get("messages")
        if self.tool_call is None or not isinstance(messages, list):
            return None
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        last = json.dumps(users[-1]) if users else ""
        if self.tool_call[0] not in last or "tool_result" in last:
            return None
        return self.tool_call[1], self.tool_call[2]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
