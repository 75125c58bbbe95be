"""alpick.loop."""
