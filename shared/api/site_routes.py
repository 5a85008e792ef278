"""Site settings: language, country, style guide, approval, URL path; WordPress connection; publishing."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shared.api.resolver import current_account, json_response, route
from shared.services import sites, wordpress
from shared.services.link_map import cluster_link_map

router = Router()

Language = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$"),
    Field(description="BCP 47 language tag of the site's articles, e.g. en, de, pt-BR", examples=["de"]),
]
Country = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country the site writes for, e.g. DE", examples=["DE"]),
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class StyleGuide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voice: Short | None = Field(
        default=None, description="How the articles sound", examples=["friendly, expert"]
    )
    audience: Short | None = Field(default=None, description="Who they are for", examples=["home baristas"])
    avoid: list[Word] = Field(default_factory=list, max_length=100, description="Words never to use")


class SiteSettingsIn(BaseModel):
    """The fields to change; the others keep their values (``null`` clears an optional one)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    domain: Annotated[str, StringConstraints(strip_whitespace=True, max_length=253)] | None = None
    language: Language | None = None
    country: Country | None = None
    style_guide: StyleGuide | None = None
    require_approval: StrictBool | None = None
    path_prefix: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, max_length=100, pattern=r"^(/[A-Za-z0-9._~-]+)*/?$")
        ]
        | None
    ) = Field(default=None, description="Path of the articles' URLs, e.g. /blog", examples=["/blog"])


class WordPressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)] = Field(
        description="The site's address (https), e.g. https://coffee.example",
        examples=["https://coffee.example"],
    )
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    application_password: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=8, max_length=200)
    ] = Field(description="A WordPress application password (Users > Profile); stored in Secrets Manager")


@route(router, "PATCH", "/v1/planner/sites/<site_id>/", also=(404,))
def update_site(site_id: int, body: SiteSettingsIn) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    return sites.site_view(sites.update_site(current_account(router), site_id, changes))


@route(router, "PUT", "/v1/planner/sites/<site_id>/wordpress", also=(404,))
def connect_wordpress(site_id: int, body: WordPressIn) -> dict[str, Any]:
    return wordpress.connect(
        current_account(router), site_id, body.url, body.username, body.application_password
    )


@route(router, "GET", "/v1/planner/sites/<site_id>/wordpress", also=(404,))
def wordpress_connection(site_id: int) -> dict[str, Any]:
    return wordpress.connection_view(current_account(router), site_id)


@route(router, "DELETE", "/v1/planner/sites/<site_id>/wordpress", also=(404,))
def disconnect_wordpress(site_id: int) -> dict[str, Any]:
    return wordpress.disconnect(current_account(router), site_id)


@route(router, "POST", "/v1/writer/content/<task_id>/publish", status=200, also=(201, 404, 409, 502))
def publish(task_id: int) -> Any:
    result = wordpress.publish(current_account(router), task_id)
    return json_response(201 if result["created"] else 200, result)


@route(router, "GET", "/v1/planner/clusters/<cluster_id>/links")
def cluster_links(cluster_id: int) -> dict[str, Any]:
    """The cluster's articles, their URLs and the internal links among them."""
    return cluster_link_map(current_account(router), cluster_id)
