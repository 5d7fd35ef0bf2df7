"""statusline/pace.py's samples file: appended and trimmed, never through a planted link."""

from __future__ import annotations

import os

from statusline import pace

NOW = 1_800_000_000.0


def _cache(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    return cache, victim


def test_a_planted_samples_link_is_not_appended_to(tmp_path):
    cache, victim = _cache(tmp_path)
    (cache / "limits.samples").symlink_to(victim)
    pace.record(str(cache), NOW, {"five_hour": (NOW + 3600, 40.0)})
    assert victim.read_text() == "precious\n"


def test_a_planted_temp_name_is_not_truncated(tmp_path):
    """A trim writes a temp file then renames it: a link planted at the name it used to take
    (`limits.samples.<pid>.tmp`) is neither followed nor truncated, and the trim still happens."""
    cache, victim = _cache(tmp_path)
    old = "".join(f"{NOW - 20000 + i:.3f} five_hour {NOW + 3600:.0f} {i / 1000:.2f}\n" for i in range(3000))
    (cache / "limits.samples").write_text(old)
    assert len(old) > pace.MAX_BYTES
    (cache / f"limits.samples.{os.getpid()}.tmp").symlink_to(victim)
    samples = pace.record(str(cache), NOW, {"five_hour": (NOW + 3600, 40.0)})
    assert victim.read_text() == "precious\n"
    assert samples[-1] == (NOW, "five_hour", NOW + 3600, 40.0)
    kept = (cache / "limits.samples").read_text().splitlines()
    assert kept == [f"{NOW:.3f} five_hour {NOW + 3600:.0f} 40.00"]  # all older than two hours
