"""The offline demo and the scripted OpenAI-compatible server it (and the tests) use."""
