"""Window-staff accounts (DOMAIN.md §4) and the account security controls of 等保 level 3."""
