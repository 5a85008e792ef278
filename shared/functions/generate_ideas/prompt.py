"""The default prompt of generate_ideas (prompt type ``ideas``): PromptRegistry's last fallback."""

PROMPT_TYPE = "ideas"

DEFAULT_PROMPT = """You are a content strategist. For each keyword cluster below, propose content ideas
that together cover the cluster: one cluster hub (pillar) idea and supporting pages.

Clusters:
[IGNY8_CLUSTERS]

Keywords of each cluster:
[IGNY8_CLUSTER_KEYWORDS]

A cluster marked "pillar_hub_of" is the hub of a pillar topic: plan one more idea for it, its
pillar page (content_structure pillar_page), covering the pillar and linking its clusters.

Write the titles and outlines in [IGNY8_LANGUAGE]. The site's style guide (null: none):
[IGNY8_STYLE_GUIDE]

For every idea give a title, an outline as the description (an object with "introduction" and
"sections": [{"heading": "H2", "subsections": [{"subheading": "H3", "content_type": "paragraph|list|table",
"details": "what to cover"}]}]), content_type (blog_post, article, guide or tutorial),
content_structure (cluster_hub, landing_page, pillar_page or supporting_page), cluster_id,
cluster_name, estimated_word_count and covered_keywords (comma-separated).

Return JSON: {"ideas": [{"title": "...", "description": {...}, "content_type": "blog_post",
"content_structure": "supporting_page", "cluster_id": 1, "cluster_name": "...",
"estimated_word_count": 1500, "covered_keywords": "keyword 1, keyword 2"}]}
"""
