"""`costline pricing update` against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import assistant, payload, run_costline, write_transcript

from statusline import litellm

PER_M = 1e-6


def entry(
    inp: float, out: float, read: float | None = None, provider: str = "anthropic", **extra: object
) -> dict:
    """A LiteLLM-shaped entry (per-token USD) from $/MTok figures."""
    e: dict[str, object] = {
        "input_cost_per_token": inp * PER_M,
        "output_cost_per_token": out * PER_M,
        "cache_creation_input_token_cost": inp * 1.25 * PER_M,
        "cache_creation_input_token_cost_above_1hr": inp * 2 * PER_M,
        "cache_read_input_token_cost": (read if read is not None else inp * 0.1) * PER_M,
        "litellm_provider": provider,
        "max_input_tokens": 1_000_000,
        "mode": "chat",
    }
    e.update(extra)
    return e


def litellm_file(**changes: dict) -> dict:
    data = {
        "sample_spec": {"input_cost_per_token": 0},
        "claude-opus-4-8": entry(5, 25, provider_specific_entry={"us": 1.1, "fast": 2.0}),
        "claude-sonnet-4-6": entry(3, 15),
        "claude-haiku-4-5": entry(1, 5),
        "claude-haiku-4-5-20251001": entry(1, 5),
        "claude-opus-5-5": entry(4, 20, read=0.2),
        "claude-sonnet-5-5": entry(2, 10, read=0.1),
        "claude-sonnet-latest": {"alias_of": "claude-sonnet-5-5"},
        "us.anthropic.claude-opus-4-8-v1:0": entry(5.5, 27.5, provider="bedrock_converse"),
        "gpt-5": entry(1.25, 10, provider="openai"),
    }
    data.update(changes)
    return data


class Server:
    """Serves whatever the test sets; records requests; can stall until released."""

    def __init__(self) -> None:
        self.body: bytes = b""
        self.status = 200
        self.etag: str | None = None
        self.requests: list[dict[str, str]] = []
        self.stall = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append(dict(self.headers))
                if outer.stall.is_set():
                    outer.release.wait(10)
                    return
                if outer.etag and self.headers.get("If-None-Match") == outer.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(outer.status)
                if outer.etag:
                    self.send_header("ETag", outer.etag)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/prices.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve_json(self, data: dict) -> None:
        self.body = json.dumps(data).encode()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path, monkeypatch):
    srv = Server()
    settings = tmp_path / "online.toml"
    settings.write_text(f'[pricing]\nurl = "{srv.url}"\ntimeout_seconds = 0.5\nmax_bytes = 200000\n')
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    yield srv
    srv.close()


def update(*args: str):
    return run_costline(b"", "pricing", "update", *args)


def show(model: str) -> dict:
    proc = run_costline(b"", "pricing", "show", model, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_good_download_adds_and_changes_prices(server):
    server.serve_json(litellm_file(**{"claude-opus-4-8": entry(6, 30), "claude-opus-6": entry(8, 40)}))
    proc = update()
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "added    claude-opus-6" in out and "changed  claude-opus-4-8" in out
    opus = show("claude-opus-4-8")
    assert [p["source"] for p in opus["periods"]] == ["bundled", "fetched"]
    assert opus["periods"][0]["input"] == 5.0 and opus["periods"][1]["input"] == 6.0
    assert opus["periods"][1]["fast_multiplier"] == 2.0  # LiteLLM lacked it: ours is kept
    new = show("claude-opus-6")
    assert new["periods"][0]["since"] == "always" and new["periods"][0]["output"] == 40.0


def test_changed_price_applies_from_the_fetch_on(server, config_dir, tmp_path):
    old = assistant(msg_id="old", request_id="r-old", ts="2026-01-01T10:00:00.000Z")
    write_transcript(config_dir, "p", "s1.jsonl", [old])
    server.serve_json(litellm_file(**{"claude-opus-4-8": entry(6, 30)}))
    assert update().returncode == 0
    # New prices start with the next quarter-hour after the fetch.
    soon = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 1800))
    new_line = assistant(msg_id="new", request_id="r-new", ts=soon)
    path = write_transcript(config_dir, "p", "s1.jsonl", [new_line], mode="a")
    from index_helpers import refresh

    from statusline.index.readback import range_buckets
    from statusline.price_table import load_table
    from statusline.pricing import price_buckets

    refresh()
    table = load_table(str(tmp_path / "cache"))
    from index_helpers import store

    buckets = range_buckets(store(), 0, int(time.time() * 1000) + 7_200_000)
    got = price_buckets(buckets, table["models"], table["aliases"]).usd  # type: ignore[arg-type]
    assert got == pytest.approx((10 * 5 + 100 * 25) * PER_M + (10 * 6 + 100 * 30) * PER_M)
    assert path.exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<!doctype html><html>rate limited</html>", "HTML"),
        (json.dumps(litellm_file()).encode()[:500], "not valid JSON"),
        (b"[1, 2, 3]", "not a JSON object"),
        (json.dumps({"gpt-5": entry(1, 2, provider="openai")}).encode(), "Claude entries"),
        (json.dumps(litellm_file(**{"claude-opus-4-8": entry(-5, 25)})).encode(), "absurd price"),
        (json.dumps(litellm_file(**{"claude-opus-4-8": entry(5, 250_000)})).encode(), "absurd price"),
        (
            json.dumps(
                litellm_file(
                    **{"claude-opus-4-8": {"input_cost_per_token": "cheap", "litellm_provider": "anthropic"}}
                )
            ).encode(),
            "not a number",
        ),
        (b"x" * 300_000, "larger than"),
    ],
)
def test_bad_downloads_are_rejected_and_the_table_kept(server, body, reason):
    server.serve_json(litellm_file(**{"claude-opus-4-8": entry(6, 30)}))
    assert update().returncode == 0
    before = show("claude-opus-4-8")
    server.body = body
    proc = update()
    assert proc.returncode == 1
    err = proc.stderr.decode().strip()
    assert reason in err and len(err.splitlines()) == 1 and "keeping the current table" in err
    assert show("claude-opus-4-8") == before


def test_http_errors_are_rejected(server):
    server.status = 500
    server.serve_json(litellm_file())
    proc = update()
    assert proc.returncode == 1 and b"HTTP 500" in proc.stderr


def test_conditional_request_and_304(server):
    server.etag = '"v1"'
    server.serve_json(litellm_file())
    assert update().returncode == 0
    proc = update()
    assert proc.returncode == 0 and b"unchanged" in proc.stdout
    assert server.requests[-1].get("If-None-Match") == '"v1"'


def test_stalled_server_times_out(server):
    server.stall.set()
    proc = update()
    assert proc.returncode == 1 and (b"timed out" in proc.stderr or b"cannot reach" in proc.stderr)


def test_plain_http_only_to_loopback():
    for url in ("http://example.com/p.json", "http://10.0.0.1/p.json", "ftp://127.0.0.1/p.json"):
        with pytest.raises(litellm.FetchError):
            litellm.check_url(url)
    for url in (
        "https://example.com/p.json",
        "http://127.0.0.1:8080/p",
        "http://localhost/p",
        "http://[::1]/p",
    ):
        litellm.check_url(url)


def test_offline_means_no_download(tmp_path, monkeypatch):
    settings = tmp_path / "off.toml"
    settings.write_text('[pricing]\noffline = true\nurl = "http://127.0.0.1:9/never"\n')
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    proc = update()
    assert proc.returncode == 1 and b"offline" in proc.stderr


def test_offline_render_starts_no_price_refresh(config_dir, tmp_path):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    assert run_costline(payload(path)).returncode == 0
    assert not (tmp_path / "cache" / "pricing.stamp").exists()


def test_stale_table_makes_a_render_refresh_prices_in_the_background(server, config_dir, tmp_path):
    server.serve_json(litellm_file(**{"claude-opus-6": entry(8, 40)}))
    assert run_costline(payload(None)).returncode == 0  # never fetched: the render starts an update
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not server.requests:
        time.sleep(0.05)
    assert server.requests, "the render did not start a background price update"
    while time.monotonic() < deadline:
        proc = run_costline(b"", "pricing", "show", "claude-opus-6", "--json")
        if proc.returncode == 0:
            break
        time.sleep(0.1)
    assert proc.returncode == 0
    assert (tmp_path / "cache" / "pricing.stamp").exists()


def test_known_data_bug_cannot_come_back_with_a_fetch(server):
    buggy = entry(0.25, 1.25, read=0.03, cache_creation_input_token_cost_above_1hr=6e-06)
    server.serve_json(litellm_file(**{"claude-3-haiku-20240307": buggy}))
    assert update().returncode == 0
    for period in show("claude-3-haiku-20240307")["periods"]:
        assert period["cache_write_1h"] == 0.5


def test_latest_alias_from_the_download(server):
    server.serve_json(
        litellm_file(**{"claude-opus-latest": {"alias_of": "claude-opus-6"}, "claude-opus-6": entry(8, 40)})
    )
    assert update().returncode == 0
    assert show("claude-opus-latest")["resolved"] == "claude-opus-6"


def test_a_fetch_cannot_bring_back_the_sonnet_4_long_context_tier(server):
    tiered = entry(
        3, 15, input_cost_per_token_above_200k_tokens=6e-06, output_cost_per_token_above_200k_tokens=2.25e-05
    )
    server.serve_json(litellm_file(**{"claude-4-sonnet-20250514": tiered}))
    proc = update()
    assert proc.returncode == 0 and b"claude-sonnet-4" not in proc.stdout  # nothing really changed
    periods = show("claude-sonnet-4-20250514")["periods"]
    assert periods[0]["tier"] is not None and periods[-1]["tier"] is None
