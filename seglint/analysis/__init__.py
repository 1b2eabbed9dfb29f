"""The analysis layer: syntax trees in, immutable facts out."""
