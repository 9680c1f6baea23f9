"""The write path: load sources, clean and enrich records, embed them, store them in Chroma."""
