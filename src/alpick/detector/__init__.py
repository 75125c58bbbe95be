"""alpick.detector."""
