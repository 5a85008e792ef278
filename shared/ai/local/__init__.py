"""Offline provider algorithms: answers computed locally, without an AI model, over the real input."""
