"""LLM clients, prompts and summarization. Never imports Slack code."""
