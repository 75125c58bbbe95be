"""alpick.evaluate."""
