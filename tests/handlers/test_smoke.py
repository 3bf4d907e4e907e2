from tests.support.slack import SlackDriver


def test_file_claim_resolve(slack: SlackDriver) -> None:
    response = slack.command("/escalate", "Login fails after password reset")
    assert response.status == 200
    view = slack.last_view()
    response = slack.submit(
        view,
        {"end_user_id": "u-1001", "product": "album", "category": "login", "priority": "P2"},
        user="U0CS",
    )
    assert response.status == 200, response.body
    [card] = slack.channel("C0ESCALATE")
    assert "ESC-1" in card.blocks[0]["text"]["text"]
    print(card.blocks)
    print(slack.standin.thread("C0ESCALATE", card.ts))
