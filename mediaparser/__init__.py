"""The `mediaparser` command: one entry point above the web, jobs and storage layers."""
