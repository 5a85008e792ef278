"""The default prompt of generate_content (prompt type ``content_generation``): PromptRegistry's last fallback."""

PROMPT_TYPE = "content_generation"

DEFAULT_PROMPT = """You are an expert SEO writer. Write the complete article for the idea below.

Idea:
[IGNY8_IDEA]

Cluster:
[IGNY8_CLUSTER]

Keywords to cover:
[IGNY8_KEYWORDS]

Related articles of the site (link to those the text mentions, with their URLs):
[IGNY8_LINKS]

The site's style guide (null: none):
[IGNY8_STYLE_GUIDE]

Write the article in [IGNY8_LANGUAGE]: the text, the headings, the meta title and description.
Write clean HTML (h2, h3, p, ul, ol, li, table, strong, em, a; no html/head/body, no scripts or styles).
Follow the outline, use the primary keyword naturally in the first paragraph and in headings.

Return JSON: {"content": "<h2>...</h2><p>...</p>", "title": "...", "meta_title": "max 60 characters",
"meta_description": "max 160 characters", "word_count": 1500, "primary_keyword": "...",
"secondary_keywords": ["..."], "tags": ["..."], "categories": ["..."]}
"""
