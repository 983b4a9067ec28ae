"""Storage: the SQLite file and every query the server makes, as named functions."""
