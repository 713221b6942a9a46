"""Datasette publishing assets: metadata.yml, plugins/, templates/ (served by ``nianbao.serve``)."""
