"""Model prices: the bundled table, model-id resolution and per-bucket cost arithmetic."""
