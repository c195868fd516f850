"""``python -m standins``: run the Gmail, Notion and Slack stand-ins until Ctrl-C and say how to use them."""

from __future__ import annotations

import secrets
import threading

from standins import GmailStandIn, NotionStandIn, SlackStandIn


def main() -> None:
    client_id, client_secret = "standin-client.apps.googleusercontent.com", secrets.token_urlsafe(16)
    refresh_token, notion_token = (
        "1//standin-" + secrets.token_urlsafe(16),
        "ntn_" + secrets.token_urlsafe(24),
    )
    gmail = GmailStandIn(client_id=client_id, client_secret=client_secret, refresh_token=refresh_token)
    notion = NotionStandIn(token=notion_token)
    slack = SlackStandIn()
    for standin in (gmail, notion, slack):
        standin.start()
    print(
        "Stand-ins are running. In another shell, from examples/connectors-demo:\n\n"
        f"  export GMAIL_CLIENT_ID={client_id} GMAIL_CLIENT_SECRET={client_secret}\n"
        f"  export GMAIL_REFRESH_TOKEN={refresh_token}\n"
        f"  export NOTION_TOKEN={notion_token}\n"
        f"  export SLACK_WEBHOOK_URL={slack.webhook_url}\n"
        "  mcpgen dev . \\\n"
        f"    --set services.gmail.endpoint={gmail.url}/ \\\n"
        f"    --set services.gmail.extras.token_url={gmail.url}/token \\\n"
        f"    --set services.notion.endpoint={notion.url}\n\n"
        f"The Notion 'Tasks' database id is {notion.tasks_id}. Ctrl-C stops the stand-ins."
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for standin in (gmail, notion, slack):
            standin.stop()


if __name__ == "__main__":
    main()
