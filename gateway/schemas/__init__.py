"""Input and output shapes of the HTTP API (marshmallow), one module per area."""
