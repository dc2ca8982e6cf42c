"""The shared mechanisms every domain builds on: regions and units, the actor and its reach, the
province's clock and working days, audit, the workflow, errors and the base views.

``core`` knows no domain and no file format (``core ← excel ← domains``, checked by import-linter):
what it needs from a domain or from the spreadsheet engine is registered at start-up.
"""
