"""Writes for data protection, one module per use case."""
