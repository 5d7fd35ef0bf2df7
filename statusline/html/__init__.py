"""A self-contained HTML cost report: inline SVG and CSS, no script, no network (CLI side only)."""
