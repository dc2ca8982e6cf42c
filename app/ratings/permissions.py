GRANTS: dict = {}
