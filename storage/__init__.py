"""State: settings, the data directory, the SQLite schema and its connections."""
