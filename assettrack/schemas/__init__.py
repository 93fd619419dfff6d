"""marshmallow schemas: they validate every request and render every response."""
