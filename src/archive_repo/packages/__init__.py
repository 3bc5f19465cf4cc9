"""Information packages: reading submissions safely, and the METS / EAD vocabularies."""
