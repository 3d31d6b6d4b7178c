"""Layouts, code tables and rules: data files and the objects that read them."""
