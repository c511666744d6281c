"""The loyalty platform's code: everything app.py wires together."""
