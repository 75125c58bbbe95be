"""alpick.store."""
