"""PromptRegistry (the seed's prompts.py): three-level prompt resolution and placeholders.

Resolution order: the job's own ``prompt_override`` -> the account's prompt stored in DynamoDB
(``AIPrompt``) -> ``DEFAULT_PROMPTS``. Context values replace ``[IGNY8_<NAME>]`` placeholders.
"""

from __future__ import annotations

from typing import Any

PROMPT_TYPES: dict[str, str] = {
    "auto_cluster": "clustering",
    "generate_ideas": "ideas",
    "generate_content": "content_generation",
}

JSON_INSTRUCTION = "Respond only with valid JSON."

DEFAULT_PROMPTS: dict[str, str] = {
    "clustering": """You are a semantic SEO strategist. Group the keywords below into topic clusters.

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
""",
    "ideas": """You are a content strategist. For each keyword cluster below, propose content ideas
that together cover the cluster: one cluster hub (pillar) idea and supporting pages.

Clusters:
[IGNY8_CLUSTERS]

Keywords of each cluster:
[IGNY8_CLUSTER_KEYWORDS]

For every idea give a title, an outline as the description (an object with "introduction" and
"sections": [{"heading": "H2", "subsections": [{"subheading": "H3", "content_type": "paragraph|list|table",
"details": "what to cover"}]}]), content_type (blog_post, article, guide or tutorial),
content_structure (cluster_hub, landing_page, pillar_page or supporting_page), cluster_id,
cluster_name, estimated_word_count and covered_keywords (comma-separated).

Return JSON: {"ideas": [{"title": "...", "description": {...}, "content_type": "blog_post",
"content_structure": "supporting_page", "cluster_id": 1, "cluster_name": "...",
"estimated_word_count": 1500, "covered_keywords": "keyword 1, keyword 2"}]}
""",
    "content_generation": """You are an expert SEO writer. Write the complete article for the idea below.

Idea:
[IGNY8_IDEA]

Cluster:
[IGNY8_CLUSTER]

Keywords to cover:
[IGNY8_KEYWORDS]

Write clean HTML (h2, h3, p, ul, ol, li, table, strong, em, a; no html/head/body, no scripts or styles).
Follow the outline, use the primary keyword naturally in the first paragraph and in headings.

Return JSON: {"content": "<h2>...</h2><p>...</p>", "title": "...", "meta_title": "max 60 characters",
"meta_description": "max 160 characters", "word_count": 1500, "primary_keyword": "...",
"secondary_keywords": ["..."], "tags": ["..."], "categories": ["..."]}
""",
}


class PromptRegistry:
    """Resolves and renders prompts."""

    @staticmethod
    def prompt_type(function_name: str) -> str:
        return PROMPT_TYPES.get(function_name, function_name)

    @classmethod
    def get_prompt(
        cls,
        function_name: str,
        account_id: str | None = None,
        context: dict[str, Any] | None = None,
        prompt_override: str | None = None,
    ) -> str:
        """The resolved prompt with every ``[IGNY8_*]`` placeholder of ``context`` replaced."""
        template = prompt_override or cls._account_prompt(function_name, account_id)
        if not template:
            template = DEFAULT_PROMPTS[cls.prompt_type(function_name)]
        return cls.render(template, context or {})

    @staticmethod
    def render(template: str, context: dict[str, Any]) -> str:
        rendered = template
        for key, value in context.items():
            rendered = rendered.replace(f"[IGNY8_{key.upper()}]", "" if value is None else str(value))
        # Placeholders the context did not fill (e.g. an optional sector) are removed.
        for name in ("SECTOR", "KEYWORDS", "CLUSTERS", "CLUSTER_KEYWORDS", "IDEA", "CLUSTER"):
            rendered = rendered.replace(f"[IGNY8_{name}]", "")
        return rendered

    @staticmethod
    def _account_prompt(function_name: str, account_id: str | None) -> str | None:
        if not account_id:
            return None
        from shared.db.models import AIPrompt
        from shared.db.repo import get_one

        record = get_one(AIPrompt, account_id, function_name)
        return record.prompt_value if record is not None and record.prompt_value else None

    @staticmethod
    def ensure_json_instruction(prompt: str) -> str:
        """The seed adds a JSON-mode instruction when the prompt lacks one."""
        if "json" in prompt.lower():
            return prompt
        return f"{prompt.rstrip()}\n\n{JSON_INSTRUCTION}"
