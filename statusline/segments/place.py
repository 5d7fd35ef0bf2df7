"""Segments of where the session runs: git branch, pull request, repository, worktree, folder.

Each is a small pure function of the Context (see segments/__init__.py).
"""

from __future__ import annotations

from statusline import fs
from statusline.look import sanitise
from statusline.payload import text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context
    from statusline.segments import Spans


def git(ctx: Context) -> Spans | None:
    """Git branch of the working directory (hidden outside a repository), `*` when dirty."""
    branch = ctx.git_branch()
    if not branch:
        return None
    spans = [(sanitise(branch, 40), "muted")]
    if ctx.config.get("git_dirty") and ctx.git_is_dirty():
        spans.append(("*", "cost.warn"))
    return spans


PR_STATES = {"approved": ("✓", "ctx.ok"), "changes_requested": ("✗", "ctx.alert"), "pending": ("…", "muted")}


def pull_request(ctx: Context) -> Spans | None:
    """The branch's open pull request (`PR #123 ✓`) or GitLab merge request (`MR !45 draft`)."""
    number_ = ctx.get("pr", "number")
    if type(number_) is not int or number_ <= 0:
        return None
    label = f"MR !{number_}" if ctx.get("pr", "kind") == "mr" else f"PR #{number_}"
    state = text(ctx.get("pr", "review_state"))
    if state == "draft":
        return [(f"{label} draft", "muted")]
    mark, style = PR_STATES.get(state or "", ("", "muted"))
    return [(f"{label} {mark}".rstrip(), style)]


def repo(ctx: Context) -> Spans | None:
    """The repository, `owner/name`, from the payload's `workspace.repo`."""
    owner, name = text(ctx.get("workspace", "repo", "owner")), text(ctx.get("workspace", "repo", "name"))
    if not name:
        return None
    return [(sanitise(f"{owner}/{name}" if owner else name, 40), "muted")]


def worktree(ctx: Context) -> Spans | None:
    """The linked worktree this session runs in (`--worktree`, or a cwd inside one)."""
    name = text(ctx.get("worktree", "name")) or text(ctx.get("workspace", "git_worktree"))
    return [(f"wt {sanitise(name, 24)}", "muted")] if name else None


def directory(ctx: Context) -> Spans | None:
    """Working directory: basename (default), fish-style (`~/s/app`) or full (`line.dir_style`)."""

    where = text(ctx.get("workspace", "current_dir")) or text(ctx.get("cwd"))
    if not where:
        return None
    style = ctx.config.get("dir_style", "basename")
    home = fs.environ().get("HOME", "")
    shown = "~" + where[len(home) :] if home and (where == home or where.startswith(home + "/")) else where
    if style == "basename":
        shown = fs.basename(where.rstrip("/")) or where
    elif style == "fish":
        parts = shown.split("/")
        shown = "/".join([p[:1] if p and not p.startswith(".") else p[:2] for p in parts[:-1]] + parts[-1:])
    return [(sanitise(shown, 40), "muted")]
