"""The README's install, for real: this checkout built, installed into a fresh venv, pointed at.

Default run (about 15 s on 2 cores, most of it in the fixtures and the test marked SLOW):

- the wheel built from a copy of the checkout holds the whole `statusline` package with its data
  file, the `costline` console script and nothing else (no tests/, bench/, samples/, bytecode);
- a fresh venv with that wheel: `costline install --dry-run` prints the settings it would write
  and writes nothing; the command it prints, run through `sh -c` as Claude Code runs it, prints
  one status line; `costline install` then writes that same text and the command still works;
- the README's Install commands, run verbatim in a fresh HOME with the system PATH (skipped, with
  the reason, when pip cannot reach its package index: the command upgrades pip from it); with
  COSTLINE_README_ALL=1 its Quick start commands too (the demo, and the whole suite in the copy).

Network: building the wheel needs the build backend (setuptools) from the package index, as
`scripts/test.sh` does for `.venv` itself. costline's dependencies go into the fresh venv from
wheels repacked out of this `.venv` (`--no-index`), so that test needs nothing more; only when
`.venv` lacks one of them does pip fetch it from the index. The README replay needs the index.

Opt-in: COSTLINE_PIPX=1 with `pipx` on PATH runs `pipx install <checkout>` the same way (index).

Every HOME, XDG dir, pipx dir and build copy is under tmp_path; the real ~/.claude is never read.
pip keeps using the real user's pip cache and config (found before the tests change HOME), so a
second run mostly reuses what the first downloaded.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PAYLOAD = REPO / "samples" / "payload-2.1.332.json"
MODEL = json.loads(PAYLOAD.read_text(encoding="utf-8"))["model"]["display_name"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SKIP_IN_COPY = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "out"
)


def _real_user_pip_env() -> dict[str, str]:
    """The user's pip cache and config, found now, while HOME is still the real one."""
    env: dict[str, str] = {}
    home = Path(os.path.expanduser("~"))
    cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "pip"
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or str(cache)
    if not os.environ.get("PIP_CONFIG_FILE"):
        xdg_config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
        for candidate in (xdg_config / "pip" / "pip.conf", home / ".pip" / "pip.conf"):
            if candidate.is_file():
                env["PIP_CONFIG_FILE"] = str(candidate)
                break
    return env


USER_PIP = _real_user_pip_env()


def clean_env(tmp: Path, home: Path, *, pip_index: bool = True) -> dict[str, str]:
    """A user's environment on a fresh machine: HOME and every XDG dir under tmp, no costline or
    Claude settings, no PYTHONPATH that could import the checkout instead of the install.

    pip_index=False: pip sees no config and no index at all (only --find-links given to it)."""
    drop = ("CLAUDE_", "COSTLINE_", "XDG_", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(tmp / "xdg" / "config"),
        XDG_CACHE_HOME=str(tmp / "xdg" / "cache"),
        XDG_DATA_HOME=str(tmp / "xdg" / "data"),
        XDG_STATE_HOME=str(tmp / "xdg" / "state"),
    )
    if pip_index:
        env.update(USER_PIP)
    else:
        env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
        env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    # Renders never fetch prices here (costline's own tests are offline too).
    config = tmp / "xdg" / "config" / "costline" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[pricing]\noffline = true\n", encoding="utf-8")
    return env


def run(argv: list[str], env: dict[str, str], *, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False, **kw)
    assert proc.returncode == 0, f"{argv}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def copy_checkout(dest: Path) -> Path:
    """The files a clone would have (tracked and new, unignored), since `pip install .` builds in
    place: build/ and *.egg-info land in the copy, not in the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0 or not listed.stdout:  # no git, or not a git checkout
        shutil.copytree(REPO, dest, ignore=SKIP_IN_COPY)
        return dest
    for name in listed.stdout.decode().split("\0"):
        source = REPO / name
        if name and source.is_file():  # a tracked file deleted in the working tree is skipped
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def status_command(dry_run_output: str) -> tuple[str, str]:
    """(settings text, statusLine command) from `costline install --dry-run` for a new file.

    It prints a unified diff whose every added line is a line of the file it would write."""
    lines = dry_run_output.splitlines(True)
    assert lines and lines[0].startswith("--- ") and lines[1].startswith("+++ "), dry_run_output
    added = [line[1:] for line in lines[2:] if line.startswith("+")]
    assert all(line.startswith(("+", "@@")) for line in lines[2:]), dry_run_output  # nothing removed
    text = "".join(added)
    return text, json.loads(text)["statusLine"]["command"]


def render_through_shell(command: str, env: dict[str, str], cwd: Path) -> str:
    """Run a settings.json command as Claude Code does (`sh -c`, payload on stdin): one line."""
    proc = subprocess.run(
        ["sh", "-c", command],
        input=PAYLOAD.read_bytes(),
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")
    assert out.endswith("\n") and out.count("\n") == 1, out
    assert b"Traceback" not in proc.stdout + proc.stderr, proc.stderr
    line = ANSI.sub("", out[:-1])
    assert MODEL in line, line
    return line


def files_under(*roots: Path) -> list[str]:
    return sorted(str(p) for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def index_problem(env: dict[str, str]) -> str | None:
    """Why pip cannot get setuptools from its package index (None when it can).

    One quick look, past pip's HTTP cache, no retries, 5 s timeout: an unreachable index is told
    in about a second, not after pip's minutes of retries."""
    probe = [sys.executable, "-m", "pip", "index", "versions", "setuptools", "-vv"]
    probe += ["--timeout", "5", "--retries", "0"]
    env = {**env, "PIP_NO_CACHE_DIR": "1"}
    try:
        proc = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return "pip index versions setuptools took over 60 s"
    if proc.returncode == 0:
        return None
    output = (proc.stdout + proc.stderr).splitlines()
    reasons = [line.strip() for line in output if "Could not fetch URL" in line]
    return "; ".join(reasons or output[-1:] or ["pip index versions setuptools failed"])


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> str | None:
    """None when pip can reach its package index, else why not (asked once per run)."""
    tmp = tmp_path_factory.mktemp("probe")
    return index_problem(clean_env(tmp, tmp / "home"))


def requirements(meta: str) -> list[Requirement]:
    """The Requires-Dist lines of a METADATA file."""
    lines = meta.splitlines()
    return [Requirement(line.split(":", 1)[1]) for line in lines if line.startswith("Requires-Dist:")]


# --- the wheel ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory, index) -> Path:
    """costline's wheel, built by pip (no `build` package needed) from a copy of the checkout."""
    if index:
        pytest.skip(f"building the wheel needs setuptools from the package index: {index}")
    tmp = tmp_path_factory.mktemp("wheel")
    source = copy_checkout(tmp / "src")
    env = clean_env(tmp, tmp / "home")
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(source)]
    run(build, env, timeout=300)
    (built,) = (tmp / "dist").glob("costline-*.whl")
    return built


def test_wheel_holds_the_package_its_data_and_the_console_script(wheel):
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = f"costline-{project['version']}.dist-info"
    assert {name.split("/")[0] for name in names} == {"statusline", dist_info}  # no tests/, bench/
    # Every file of the package as a clone has it (code, the pricing snapshot in pricing.py,
    # sample_payload.json that doctor and `config preview` load), and no bytecode or render bundle.
    source = wheel.parent.parent / "src"  # the copy the wheel was built from
    package = {
        p.relative_to(source).as_posix()
        for p in (source / "statusline").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert {name for name in names if name.startswith("statusline/")} == package
    for data in pyproject["tool"]["setuptools"]["package-data"]["statusline"]:
        assert f"statusline/{data}" in names
    assert "statusline/pricing.py" in names and "statusline/sample_payload.json" in names

    with zipfile.ZipFile(wheel) as zf:
        entry_points = configparser.ConfigParser()
        entry_points.read_string(zf.read(f"{dist_info}/entry_points.txt").decode())
        meta = zf.read(f"{dist_info}/METADATA").decode()
    scripts = dict(entry_points["console_scripts"])
    assert scripts == project["scripts"] == {"costline": "statusline.entry:main"}
    runtime = {str(r) for r in requirements(meta) if "extra ==" not in str(r.marker)}
    assert runtime == {str(Requirement(d)) for d in project["dependencies"]}
    assert f"Requires-Python: {project['requires-python']}" in meta.splitlines()


# --- a fresh venv with the wheel ----------------------------------------------------------------


def repack(dist: metadata.Distribution, dest: Path) -> Path | None:
    """A wheel of an installed distribution, from the files its RECORD lists (no scripts); None
    when it was not installed from a wheel."""
    files = [f for f in dist.files or [] if ".." not in f.parts and "__pycache__" not in f.parts]
    dist_info = next((f.parts[0] for f in files if f.parts[0].endswith(".dist-info")), None)
    wheel_file = dist.read_text("WHEEL") or ""
    tags = [t.split(":", 1)[1].strip() for t in wheel_file.splitlines() if t.startswith("Tag:")]
    if not dist_info or not tags:
        return None
    skip = {f"{dist_info}/{n}" for n in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")}
    parts = [".".join(sorted({tag.split("-")[i] for tag in tags})) for i in range(3)]
    name = canonicalize_name(dist.metadata["Name"]).replace("-", "_")
    path = dest / f"{name}-{dist.version}-{'-'.join(parts)}.whl"
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            if f.as_posix() in skip:
                continue
            located = Path(f.locate())
            data = located.read_bytes()
            info = zipfile.ZipInfo(f.as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (located.stat().st_mode & 0xFFFF) << 16
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{f.as_posix()},sha256={digest},{len(data)}")
        record.append(f"{dist_info}/RECORD,,")
        zf.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return path


def wheelhouse_from_this_venv(wheel: Path, dest: Path) -> bool:
    """Repack costline's dependencies (transitively) from the running venv into dest; False when
    one is missing here or too old, and pip has to get it from the index."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    todo = requirements(meta)
    done: set[str] = set()
    complete = True
    while todo:
        req = todo.pop()
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        key = canonicalize_name(req.name)
        if key in done:
            continue
        done.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            complete = False
            continue
        usable = req.specifier.contains(dist.version, prereleases=True) and not req.extras
        if not usable or repack(dist, dest) is None:
            complete = False
            continue
        todo.extend(Requirement(r) for r in dist.requires or [])
    return complete


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A fresh venv with the wheel installed by a current pip (the one running these tests, as
    the README upgrades pip first), its dependencies from this venv's own copies."""
    tmp = tmp_path_factory.mktemp("venv")
    wheels = tmp / "wheels"
    wheels.mkdir()
    offline = wheelhouse_from_this_venv(wheel, wheels)
    env = clean_env(tmp, tmp / "home", pip_index=not offline)
    target = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(target)], env)
    install = [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install", "-q"]
    install += ["--no-index"] if offline else []
    run([*install, "--find-links", str(wheels), str(wheel)], env, timeout=300)
    return target


def test_dry_run_prints_a_command_that_works_and_install_writes_it(venv, tmp_path):
    """In a HOME with no ~/.claude yet (conftest's tmp_path/home has one, so a new folder)."""
    home = tmp_path / "fresh-home"
    home.mkdir()
    env = clean_env(tmp_path, home)
    costline = str(venv / "bin" / "costline")
    settings = home / ".claude" / "settings.json"
    watched = (home, tmp_path / "xdg")
    before = files_under(*watched)

    dry = run([costline, "install", "--dry-run"], env, cwd=tmp_path)
    assert not settings.exists()
    assert files_under(*watched) == before  # nothing written: no settings, backup or cache
    text, command = status_command(dry.stdout)
    assert str(settings) in dry.stdout.splitlines()[1]
    # The launcher beside the venv's Python (statusline/cli/launcher.py), not written yet.
    launcher = str(venv / "bin" / "costline-statusline")
    assert command == launcher
    assert not os.path.exists(launcher)
    assert json.loads(text)["statusLine"] == {
        "type": "command",
        "command": launcher,
        "padding": 0,
        "refreshInterval": 10,
    }
    assert "would write the launcher" in dry.stderr

    real = run([costline, "install"], env, cwd=tmp_path)
    assert settings.read_text(encoding="utf-8") == text  # what the dry run showed, exactly
    assert real.stdout == dry.stdout
    written = json.loads(settings.read_text(encoding="utf-8"))["statusLine"]["command"]
    assert written == command
    render_through_shell(written, env, tmp_path)
    # The installed package is the one in the venv, not the checkout's.
    where = run(
        [str(venv / "bin" / "python"), "-c", "import statusline; print(statusline.__file__)"],
        env,
        cwd=tmp_path,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)


# --- the README's commands, verbatim -------------------------------------------------------------
# Every command of the Install section (and, with COSTLINE_README_ALL=1, of Quick start) is read
# from README.md and run as written, one after the other in one shell, in a fresh HOME with the
# system's PATH alone: nothing beyond what the README tells the user to do. A README change that
# stops them working fails here. Quick start's `sh scripts/test.sh` runs the whole suite again
# inside the copy, where this test runs the Install part only (so it does not recurse).

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
README_ALL = bool(os.environ.get("COSTLINE_README_ALL"))
STEP_DONE = "@@costline-readme-step-done"


def section(text: str, title: str) -> str:
    """The body of the `## <title>…` section, up to the next `## ` header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {title}"))
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.startswith("## ")), len(rest))
    return "\n".join(rest[:end])


def code_lines(body: str) -> list[str]:
    """The lines of a section's shell code blocks: indented by four spaces after a blank line, or
    fenced as ``` / ```sh / ```bash (a ```json block is data, not commands)."""
    out: list[str] = []
    fenced = indented = False
    previous = ""
    for line in body.splitlines():
        if line.startswith("```"):
            fenced = not fenced and line.strip() in ("```", "```sh", "```bash", "```shell")
            continue
        if fenced:
            out.append(line)
        elif line.startswith("    ") and (indented or not previous.strip()):
            indented = True
            out.append(line[4:])
        else:
            indented = False
        previous = line
    return [c for c in out if c.strip()]


def readme_commands() -> list[tuple[str, str]]:
    """(section, command) of the README's Install and Quick start sections, in order."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [(title, c) for title in ("Install", "Quick start") for c in code_lines(section(text, title))]


def test_the_readme_gives_the_commands_a_newcomer_needs():
    found = readme_commands()
    install = [c for t, c in found if t == "Install"]
    assert install[0].startswith("python3 -m venv ~/.local/share/costline && ")
    assert install[0].endswith("/costline install")
    assert 'export PATH="$HOME/.local/bin:$PATH"' in install  # what install prints, too
    assert "costline doctor" in install  # by name, after install
    assert [c.split("#")[0].strip() for t, c in found if t == "Quick start"] == [
        "sh scripts/demo.sh",
        "sh scripts/test.sh",
    ]


@pytest.mark.skipif(not shutil.which("python3", path=SYSTEM_PATH), reason="no python3 on the system PATH")
def test_readme_commands_run_verbatim_in_a_fresh_home(tmp_path, index):
    """SLOW (about 10 s: a venv, pip upgraded, costline built and installed from the index; with
    COSTLINE_README_ALL=1 minutes: the demo's venv and the whole suite in the copy)."""
    if index:
        pytest.skip(f"the README's command installs from the package index, unreachable: {index}")
    home = tmp_path / "fresh-home"
    home.mkdir()
    env = clean_env(tmp_path, home)
    env.update(PATH=SYSTEM_PATH, NO_COLOR="1")
    checkout = copy_checkout(tmp_path / "checkout")
    steps = [c for t, c in readme_commands() if README_ALL or t == "Install"]
    # One shell, as a user types them: what one command sets (PATH) holds for the next.
    script = "".join(f"{c}\necho '{STEP_DONE}'\n" for c in steps)
    proc = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800 if README_ALL else 600,
        check=False,
    )
    done = proc.stdout.count(STEP_DONE + "\n")
    failed = steps[min(done, len(steps) - 1)]
    assert proc.returncode == 0 and done == len(steps), (
        f"README command failed: {failed}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    venv_bin = home / ".local" / "share" / "costline" / "bin"
    link = home / ".local" / "bin" / "costline"  # what makes `costline doctor` work by name
    assert link.is_symlink() and os.path.realpath(link) == str(venv_bin / "costline")
    doctor = proc.stdout.split(STEP_DONE)[2]  # after install and the PATH line
    # A machine with no logs yet: ⚠ only. The render timing is left out: it measures this
    # machine's load (a busy CI core can put it past its budget), not the install.
    failed_checks = [line for line in doctor.splitlines() if "✗" in line and "render:" not in line]
    assert "✓ settings (user)" in doctor and not failed_checks, doctor
    settings = json.loads((home / ".claude" / "settings.json").read_text(encoding="utf-8"))
    assert settings["statusLine"]["command"] == str(venv_bin / "costline-statusline")
    render_through_shell(settings["statusLine"]["command"], env, tmp_path)
    where = run(
        [str(venv_bin / "python"), "-c", "import statusline; print(statusline.__file__)"], env, cwd=tmp_path
    )
    assert Path(where.stdout.strip()).is_relative_to(venv_bin.parent)
    if README_ALL:  # the demo's line: today includes the sample session (tests/test_demo.py)
        assert "$0.51 session · $1.37 today" in proc.stdout


# --- opt-in: pipx --------------------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("COSTLINE_PIPX") or not shutil.which("pipx"),
    reason="opt-in: COSTLINE_PIPX=1 with pipx on PATH",
)
def test_pipx_install_then_costline_install(tmp_path, index):
    """SLOW (opt-in): pipx builds costline and installs it with its dependencies from the index."""
    if index:
        pytest.skip(f"pipx installs costline's dependencies from the package index: {index}")
    home = tmp_path / "fresh-home"
    home.mkdir()
    env = clean_env(tmp_path, home)
    bin_dir = tmp_path / "pipx-bin"
    env.update(
        PIPX_HOME=str(tmp_path / "pipx"),
        PIPX_BIN_DIR=str(bin_dir),
        PIPX_MAN_DIR=str(tmp_path / "pipx-man"),
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    )
    checkout = copy_checkout(tmp_path / "checkout")
    run([shutil.which("pipx") or "pipx", "install", "."], env, cwd=checkout, timeout=600)

    dry = run(["sh", "-c", "costline install --dry-run"], env, cwd=tmp_path)
    assert not (home / ".claude" / "settings.json").exists()
    text, command = status_command(dry.stdout)
    assert command == str(tmp_path / "pipx" / "venvs" / "costline" / "bin" / "costline-statusline")
    run(["sh", "-c", "costline install"], env, cwd=tmp_path)
    assert (home / ".claude" / "settings.json").read_text(encoding="utf-8") == text
    render_through_shell(command, env, tmp_path)
