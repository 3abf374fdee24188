"""Renderers: turn computed results into tables, JSON and files. They never compute."""
