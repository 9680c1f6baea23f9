"""The read path: retrieval, gap analysis, answers, the CLI and the Slack app."""
