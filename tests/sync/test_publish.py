"""This machine's share: what the day files hold, owner-only, written only when they change."""

from __future__ import annotations

import json
import os

from sync_helpers import file_mode, line

from statusline.sync.publish import key_hash, project_label

DAY = "2026-11-20"


def test_a_day_file_holds_buckets_keys_and_sessions(boxes):
    laptop = boxes("laptop")
    laptop.log("-w-app", "s1", [line("m1", f"{DAY}T10:00:00.000Z"), line("m2", f"{DAY}T10:20:00.000Z")])
    laptop.step()
    share = laptop.share()
    doc = json.loads((share / "days" / f"{DAY}.json").read_text())
    assert doc["format"] == 1 and doc["day"] == DAY
    assert doc["sessions"] == [["s1", "/w/app"]]  # the transcripts' cwd names the project
    first, second = doc["buckets"]
    assert first[:11] == [first[0], 0, "claude-opus-4-8", 0, 1, 1000, 1000, 0, 0, 0, 0.0]
    assert second[0] == first[0] + 1  # 10:00 and 10:20 are two quarter-hours
    assert first[13] == 0.03  # 1,000 × $5 + 1,000 × $25 per MTok, at the writer's prices
    assert sorted(k[0] for k in doc["keys"]) == sorted([key_hash("m1"), key_hash("m2")])
    manifest = laptop.manifest()
    assert manifest["name"] == "laptop" and manifest["id"] == laptop.mid() and manifest["format"] == 1
    assert set(manifest["days"]) == {DAY}


def test_files_and_folders_are_owner_only(boxes):
    os.umask(0o022)
    laptop = boxes("laptop")
    laptop.log("p", "s1", [line("m1", f"{DAY}T10:00:00.000Z")])
    laptop.step()
    for root, _dirs, files in os.walk(laptop.share()):
        assert os.stat(root).st_mode & 0o777 == 0o700
        for name in files:
            assert os.stat(os.path.join(root, name)).st_mode & 0o777 == 0o600


def test_an_unchanged_day_is_not_written_again(boxes):
    laptop = boxes("laptop")
    laptop.log("p", "s1", [line("m1", f"{DAY}T10:00:00.000Z")])
    laptop.step(now_s=1.8e9)
    day_file = laptop.share() / "days" / f"{DAY}.json"
    before = (os.stat(day_file).st_ino, os.stat(day_file).st_mtime_ns)
    manifest_before = os.stat(laptop.share() / "machine.json").st_mtime_ns
    laptop.step(now_s=1.8e9 + 30)
    assert (os.stat(day_file).st_ino, os.stat(day_file).st_mtime_ns) == before
    assert os.stat(laptop.share() / "machine.json").st_mtime_ns == manifest_before  # no heartbeat yet
    laptop.log("p", "s1", [line("m2", "2026-11-21T10:00:00.000Z")])
    laptop.step(now_s=1.8e9 + 60)
    assert os.stat(day_file).st_ino == before[0]  # another day changed, not this one
    assert set(laptop.manifest()["days"]) == {DAY, "2026-11-21"}


def test_an_idle_machine_still_says_it_is_alive(boxes):
    laptop = boxes("laptop")
    laptop.log("p", "s1", [line("m1", f"{DAY}T10:00:00.000Z")])
    laptop.step(now_s=1.8e9)
    laptop.step(now_s=1.8e9 + 600)
    assert laptop.manifest()["written"] == "2027-01-15T08:10:00Z"


def test_names_hashed_when_not_shared(boxes, monkeypatch, tmp_path):
    config = tmp_path / "costline.toml"
    config.write_text("[pricing]\noffline = true\n[sync]\nshare_names = false\n")
    laptop = boxes("laptop")
    laptop.log("-w-secret", "s1", [line("m1", f"{DAY}T10:00:00.000Z", cwd="/w/secret")])
    laptop.step()
    text = (laptop.share() / "days" / f"{DAY}.json").read_text()
    assert "secret" not in text and "/w" not in text
    salt = json.loads((laptop.folder / "salt.json").read_text())["salt"]
    assert json.loads(text)["sessions"] == [["s1", project_label("/w/secret", False, salt)]]
    assert project_label("/w/secret", False, salt).startswith("h:") and project_label("/w", True, "") == "/w"


def test_hashed_names_are_keyed_with_the_folders_salt(boxes, tmp_path):
    import hashlib

    config = tmp_path / "costline.toml"
    config.write_text("[pricing]\noffline = true\n[sync]\nshare_names = false\n")
    laptop = boxes("laptop")
    laptop.log("-w-secret", "s1", [line("m1", f"{DAY}T10:00:00.000Z", cwd="/w/secret")])
    laptop.step()
    salt_file = laptop.folder / "salt.json"
    assert file_mode(salt_file) == 0o600
    label = json.loads((laptop.share() / "days" / f"{DAY}.json").read_text())["sessions"][0][1]
    plain = "h:" + hashlib.blake2b(b"/w/secret", digest_size=6).hexdigest()
    assert label != plain  # a guessed path hashed without the folder's salt finds nothing
    salt = bytes.fromhex(json.loads(salt_file.read_text())["salt"])
    assert label == "h:" + hashlib.blake2b(b"/w/secret", digest_size=6, key=salt).hexdigest()
    salt_file.write_text(json.dumps({"format": 1, "salt": "ab" * 16}))  # the sync tool kept another's
    laptop.step()
    again = json.loads((laptop.share() / "days" / f"{DAY}.json").read_text())["sessions"][0][1]
    assert again == project_label("/w/secret", False, "ab" * 16)


def test_a_missing_parent_is_never_made(boxes, tmp_path, monkeypatch):
    laptop = boxes("laptop")
    laptop.log("p", "s1", [line("m1", f"{DAY}T10:00:00.000Z")])
    laptop.folder = tmp_path / "unmounted" / "costline"
    result = laptop.step()
    assert result.problem == "sync folder missing"
    assert not (tmp_path / "unmounted").exists()


def test_what_a_render_booked_into_an_hours_delta_is_published(boxes):
    import time

    from helpers import payload, run_costline
    from sync_helpers import iso

    laptop = boxes("laptop")
    now = time.time()
    path = laptop.log("-w-app", "s1", [line("m1", iso(now * 1000 - 4000))])
    laptop.step()
    laptop.log("-w-app", "s1", [line("m2", iso(now * 1000 - 2000))])
    from statusline.index.store import Store

    Store(str(laptop.cache)).mark_refresh_started(time.time())  # no background refresh to fold it
    out = run_costline(payload(path, session="s1"), env=laptop.env())  # books m2, no refresh yet
    assert out.returncode == 0
    day = time.strftime("%Y-%m-%d", time.gmtime(now - 4))
    assert list((laptop.cache / "index" / "v2" / "hours" / day).glob("*.new"))  # a delta, not folded

    from statusline.sync.step import run

    run(str(laptop.cache))  # publish without indexing first: the delta is read as the index reads it
    doc = json.loads((laptop.share() / "days" / f"{day}.json").read_text())
    assert len(doc["keys"]) == 2
