"""Golden output per theme (and NO_COLOR winning over every theme)."""

from __future__ import annotations

from statusline.look import compose

PARTS = [
    ([("Opus 4.8", "model")], 30),
    ([("$0.51 session", "cost")], 50),
    ([("$7.82… today", "cost.warn")], 40),
    ([("+156", "added"), (" ", "muted"), ("−23", "removed")], 10),
]


def test_default_theme_golden():
    assert compose(PARTS, True, None) == (
        "\x1b[36mOpus 4.8\x1b[90m · \x1b[32m$0.51 session\x1b[90m · \x1b[33m$7.82… today"
        "\x1b[90m · \x1b[32m+156\x1b[90m \x1b[31m−23\x1b[0m"
    )


def test_plain_theme_golden():
    assert compose(PARTS, True, None, "plain") == "Opus 4.8 | $0.51 session | $7.82... today | +156 -23"
    assert compose(PARTS, True, None, "plain").isascii()


def test_powerline_theme_golden():
    assert compose(PARTS, True, None, "powerline") == (
        "\x1b[30;44m Opus 4.8 \x1b[34;42m\ue0b0\x1b[30;42m $0.51 session \x1b[32;43m\ue0b0"
        "\x1b[30;43m $7.82… today \x1b[33;100m\ue0b0\x1b[30;100m +156 −23 \x1b[49;90m\ue0b0\x1b[0m"
    )


def test_no_color_wins_over_every_theme():
    for theme in ("default", "plain", "powerline"):
        assert "\x1b" not in compose(PARTS, False, None, theme)


def test_width_drops_in_every_theme():
    for theme in ("default", "plain", "powerline"):
        out = compose(PARTS, True, 30, theme)
        assert "+156" not in out and "$0.51" in out


def test_preview_command():
    from helpers import run_costline

    out = run_costline(b"", "preview").stdout.decode()
    lines = [line for line in out.splitlines() if not line.startswith("note: ")]
    assert len(lines) == 3 and "plain  Opus 4.6 | $0.51 session" in lines[1]
    assert "\ue0b0" in lines[2]


def test_optional_second_line(tmp_path, monkeypatch):
    from helpers import run_costline

    settings = tmp_path / "two.toml"
    settings.write_text('[line]\nsegments = ["model"]\nsecond_line = ["time"]\n[pricing]\noffline = true\n')
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    body = b'{"model": {"display_name": "Opus 4.8"}, "cost": {"total_duration_ms": 720000}}'
    out = run_costline(body, env={"NO_COLOR": "1"}).stdout.decode()
    assert out == "Opus 4.8\n12m · api 0%\n"


def test_configured_padding_narrows_the_line(tmp_path, monkeypatch):
    from pathlib import Path

    from helpers import run_costline

    settings = tmp_path / "pad.toml"
    settings.write_text("[line]\npadding = 20\n[pricing]\noffline = true\n")
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    sample = (Path(__file__).resolve().parent.parent / "samples" / "payload-opus.json").read_bytes()
    out = run_costline(sample, env={"NO_COLOR": "1", "COLUMNS": "60"}).stdout.decode().strip()
    assert len(out) <= 60 - 2 - 20
