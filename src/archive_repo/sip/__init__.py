"""Building TT05 SIPs from a description (TOML, optionally with a CSV of documents) and a folder of files."""
