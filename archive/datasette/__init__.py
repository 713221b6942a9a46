"""Datasette publishing assets: metadata.yml, plugins/, templates/ (served by ``archive.serve``)."""
