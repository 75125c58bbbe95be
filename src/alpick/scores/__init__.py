"""alpick.scores."""
