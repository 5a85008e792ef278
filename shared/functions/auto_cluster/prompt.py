"""The default prompt of auto_cluster (prompt type ``clustering``): PromptRegistry's last fallback."""

PROMPT_TYPE = "clustering"

DEFAULT_PROMPT = """You are a semantic SEO strategist. Group the keywords below into topic clusters.

Rules:
- Put keywords in the same cluster when one article or hub page could rank for all of them
  (same search intent and the same core topic).
- Use every keyword at most once, and copy each keyword exactly as written.
- Name each cluster with a short, descriptive topic name (2-5 words) and describe it in one sentence.
- Prefer fewer, coherent clusters over many tiny ones; a keyword that fits nowhere may stay out.
[IGNY8_SECTOR]
Keywords (with volume, difficulty and intent):
[IGNY8_KEYWORDS]

Return JSON in exactly this shape:
{"clusters": [{"name": "Cluster name", "description": "One sentence", "keywords": ["keyword 1", "keyword 2"]}]}
"""
