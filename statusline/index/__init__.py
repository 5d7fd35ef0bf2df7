"""The persistent, incremental index of Claude Code transcripts."""
