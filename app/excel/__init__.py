"""The one spreadsheet engine: column specs, reading, writing, preview and commit."""
