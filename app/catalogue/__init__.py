"""Service-item catalogue: basic catalogue, implementation lists, adjustments, filing."""
