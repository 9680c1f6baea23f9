"""From a question to a cited answer: understand, retrieve, compose, verify, LLM."""
