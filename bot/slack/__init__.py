"""The Slack app: Bolt handlers, Block Kit, replies, re-index, feedback, serve."""
