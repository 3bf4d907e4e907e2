"""How long what people type may be: the modals' `max_length`, the checks and the columns share these."""

from __future__ import annotations

END_USER_MAX = 128  # an end user's id or email (the escalation's and the chart's column)
SUMMARY_MAX = 150  # an escalation's one-line summary (its column)
DETAILS_MAX = 3000  # an escalation's details
ZENDESK_INPUT_MAX = 300  # what the modal's Zendesk field takes (a number or a ticket URL)
ANSWER_MAX = 3000  # a resolution's answer for CS
RESOLUTION_NOTE_MAX = 3000  # a resolution's internal note
WAIT_QUESTION_MAX = 3000  # what an engineer asks CS when waiting on them
CHART_NOTE_MAX = 3000  # a note on an end user's chart (`/lookup`)
