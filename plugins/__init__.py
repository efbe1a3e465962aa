"""Built-in missionbase plugins; each is enabled by name in missionbase.toml."""
