"""Rendering results (HTML, text, charts), output files, the papermill runner, the schedule."""
