"""The lists the engine knows, each a ListSpec registered with app.excel.services."""
