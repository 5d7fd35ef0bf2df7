"""Where the money went: cost split by agent, tool and MCP server (CLI side only)."""
