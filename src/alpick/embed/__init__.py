"""alpick.embed."""
