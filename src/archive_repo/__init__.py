"""archive-repo: an OAIS preservation repository speaking TT05/2025/TT-BNV."""

__version__ = "0.1.0"
SOFTWARE_NAME = "archive-repo"
