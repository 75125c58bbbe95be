"""alpick.select."""
