"""Authenticity checks of #4: signatures (PDF, XML), format identification, PDF/A triage, virus scan."""
