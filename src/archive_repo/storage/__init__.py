"""Where AIP files are kept: the Store protocol and its implementations (local folders; S3 with #5)."""
