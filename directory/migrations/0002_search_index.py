from django.db import migrations

# A GIN index for the full-text search document: PostgreSQL only (SQLite has
# neither tsvector nor GIN, and searches there with a simple fallback).
CREATE = (
    "CREATE INDEX IF NOT EXISTS directory_service_search_gin "
    "ON directory_service USING gin (search_vector)"
)
DROP = "DROP INDEX IF EXISTS directory_service_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
