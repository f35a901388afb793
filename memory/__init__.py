"""SQL store (source of truth), embeddings, vector store and retrieval. Never imports Slack code."""
