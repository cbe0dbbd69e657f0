"""One module per thing patched: teams, agents, model clients, tools, AutoGen's runtime."""
