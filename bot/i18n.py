"""The message catalog: every user-facing sentence, in English and Japanese.

Parameters are substituted with `str.format`; callers pass user text already escaped for mrkdwn
(see `bot.mrkdwn`), so the catalog never decides what is safe.
"""

from __future__ import annotations

import string
from typing import Any

LANGUAGES = ("en", "ja")

# key: (English, Japanese)
CATALOG: dict[str, tuple[str, str]] = {
    # -- statuses and labels -------------------------------------------------------------------
    "status.open": ("Open", "担当者待ち"),
    "status.assigned": ("Assigned", "割り当て済み"),
    "status.investigating": ("Investigating", "調査中"),
    "status.waiting": ("Waiting on CS", "CS回答待ち"),
    "status.resolved": ("Resolved", "解決済み"),
    # The status inside a sentence ("ESC-4 is waiting on CS; …").
    "status.phrase.open": ("open", "担当者待ち"),
    "status.phrase.assigned": ("assigned", "割り当て済み"),
    "status.phrase.investigating": ("being investigated", "調査中"),
    "status.phrase.waiting": ("waiting on CS", "CS回答待ち"),
    "status.phrase.resolved": ("resolved", "解決済み"),
    "label.user": ("End user", "ユーザー"),
    "label.product": ("Product", "プロダクト"),
    "label.category": ("Category", "カテゴリ"),
    "label.priority": ("Priority", "優先度"),
    "label.status": ("Status", "ステータス"),
    "label.assignee": ("Assignee", "担当者"),
    "label.filed_by": ("Filed by", "起票者"),
    "label.zendesk": ("Zendesk", "Zendesk"),
    "label.slo": ("SLO", "SLO"),
    "label.details": ("Details", "詳細"),
    "label.cause": ("Cause", "原因"),
    "label.note": ("Note", "メモ"),
    "label.answer": ("Answer for CS", "CSへの回答"),
    "label.source": ("From a message", "元のメッセージ"),
    "label.unassigned": ("Unassigned", "未定"),
    "label.none": ("—", "—"),
    "label.timeline": ("Timeline", "経緯"),
    # -- buttons ----------------------------------------------------------------------------------
    "button.claim": ("Claim", "担当する"),
    "button.reassign": ("Reassign…", "担当を変更…"),
    "button.acknowledge": ("Acknowledge", "着手する"),
    "button.wait": ("Waiting on CS", "CS回答待ちにする"),
    "button.resume": ("Resume", "再開する"),
    "button.resolve": ("Resolve", "解決する"),
    "button.reopen": ("Reopen", "再オープン"),
    "button.escalate": ("File an escalation", "エスカレーションを起票"),
    "button.open_thread": ("Open thread", "スレッドを開く"),
    # -- the escalation modal ---------------------------------------------------------------------
    "modal.escalate.title": ("Escalate to CRE", "CREへエスカレーション"),
    "modal.escalate.submit": ("File", "起票する"),
    "modal.cancel": ("Cancel", "キャンセル"),
    "modal.escalate.end_user": ("End user id or email", "ユーザーID またはメールアドレス"),
    "modal.escalate.end_user.hint": (
        "The user's id in the product (e.g. u-1001) or their email.",
        "プロダクト上のユーザーID(例: u-1001)またはメールアドレス",
    ),
    "modal.escalate.summary": ("Summary", "概要"),
    "modal.escalate.summary.placeholder": (
        "One line: what is wrong for the user",
        "ユーザーに何が起きているかを一行で",
    ),
    "modal.escalate.details": ("Details", "詳細"),
    "modal.escalate.details.placeholder": (
        "What the user reported, what CS already tried, screenshots' links…",
        "ユーザーからの報告内容、CSで確認済みのこと、スクリーンショットのリンクなど",
    ),
    "modal.escalate.zendesk": ("Zendesk ticket", "Zendesk チケット"),
    "modal.escalate.source": ("From this message", "このメッセージから"),
    "modal.escalate.zendesk.placeholder": (
        "12345 or the ticket's URL",
        "12345 またはチケットのURL",
    ),
    "modal.choose": ("Choose…", "選択してください"),
    "modal.wait.title": ("Waiting on CS", "CS回答待ち"),
    "modal.wait.submit": ("Wait on CS", "CS回答待ちにする"),
    "modal.wait.question": ("What do you need from CS?", "CSに確認したいこと"),
    "modal.wait.question.placeholder": (
        "e.g. Which app version is the user on?",
        "例: ユーザーのアプリのバージョンを教えてください",
    ),
    "modal.wait.question.hint": (
        "Written to Zendesk ticket {ticket} as an internal note. The SLO clock pauses until you resume.",
        "Zendesk チケット {ticket} に社内メモとして書き込みます。再開するまで SLO の計測は止まります。",
    ),
    "modal.resolve.title": ("Resolve {key}", "{key} を解決"),
    "modal.resolve.submit": ("Resolve", "解決する"),
    "modal.resolve.note.placeholder": (
        "Internal: what was wrong and what you did",
        "社内向け: 何が原因で、何をしたか",
    ),
    "modal.resolve.answer.placeholder": (
        "What CS can tell the user",
        "CSがユーザーに伝えられる内容",
    ),
    # -- field errors -----------------------------------------------------------------------------
    "field.required": ("This is required.", "入力してください。"),
    "field.control_character": (
        "This text contains an invisible control character ({code_point}) that cannot be saved; "
        "please remove it (retyping the text is the surest way).",
        "保存できない制御文字 ({code_point}) が含まれています。削除してください"
        "（入力し直すのが確実です）。",
    ),
    "field.choose_one": ("Choose one of the options.", "選択肢から選んでください。"),
    "field.too_long": (
        "At most {max} characters (this is {length}).",
        "{max}文字以内で入力してください(現在{length}文字)。",
    ),
    "field.end_user_invalid": (
        "Enter a user id (letters, digits, - _ . :) or an email address.",
        "ユーザーID(英数字と - _ . :)またはメールアドレスを入力してください。",
    ),
    "field.zendesk_invalid": (
        "Enter a ticket number (12345) or a Zendesk ticket URL.",
        "チケット番号(12345)または Zendesk チケットのURLを入力してください。",
    ),
    # -- timeline lines (thread replies) ----------------------------------------------------------
    "event.filed": ("{actor} filed {key}.", "{actor} さんが {key} を起票しました。"),
    "event.auto_assigned": (
        ":bust_in_silhouette: Assigned to {assignee} (fewest open escalations among those who cover this).",
        ":bust_in_silhouette: {assignee} さんに割り当てました(この分野を担当するCREメンバーのうち、対応中の件数がいちばん少ない方です)。",
    ),
    "event.unassigned.manual": (
        ":raised_hand: In the queue: any engineer can press *Claim*.",
        ":raised_hand: 担当者待ちです。対応できるCREメンバーは *担当する* を押してください。",
    ),
    "event.unassigned.nobody_available": (
        ":raised_hand: Nobody who covers this is available; it waits in the queue for *Claim*.",
        ":raised_hand: いま対応できるCREメンバーがいないため、担当者待ちです。対応できる方は *担当する* を押してください。",
    ),
    "event.claimed": ("{actor} claimed this.", "{actor} さんが担当になりました。"),
    "event.relabeled": (
        "{actor} changed {what}: {old} → {new}.",
        "{actor} さんが{what}を変更しました: {old} → {new}",
    ),
    "event.relabeled.both": (
        "{actor} changed product: {product_old} → {product_new};"
        " category: {category_old} → {category_new}.",
        "{actor} さんがプロダクトとカテゴリを変更しました:"
        " プロダクト {product_old} → {product_new}、カテゴリ {category_old} → {category_new}",
    ),
    "event.relabeled.confirmed": (
        "{actor} confirmed the suggested {what}.",
        "{actor} さんが候補の{what}を確定しました。",
    ),
    "relabel.field.product": ("product", "プロダクト"),
    "relabel.field.category": ("category", "カテゴリ"),
    "relabel.field.both": ("product and category", "プロダクトとカテゴリ"),
    "event.reassigned": (
        "{actor} reassigned this to {to}.",
        "{actor} さんが担当者を {to} さんに変更しました。",
    ),
    "event.acknowledge": (
        ":mag: {actor} is investigating.",
        ":mag: {actor} さんが調査を始めました。",
    ),
    "event.wait": (
        ":hourglass_flowing_sand: {actor} is waiting on CS / the user. The SLO clock is paused.",
        ":hourglass_flowing_sand: {actor} さんが CS回答待ちにしました(CS・ユーザーからの回答を待っています)。その間、SLO の計測は止まります。",
    ),
    "event.wait.question": ("*Question for CS:*", "*CSへの質問:*"),
    "event.resume": (
        ":arrow_forward: {actor} resumed the investigation.",
        ":arrow_forward: {actor} さんが調査を再開しました。",
    ),
    "event.resolved": (
        ":white_check_mark: {filer} {key} was resolved by {actor} (cause: {cause}).\n*Answer for CS:*\n{answer}",
        ":white_check_mark: {filer} さん、{actor} さんが {key} を解決しました(原因: {cause})。\n*CSへの回答:*\n{answer}",
    ),
    "event.reopened": (
        ":leftwards_arrow_with_hook: {actor} reopened this.",
        ":leftwards_arrow_with_hook: {actor} さんが再オープンしました。",
    ),
    "event.handed_back": (
        ":leftwards_arrow_with_hook: {actor} handed this back to the queue.",
        ":leftwards_arrow_with_hook: {actor} さんが担当を外れ、担当者待ちに戻しました。",
    ),
    "event.generic": ("{actor}: {kind}", "{actor} さん: {kind}"),
    "actor.system": ("cre-bot", "cre-bot"),
    # -- errors -----------------------------------------------------------------------------------
    "error.generic": (
        "Sorry, something went wrong. Nothing was changed; please try again.",
        "エラーが発生しました。変更は行われていません。もう一度お試しください。",
    ),
    "error.after_commit": (
        "Your change was saved, but updating Slack about it failed; the messages catch up "
        "automatically, so there is no need to do it again.",
        "変更は保存しましたが、Slack への反映に失敗しました。メッセージは自動で更新されるため、やり直す必要はありません。",
    ),
    "error.commit_unknown": (
        "The database stopped answering while saving this, so it may or may not have been saved. "
        "Please check before trying again.",
        "保存中にデータベースが応答しなくなったため、保存できたかどうか分かりません。やり直す前に確認してください。",
    ),
    "error.database_unavailable": (
        "cre-bot's database is not answering right now, so nothing was changed. "
        "Please try again in a few minutes.",
        "cre-bot のデータベースが応答していないため、変更は行われていません。"
        "数分後にもう一度お試しください。",
    ),
    "error.database_submit_again": (
        "cre-bot's database did not answer in time, so this is not filed yet. Submit again in a "
        "minute: it will be filed once, whatever happened.",
        "cre-bot のデータベースが時間内に応答しなかったため、まだ登録されていません。"
        "1分ほどしてからもう一度送信してください（何度送信しても登録は1件です）。",
    ),
    "error.busy": (
        "{key} is being changed by someone else right now; please try again.",
        "{key} は他の人が変更中です。もう一度お試しください。",
    ),
    "error.not_found": (
        "There is no escalation {key}.",
        "{key} というエスカレーションはありません。",
    ),
    "error.key_missing": (
        "Which escalation? Give its key, e.g. `/cre show ESC-42`.",
        "どのエスカレーションですか? キーを指定してください(例: `/cre show ESC-42`)。",
    ),
    "error.bad_key": (
        "“{key}” is not an escalation key; use one like ESC-42.",
        "「{key}」はエスカレーション番号ではありません。ESC-42 のように指定してください。",
    ),
    "error.not_allowed": ("You can't do that.", "この操作は行えません。"),
    "error.not_allowed.zendesk_retry": (
        "Only the lead can retry writing to Zendesk.",
        "Zendesk への書き込みを再試行できるのはリーダーだけです。",
    ),
    "error.not_allowed.claim": (
        "Only roster engineers can claim escalations.",
        "エスカレーションを担当できるのはCREメンバーだけです。",
    ),
    "error.not_allowed.reassign": (
        "Only the assignee, the lead or the filer can reassign {key}.",
        "{key} の担当者を変更できるのは、担当者・リーダー・起票者だけです。",
    ),
    "error.not_allowed.acknowledge": (
        "Only the assignee or the lead can acknowledge {key}.",
        "{key} に着手できるのは担当者かリーダーだけです。",
    ),
    "error.not_allowed.wait": (
        "Only the assignee or the lead can set {key} to waiting.",
        "{key} をCS回答待ちにできるのは担当者かリーダーだけです。",
    ),
    "error.not_allowed.resume": (
        "Only the assignee or the lead can resume {key}.",
        "{key} を再開できるのは担当者かリーダーだけです。",
    ),
    "error.not_allowed.relabel": (
        "Only someone who can change the status of {key} can change its product or category.",
        "{key} のプロダクトとカテゴリを変更できるのは、ステータスを変更できる人だけです。",
    ),
    "error.not_allowed.resolve": (
        "Only the assignee or the lead can resolve {key}.",
        "{key} を解決できるのは担当者かリーダーだけです。",
    ),
    "error.not_allowed.reopen": (
        "Only the assignee, the lead or the filer can reopen {key}.",
        "{key} を再オープンできるのは担当者・リーダー・起票者だけです。",
    ),
    "error.not_allowed.hand_back": (
        "Only the assignee or the lead can hand {key} back.",
        "{key} の担当を外せるのは担当者かリーダーだけです。",
    ),
    "error.not_allowed.still_on_it": (
        "Only the assignee or the lead can answer reminders for {key}.",
        "{key} のリマインドに応答できるのは担当者かリーダーだけです。",
    ),
    "error.not_allowed.snooze": (
        "Only the assignee or the lead can snooze {key}.",
        "{key} をスヌーズできるのは担当者かリーダーだけです。",
    ),
    "error.transition.still_on_it": (
        "{key} is {status}; there is nothing to remind about.",
        "{key} は「{status}」のためリマインドの対象外です。",
    ),
    "error.transition.snooze": (
        "{key} is {status}; there is nothing to snooze.",
        "{key} は「{status}」のためスヌーズできません。",
    ),
    "error.already_resolved": (
        "{key} was already resolved by {user}; your answer was not sent. Reopen it to add to it.",
        "{key} はすでに {user} さんが解決したため、あなたの回答は送信されていません。追記するには再オープンしてください。",
    ),
    "error.already_claimed": (
        "{key} was already claimed by {user}.",
        "{key} はすでに {user} さんが担当しています。",
    ),
    "error.transition.claim": (
        "{key} is {status}; it can't be claimed now.",
        "{key} は「{status}」のため担当できません。",
    ),
    "error.transition.reassign": (
        "{key} is {status}; it can't be reassigned.",
        "{key} は「{status}」のため担当者を変更できません。",
    ),
    "error.transition.acknowledge": (
        "{key} is {status}; only an assigned escalation can be acknowledged.",
        "{key} は「{status}」です。着手できるのは割り当て済みのものだけです。",
    ),
    "error.transition.wait": (
        "{key} is {status}; it can't wait on CS now.",
        "{key} は「{status}」のためCS回答待ちにできません。",
    ),
    "error.transition.resume": (
        "{key} is {status}; only a waiting escalation can be resumed.",
        "{key} は「{status}」です。再開できるのはCS回答待ちのものだけです。",
    ),
    "error.transition.resolve": ("{key} is already {status}.", "{key} はすでに「{status}」です。"),
    "error.transition.reopen": (
        "{key} is {status}; only a resolved escalation can be reopened.",
        "{key} は「{status}」です。再オープンできるのは解決済みのものだけです。",
    ),
    "error.transition.hand_back": (
        "{key} is {status}; there is nobody to take it from.",
        "{key} は「{status}」のため担当を外せません。",
    ),
    "error.not_on_roster": (
        "Only engineers on the roster can do that.",
        "この操作はCREメンバーだけが行えます。",
    ),
    "error.assignee_not_on_roster": (
        "{user} is not on the roster; choose a roster engineer.",
        "{user} さんはCREメンバーではありません。CREメンバーから選んでください。",
    ),
    "error.away_in_past": ("{date} is in the past.", "{date} は過去の日付です。"),
    "error.away_too_far": (
        "{date} is too far ahead: give a date up to {latest} (two years from today).",
        "{date} は先すぎます。{latest} までの日付を指定してください（今日から2年以内）。",
    ),
    "error.bad_date": (
        "“{text}” is not a date; use 2026-12-24 or 12/24.",
        "「{text}」は日付ではありません。2026-12-24 や 12/24 の形式で指定してください。",
    ),
    "error.invalid_input": ("Please check the highlighted fields.", "入力内容を確認してください。"),
    "error.unknown_action": (
        "That button is no longer supported. Please use the latest message.",
        "このボタンは使えなくなりました。最新のメッセージから操作してください。",
    ),
    "error.bad_payload": (
        "cre-bot could not read that request. Nothing was changed.",
        "リクエストを読み取れませんでした。変更は行われていません。",
    ),
    "error.unknown_command": (
        "I don't know `{command}`. Try `/cre help`.",
        "`{command}` というコマンドはありません。`/cre help` をご覧ください。",
    ),
    # -- replies ------------------------------------------------------------------------------------
    "reply.away": (
        ":palm_tree: You are away{until}. New escalations skip you until you say `/cre back`.",
        ":palm_tree: 不在に設定しました{until}。`/cre back` を実行するまで、新しいエスカレーションは割り当てられません。",
    ),
    "reply.away_until": (" through {date}", "({date} まで)"),
    "reply.back": (
        ":wave: Welcome back: new escalations can be assigned to you again.",
        ":wave: おかえりなさい。新しいエスカレーションが割り当てられるようになりました。",
    ),
    "reply.mine.empty": (
        "You have no open escalations. :tada:",
        "担当しているエスカレーションはありません。:tada:",
    ),
    "reply.mine.title": ("Your escalations ({count})", "あなたの担当({count}件)"),
    "reply.queue.title": ("Queue", "担当者待ちと対応中"),
    "reply.busy": (
        "crebot is busy right now. Please try again in a moment.",
        "ただいま混み合っています。少し時間をおいてから、もう一度お試しください。",
    ),
    "reply.working_on_it": (
        "Working on it… crebot is busy, so this may take a little longer than usual.",
        "処理中です… 混み合っているため、いつもより少し時間がかかる場合があります。",
    ),
    "reply.queue.unassigned": ("Unassigned ({count})", "担当者待ち({count}件)"),
    "reply.queue.in_progress": ("In progress ({count})", "対応中({count}件)"),
    "reply.queue.empty": ("Nothing here.", "ありません。"),
    "reply.more": ("…and {count} more.", "…ほか{count}件"),
    "home.title": ("cre-bot", "cre-bot"),
    "home.mine": ("Your escalations", "あなたの担当"),
    "home.queue": ("Open queue", "担当者待ち"),
    "home.in_progress": ("Everything in progress", "対応中のエスカレーション"),
    "home.in_progress.others": (
        "In progress with others ({count})",
        "ほかのメンバーが対応中({count}件)",
    ),
    "home.mine.empty_lead": (
        "Nothing is assigned to you.",
        "あなたが担当しているエスカレーションはありません。",
    ),
    "home.team": (
        "*Team now:* :rotating_light: {breached} breached · :warning: {at_risk} at risk · "
        ":raised_hand: {unclaimed} waiting for an assignee",
        "*チームの状況:* :rotating_light: SLO超過 {breached}件 · :warning: 期限間近 {at_risk}件 · "
        ":raised_hand: 担当者待ち {unclaimed}件",
    ),
    "home.team.calm": (
        "*Team now:* :white_check_mark: nothing is breached or at risk, and nothing waits for an assignee.",
        "*チームの状況:* :white_check_mark: SLO超過・期限間近・担当者待ちのエスカレーションはありません。",
    ),
    "home.away": (
        ":palm_tree: You are marked away{until}.",
        ":palm_tree: 不在に設定中です{until}。",
    ),
    "home.intro": (
        "Escalations from CS to engineers, measured in business time.",
        "CSからエンジニアへのエスカレーションを、営業時間ベースで計測・管理します。",
    ),
    "help.text": (
        "*cre-bot* — escalations from CS to engineers.\n"
        "• `/escalate [summary]` — file an escalation (or use the message shortcut *Escalate to CRE*)\n"
        "• `/cre mine` — your open escalations\n"
        "• `/cre queue` — the unassigned queue and everything in progress\n"
        "• `/cre show ESC-42` — one escalation with its timeline\n"
        "• `/cre similar &lt;text | ESC-42&gt;` — past escalations like it, with their causes and answers\n"
        "• `/cre away [until 2026-12-24]` / `/cre back` — availability for assignment\n"
        "• `/cre report [2026-10]` — a month's digest: figures and slow closes (default: last month)\n"
        "• `/lookup &lt;user id | email&gt;` — the end user's state and escalation history (audited)\n"
        "• `/cre audit [@person | user id] [since 2026-11-01]` — the look-up audit log (lead only)\n"
        "• `/cre help` — this help",
        "*cre-bot* — CSからエンジニアへのエスカレーション\n"
        "• `/escalate [概要]` — エスカレーションを起票(メッセージショートカット *Escalate to CRE* も使えます)\n"
        "• `/cre mine` — 自分の担当\n"
        "• `/cre queue` — 担当者待ちと対応中の一覧\n"
        "• `/cre show ESC-42` — エスカレーションの詳細と経緯\n"
        "• `/cre similar &lt;本文 | ESC-42&gt;` — 似ている過去のエスカレーションと、その原因・回答\n"
        "• `/cre away [until 2026-12-24]` / `/cre back` — 割り当ての不在設定\n"
        "• `/cre report [2026-10]` — 月次レポート: 集計と、解決に時間がかかったもの(省略すると先月)\n"
        "• `/lookup &lt;ユーザーID | メールアドレス&gt;` — ユーザーの状態とエスカレーション履歴(監査ログに記録)\n"
        "• `/cre audit [@名前 | ユーザーID] [since 2026-11-01]` — 照会の監査ログ(リーダーのみ)\n"
        "• `/cre help` — このヘルプ",
    ),
    # -- /lookup and the end user's chart ----------------------------------------------------------
    "lookup.usage": (
        "Usage: `/lookup &lt;user id | email&gt;`, e.g. `/lookup u-1001` or `/lookup taro@example.com`.",
        "使い方: `/lookup &lt;ユーザーID | メールアドレス&gt;` 例: `/lookup u-1001`、`/lookup taro@example.com`",
    ),
    "lookup.invalid.empty": (
        "Give the end user's id or email address.",
        "ユーザーIDかメールアドレスを指定してください。",
    ),
    "lookup.invalid.too_long": (
        "That is too long for a user id or an email address.",
        "ユーザーIDやメールアドレスとしては長すぎます。",
    ),
    "lookup.invalid.forbidden_characters": (
        "User ids and emails must not contain spaces, `/`, `..`, `?`, `#`, `%` or `\\`.",
        "ユーザーIDとメールアドレスには空白、`/`、`..`、`?`、`#`、`%`、`\\` を使えません。",
    ),
    "lookup.invalid.invalid_email": (
        "That is not a valid email address.",
        "メールアドレスの形式が正しくありません。",
    ),
    "lookup.invalid.invalid_user_id": (
        "User ids may contain letters, digits, `-`, `_`, `.` and `:` (not a Slack mention).",
        "ユーザーIDに使えるのは英数字と `-` `_` `.` `:` です(Slackのメンションは使えません)。",
    ),
    "error.lookup.not_allowed": (
        "You are not allowed to look up end users; ask the lead for access. This attempt was recorded.",
        "ユーザー照会の権限がありません。リーダーに依頼してください。この操作は監査ログに記録しました。",
    ),
    "error.lookup.reveal_lead_only": (
        "Only the lead can reveal personal data. This attempt was recorded.",
        "個人情報を表示できるのはリーダーだけです。この操作は監査ログに記録しました。",
    ),
    "error.lookup.audit_lead_only": (
        "Only the lead can read the look-up audit.",
        "照会の監査ログを見られるのはリーダーだけです。",
    ),
    "lookup.fallback": ("Look-up of {user}", "{user} の照会結果"),
    "lookup.title": (
        ":bust_in_silhouette: End user {user}",
        ":bust_in_silhouette: ユーザー {user}",
    ),
    "lookup.unknown": (
        ":grey_question: {user} is not a known user in the {source}. Any history under this id is shown below.",
        ":grey_question: {user} は{source}に見つかりませんでした。このIDの履歴があれば下に表示します。",
    ),
    "lookup.source.directory": ("user directory", "ユーザーディレクトリ"),
    "lookup.source.http": ("admin API", "管理API"),
    "lookup.problem.timeout": (
        ":warning: The user's state is unavailable: the admin API did not answer in time. The chart is below.",
        ":warning: ユーザーの状態を取得できません(管理APIがタイムアウトしました)。カルテは下に表示します。",
    ),
    "lookup.problem.error": (
        ":warning: The user's state is unavailable: the {source} failed. The chart is below.",
        ":warning: ユーザーの状態を取得できません({source}でエラーが発生しました)。カルテは下に表示します。",
    ),
    "lookup.problem.circuit_open": (
        ":warning: The user's state is unavailable: the admin API keeps failing, so it is not being called for a while. The chart is below.",
        ":warning: ユーザーの状態を取得できません(管理APIの障害が続いているため、しばらく呼び出しを止めています)。カルテは下に表示します。",
    ),
    "lookup.problem.bad_response": (
        ":warning: The user's state is unavailable: the admin API's answer could not be read. The chart is below.",
        ":warning: ユーザーの状態を取得できません(管理APIの応答を読み取れませんでした)。カルテは下に表示します。",
    ),
    "lookup.problem.not_configured": (
        ":warning: The user's state is unavailable: the source is not set up (see `[lookup]` in the policy). The chart is below.",
        ":warning: ユーザーの状態を取得できません(ポリシーの `[lookup]` が未設定です)。カルテは下に表示します。",
    ),
    "lookup.masked": (
        ":lock: Personal data is masked.",
        ":lock: 個人情報はマスクしています。",
    ),
    "lookup.revealed": (
        ":unlock: Personal data is shown for this look-up only; the reveal was recorded.",
        ":unlock: この照会に限り個人情報を表示しています(監査ログに記録しました)。",
    ),
    "lookup.chart.title": ("*Chart*", "*カルテ*"),
    "lookup.chart.empty": (
        "No escalations or notes for this user yet.",
        "このユーザーのエスカレーションとメモはまだありません。",
    ),
    "lookup.chart.open": ("*Open ({count})*", "*対応中({count}件)*"),
    "lookup.chart.resolved": (
        "*Resolved: the last {shown} of {count}*",
        "*解決済み: 全{count}件中 直近{shown}件*",
    ),
    "lookup.chart.notes": (
        "*Notes: the last {shown} of {count}*",
        "*メモ: 全{count}件中 直近{shown}件*",
    ),
    "lookup.chart.filed": ("filed {date}", "起票 {date}"),
    "lookup.chart.resolved_on": (
        "resolved {date} · cause: {cause}",
        "解決 {date} · 原因: {cause}",
    ),
    "lookup.chart.more_open": ("…and {count} more open.", "…ほか対応中{count}件"),
    "lookup.button.escalate": ("Escalate for this user", "このユーザーでエスカレーション"),
    "lookup.button.add_note": ("Add note", "メモを追加"),
    "lookup.button.reveal": ("Reveal personal data", "個人情報を表示"),
    "lookup.reveal.title": ("Reveal personal data?", "個人情報を表示しますか?"),
    "lookup.reveal.text": (
        "The unmasked values are shown to you only, for this look-up, and the reveal is recorded in the audit.",
        "この照会に限りマスクなしの値をあなたにだけ表示し、監査ログに記録します。",
    ),
    "lookup.reveal.confirm": ("Reveal", "表示する"),
    "lookup.note.title": ("Add a note", "メモを追加"),
    "lookup.note.submit": ("Save", "保存"),
    "lookup.note.label": ("Note on the chart of {user}", "{user} のカルテへのメモ"),
    "lookup.note.placeholder": (
        "What the next person should know about this user",
        "次に対応する人が知っておくべきこと",
    ),
    "lookup.note.hint": (
        "Everyone who may look this user up will see it. No passwords or card numbers.",
        "このユーザーを照会できる全員に表示されます。パスワードやカード番号は書かないでください。",
    ),
    "lookup.note.saved": (
        ":memo: Note saved to the chart of {user}:",
        ":memo: {user} のカルテにメモを保存しました:",
    ),
    "history.earlier": (
        ":card_index: {count} earlier escalations for this user · last cause: {cause}",
        ":card_index: このユーザーの過去のエスカレーション: {count}件 · 前回の原因: {cause}",
    ),
    "history.earlier_one": (
        ":card_index: 1 earlier escalation for this user · last cause: {cause}",
        ":card_index: このユーザーの過去のエスカレーション: 1件 · 前回の原因: {cause}",
    ),
    "history.earlier_open": (
        ":card_index: {count} earlier escalations for this user (none resolved yet)",
        ":card_index: このユーザーの過去のエスカレーション: {count}件(解決済みはまだありません)",
    ),
    "history.earlier_one_open": (
        ":card_index: 1 earlier escalation for this user (not resolved yet)",
        ":card_index: このユーザーの過去のエスカレーション: 1件(まだ解決していません)",
    ),
    "audit.title": ("*Look-up audit* · {count} shown", "*照会の監査ログ* · {count}件"),
    "audit.filter.subject": ("for {subject}", "対象: {subject}"),
    "audit.filter.since": ("since {date}", "{date} 以降"),
    "audit.empty": ("No look-ups recorded.", "照会の記録はありません。"),
    "audit.more": (
        "Older entries are not shown: narrow with `since DATE` or use `crebot audit export`.",
        "古い記録は省略しています。`since 日付` で絞り込むか `crebot audit export` を使ってください。",
    ),
    "audit.usage": (
        "Usage: `/cre audit [@person | user id | email] [since 2026-11-01]`",
        "使い方: `/cre audit [@メンバー | ユーザーID | メールアドレス] [since 2026-11-01]`",
    ),
    "audit.no_such_person": (
        "There is no one called @{name} in this workspace.",
        "@{name} というメンバーはこのワークスペースにいません。",
    ),
    "audit.ambiguous_person": (
        "{count} people are called @{name}. Pick the person from Slack's suggestions as you type"
        " @, so the command says who you mean.",
        "@{name} という名前のメンバーが{count}人います。@ を入力したときに表示される候補から"
        "選んで、どなたか指定してください。",
    ),
    "setup.not_in_channel": (
        ":warning: I could not post in {where}: I am not a member of it. Invite me by typing"
        " `/invite @cre-bot` in {where}.",
        ":warning: cre-bot が {where} に参加していないため、投稿できませんでした。{where} で"
        " `/invite @cre-bot` と入力して招待してください。",
    ),
    "setup.channel_not_found": (
        ":warning: I could not post in channel `{channel}`: Slack does not know it, or it is"
        " private and I am not in it. Check the channel id in the policy file, or invite me"
        " (`/invite @cre-bot`) if it is a private channel.",
        ":warning: チャンネル `{channel}` が見つからないため、投稿できませんでした。ポリシーファイルの"
        "チャンネルIDを確認してください。プライベートチャンネルの場合は、そのチャンネルで"
        " `/invite @cre-bot` と入力して招待してください。",
    ),
    "setup.is_archived": (
        ":warning: I could not post in {where}: it is archived. Unarchive it, or name another"
        " channel in the policy file.",
        ":warning: {where} はアーカイブされているため、投稿できませんでした。アーカイブを解除するか、"
        "ポリシーファイルで別のチャンネルを指定してください。",
    ),
    "setup.missing_scope": (
        ":warning: Slack refused `{method}` ({where}): the app lacks the scope {scopes}. Add it"
        " under *OAuth &amp; Permissions* if it is missing (manifest.yml lists every scope cre-bot"
        " needs), then reinstall the app (*Install App* → *Reinstall to Workspace*).",
        ":warning: アプリに権限 {scopes} がないため、Slack が `{method}`({where})を拒否しました。"
        "「OAuth &amp; Permissions」にこの権限がなければ追加し(必要な権限はすべて manifest.yml に"
        "あります)、「Install App」→「Reinstall to Workspace」でアプリを再インストールしてください。",
    ),
    "setup.restricted": (
        ":warning: A workspace setting stops me posting in {where} (`{error}`). Ask a Slack admin"
        " to let cre-bot post there, or name another channel in the policy file.",
        ":warning: ワークスペースの設定のため、{where} に投稿できませんでした(`{error}`)。"
        "Slack 管理者に cre-bot の投稿を許可してもらうか、ポリシーファイルで別のチャンネルを"
        "指定してください。",
    ),
    "setup.refused": (
        ":warning: Slack refused my post in {where} (`{error}`), and trying again will not help."
        " Check the app's installation and the policy file's channels.",
        ":warning: Slack が {where} への投稿を拒否しました(`{error}`)。再試行しても解決しないため、"
        "アプリのインストール状況とポリシーファイルのチャンネル設定を確認してください。",
    ),
    "setup.until_fixed": (
        "Posts Slack refuses this way are not retried. Once it is fixed, `crebot outbox retry`"
        " sends them.",
        "このように拒否された投稿は再試行しません。修正後に `crebot outbox retry` を実行すると、"
        "まとめて送信します。",
    ),
    "audit.fields": ("fields: {fields}", "表示項目: {fields}"),
    "audit.hash": ("query #{hash}", "照会 #{hash}"),
    "audit.outcome.shown": ("shown", "表示"),
    "audit.outcome.unknown": ("unknown user", "該当なし"),
    "audit.outcome.refused": (":no_entry: refused", ":no_entry: 拒否"),
    "audit.outcome.reveal_refused": (
        ":no_entry: reveal refused",
        ":no_entry: 個人情報の表示を拒否",
    ),
    "audit.outcome.note_refused": (
        ":no_entry: note refused",
        ":no_entry: メモの追加を拒否",
    ),
    "audit.outcome.invalid": ("invalid input", "入力不正"),
    "audit.outcome.source_error": (":warning: source failed", ":warning: 取得失敗"),
    "audit.outcome.revealed": (":unlock: revealed", ":unlock: 個人情報を表示"),
    "audit.outcome.error": (":x: failed (nothing shown)", ":x: 失敗(表示なし)"),
    "audit.since_too_early": (
        "“{text}” is too long ago: give a date from {earliest} up to today.",
        "「{text}」は古すぎます。{earliest} から今日までの日付を指定してください。",
    ),
    "audit.since_future": (
        "“{text}” is after today: the audit has nothing from the future. Give a day up to today, e.g. 2026-11-01 or 11/01.",
        "「{text}」は今日より後の日付です。監査ログに未来の記録はありません。今日までの日付を指定してください(例: 2026-11-01、11/01)。",
    ),
    # -- the monthly digest -----------------------------------------------------------------------
    "month.1": ("January", "1月"),
    "month.2": ("February", "2月"),
    "month.3": ("March", "3月"),
    "month.4": ("April", "4月"),
    "month.5": ("May", "5月"),
    "month.6": ("June", "6月"),
    "month.7": ("July", "7月"),
    "month.8": ("August", "8月"),
    "month.9": ("September", "9月"),
    "month.10": ("October", "10月"),
    "month.11": ("November", "11月"),
    "month.12": ("December", "12月"),
    "month.short.1": ("Jan", "1月"),
    "month.short.2": ("Feb", "2月"),
    "month.short.3": ("Mar", "3月"),
    "month.short.4": ("Apr", "4月"),
    "month.short.5": ("May", "5月"),
    "month.short.6": ("Jun", "6月"),
    "month.short.7": ("Jul", "7月"),
    "month.short.8": ("Aug", "8月"),
    "month.short.9": ("Sep", "9月"),
    "month.short.10": ("Oct", "10月"),
    "month.short.11": ("Nov", "11月"),
    "month.short.12": ("Dec", "12月"),
    "digest.month": ("{name} {year}", "{year}年{name}"),
    "digest.title": ("Escalation digest: {month}", "エスカレーション月次レポート: {month}"),
    "digest.title.so_far": (
        "Escalation digest: {month} (so far)",
        "エスカレーション月次レポート: {month}(途中経過)",
    ),
    "digest.text": (
        "Escalation digest for {month}: {filed} filed, {resolved} resolved, {slow} slow closes.",
        "{month}のエスカレーション月次レポート: 起票 {filed}件、解決 {resolved}件、解決に時間がかかったもの {slow}件",
    ),
    "digest.text.empty": (
        "Escalation digest for {month}: nothing was filed or resolved.",
        "{month}のエスカレーション月次レポート: 起票も解決もありませんでした。",
    ),
    "digest.empty": (
        "No escalations were filed or resolved in {month}.",
        "{month}に起票・解決されたエスカレーションはありません。",
    ),
    "digest.empty.so_far": (
        "No escalations have been filed or resolved in {month} so far.",
        "{month}に起票・解決されたエスカレーションは、まだありません。",
    ),
    "digest.filed": ("Filed", "起票"),
    "digest.resolved": ("Resolved", "解決"),
    "digest.open_at_end": ("Still open at month end", "月末時点で未解決"),
    "digest.open_now": ("Open now", "現在未解決"),
    "digest.breaches": ("SLO breaches", "SLO超過"),
    "digest.median": ("Median time to resolve", "解決時間の中央値"),
    "digest.p90": ("90% were resolved within", "9割が解決するまでの時間"),
    "digest.attainment": ("SLO attainment", "SLO達成率"),
    "digest.attainment_value": (
        "{within} of {measured} on target",
        "目標内 {within}/{measured}件",
    ),
    "digest.points": ("{change} pts", "{change}ポイント"),
    "digest.by_product": ("By product", "プロダクト別"),
    "digest.by_category": ("By category", "カテゴリ別"),
    "digest.by_cause": ("Resolved by cause", "原因別の解決件数"),
    "digest.share.filed": ("{count} filed", "起票 {count}件"),
    "digest.share.on_target": ("{within}/{measured} on target", "目標内 {within}/{measured}件"),
    "digest.share.none_resolved": ("none resolved", "解決なし"),
    "digest.business_time": (
        "Times are business time: working hours only, not counting time spent waiting on CS.",
        "時間は営業時間で数えています(CS回答待ちの時間は含みません)。",
    ),
    "digest.changes": (
        "In brackets: the change from {month}.",
        "括弧内は{month}からの増減です。",
    ),
    "digest.slow.title": ("Slow closes ({count})", "解決に時間がかかったもの({count}件)"),
    "digest.slow.intro": (
        "Resolved in {month} over their SLO target or over {slow_after}, slowest first.",
        "{month}に解決したもののうち、SLO目標または{slow_after}を超えたものです(時間がかかった順)。",
    ),
    "digest.slow.none": (
        ":tada: Every escalation resolved in {month} met its SLO target and took no more than {slow_after}.",
        ":tada: {month}に解決したエスカレーションは、すべてSLO目標内、かつ{slow_after}以内でした。",
    ),
    "digest.slow.none_plain": (
        "None of the {count} escalations resolved in {month} was slow.",
        "{month}に解決した{count}件のうち、時間がかかったものはありません。",
    ),
    "digest.slow.none_plain.one": (
        "The one escalation resolved in {month} was not slow.",
        "{month}に解決した1件は、時間がかかっていません。",
    ),
    "digest.slow.nothing_resolved": (
        "No escalations were resolved in {month}.",
        "{month}に解決したエスカレーションはありません。",
    ),
    "digest.slow.nothing_resolved.so_far": (
        "No escalations have been resolved in {month} yet.",
        "{month}に解決したエスカレーションは、まだありません。",
    ),
    "digest.slow.breached": (
        ":warning: {count} escalations breached their SLO target in {month}.",
        ":warning: {month}は{count}件がSLO目標を超過しました。",
    ),
    "digest.slow.breached.one": (
        ":warning: 1 escalation breached its SLO target in {month}.",
        ":warning: {month}は1件がSLO目標を超過しました。",
    ),
    "digest.slow.took": ("took {took} (target {target})", "解決まで {took}(目標 {target})"),
    "digest.slow.in_thread": (
        "…and {count} more in the thread.",
        "…ほか{count}件はスレッドに続きます。",
    ),
    "digest.slow.in_csv": (
        "…and {count} more: every escalation of the month is in the CSV in this thread.",
        "…ほか{count}件は、このスレッドのCSV(その月のすべてのエスカレーション)をご覧ください。",
    ),
    "digest.slow.page": (
        "Slow closes {first}–{last} of {total} ({month})",
        "解決に時間がかかったもの {first}–{last}件目 / 全{total}件({month})",
    ),
    "digest.prompt": (
        ":speech_balloon: Let's look back at {month}'s slow closes together: what caused them, and what could we fix at the root so they don't happen again? Reply in this thread.",
        ":speech_balloon: {month}に時間がかかったエスカレーションを一緒に振り返りましょう。原因は何だったか、再発を防ぐために根本から直せることは何か、このスレッドで話し合いましょう。",
    ),
    "digest.chart.comment": (
        "{month} at a glance: each resolved escalation against its SLO target, the weeks, and the trend over the last months.",
        "{month}の概要です。解決した各エスカレーションのSLO目標に対する時間、週ごとの件数、ここ数か月の推移を示しています。",
    ),
    "digest.csv.comment": (
        "Every escalation filed or resolved in {month} (CSV).",
        "{month}に起票または解決されたすべてのエスカレーション(CSV)",
    ),
    "digest.csv.key": ("Escalation", "エスカレーション"),
    "digest.csv.link": ("Link", "リンク"),
    "digest.csv.filed_at": ("Filed", "起票日時"),
    "digest.csv.resolved_at": ("Resolved", "解決日時"),
    "digest.csv.status": ("Status", "ステータス"),
    "digest.csv.priority": ("Priority", "優先度"),
    "digest.csv.product": ("Product", "プロダクト"),
    "digest.csv.category": ("Category", "カテゴリ"),
    "digest.csv.end_user": ("End user", "ユーザーID"),
    "digest.csv.zendesk": ("Zendesk ticket", "Zendesk チケット"),
    "digest.csv.assignee": ("Assignee", "担当者"),
    "digest.csv.business_hours": ("Business hours to resolve", "解決までの営業時間(時間)"),
    "digest.csv.target_hours": ("SLO target (business hours)", "SLO目標(営業時間)"),
    "digest.csv.on_target": ("On target", "目標内"),
    "digest.csv.cause": ("Cause", "原因"),
    "digest.csv.summary": ("Summary", "概要"),
    "digest.csv.yes": ("yes", "はい"),
    "digest.csv.no": ("no", "いいえ"),
    "digest.chart.headline": (
        "{month}: {percent}% resolved on target ({change} from {previous})",
        "{month}: SLO達成率 {percent}%({previous}から {change})",
    ),
    "digest.chart.headline.first": (
        "{month}: {percent}% resolved on target (none resolved in {previous} to compare)",
        "{month}: SLO達成率 {percent}%({previous}は解決がなく比較できません)",
    ),
    "digest.chart.headline.none": (
        "{month}: no escalations resolved",
        "{month}: 解決したエスカレーションはありません",
    ),
    "digest.chart.headline.empty": (
        "{month}: no escalations filed or resolved",
        "{month}: 起票・解決されたエスカレーションはありません",
    ),
    "digest.chart.subtitle": (
        "{resolved} resolved, {over} over target · {filed} filed",
        "解決 {resolved}件(うち目標超過 {over}件)・起票 {filed}件",
    ),
    "digest.chart.dots": (
        "Each resolved escalation: business time taken, as a share of its SLO target",
        "解決した各エスカレーション: SLO目標に対してかかった営業時間の割合",
    ),
    "digest.chart.share_axis": (
        "Business time taken, as % of the escalation's SLO target",
        "かかった営業時間(SLO目標に対する%)",
    ),
    "digest.chart.target_line": ("target", "目標"),
    "digest.chart.on_target": ("on target", "目標内"),
    "digest.chart.over_target": ("over target", "目標超過"),
    "digest.chart.row": (
        "{priority}\n{within}/{count} on target",
        "{priority}\n目標内 {within}/{count}件",
    ),
    "digest.chart.row.none": ("{priority}\nnone resolved", "{priority}\n解決なし"),
    "digest.chart.beyond": ("{count} beyond {limit}% ▸", "{limit}%超: {count}件 ▸"),
    "digest.chart.no_target": (
        "Not shown: {count} resolved without an SLO target.",
        "SLO目標のない {count}件は表示していません。",
    ),
    "digest.chart.none": (
        "No escalations were resolved in {month}",
        "{month}に解決したエスカレーションはありません",
    ),
    "digest.chart.weekly": ("Filed and resolved per week", "週ごとの起票・解決件数"),
    "digest.chart.weekly.none": (
        "Nothing filed or resolved",
        "起票・解決はありません",
    ),
    "digest.chart.count": ("Escalations", "件数"),
    "digest.chart.trend": ("The last {count} months", "過去{count}か月の推移"),
    "digest.chart.trend.none": ("No resolutions in these months", "この期間に解決はありません"),
    "digest.chart.resolved_on_target": ("Resolved on target", "解決(目標内)"),
    "digest.chart.resolved_over_target": ("Resolved over target", "解決(目標超過)"),
    "digest.chart.filed": ("Filed", "起票"),
    "digest.report.usage": (
        "Usage: `/cre report [YYYY-MM]`, e.g. `/cre report 2026-10` (without a month: last month).",
        "使い方: `/cre report [YYYY-MM]` 例: `/cre report 2026-10`(省略すると先月)",
    ),
    "digest.report.future": (
        "{month} has not begun yet. Usage: `/cre report [YYYY-MM]`.",
        "{month} はまだ始まっていません。使い方: `/cre report [YYYY-MM]`",
    ),
    # -- the SLO clock ----------------------------------------------------------------------------
    "slo.due": ("due {when} · {left} left", "期限 {when} · 残り{left}"),
    "slo.breached": ("breached {ago} ago", "{ago}前にSLO超過"),
    "slo.breached_at": ("breached {when}", "{when}にSLO超過"),
    "slo.no_time_left": (
        "due {when} · no business time left (breaches {at})",
        "期限 {when} · 残り営業時間なし({at}に超過)",
    ),
    "slo.card_breached": ("breached (it was due {when})", "SLO超過(期限 {when})"),
    "slo.paused": ("paused while waiting · {left} left", "CS回答待ちで停止中 · 残り{left}"),
    "slo.paused_breached": (
        "paused while waiting · over by {over}",
        "CS回答待ちで停止中 · {over}超過",
    ),
    "slo.resolved_within": ("resolved in {took} (target {target})", "{took}で解決(目標 {target})"),
    "slo.resolved_missed": (
        "resolved in {took} (target {target}, over by {over})",
        "{took}で解決(目標 {target}、{over}超過)",
    ),
    "slo.warning.outlook": ("due {when} ({left} left)", "期限は {when} です(残り{left})"),
    "slo.warning.outlook_breached": (
        "now breached (it was due {when})",
        "期限({when})を過ぎ、SLO超過になりました",
    ),
    "slo.breach": (
        ":rotating_light: {lead} {key} breached its SLO ({target}, {priority}). {who}\n&gt; {summary}",
        ":rotating_light: {lead} {key} が SLO({target}、{priority})を超過しました。{who}\n&gt; {summary}",
    ),
    "slo.breach.assigned": (
        "Assignee: {assignee} · {status}.",
        "担当者: {assignee} さん · {status}",
    ),
    "slo.breach.unassigned": ("Nobody has claimed it yet.", "まだ担当者がいません。"),
    # -- stale reminders --------------------------------------------------------------------------
    "remind.dm.text": (
        "{count} of your escalations need an update",
        "対応状況の更新が必要なエスカレーションが{count}件あります",
    ),
    "remind.dm.intro": (
        ":alarm_clock: These {count} escalations have had no activity for {idle} or more. Are you still on them?",
        ":alarm_clock: 次の{count}件は{idle}以上動きがありません。対応状況を教えてください。",
    ),
    "remind.dm.text.one": (
        "One of your escalations needs an update",
        "対応状況の更新が必要なエスカレーションが1件あります",
    ),
    "remind.dm.intro.one": (
        ":alarm_clock: This escalation has had no activity for {idle}. Are you still on it?",
        ":alarm_clock: 次の1件は{idle}動きがありません。対応状況を教えてください。",
    ),
    "remind.dm.more": (
        "…and {count} more: see `/cre mine`.",
        "…ほか{count}件は `/cre mine` で確認できます。",
    ),
    "remind.idle": ("quiet for {idle}", "{idle}動きなし"),
    "remind.age": ("open for {age}", "起票から{age}"),
    "remind.outcome.resolved": (
        ":white_check_mark: Resolved.",
        ":white_check_mark: 解決済みです。",
    ),
    "remind.outcome.handed_back": (
        ":leftwards_arrow_with_hook: Back in the queue (or reassigned).",
        ":leftwards_arrow_with_hook: 担当者待ちに戻りました(または担当者が変わりました)。",
    ),
    "remind.outcome.snoozed": (":zzz: Snoozed.", ":zzz: スヌーズしました。"),
    "remind.outcome.snoozed_until": (
        ":zzz: Snoozed until {day}: no reminders before then.",
        ":zzz: {day}までスヌーズしました。それまでリマインドは届きません。",
    ),
    "remind.outcome.active": (
        ":ok_hand: Noted: still on it.",
        ":ok_hand: 対応中として記録しました。",
    ),
    "remind.button.still_on_it": ("Still on it", "対応中です"),
    "remind.button.hand_back": ("Hand back", "担当を外す"),
    "remind.snooze.placeholder": ("Snooze…", "スヌーズ…"),
    "remind.snooze.until": ("Snooze until…", "この日までスヌーズ…"),
    "remind.snooze.days.1": ("1 working day", "1営業日"),
    "remind.snooze.days.3": ("3 working days", "3営業日"),
    "remind.hand_back.title": ("Hand it back?", "担当を外しますか?"),
    "remind.hand_back.text": (
        "{key} goes back to the queue for someone else to claim.",
        "{key} は担当者待ちに戻り、ほかのCREメンバーが担当できるようになります。",
    ),
    "remind.hand_back.confirm": ("Hand back", "外す"),
    "remind.lead.text": (
        "{count} escalations are not answering reminders",
        "リマインドに反応のないエスカレーションが{count}件あります",
    ),
    "remind.lead.text.one": (
        "An escalation is not answering reminders",
        "リマインドに反応のないエスカレーションが1件あります",
    ),
    "remind.unassigned.text": (
        "{count} escalations are waiting for someone to claim them",
        "担当者待ちのエスカレーションが{count}件あります",
    ),
    "remind.unassigned.intro": (
        ":raised_hand: {count} escalations have waited more than {after} for someone to *Claim* them:",
        ":raised_hand: 次の{count}件は{after}以上担当者待ちのままです。対応できる方は *担当する* を押してください:",
    ),
    "remind.unassigned.text.one": (
        "An escalation is waiting for someone to claim it",
        "担当者待ちのエスカレーションが1件あります",
    ),
    "remind.unassigned.intro.one": (
        ":raised_hand: This escalation has waited more than {after} for someone to *Claim* it:",
        ":raised_hand: 次の1件は{after}以上担当者待ちのままです。対応できる方は *担当する* を押してください:",
    ),
    "remind.unassigned.filed": ("filed {when}", "起票 {when}"),
    "error.snooze_in_past": (
        "Pick a date after today (not {date}).",
        "今日より後の日付を選んでください({date} は選べません)。",
    ),
    "error.snooze_too_far": ("Snooze for at most a year.", "スヌーズは1年以内にしてください。"),
    "event.still_on_it": ("{actor} is still on it.", "{actor} さん: 対応中です。"),
    "event.snoozed": (
        ":zzz: {actor} snoozed reminders.",
        ":zzz: {actor} さんがリマインドをスヌーズしました。",
    ),
    "event.noted": (
        ":memo: {actor} added a note to the user's chart.",
        ":memo: {actor} さんがユーザーのカルテにメモを追加しました。",
    ),
    "event.thread_reply": (
        "{actor} replied in the thread.",
        "{actor} さんがスレッドに返信しました。",
    ),
    "event.slo_warning": (
        ":warning: {percent}% of the SLO used.",
        ":warning: SLO の{percent}%を経過しました。",
    ),
    "event.slo_breach": (":rotating_light: SLO breached.", ":rotating_light: SLO を超過しました。"),
    "card.fallback": (
        "{key} [{priority}] {summary} — {status}",
        "{key} [{priority}] {summary} — {status}",
    ),
    "card.filed_on": ("{user} · {when}", "{user} · {when}"),
    # -- Zendesk: internal notes on the ticket (plain text), and what Slack shows of Zendesk -----
    "zendesk.note.queued": (
        "Escalated to CRE as {key} ({priority}, SLO due {due}). It is in the queue until an engineer claims it.",
        "{key} として CRE にエスカレーションしました({priority}、SLO 期限 {due})。CREメンバーが担当するまで、担当者待ちです。",
    ),
    "zendesk.note.assigned_at_filing": (
        "Escalated to CRE as {key} ({priority}, SLO due {due}). Assigned to {assignee}.",
        "{key} として CRE にエスカレーションしました({priority}、SLO 期限 {due})。担当は {assignee} さんです。",
    ),
    "zendesk.note.assigned": (
        "{key} is now with {assignee}.",
        "{key} の担当が {assignee} さんになりました。",
    ),
    "zendesk.note.waiting_on_cs": (
        "{key}: {actor} needs something from CS before going on. The SLO clock is paused until then.",
        "{key}: {actor} さんが CS からの回答を待っています。回答があるまで SLO の計測は止まります。",
    ),
    "zendesk.note.question": ("Question:", "質問:"),
    "zendesk.note.resolved": (
        "{key} was resolved by {actor}. Cause: {cause}.",
        "{key} は {actor} さんが解決しました。原因: {cause}",
    ),
    "zendesk.note.answer": ("Answer for CS:", "CSへの回答:"),
    "zendesk.note.reopened": (
        "{key} was reopened by {actor}: CRE is looking at it again.",
        "{key} は {actor} さんが再オープンしました。CRE で再度調査します。",
    ),
    "zendesk.note.slack": ("In Slack: {url}", "Slack: {url}"),
    "zendesk.someone": ("the CRE team", "CRE チーム"),
    "zendesk.filed_by": ("{name} (Zendesk)", "{name} (Zendesk)"),
    "zendesk.filed_notice": (
        ":inbox_tray: You escalated Zendesk ticket {ticket} to CRE: *{key}* · {summary} — {where}.",
        ":inbox_tray: Zendesk チケット {ticket} を CRE にエスカレーションしました: *{key}* · {summary} — {where}",
    ),
    "zendesk.filed_notice.channel": (
        ":inbox_tray: {filer} escalated Zendesk ticket {ticket} to CRE: *{key}* · {summary} — {where}.",
        ":inbox_tray: {filer} さんが Zendesk チケット {ticket} を CRE にエスカレーションしました: *{key}* · {summary} — {where}",
    ),
    "zendesk.filed_notice.assigned": ("assigned to {assignee}", "担当者: {assignee} さん"),
    "zendesk.filed_notice.queued": ("waiting for a claim", "担当者待ち"),
    "zendesk.unmapped": (
        ":warning: From Zendesk, not understood: {items}",
        ":warning: Zendesk から受け取った値のうち、解釈できなかったもの: {items}",
    ),
    "zendesk.unmapped.item": (
        "{what} “{value}” (filed as {used})",
        "{what}「{value}」({used} として起票)",
    ),
    "zendesk.unmapped.item_empty": (
        "{what} (none given; filed as {used})",
        "{what}(指定なし、{used} として起票)",
    ),
    "zendesk.unmapped.item_suggested": (
        "{what} “{value}” (filed as {used}, suggested by similar resolved escalations)",
        "{what}「{value}」(似た解決済みエスカレーションからの候補 {used} として起票)",
    ),
    "zendesk.unmapped.item_empty_suggested": (
        "{what} (none given; filed as {used}, suggested by similar resolved escalations)",
        "{what}(指定なし、似た解決済みエスカレーションからの候補 {used} として起票)",
    ),
    "zendesk.unmapped.item_changed": (
        "{what} “{value}” (filed as {used}, changed to {now})",
        "{what}「{value}」({used} として起票、{now} に変更済み)",
    ),
    "zendesk.unmapped.item_empty_changed": (
        "{what} (none given; filed as {used}, changed to {now})",
        "{what}(指定なし、{used} として起票、{now} に変更済み)",
    ),
    "zendesk.pending": (
        ":memo: Not yet on Zendesk ticket {ticket}: {items}.",
        ":memo: Zendesk チケット {ticket} にまだ書き込まれていないもの: {items}",
    ),
    "zendesk.pending.item": ("the {event} {kind}", "{event}の{kind}"),
    "zendesk.pending.item_failed": (
        "the {event} {kind} (gave up: {error})",
        "{event}の{kind}(断念: {error})",
    ),
    "zendesk.kind.note": ("note", "メモ"),
    "zendesk.kind.add_tags": ("tags", "タグ"),
    "zendesk.kind.remove_tags": ("tag removal", "タグ削除"),
    "zendesk.event.queued": ("escalation", "エスカレーション"),
    "zendesk.event.assigned": ("assignment", "担当"),
    "zendesk.event.waiting_on_cs": ("waiting-on-CS", "CS回答待ち"),
    "zendesk.event.resolved": ("resolution", "解決"),
    "zendesk.event.reopened": ("reopening", "再オープン"),
    "zendesk.gave_up": (
        ":warning: cre-bot could not write the {event} {kind} for {key} to Zendesk ticket {ticket} ({error}). "
        "It is kept as pending (`/cre show {key}`); *Try again* once Zendesk accepts it, or add it to the ticket by hand.",
        ":warning: {key} の{event}の{kind}を Zendesk チケット {ticket} に書き込めませんでした({error})。"
        "未書き込みとして残しています(`/cre show {key}`)。Zendesk 側で受け付けられる状態になったら *再試行* を押すか、チケットに手で追記してください。",
    ),
    "zendesk.retry": ("Try again", "再試行"),
    "zendesk.retried": (
        ":repeat: The {event} {kind} for {key} will be written to Zendesk again.",
        ":repeat: {key} の{event}の{kind}を Zendesk にもう一度書き込みます。",
    ),
    "zendesk.nothing_to_retry": (
        "Nothing to try again: it was written meanwhile.",
        "再試行するものはありません(すでに書き込まれています)。",
    ),
    "zendesk.delivery_failed": (
        ":warning: A Zendesk escalation for ticket {ticket} could not be filed ({error}). Zendesk will not resend it: file it with `/escalate`.",
        ":warning: Zendesk チケット {ticket} のエスカレーションを起票できませんでした({error})。Zendesk からの再送はないため、`/escalate` で起票してください。",
    ),
    "event.zendesk_updated": (
        ":arrows_counterclockwise: Updated in Zendesk (ticket #{ticket}).",
        ":arrows_counterclockwise: Zendesk 側で更新がありました(チケット #{ticket})。",
    ),
    # -- the assignee's DM (bot.assignee_dm) -------------------------------------------------------
    "dm.assigned.text": (
        "{key} [{priority}] is yours: {summary}",
        "{key} [{priority}] の担当になりました: {summary}",
    ),
    "dm.assigned.title": (
        ":inbox_tray: {link} is yours: {summary}",
        ":inbox_tray: {link} の担当になりました: {summary}",
    ),
    "dm.label.due": ("Due", "期限"),
    "dm.slo.warning": (
        ":warning: {percent} of its SLO ({target}) is used.",
        ":warning: SLO({target})の{percent}を経過しています。",
    ),
    "dm.slo.breached": (
        ":rotating_light: It is past its SLO target ({target}).",
        ":rotating_light: SLO目標({target})を超過しています。",
    ),
    "slo.breach.thread": (
        ":rotating_light: {key} breached its SLO ({target}, {priority}). {who}\n&gt; {summary}",
        ":rotating_light: {key} が SLO({target}、{priority})を超過しました。{who}\n&gt; {summary}",
    ),
    "remind.lead.dm.intro": (
        ":bell: These {count} escalations got {reminders} reminders in a row with no activity. Reassign them, or ask their assignees:",
        ":bell: 次の{count}件は{reminders}回リマインドしても動きがありません。担当者を変更するか、担当者に状況を確認してください:",
    ),
    "remind.lead.dm.intro.one": (
        ":bell: This escalation got {reminders} reminders in a row with no activity. Reassign it, or ask its assignee:",
        ":bell: 次の1件は{reminders}回リマインドしても動きがありません。担当者を変更するか、担当者に状況を確認してください:",
    ),
    "remind.lead.reassign": ("Reassign to…", "担当を変更…"),
    "remind.unassigned.taken": (
        ":white_check_mark: {user} has it.",
        ":white_check_mark: {user} さんが担当しています。",
    ),
    "dm.moved_on": (
        ":leftwards_arrow_with_hook: {link} · {summary} is now with {assignee}.",
        ":leftwards_arrow_with_hook: {link} · {summary} は {assignee} さんの担当に変わりました。",
    ),
    "dm.unassigned": (
        ":leftwards_arrow_with_hook: {link} · {summary} is back in the queue.",
        ":leftwards_arrow_with_hook: {link} · {summary} は担当者待ちに戻りました。",
    ),
    "dm.resolved": (
        ":white_check_mark: {link} · {summary} is resolved.",
        ":white_check_mark: {link} · {summary} は解決済みです。",
    ),
    # -- similar escalations (bot.similarity) ------------------------------------------------------
    "similar.not_ready": (
        "Similar escalations are not ready yet: the index is still being built. Try again in a minute.",
        "類似エスカレーションはまだ使えません(索引を作成中です)。1分ほどしてからもう一度お試しください。",
    ),
    "similar.line": (":mag: Similar: {matches}", ":mag: 類似: {matches}"),
    "similar.first": ("{key} ({facts})", "{key}({facts})"),
    "similar.resolved_on": ("resolved {day}", "{day}に解決"),
    "similar.open_facts": ("open, filed {day}", "未解決 · {day}起票"),
    "similar.status_facts": ("{status}, filed {day}", "{status} · {day}起票"),
    "similar.day": ("{day} {month}", "{month}{day}日"),
    "similar.offer": (
        ":bulb: *A similar escalation was resolved:* {key} ({facts}). Its answer for CS:",
        ":bulb: *似たエスカレーションが解決済みです:* {key}({facts})。CS への回答:",
    ),
    "similar.offer.use": ("Use {key}'s answer", "{key} の回答を使う"),
    "digest.recurring.title": (":repeat: Recurring problems", ":repeat: くり返し起きている問題"),
    "digest.recurring.intro": (
        "Similar escalations resolved in {month}: candidates for a fix at the root.",
        "{month}に解決した、似た内容のエスカレーションです。根本対応の候補になります。",
    ),
    "digest.recurring.item": (
        "• *{count}×* {summary} · {category} · earliest {key} (filed {filed})",
        "• *{count}件* {summary} · {category} · 最初は {key}({filed} 起票)",
    ),
    "similar.usage": (
        "Usage: `/cre similar &lt;text | ESC-42&gt;`, e.g. `/cre similar photos vanish after restore`.",
        "使い方: `/cre similar &lt;本文 | ESC-42&gt;` 例: `/cre similar 復元後に写真が消える`",
    ),
    "similar.search.found": (
        ":mag: Escalations most similar to {what} (best first):",
        ":mag: {what} に似ているエスカレーション(似ている順):",
    ),
    "similar.search.none": (
        ":mag: Nothing similar to {what} yet.",
        ":mag: {what} に似ているエスカレーションはまだありません。",
    ),
    "similar.search.item": ("*{key}* · {score} · {facts}", "*{key}* · {score} · {facts}"),
    "similar.search.note": (
        "Scores run from 0 to 1 (cards show matches from {threshold}). Only you can see this.",
        "スコアは 0〜1 です(カードには {threshold} 以上を表示します)。この結果はあなたにだけ表示されています。",
    ),
    "modal.relabel.title": ("Product and category", "プロダクトとカテゴリ"),
    "modal.relabel.submit": ("Save", "保存"),
    "modal.relabel.suggested": (
        "Suggested by similar resolved escalations: keep it to confirm it, or change it.",
        "似た解決済みエスカレーションからの候補です。このまま保存すると確定します。違う場合は変更してください。",
    ),
    "menu.relabel": ("Change product or category", "プロダクト・カテゴリを変更"),
    "modal.escalate.suggested": (
        "Suggested from the text by similar resolved escalations: change it if it is wrong.",
        "本文と似た解決済みエスカレーションからの候補です。違う場合は変更してください。",
    ),
    "similar.no_answer": (
        "{key} has no answer for CS to start from (it is not resolved).",
        "{key} は解決済みではないため、下書きにできる CS への回答がありません。",
    ),
    "similar.offer.used": (
        "Starts from {key}'s answer: edit it for this case.",
        "{key} の回答を下書きにしています。この件に合わせて編集してください。",
    ),
    # -- the CS loop: what the filer hears ---------------------------------------------------------
    "loop.filed": (
        ":inbox_tray: You filed {title}\n{where} · {who} · {due}",
        ":inbox_tray: エスカレーションを起票しました: {title}\n{where} · {who} · {due}",
    ),
    "loop.where": ("{card} in {channel}", "{channel} の{card}"),
    "loop.open_card": ("See it", "カードを開く"),
    "loop.assigned": ("assigned to {assignee}", "担当: {assignee} さん"),
    "loop.queued": ("waiting for an engineer to take it", "担当者待ち"),
    "reply.mine.filed": ("Filed by you ({count})", "あなたが起票したもの({count}件)"),
    "reply.mine.filed.empty": (
        "Nothing you filed is open.",
        "起票したもので未解決のエスカレーションはありません。",
    ),
    "loop.asked": (
        ":hourglass_flowing_sand: {assignee} needs your answer on {title} · {where}",
        ":hourglass_flowing_sand: {assignee} さんが {title} について回答を待っています · {where}",
    ),
    "loop.asked.nothing": (
        ":hourglass_flowing_sand: {assignee} is waiting on CS for {title} · {where}. Tell them what you know:",
        ":hourglass_flowing_sand: {assignee} さんが {title} を CS回答待ちにしました · {where}。わかっていることを伝えてください:",
    ),
    "loop.answer.button": ("Answer", "回答する"),
    "modal.answer.title": ("Answer CRE", "CRE に回答"),
    "modal.answer.submit": ("Send answer", "回答を送る"),
    "modal.answer.answer": ("Your answer", "回答"),
    "modal.answer.hint": (
        "Posted in the escalation's thread under your name; the SLO clock runs again.",
        "エスカレーションのスレッドにあなたの名前で投稿し、SLO の計測を再開します。",
    ),
    "modal.wait.question.hint.filer": (
        "Sent to whoever filed it, with a button to answer. The SLO clock pauses until they answer or you resume.",
        "起票者に回答ボタン付きで送ります。回答があるか再開するまで SLO の計測は止まります。",
    ),
    "event.answered": (
        ":speech_balloon: {actor} answered. The SLO clock is running again.\n{answer}",
        ":speech_balloon: {actor} さんが回答しました。SLO の計測を再開します。\n{answer}",
    ),
    "error.not_allowed.answer": (
        "Only whoever filed {key} or the lead can answer its question.",
        "{key} の質問に回答できるのは、起票した方かリーダーだけです。",
    ),
    "error.transition.answer": (
        "{key} is no longer waiting on CS ({status}). Reply in its thread instead.",
        "{key} はもう CS回答待ちではありません({status})。スレッドで返信してください。",
    ),
    "loop.due": ("due {when}", "期限 {when}"),
    "loop.paused": ("the SLO clock is paused", "SLO の計測は止まっています"),
    "loop.source": (
        ":inbox_tray: Escalated to CRE: {title} · {where}",
        ":inbox_tray: CRE にエスカレーションしました: {title} · {where}",
    ),
    "loop.source.open": (
        ":hourglass: Waiting for an engineer to take it · {due}",
        ":hourglass: 担当者待ちです · {due}",
    ),
    "loop.source.assigned": (
        ":bust_in_silhouette: Assigned to {assignee} · {due}",
        ":bust_in_silhouette: {assignee} さんが担当します · {due}",
    ),
    "loop.source.investigating": (
        ":mag: {assignee} is investigating · {due}",
        ":mag: {assignee} さんが調査しています · {due}",
    ),
    "loop.source.waiting": (
        ":hourglass_flowing_sand: {assignee} is waiting on CS. {filer}, please answer from the DM I sent you:",
        ":hourglass_flowing_sand: {assignee} さんが CS回答待ちにしました。{filer} さん、お送りした DM から回答してください:",
    ),
    "loop.source.resolved": (
        ":white_check_mark: Resolved by {actor}.\n*Answer for CS:*\n{answer}",
        ":white_check_mark: {actor} さんが解決しました。\n*CSへの回答:*\n{answer}",
    ),
}


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str, /, **params: Any) -> str:
    """The message `key` in `lang` (English when unknown), with `params` substituted.

    When `count` is 1 and the catalog has `key.one`, that singular form is used.
    """
    entry = CATALOG.get(f"{key}.one") if params.get("count") == 1 else None
    entry = entry or CATALOG.get(key)
    if entry is None:
        return key
    template = entry[1] if lang == "ja" else entry[0]
    if not params:
        return template
    return string.Formatter().vformat(template, (), _Missing(params))


def placeholders(template: str) -> set[str]:
    """The named placeholders in a template (used to check both languages agree)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
