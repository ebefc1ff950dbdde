"""Independent evaluation set for the personal-data recognizers (see README.md)."""
