"""The weekly digest: build, post, schedule, chart."""
