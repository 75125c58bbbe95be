"""alpick.data."""
