"""``igny8 wordpress SITE_ID URL USER``: connect a site to WordPress; ``igny8 publish TASK_ID...``:
send articles there as draft posts (a second publish updates the same post)."""

from __future__ import annotations

import click

from igny8_cli.target import Target


@click.command("wordpress", short_help="Connect a site to its WordPress (application password).")
@click.argument("site_id", type=click.IntRange(min=1), metavar="SITE_ID")
@click.argument("url", metavar="URL")
@click.argument("username", metavar="USER")
@click.option(
    "--password",
    envvar="IGNY8_WP_PASSWORD",
    prompt="Application password",
    hide_input=True,
    help="The WordPress application password (Users > Profile); also IGNY8_WP_PASSWORD. Asked if not given.",
)
@click.pass_obj
def wordpress_command(target: Target, site_id: int, url: str, username: str, password: str) -> None:
    """Connect SITE_ID to the WordPress at URL as USER. The password is checked against WordPress
    and kept in Secrets Manager; it is never shown again."""
    with target.connect(needs_saved_data=True) as api:
        body = {"url": url, "username": username, "application_password": password}
        connection = api.call("PUT", f"/v1/planner/sites/{site_id}/wordpress", body)
    click.echo(f"site {site_id} publishes to {connection['url']} as {connection['username']}")


@click.command("publish", short_help="Publish articles to their site's WordPress as draft posts.")
@click.argument("task_ids", nargs=-1, required=True, type=click.IntRange(min=1), metavar="TASK_ID...")
@click.pass_obj
def publish_command(target: Target, task_ids: tuple[int, ...]) -> None:
    """Publish the articles of TASK_ID... (writer task ids) to their site's WordPress as drafts,
    with their categories and tags; publishing one again updates its post."""
    with target.connect(needs_saved_data=True) as api:
        for task_id in dict.fromkeys(task_ids):
            post = api.call("POST", f"/v1/writer/content/{task_id}/publish")
            verb = "created" if post["created"] else "updated"
            click.echo(f"task {task_id}: post {post['post_id']} {verb} ({post['status']}) {post['link']}")
