"""costline: a fast Claude Code status line with session and daily cost."""

__version__ = "0.1.0"
