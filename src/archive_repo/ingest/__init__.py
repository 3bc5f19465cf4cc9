"""The ingest pipeline: quarantine → validate → authenticity → convert → store → catalog → receipt."""
