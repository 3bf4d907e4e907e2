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
    "status.open": ("Open", "未割り当て"),
    "status.assigned": ("Assigned", "割り当て済み"),
    "status.investigating": ("Investigating", "調査中"),
    "status.waiting": ("Waiting on CS", "CS回答待ち"),
    "status.resolved": ("Resolved", "解決済み"),
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
    "label.unassigned": ("Unassigned", "未割り当て"),
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
    "modal.escalate.zendesk.placeholder": (
        "12345 or the ticket's URL",
        "12345 またはチケットのURL",
    ),
    "modal.choose": ("Choose…", "選択してください"),
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
    "field.choose_one": ("Choose one of the options.", "選択肢から選んでください。"),
    "field.too_long": (
        "At most {max} characters (this is {length}).",
        "{max}文字以内で入力してください(現在 {length} 文字)。",
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
    "event.filed": ("{actor} filed {key}.", "{actor} が {key} を起票しました。"),
    "event.auto_assigned": (
        ":bust_in_silhouette: Assigned to {assignee} (fewest open escalations among those who cover this).",
        ":bust_in_silhouette: {assignee} に割り当てました(対応可能な担当者のうち担当件数が最少)。",
    ),
    "event.unassigned.manual": (
        ":raised_hand: In the queue: any engineer can press *Claim*.",
        ":raised_hand: キューに入りました。エンジニアは *担当する* を押してください。",
    ),
    "event.unassigned.nobody_available": (
        ":raised_hand: Nobody who covers this is available; it waits in the queue for *Claim*.",
        ":raised_hand: 対応可能な担当者がいないため、キューで *担当する* を待っています。",
    ),
    "event.claimed": ("{actor} claimed this.", "{actor} が担当になりました。"),
    "event.reassigned": (
        "{actor} reassigned this to {to}.",
        "{actor} が担当を {to} に変更しました。",
    ),
    "event.acknowledge": (":mag: {actor} is investigating.", ":mag: {actor} が調査を始めました。"),
    "event.wait": (
        ":hourglass_flowing_sand: {actor} is waiting on CS / the user. The SLO clock is paused.",
        ":hourglass_flowing_sand: {actor} が CS/ユーザーの回答待ちにしました。SLO の計測は止まります。",
    ),
    "event.resume": (
        ":arrow_forward: {actor} resumed the investigation.",
        ":arrow_forward: {actor} が調査を再開しました。",
    ),
    "event.resolved": (
        ":white_check_mark: {filer} {key} was resolved by {actor} (cause: {cause}).\n*Answer for CS:*\n{answer}",
        ":white_check_mark: {filer} {key} は {actor} により解決されました(原因: {cause})。\n*CSへの回答:*\n{answer}",
    ),
    "event.reopened": (
        ":leftwards_arrow_with_hook: {actor} reopened this.",
        ":leftwards_arrow_with_hook: {actor} が再オープンしました。",
    ),
    "event.handed_back": (
        ":leftwards_arrow_with_hook: {actor} handed this back to the queue.",
        ":leftwards_arrow_with_hook: {actor} が担当を外し、キューに戻しました。",
    ),
    "event.generic": ("{actor}: {kind}", "{actor}: {kind}"),
    "actor.system": ("cre-bot", "cre-bot"),
    # -- errors -----------------------------------------------------------------------------------
    "error.generic": (
        "Sorry, something went wrong. Nothing was changed; please try again.",
        "エラーが発生しました。変更は行われていません。もう一度お試しください。",
    ),
    "error.busy": (
        "{key} is being changed by someone else right now; please try again.",
        "{key} は他の人が変更中です。もう一度お試しください。",
    ),
    "error.not_found": (
        "There is no escalation {key}.",
        "{key} というエスカレーションはありません。",
    ),
    "error.bad_key": (
        "“{key}” is not an escalation key; use one like ESC-42.",
        "「{key}」はエスカレーション番号ではありません。ESC-42 のように指定してください。",
    ),
    "error.not_allowed": ("You can't do that.", "この操作は行えません。"),
    "error.not_allowed.claim": (
        "Only roster engineers can claim escalations.",
        "エスカレーションを担当できるのは名簿のエンジニアだけです。",
    ),
    "error.not_allowed.reassign": (
        "Only the assignee, the lead or the filer can reassign {key}.",
        "{key} の担当を変更できるのは担当者・リーダー・起票者だけです。",
    ),
    "error.not_allowed.acknowledge": (
        "Only the assignee or the lead can acknowledge {key}.",
        "{key} に着手できるのは担当者かリーダーだけです。",
    ),
    "error.not_allowed.wait": (
        "Only the assignee or the lead can set {key} to waiting.",
        "{key} を回答待ちにできるのは担当者かリーダーだけです。",
    ),
    "error.not_allowed.resume": (
        "Only the assignee or the lead can resume {key}.",
        "{key} を再開できるのは担当者かリーダーだけです。",
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
        "{key} をキューに戻せるのは担当者かリーダーだけです。",
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
    "error.already_claimed": (
        "{key} was already claimed by {user}.",
        "{key} はすでに {user} が担当しています。",
    ),
    "error.transition.claim": (
        "{key} is {status}; it can't be claimed now.",
        "{key} は「{status}」のため担当できません。",
    ),
    "error.transition.reassign": (
        "{key} is {status}; it can't be reassigned.",
        "{key} は「{status}」のため担当を変更できません。",
    ),
    "error.transition.acknowledge": (
        "{key} is {status}; only an assigned escalation can be acknowledged.",
        "{key} は「{status}」です。着手できるのは割り当て済みのものだけです。",
    ),
    "error.transition.wait": (
        "{key} is {status}; it can't wait on CS now.",
        "{key} は「{status}」のため回答待ちにできません。",
    ),
    "error.transition.resume": (
        "{key} is {status}; only a waiting escalation can be resumed.",
        "{key} は「{status}」です。再開できるのは回答待ちのものだけです。",
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
        "この操作は名簿に載っているエンジニアだけが行えます。",
    ),
    "error.assignee_not_on_roster": (
        "{user} is not on the roster; choose a roster engineer.",
        "{user} は名簿に載っていません。名簿のエンジニアを選んでください。",
    ),
    "error.away_in_past": ("{date} is in the past.", "{date} は過去の日付です。"),
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
    "reply.filed": (
        ":inbox_tray: Filed {key} in {channel}.",
        ":inbox_tray: {key} を {channel} に起票しました。",
    ),
    "reply.away": (
        ":palm_tree: You are away{until}. New escalations skip you until you say `/cre back`.",
        ":palm_tree: 不在に設定しました{until}。`/cre back` まで新しいエスカレーションは割り当てられません。",
    ),
    "reply.away_until": (" through {date}", "({date} まで)"),
    "reply.back": (
        ":wave: Welcome back: new escalations can be assigned to you again.",
        ":wave: おかえりなさい。新しいエスカレーションが割り当てられるようになりました。",
    ),
    "reply.mine.empty": (
        "You have no open escalations. :tada:",
        "担当中のエスカレーションはありません。:tada:",
    ),
    "reply.mine.title": ("Your escalations ({count})", "あなたの担当 ({count}件)"),
    "reply.queue.title": ("Queue", "キュー"),
    "reply.queue.unassigned": ("Unassigned ({count})", "未割り当て ({count}件)"),
    "reply.queue.in_progress": ("In progress ({count})", "対応中 ({count}件)"),
    "reply.queue.empty": ("Nothing here.", "ありません。"),
    "reply.more": ("…and {count} more.", "…ほか {count} 件"),
    "home.title": ("cre-bot", "cre-bot"),
    "home.mine": ("Your escalations", "あなたの担当"),
    "home.queue": ("Open queue", "未割り当てのキュー"),
    "home.in_progress": ("Everything in progress", "対応中のすべて"),
    "home.away": (
        ":palm_tree: You are marked away{until}.",
        ":palm_tree: 不在に設定されています{until}。",
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
        "• `/cre away [until 2026-12-24]` / `/cre back` — availability for assignment\n"
        "• `/cre help` — this help",
        "*cre-bot* — CSからエンジニアへのエスカレーション\n"
        "• `/escalate [概要]` — エスカレーションを起票(メッセージショートカット *Escalate to CRE* も使えます)\n"
        "• `/cre mine` — 自分の担当\n"
        "• `/cre queue` — 未割り当てのキューと対応中の一覧\n"
        "• `/cre show ESC-42` — エスカレーションの詳細と経緯\n"
        "• `/cre away [until 2026-12-24]` / `/cre back` — 割り当ての不在設定\n"
        "• `/cre help` — このヘルプ",
    ),
    # -- the SLO clock ----------------------------------------------------------------------------
    "slo.due": ("due {when} · {left} left", "期限 {when} · 残り{left}"),
    "slo.breached": ("breached {ago} ago", "期限超過({ago})"),
    "slo.paused": ("paused while waiting · {left} left", "回答待ちで停止中 · 残り{left}"),
    "slo.paused_breached": (
        "paused while waiting · over by {over}",
        "回答待ちで停止中 · {over}超過",
    ),
    "slo.resolved_within": ("resolved in {took} (target {target})", "{took}で解決(目標 {target})"),
    "slo.resolved_missed": (
        "resolved in {took} (target {target}, over by {over})",
        "{took}で解決(目標 {target}、{over}超過)",
    ),
    "slo.warning.thread": (
        ":warning: {key} has used {percent}% of its {target} SLO: due {when} ({left} left).",
        ":warning: {key} は SLO({target})の {percent}% を経過しました。期限 {when}(残り{left})。",
    ),
    "slo.warning.dm": (
        ":warning: {link} · {summary} has used {percent}% of its {target} SLO: due {when} ({left} left).",
        ":warning: {link} · {summary} は SLO({target})の {percent}% を経過しました。期限 {when}(残り{left})。",
    ),
    "slo.warning.unassigned": (
        ":warning: {link} · {summary} is still unassigned and has used {percent}% of its {target} SLO: due {when}. Can someone claim it?",
        ":warning: {link} · {summary} はまだ担当者がいないまま SLO({target})の {percent}% を経過しました。期限 {when}。どなたか担当できますか?",
    ),
    "slo.breach": (
        ":rotating_light: {lead} {key} · {summary} breached its {target} SLO ({priority}). Assignee: {assignee} · {status}.",
        ":rotating_light: {lead} {key} · {summary} が SLO({target}、{priority})を超過しました。担当: {assignee} · {status}",
    ),
    # -- stale reminders --------------------------------------------------------------------------
    "remind.dm.text": (
        "{count} of your escalations need an update",
        "対応状況の更新が必要なエスカレーションが {count} 件あります",
    ),
    "remind.dm.intro": (
        ":alarm_clock: These {count} escalations have had no activity for {stale_after} of business time. Are you still on them?",
        ":alarm_clock: 次の {count} 件は営業時間で {stale_after} 以上動きがありません。対応状況を教えてください。",
    ),
    "remind.dm.more": (
        "…and {count} more: see `/cre mine`.",
        "…ほか {count} 件は `/cre mine` で確認できます。",
    ),
    "remind.idle": ("quiet for {idle}", "{idle}動きなし"),
    "remind.outcome.resolved": (
        ":white_check_mark: Resolved.",
        ":white_check_mark: 解決済みです。",
    ),
    "remind.outcome.handed_back": (
        ":leftwards_arrow_with_hook: Back in the queue (or reassigned).",
        ":leftwards_arrow_with_hook: キューに戻りました(または担当が変わりました)。",
    ),
    "remind.outcome.snoozed": (":zzz: Snoozed.", ":zzz: スヌーズしました。"),
    "remind.outcome.active": (
        ":ok_hand: Noted: still on it.",
        ":ok_hand: 対応中として記録しました。",
    ),
    "remind.button.still_on_it": ("Still on it", "対応中です"),
    "remind.button.hand_back": ("Hand back", "キューに戻す"),
    "remind.snooze.placeholder": ("Snooze…", "スヌーズ…"),
    "remind.snooze.until": ("Snooze until…", "この日までスヌーズ…"),
    "remind.snooze.days.1": ("1 working day", "1営業日"),
    "remind.snooze.days.3": ("3 working days", "3営業日"),
    "remind.hand_back.title": ("Hand it back?", "キューに戻しますか?"),
    "remind.hand_back.text": (
        "{key} goes back to the queue for someone else to claim.",
        "{key} はキューに戻り、他の人が担当できるようになります。",
    ),
    "remind.hand_back.confirm": ("Hand back", "戻す"),
    "remind.lead.text": (
        "{total} escalations are not answering reminders",
        "リマインドに反応のないエスカレーションが {total} 件あります",
    ),
    "remind.lead.intro": (
        ":bell: {lead} {total} escalations got {count} reminders in a row with no activity:",
        ":bell: {lead} 次の {total} 件は {count} 回リマインドしても動きがありません:",
    ),
    "remind.unassigned.text": (
        "{total} escalations are waiting for someone to claim them",
        "担当者のいないエスカレーションが {total} 件あります",
    ),
    "remind.unassigned.intro": (
        ":raised_hand: {total} escalations have waited more than {after} of business time for someone to *Claim* them:",
        ":raised_hand: 次の {total} 件は営業時間で {after} 以上担当者がいません。*担当する* を押してください:",
    ),
    "remind.unassigned.filed": ("filed {when}", "起票 {when}"),
    "error.snooze_in_past": (
        "Pick a date after today (not {date}).",
        "今日より後の日付を選んでください({date} は選べません)。",
    ),
    "error.snooze_too_far": ("Snooze for at most a year.", "スヌーズは1年以内にしてください。"),
    "event.still_on_it": ("{actor} is still on it.", "{actor}: 対応中です。"),
    "event.snoozed": (
        ":zzz: {actor} snoozed reminders.",
        ":zzz: {actor} がリマインドをスヌーズしました。",
    ),
    "event.thread_reply": ("{actor} replied in the thread.", "{actor} がスレッドに返信しました。"),
    "event.slo_warning": (
        ":warning: {percent}% of the SLO used.",
        ":warning: SLO の {percent}% を経過。",
    ),
    "event.slo_breach": (":rotating_light: SLO breached.", ":rotating_light: SLO を超過。"),
    "card.fallback": (
        "{key} [{priority}] {summary} — {status}",
        "{key} [{priority}] {summary} — {status}",
    ),
    "card.filed_on": ("{user} · {when}", "{user} · {when}"),
}


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str, /, **params: Any) -> str:
    """The message `key` in `lang` (English when unknown), with `params` substituted."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    template = entry[1] if lang == "ja" else entry[0]
    if not params:
        return template
    return string.Formatter().vformat(template, (), _Missing(params))


def placeholders(template: str) -> set[str]:
    """The named placeholders in a template (used to check both languages agree)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
