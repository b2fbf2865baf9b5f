"""Celery tasks for data protection: thin wrappers that call services."""
