"""Ratings (好差评): import, poor-rating rectification tickets, figures (DOMAIN.md §6)."""
