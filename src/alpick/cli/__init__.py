"""alpick.cli."""
