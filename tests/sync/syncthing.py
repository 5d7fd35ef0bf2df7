"""Two real Syncthing instances on 127.0.0.1 sharing one folder, and a costline "machine" beside each.

Each instance has its own home (keys, config, database) and talks to the other over loopback only:
no global or local discovery, no relays, no NAT, no usage reporting, no upgrades. Its REST API
(an API key, 127.0.0.1 only) is how the tests know the folder is in step: they ask for a rescan
and poll completion; they never sleep and hope.

A `Machine` is one costline user on one side: its own HOME, XDG dirs, Claude config dir, costline
cache dir, state dir and config file, with `[sync] dir` inside that side's shared folder.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from helpers import COSTLINE

FOLDER_ID = "costline-test"
SYNC_TIMEOUT = 90.0  # seconds; a loaded 2-core machine syncs a small file in about 1 s
POLL = 0.1
# Syncthing's own scratch files; everything else in the folder must match on both sides.
SCRATCH_PREFIXES = (".syncthing.", "~syncthing~")
SCRATCH_NAMES = {".stfolder", ".stversions", ".stignore"}
GLOBAL_COUNTS = ("Files", "Directories", "Deleted", "Bytes")  # /rest/db/status: local… and global…


class SyncthingError(AssertionError):
    pass


def free_ports(n: int) -> list[int]:
    """`n` distinct ports that were free on 127.0.0.1 a moment ago (the OS picks them)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_until(what: str, check: Callable[[], bool], timeout: float = SYNC_TIMEOUT) -> None:
    """Poll `check` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SyncthingError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL)


@dataclass
class Instance:
    """One Syncthing process: its home, ports, API key and device id."""

    name: str
    root: Path
    listen_port: int
    gui_port: int
    api_key: str = field(default_factory=lambda: secrets.token_hex(16))
    device_id: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def home(self) -> Path:
        return self.root / "syncthing"

    @property
    def folder(self) -> Path:
        """The shared folder as this instance sees it."""
        return self.root / "Sync"

    @property
    def log(self) -> Path:
        return self.root / "syncthing.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root / "home"),
            "STNORESTART": "1",
            "STMONITORED": "yes",  # one process (no restarting monitor above it), stopped by its pid
            "STNOUPGRADE": "1",
            "STNODEFAULTFOLDER": "1",
            "LANG": "C.UTF-8",
        }

    def generate(self) -> None:
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["syncthing", "generate", f"--home={self.home}", "--no-default-folder", "--skip-port-probing"],
            env=self.env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        out = subprocess.run(
            ["syncthing", f"--home={self.home}", "--device-id"],
            env=self.env,
            capture_output=True,
            check=True,
            text=True,
            timeout=60,
        )
        self.device_id = out.stdout.strip()

    def configure(self, other: Instance) -> None:
        """Loopback only, fast reconnects, the other instance as a device, the folder shared with it."""
        path = self.home / "config.xml"
        tree = ET.parse(path)
        root = tree.getroot()
        options = root.find("options")
        assert options is not None
        settings = {
            "listenAddress": f"tcp://127.0.0.1:{self.listen_port}",
            "globalAnnounceEnabled": "false",
            "localAnnounceEnabled": "false",
            "relaysEnabled": "false",
            "natEnabled": "false",
            "crashReportingEnabled": "false",
            "urAccepted": "-1",
            "autoUpgradeIntervalH": "0",
            "startBrowser": "false",
            "reconnectionIntervalS": "1",
            "setLowPriority": "false",
        }
        for key, value in settings.items():
            el = options.find(key)
            if el is None:
                el = ET.SubElement(options, key)
            el.text = value
        gui = root.find("gui")
        assert gui is not None
        for key, value in (("address", f"127.0.0.1:{self.gui_port}"), ("apikey", self.api_key)):
            el = gui.find(key)
            if el is None:
                el = ET.SubElement(gui, key)
            el.text = value
        for me in root.findall("device"):
            me.set("name", self.name)
        peer = ET.SubElement(
            root,
            "device",
            {"id": other.device_id, "name": other.name, "compression": "metadata", "introducer": "false"},
        )
        ET.SubElement(peer, "address").text = f"tcp://127.0.0.1:{other.listen_port}"
        ET.SubElement(peer, "autoAcceptFolders").text = "false"
        # The folder starts as a copy of the config's folder defaults (conflict copies kept, and so
        # on: an element without them would mean 0, e.g. no conflict copies at all).
        template = root.find("defaults/folder")
        assert template is not None
        folder = copy.deepcopy(template)
        folder.attrib.update(
            id=FOLDER_ID,
            label=FOLDER_ID,
            path=str(self.folder),
            type="sendreceive",
            fsWatcherEnabled="true",
            fsWatcherDelayS="1",
        )
        for dev in folder.findall("device"):
            folder.remove(dev)
        for n, dev in enumerate((self.device_id, other.device_id)):
            el = ET.Element("device", {"id": dev, "introducedBy": ""})
            ET.SubElement(el, "encryptionPassword")
            folder.insert(n, el)
        root.insert(0, folder)
        tree.write(path, encoding="unicode")

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    "syncthing",
                    "serve",
                    f"--home={self.home}",
                    "--no-browser",
                    "--no-restart",
                    "--no-upgrade",
                ],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        """SIGTERM by pid, then SIGKILL if it has not gone after 15 s."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def rest(self, method: str, path: str, body: object = None, **query: str) -> object:
        """Call the REST API on 127.0.0.1; JSON in and out."""
        url = f"http://127.0.0.1:{self.gui_port}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers={"X-API-Key": self.api_key})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=SYNC_TIMEOUT) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def alive(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            raise SyncthingError(f"syncthing {self.name} exited:\n{self.log_tail()}")
        try:
            self.rest("GET", "/rest/system/ping")
            return True
        except OSError:
            return False

    def connected_to(self, other: Instance) -> bool:
        conns = self.rest("GET", "/rest/system/connections")
        assert isinstance(conns, dict)
        return bool(conns["connections"].get(other.device_id, {}).get("connected"))

    def scan(self) -> None:
        """A rescan of the shared folder; the call returns when the scan is done."""
        self.rest("POST", "/rest/db/scan", folder=FOLDER_ID)

    def status(self) -> dict[str, object]:
        got = self.rest("GET", "/rest/db/status", folder=FOLDER_ID)
        assert isinstance(got, dict)
        return got

    def completion(self, other: Instance) -> dict[str, object]:
        """How much of the folder, as this side knows it, the other side has."""
        got = self.rest("GET", "/rest/db/completion", folder=FOLDER_ID, device=other.device_id)
        assert isinstance(got, dict)
        return got

    def set_paused(self, device: Instance, paused: bool) -> None:
        self.rest("PATCH", f"/rest/config/devices/{device.device_id}", {"paused": paused})


def tree(folder: Path, *, dirs: bool = False) -> dict[str, bytes]:
    """Every file under the folder (relative path → bytes), Syncthing's own scratch left out;
    with `dirs`, every folder too (→ b"/")."""
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in SCRATCH_NAMES]
        here = Path(dirpath)
        if dirs:
            out.update((str((here / d).relative_to(folder)) + "/", b"/") for d in dirnames)
        for name in filenames:
            if name in SCRATCH_NAMES or name.startswith(SCRATCH_PREFIXES):
                continue
            rel = str((here / name).relative_to(folder))
            try:
                out[rel] = (here / name).read_bytes()
            except OSError:  # removed while we looked: not in step yet
                out[rel] = b"\0gone"
    return out


class Pair:
    """Two Syncthing instances, `a` and `b`, sharing FOLDER_ID over 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        ports = free_ports(4)
        self.a = Instance("alpha", root / "alpha", ports[0], ports[1])
        self.b = Instance("beta", root / "beta", ports[2], ports[3])

    def start(self) -> None:
        for inst in (self.a, self.b):
            inst.generate()
        self.a.configure(self.b)
        self.b.configure(self.a)
        try:
            for inst in (self.a, self.b):
                inst.start()
            for inst in (self.a, self.b):
                wait_until(f"syncthing {inst.name}'s REST API", inst.alive)
            self.wait_connected()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for inst in (self.a, self.b):
            inst.stop()

    def wait_connected(self) -> None:
        wait_until(
            "the two syncthing instances to connect",
            lambda: self.a.connected_to(self.b) and self.b.connected_to(self.a),
        )

    def in_sync(self) -> bool:
        """Both sides idle, needing nothing, agreeing on the folder's global state and holding it,
        each seeing the other complete, and the same files and folders on disk on both.

        Each check alone can pass too early (before the first index exchange both sides report
        100% of an empty folder), so all of them must hold at once."""
        a, b = self.a.status(), self.b.status()
        for st in (a, b):
            if st.get("state") != "idle" or st.get("needTotalItems") != 0:
                return False
            if any(st.get(f"local{k}") != st.get(f"global{k}") for k in GLOBAL_COUNTS):
                return False
        if any(a.get(f"global{k}") != b.get(f"global{k}") for k in GLOBAL_COUNTS):
            return False
        for me, other in ((self.a, self.b), (self.b, self.a)):
            done = me.completion(other)
            if done.get("completion") != 100 or done.get("needItems") != 0:
                return False
        return tree(self.a.folder, dirs=True) == tree(self.b.folder, dirs=True)

    def sync(self, timeout: float = SYNC_TIMEOUT) -> None:
        """Rescan both sides now, then poll until both hold the same files and neither needs any."""
        self.a.scan()
        self.b.scan()
        try:
            wait_until("the shared folder to be in sync on both sides", self.in_sync, timeout)
        except SyncthingError as exc:
            only_a = sorted(set(tree(self.a.folder)) ^ set(tree(self.b.folder)))
            raise SyncthingError(
                f"{exc}; files on one side only: {only_a}\n"
                f"alpha log:\n{self.a.log_tail()}\nbeta log:\n{self.b.log_tail()}"
            ) from None

    @contextmanager
    def disconnected(self) -> Iterator[None]:
        """The two sides cannot see each other inside the block (both pause the other device);
        changes made meanwhile meet when they reconnect."""
        self.a.set_paused(self.b, True)
        self.b.set_paused(self.a, True)
        wait_until(
            "the two syncthing instances to disconnect",
            lambda: not self.a.connected_to(self.b) and not self.b.connected_to(self.a),
        )
        try:
            yield
            self.a.scan()
            self.b.scan()
        finally:
            self.a.set_paused(self.b, False)
            self.b.set_paused(self.a, False)
        self.wait_connected()


@dataclass
class Machine:
    """One costline user on one side of the pair: everything of its own, the sync dir shared."""

    name: str
    root: Path
    sync_dir: Path
    stale_minutes: int = 10
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sub in ("home", "home/.claude/projects", "config", "cache", "state", "data"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            f"[pricing]\noffline = true\n\n[sync]\ndir = {json.dumps(str(self.sync_dir))}\n"
            f"machine = {json.dumps(self.name)}\nstale_minutes = {self.stale_minutes}\n"
        )

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def claude(self) -> Path:
        """This machine's CLAUDE_CONFIG_DIR."""
        return self.home / ".claude"

    @property
    def cache(self) -> Path:
        return self.root / "cache" / "costline"

    @property
    def state(self) -> Path:
        return self.root / "state" / "costline"

    @property
    def config_file(self) -> Path:
        return self.root / "config" / "costline.toml"

    @property
    def env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_CACHE_HOME": str(self.root / "cache"),
            "XDG_STATE_HOME": str(self.root / "state"),
            "XDG_DATA_HOME": str(self.root / "data"),
            "CLAUDE_CONFIG_DIR": str(self.claude),
            "COSTLINE_CACHE_DIR": str(self.cache),
            "COSTLINE_STATE_DIR": str(self.state),
            "COSTLINE_CONFIG": str(self.config_file),
            "TZ": "UTC0",
            "LANG": "C.UTF-8",
        }
        env.update(self.extra_env)
        return env

    def run(
        self, *args: str, stdin: bytes = b"", check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """The installed `costline` command, as this machine's user runs it."""
        full = self.env
        full.update(env or {})
        done = subprocess.run(
            [COSTLINE, *args], input=stdin, capture_output=True, env=full, timeout=120, check=False
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"costline {' '.join(args)} on {self.name} exited {done.returncode}: {done.stderr.decode()}"
            )
        return done
