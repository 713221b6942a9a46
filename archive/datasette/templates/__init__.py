"""Datasette templates for nianbao; a package only so that a (non-editable) install ships them."""
