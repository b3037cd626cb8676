"""Every word Steady says, in one place, so the tone can be read and changed in one pass — and
the words it understands when they are typed (TYPED_…, OFF_WORD: written in lower case, matched
in any case), beside the sentences that teach them, so a translation changes both.

Tone (../shared/PRODUCT.md): second person, present tense, one or two short sentences, at most
one emoji, no exclamation marks, no clinical labels. Buttons are verbs. Messages are sent as plain
text, so anything a person typed is shown exactly as typed."""

from __future__ import annotations

import re
from datetime import date, datetime

# --- buttons and labels that are part of the interface -------------------------------------

REASSURE_BUTTON = "💛 Reassure me"
AGREE_BUTTON = "✅ Agree"
EDIT_BUTTON = "✏️ Edit"
DECLINE_BUTTON = "✖ Decline"
ACCEPT_BUTTON = "✅ Accept"
NO_THANKS_BUTTON = "✖ Leave it"


REMOVE_BUTTON = "✖ Remove"
UNPAIR_YES_BUTTON = "Yes, unpair"
CANCEL_BUTTON = "Cancel"
PROPOSE_BUTTON = "➕ Ask for words"
OFFER_BUTTON = "➕ Offer words"
REMOVE_SOME_BUTTON = "✖ Remove words"
DONE_BUTTON = "Close"


PREVIOUS_BUTTON = "‹ Show previous"


NEXT_BUTTON = "Show more ›"


REPLY_HERE = "💛 I'm here"
REPLY_CALL = "📞 I'll call soon"
REPLY_TONIGHT = "🕐 Let's talk tonight"
REPLY_WRITE = "✍️ Write back"
REPLY_LABELS = {"h": REPLY_HERE, "c": REPLY_CALL, "t": REPLY_TONIGHT}
# The same replies without their emoji, for listing several in one message.
REPLY_PLAIN = {"h": "I'm here", "c": "I'll call soon", "t": "Let's talk tonight"}

# Typed after /balance, /safeword or /quiet to turn the setting off.
OFF_WORD = "off"


COMMANDS: list[tuple[str, str]] = [
    ("start", "Welcome, and what to do next"),
    ("pair", "Invite your partner"),
    ("join", "Use the invite code your partner sent"),
    ("phrase", "Ask your partner for words that reassure you"),
    ("offer", "Offer words you're glad to say to your partner"),
    ("phrases", "See and manage your agreed words"),
    ("reassure", "Get your partner's words now (same as the Reassure me button)"),
    ("rituals", "Your rituals: add, pause, resume, delete"),
    ("ritual", "Manage rituals by typing: add, list, pause, resume, delete, zone, remind"),
    ("timezone", "Set your time zone, so rituals come at your local time"),
    ("quiet", "Set quiet hours (e.g. 22:30-07:00), or /quiet off"),
    ("status", "Both your local times, quiet hours and rituals"),
    ("notes", "Your one-tap notes for nudges"),
    ("note", "Write a note now; it arrives at your next nudge time"),
    ("pause", "Take a moment: your partner is told when you'll be back"),
    ("resume", "End your moment early"),
    ("safeword", "Agree a safe word that starts a pause"),
    ("breathe", "Guided box breathing"),
    ("ground", "The 5-4-3-2-1 grounding exercise"),
    ("busy", "Say you're busy until a time (e.g. /busy 17:00 work)"),
    ("available", "Clear busy"),
    ("journal", "Add a moment to your shared journal, or see it"),
    ("appreciate", "Add an appreciation of your partner to the journal"),
    ("trigger", "Log a moment that set off a fear (private)"),
    ("triggers", "Your own log of those moments"),
    ("away", "Time apart until a date (e.g. /away 2026-12-24)"),
    ("back", "End time apart early"),
    ("dates", "Dates that matter: anniversary, birthdays, your own"),
    ("balance", "A gentle balance for reassurance requests, if you both agree"),
    ("insights", "A picture of your last 8 weeks"),
    ("support", "Where to find professional help"),
    ("export", "Everything Steady stores about you, as a file"),
    ("delete", "Erase everything Steady stores about you"),
    ("unpair", "End the pairing"),
    ("cancel", "Stop what you're in the middle of"),
    ("menu", "Buttons for everything, no typing"),
    ("help", "What I can do, in short"),
]

BOT_DESCRIPTION = (
    "Steady is for two partners. It keeps small, reliable rituals: words you agree on in calm "
    "moments, there at one tap when a moment isn't calm — and your partner hears that you "
    "asked, so they can follow up. Start with /pair."
)
BOT_SHORT_DESCRIPTION = "Agreed words at one tap, for two partners. Start with /pair."


# /help, grouped; every command in COMMANDS is in one group (the / key lists each with a line).
HELP_GROUPS: list[tuple[str, list[str]]] = [
    (
        "Together",
        ["pair", "join", "reassure", "status", "journal", "appreciate", "dates", "away", "back"],
    ),
    ("Words", ["phrase", "offer", "phrases", "notes", "note"]),
    ("Rituals", ["rituals", "ritual", "timezone", "quiet", "balance"]),
    (
        "When it's hard",
        [
            "pause",
            "resume",
            "safeword",
            "breathe",
            "ground",
            "busy",
            "available",
            "trigger",
            "triggers",
            "insights",
            "support",
        ],
    ),
    ("Privacy", ["export", "delete", "unpair"]),
]


def help_text() -> str:
    lines = ["Here's what I can do — tap a button below, or type a command.", ""]
    lines += [f"{group}: " + " ".join(f"/{name}" for name in names) for group, names in HELP_GROUPS]
    lines.append(
        f"\nOnce you're paired, {REASSURE_BUTTON}, {MOMENT_BUTTON} and {MENU_BUTTON} (/menu) stay "
        "under the text box. /cancel stops what you're in the middle of. Bot chats are not "
        "end-to-end encrypted."
    )
    return "\n".join(lines)


def quoted(words: str) -> str:
    if is_recording_label(words):  # "🎤 a voice message (0:12)" names words, it is not them
        return words
    return f"“{words}”"


# --- welcome and pairing --------------------------------------------------------------------

WELCOME = (
    "Hello. Steady helps the two of you keep small, reliable rituals — words you agree on in "
    "calm moments, there at one tap when a moment isn't calm.\n\n"
    "To begin, send /pair and share the link it gives you with your partner."
)


def welcome_back(partner: str) -> str:
    return (
        f"Welcome back. You're paired with {partner}. Tap {REASSURE_BUTTON} whenever you need "
        "it, or see /help."
    )


def invite(link: str, token: str) -> str:
    return (
        "Here's your invite. Send this link to your partner in any chat:\n\n"
        f"{link}\n\n"
        "When they open it and press Start, you're paired. It works once and expires in 24 "
        f"hours. If the link doesn't open for them, they can send me: /join {token}"
    )


def paired(partner: str, zone_next: bool = False) -> str:
    """The one message right after pairing; with `zone_next`, the time zone question follows
    it and the starter rituals follow that (a guided first minute)."""
    first = (
        "First, your time zone, just below; then a few rituals to start with.\n\n"
        if zone_next
        else ""
    )
    return (
        f"You're paired with {partner}. 💛\n\n{first}"
        f"When you're ready, tell {partner} which words reassure you: send /phrase and the "
        "words, for example /phrase I'm not going anywhere. They'll be asked to agree first."
    )


def already_paired(partner: str) -> str:
    return f"You're already paired with {partner}. /unpair first if you want to pair with someone else."


INVITE_OWN = (
    "That's your own invite. Send the link to your partner — it pairs you when they open it."
)
INVITE_EXPIRED = "This invite has expired. Ask your partner to send a new one with /pair."
INVITE_USED = "This invite has already been used. Ask your partner for a new one with /pair."
INVITE_REPLACED = "This invite was replaced by a newer one. Ask your partner for their latest link."
INVITE_UNKNOWN = "I don't recognise this invite. Check the link, or ask your partner to send a new one with /pair."
INVITE_MALFORMED = (
    "That doesn't look like an invite code. Open the link your partner sent, or send /join "
    "followed by the code in it."
)


def join_limited(until: str) -> str:
    return (
        f"That's a lot of invite codes in an hour, so I've paused trying new ones until {until}. "
        "Ask your partner to send their link again, and open it then."
    )


def relay_limited(partner: str, until: str) -> str:
    return (
        f"You've sent {shortened(partner, 24)} a lot through me in the last hour, so I'll hold "
        f"off until {until}. "
        f"Your agreed words are always here: {REASSURE_BUTTON}."
    )


JOIN_USAGE = "Send /join followed by the code from your partner's invite, for example /join Xy3…"


def inviter_taken(inviter: str) -> str:
    return f"{inviter} is already paired, so this invite can't be used any more."


NOT_PAIRED = "You're not paired yet. Send /pair to invite your partner."


def unpair_confirm(partner: str) -> str:
    return (
        f"Unpair from {partner}? Your shared words are cleared, and from then on nothing reaches "
        "either of you on the other's behalf."
    )


UNPAIRED = (
    "You're unpaired, and your shared words are cleared. /pair starts again whenever you like."
)
UNPAIR_CANCELLED = "Okay, nothing has changed."


def partner_unpaired(name: str) -> str:
    return f"{name} has ended your pairing in Steady, and your shared words are cleared."


# --- phrases --------------------------------------------------------------------------------

PHRASE_MAX_CHARS = 500
PHRASES_PER_DIRECTION = 50

PHRASE_USAGE = (
    "Send /phrase followed by words that reassure you, for example:\n"
    "/phrase I'm not going anywhere."
)
OFFER_USAGE = (
    "Send /offer followed by words you're glad to say when your partner needs them, for "
    "example:\n/offer You matter to me, even on busy days."
)


def too_long(length: int, limit: int) -> str:
    return f"That's {length} characters; please keep it to {limit} or fewer. Nothing was sent."


PHRASE_LIMIT = (
    f"There are {PHRASES_PER_DIRECTION} agreed sets of words in this direction already. "
    "Remove one in /phrases to make room."
)
PENDING_LIMIT = (
    f"{PHRASES_PER_DIRECTION} sets of words are waiting for an answer already. Once some are "
    "answered, there's room for more."
)


PHRASE_DUPLICATE = "Those words are already on your list."


def phrase_proposed(partner: str, words: str) -> str:
    return f"Sent to {partner} to agree: {quoted(words)}\nYou'll hear when they answer."


def phrase_request(receiver: str, words: str) -> str:
    return (
        f"{receiver} would find these words reassuring:\n\n{quoted(words)}\n\n"
        "Will you say them when they need it?"
    )


def phrase_agreed_giver(words: str) -> str:
    return f"You agreed to say: {quoted(words)}"


def phrase_agreed_receiver(giver: str, words: str) -> str:
    return (
        f"{giver} agreed to say:\n{quoted(words)}\n"
        f"They're there whenever you tap {REASSURE_BUTTON}."
    )


def phrase_edit_prompt(words: str) -> str:
    return f"Send the words the way you'd say them. Your next message replaces:\n{quoted(words)}"


def phrase_reworded_giver(words: str) -> str:
    return f"Done. You'll say: {quoted(words)}"


def phrase_reworded_receiver(giver: str, words: str) -> str:
    return (
        f"{giver} put your words their own way: {quoted(words)}\n"
        f"They're there whenever you tap {REASSURE_BUTTON}. You can remove them if they don't fit."
    )


def phrase_declined_giver(words: str) -> str:
    return f"Okay, you won't be asked to say:\n{quoted(words)}"


def phrase_declined_receiver(giver: str, words: str) -> str:
    return (
        f"{giver} would rather not use these words:\n{quoted(words)}\n"
        "You can suggest other words any time with /phrase."
    )


def phrase_offered(partner: str, words: str) -> str:
    return f"Offered to {partner}: {quoted(words)}\nThey become live once {partner} accepts."


def phrase_offer(giver: str, words: str) -> str:
    return (
        f"{giver} offers to say these words when you need reassurance:\n\n{quoted(words)}\n\n"
        "Would they help?"
    )


def offer_accepted_receiver(words: str) -> str:
    return f"Accepted. You'll hear {quoted(words)} when you tap {REASSURE_BUTTON}."


def offer_accepted_giver(receiver: str, words: str) -> str:
    return f"{receiver} accepted your words: {quoted(words)}"


def offer_declined_receiver(words: str) -> str:
    return f"Okay, these words won't be used:\n{quoted(words)}"


def offer_declined_giver(receiver: str, words: str) -> str:
    return (
        f"{receiver} would rather not use these words:\n{quoted(words)}\n"
        "Other words are always welcome."
    )


PHRASE_REMOVED = "Removed."


def phrase_removed_by_receiver(receiver: str, words: str) -> str:
    return f"{receiver} removed {quoted(words)} from the words they'd like to hear."


def phrase_removed_by_giver(giver: str, words: str) -> str:
    return f"{giver} removed {quoted(words)} from the words they'll say."


PHRASE_GONE = "Those words aren't on the list any more."
PHRASE_ALREADY_ANSWERED = "You've already answered this one."


def phrases_overview(
    partner: str,
    hear: list[str],
    hear_pending: list[str],
    hear_offered: list[str],
    say: list[str],
    say_pending: list[str],
    say_offered: list[str],
) -> list[str]:
    """The /phrases view as lines; the caller pages them to fit Telegram's message size."""

    def section(title: str, words: list[str], empty: str | None = None) -> list[str]:
        if not words and empty is None:
            return []
        return [title] + ([f"• {quoted(w)}" for w in words] or [empty or ""])

    return [
        *section(f"Words you'll hear from {partner}:", hear, "(none yet — /phrase asks for some)"),
        *section(f"\nYou asked; waiting for {partner}:", hear_pending),
        *section(f"\n{partner} offered; waiting for your answer:", hear_offered),
        *section(f"\nWords you've agreed to say to {partner}:", say, "(none yet)"),
        *section(f"\n{partner} asked; waiting for your answer:", say_pending),
        *section(f"\nYou offered; waiting for {partner}:", say_offered),
    ]


PHRASES_REMOVE_PICK = "Which words should go? Tap to remove; nothing else changes."
PHRASES_NOTHING_TO_REMOVE = "There are no words of yours to remove."
PROPOSE_PROMPT = "What would you like to hear? Send the words as your next message."
OFFER_PROMPT = "What would you be glad to say? Send the words as your next message."

# --- reassurance ----------------------------------------------------------------------------


def from_partner(partner: str, words: str) -> str:
    return f"From {partner}: {words}"


def reassurance_words(partner: str, words: str) -> str:
    return f"💛 From {partner}:\n\n{quoted(words)}"


def reassurance_no_words(partner: str) -> str:
    """The 💛 tap before any words are agreed: what happened, then a line from Steady itself
    (never from the partner), above 🌬 Breathe and 🌿 Ground."""
    return (
        f"There are no agreed words from {partner} yet. {partner} knows you asked.\n\n"
        f"From me, Steady: reaching out was the right thing to do. Breathe or ground with me "
        f"while you wait; later, /phrase asks {partner} for words."
    )


def reassurance_asked_with_words(requester: str, words: str) -> str:
    return (
        f"{requester} asked for reassurance just now. They received your words: "
        f"{quoted(words)}\nYou can follow up with one tap."
    )


def reassurance_asked_no_words(requester: str) -> str:
    return (
        f"{requester} asked for reassurance just now. There are no agreed words yet, so none "
        "were sent. You can reply with one tap."
    )


def reply_sent(partner: str) -> str:
    return f"Sent to {partner}."


REPLIED_MARK = "\n✓ You replied: "


def reply_noted(labels: list[str]) -> str:
    return REPLIED_MARK + ", ".join(labels)


def write_back_prompt(partner: str) -> str:
    return f"Write your message. The next text you send goes to {partner} as yours."


def written_back(partner: str) -> str:
    return f"Sent to {partner}."


EMPTY_MESSAGE = "That message had no words in it, so nothing was sent."
INPUT_CANCELLED = "Okay, cancelled."
NOTHING_TO_CANCEL = "There's nothing to cancel."


def could_not_reach(partner: str) -> str:
    return f"I couldn't reach {partner} on Telegram just now, so your message didn't arrive."


def could_not_deliver(partner: str) -> str:
    return f"I couldn't get your message to {partner} just now. Please try again in a little while."


# --- times and dates ------------------------------------------------------------------------

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_PLURAL = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)
WEEKDAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def time_of_day(minutes: int) -> str:
    """ "07:05", from minutes after midnight: the 24-hour clock people also type."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clock(moment: datetime) -> str:
    """ "18:20", as the clock of `moment`'s own zone shows it."""
    return time_of_day(moment.hour * 60 + moment.minute)


def utc_clock(moment: datetime) -> str:
    """ "18:20 UTC", for someone who has not said their time zone yet."""
    return f"{clock(moment)} UTC"


def time_span(start: int, end: int) -> str:
    """ "22:30–07:00", from minutes after midnight."""
    return f"{time_of_day(start)}–{time_of_day(end)}"


def weekday_short(day: date) -> str:
    """ "Tue" """
    return WEEKDAYS_SHORT[day.weekday()]


def weekday_and_time(moment: datetime) -> str:
    """ "Tue 15:00" """
    return f"{weekday_short(moment)} {clock(moment)}"


def date_label(day: date) -> str:
    """ "Tue 1 Dec" """
    return f"{weekday_short(day)} {day.day} {MONTHS_SHORT[day.month - 1]}"


def entry_date(day: date) -> str:
    """ "Tue 01 Dec": when a journal entry or a logged moment was written."""
    return f"{weekday_short(day)} {day.day:02d} {MONTHS_SHORT[day.month - 1]}"


def chart_date(day: date) -> str:
    """ "01 Dec", under a week of the weekly picture."""
    return f"{day.day:02d} {MONTHS_SHORT[day.month - 1]}"


# --- time zones, quiet hours, status --------------------------------------------------------

COMMON_ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "Europe/Athens",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
]
TIMEZONE_ASK = (
    "Rituals come at your local time. Which time zone are you in? Tap one, or send /timezone "
    "and its name, for example /timezone Europe/Berlin."
)
TIMEZONE_FIXED_OFFSET = (
    "A plain offset like UTC+2 changes meaning when the clocks change. Please send the name of "
    "a place instead, for example /timezone Europe/Berlin (UTC on its own is fine)."
)
TIMEZONE_UNKNOWN = (
    "I don't know that time zone. Zones are named after a region and a city, for example "
    "/timezone America/New_York."
)


def timezone_suggest(suggestions: list[str]) -> str:
    return (
        "I don't know that time zone. Did you mean one of these?"
        if suggestions
        else TIMEZONE_UNKNOWN
    )


def timezone_set(zone: str, local: str) -> str:
    return f"Your time zone is {zone}. It's {local} for you now; rituals follow your local time."


QUIET_USAGE = (
    "Send /quiet with a start and end time, for example /quiet 22:30-07:00, or /quiet off. "
    "Nothing arrives with sound in your quiet hours."
)
QUIET_SAME = "Start and end can't be the same time. For example: /quiet 22:30-07:00."
QUIET_OFF = "Quiet hours are off."
QUIET_OFF_WORDS = (OFF_WORD, "none", "clear")  # typed after /quiet


def quiet_set(start: str, end: str) -> str:
    return (
        f"Quiet hours: {start}–{end}. Rituals wait until {end}, and messages from your partner "
        "arrive without sound."
    )


def status_rituals(labels: list[str]) -> str:
    if not labels:
        return "No active rituals. /rituals adds one."
    return "Active rituals:\n" + "\n".join(f"• {label}" for label in labels)


QUIET_NEEDS_ZONE = (
    "Quiet hours follow your local time — please set your time zone first with /timezone."
)


def status_line(
    name: str, local: str | None, zone: str | None, quiet_until: str | None, quiet: str | None
) -> str:
    who = "you" if name == "" else name
    if local is None:
        return f"{'You have' if name == '' else name + ' has'} no time zone set yet (/timezone)."
    line = f"It's {local} for {who} ({zone})"
    if quiet_until is not None:
        line += f"; quiet until {quiet_until}"
    elif quiet is not None:
        line += f"; quiet hours {quiet}"
    return line + "."


# --- rituals ------------------------------------------------------------------------------

RITUAL_KINDS = ("checkin", "nudge", "date", "talk", "question")
RITUAL_NAMES = {
    "checkin": "Check-in",
    "nudge": "Thinking-of-you nudge",
    "date": "Date",
    "talk": "Weekly talk",
    "question": "A question for two",
}
# A ritual's days are a bit mask, bit 0 = Monday (bot/services/schedule.py); these sets have a
# name of their own.
DAY_SET_WORDS = {0b1111111: "every day", 0b0011111: "weekdays", 0b1100000: "weekends"}


def days_words(days: int) -> str:
    """ "every day", "weekdays", "weekends", or "Mondays, Fridays" """
    if days in DAY_SET_WORDS:
        return DAY_SET_WORDS[days]
    return ", ".join(name for i, name in enumerate(WEEKDAYS_PLURAL) if days & (1 << i))


def ritual_label(kind: str, time: str, days: int, giver: str | None, paused: bool = False) -> str:
    """ "Check-in · 12:30 · every day" — how a ritual is named everywhere."""
    name = RITUAL_NAMES[kind] + (f" from {giver}" if giver else "")
    return f"{name} · {time} · {days_words(days)}" + (" (paused)" if paused else "")


RITUAL_USAGE = (
    "Send /ritual add <kind> <HH:MM> [days], for example:\n"
    "/ritual add checkin 12:30 daily\n"
    "/ritual add nudge 15:00 weekdays\n"
    "/ritual add talk 18:00 sun\n"
    "/ritual add question 20:00 daily\n"
    "Kinds: checkin, nudge, date, talk, question. Days: daily, weekdays, weekends, or days like "
    "mon,wed,fri. Also: /ritual list, /ritual pause 2, /ritual resume 2, /ritual delete 2, "
    "/ritual zone Europe/Berlin (your shared clock), /ritual remind eve|morning (dates)."
)
RITUAL_BAD_KIND = (
    "Rituals are checkin, nudge, date, talk or question. For example: "
    "/ritual add checkin 12:30 daily."
)
RITUAL_BAD_TIME = "Times are 24-hour HH:MM, for example /ritual add checkin 12:30 daily."
RITUAL_BAD_DAYS = (
    "Days can be daily, weekdays, weekends, or days like mon,wed,fri. For example: "
    "/ritual add talk 18:00 sun."
)
# What people type after /ritual: the action, the kind of ritual, and its days (a set, or
# weekdays by their short or full name; masks as in DAY_SET_WORDS).
TYPED_RITUAL_ACTIONS = {
    "add": "add",
    "list": "list",
    "pause": "pause",
    "resume": "resume",
    "delete": "delete",
    "zone": "zone",
    "clock": "zone",
    "remind": "remind",
}
TYPED_RITUAL_KINDS = {
    "checkin": "checkin",
    "check-in": "checkin",
    "check_in": "checkin",
    "nudge": "nudge",
    "date": "date",
    "talk": "talk",
    "question": "question",
}
TYPED_DAY_SETS = {
    "daily": 0b1111111,
    "every day": 0b1111111,
    "everyday": 0b1111111,
    "weekdays": 0b0011111,
    "weekends": 0b1100000,
}
TYPED_WEEKDAYS = (
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("wed", "wednesday"),
    ("thu", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
)
RITUAL_DUPLICATE = "You already have that ritual."
RITUAL_LIMIT = (
    "You have 20 rituals already. Delete one with /ritual delete <number> to add another."
)
RITUALS_NONE = "No rituals yet. Add one with /ritual add checkin 12:30 daily, or tap below."
RITUAL_ADD_BUTTON = "➕ Add a ritual"
RITUAL_PICK_KIND = "Which ritual?"
RITUAL_PICK_TIME = "At what time (your local time)?"
RITUAL_PICK_DAYS = "On which days?"
DECLINE_RITUAL_BUTTON = "✖ Decline"
KEEP_RITUAL_BUTTON = "👍 Keep it"
PAUSE_BUTTON = "⏸ Pause"
RESUME_BUTTON = "▶ Resume"
DELETE_BUTTON = "🗑 Delete"


def ritual_number_unknown(count: int) -> str:
    if count == 0:
        return "You have no rituals yet. /ritual list shows them once you add some."
    return f"There's no ritual with that number. Send /ritual list to see them (1–{count})."


def rituals_list(labels: list[str], wait_me: bool, wait_partner: str | None) -> str:
    """/ritual list and the /rituals menu: the rituals by number, and whose time zone they wait
    for (the reader's, and/or the partner's, by name)."""
    lines = [ritual_line(n, label) for n, label in enumerate(labels, start=1)] or [RITUALS_NONE]
    if wait_me or wait_partner is not None:
        lines += ["", rituals_wait_for(wait_me, wait_partner)]
    return "\n".join(lines)


def ritual_line(number: int, label: str) -> str:
    return f"{number}. {label}"


def numbered_button(button: str, number: int) -> str:
    """ "⏸ Pause 2": a button for the ritual listed with that number."""
    return f"{button} {number}"


def ritual_added(label: str, wait_me: bool, wait_partner: str | None) -> str:
    text = f"Added: {label}"
    if wait_me or wait_partner is not None:
        text += "\n" + rituals_wait_for(wait_me, wait_partner)
    return text


def rituals_wait_for(me: bool, partner: str | None) -> str:
    who = " and ".join((["you"] if me else []) + ([partner] if partner is not None else []))
    have = "has" if partner is not None and not me else "have"
    return f"It starts once {who} {have} set a time zone (/timezone)."


def partner_added_ritual(name: str, label: str, needs_zone: bool) -> str:
    text = f"{name} added a ritual for you both: {label}. You can keep it or decline it."
    if needs_zone:
        text += " Set your time zone with /timezone so it comes at your local time."
    return text


def ritual_kept(label: str) -> str:
    return f"Kept: {label}."


def ritual_declined(label: str) -> str:
    return f"Declined, so it's off: {label}."


def partner_declined_ritual(name: str, label: str) -> str:
    return f"{name} would rather not have this ritual, so it's off: {label}."


def ritual_paused(label: str) -> str:
    return f"Paused: {label}. /ritual resume brings it back."


def ritual_resumed(label: str) -> str:
    return f"Resumed: {label}."


def ritual_deleted(label: str) -> str:
    return f"Deleted: {label}."


RITUAL_CHANGED = {"pause": "paused", "resume": "resumed", "delete": "deleted"}


def partner_changed_ritual(name: str, change: str, label: str) -> str:
    """`change` is what was done: "pause", "resume" or "delete"."""
    return f"{name} {RITUAL_CHANGED[change]} a ritual: {label}."


STARTER_INTRO = (
    "A few rituals many couples start with. Add any with one tap, or pick another time. "
    "A check-in comes at each one's own local time; a talk at one moment for you both."
)
STARTER_OTHER_TIME = "🕐 Other time"
STARTER_BACK = "‹ Back"


def starter_button(kind: str, time: str, days: int) -> str:
    return f"➕ {RITUAL_NAMES[kind]} {time} {days_words(days)}"


STARTER_ADDED = "Added."

# nudges
NUDGE_PROMPT_PARTNER = "Thinking of {partner}? Send one of your notes with a tap, or write one."
WRITE_ONE_BUTTON = "✍️ Write one"
DEFAULT_QUICK_NOTES = (
    "Thinking of you.",
    "You're on my mind.",
    "Hope your day is kind to you.",
    "Can't wait to see you.",
)


def nudge_prompt(partner: str) -> str:
    return NUDGE_PROMPT_PARTNER.format(partner=partner)


def nudge_sent(partner: str, words: str) -> str:
    return f"Sent to {partner}: {quoted(words)}"


def nudge_from(giver: str, words: str) -> str:
    return f"💭 {giver} is thinking of you: {quoted(words)}"


def letter_from(giver: str, words: str) -> str:
    return f"💌 A note {giver} wrote for you:\n\n{quoted(words)}"


def nudge_write_prompt(partner: str) -> str:
    return f"Write your note. The next text you send goes to {partner} as yours."


NUDGE_ALREADY_SENT = "You've already sent a note for this one."
QUICK_NOTE_MAX_CHARS = 200
QUICK_NOTES_MAX = 12
NOTES_USAGE = (
    "Your one-tap notes for nudges. Add one with /notes followed by the words, for example "
    "/notes Thinking of you."
)
NOTES_DEFAULTS = "Until you write your own, nudges offer these:"
NOTES_LIMIT = f"You have {QUICK_NOTES_MAX} notes already. Remove one to add another."
NOTE_USAGE = (
    "Send /note followed by a few words for your partner, for example /note Proud of you today. "
    "It arrives at your next nudge time."
)


def notes_view(notes: list[str]) -> str:
    """/notes: your one-tap notes — or, until you write some, the ones nudges offer."""
    if not notes:
        defaults = "\n".join(f"• {quoted(n)}" for n in DEFAULT_QUICK_NOTES)
        return f"{NOTES_USAGE}\n\n{NOTES_DEFAULTS}\n{defaults}"
    listed = "\n".join(f"• {quoted(n)}" for n in notes)
    return f"Your one-tap notes:\n{listed}\n\n{NOTES_USAGE}"


def note_added(words: str) -> str:
    return f"Added to your notes: {quoted(words)}"


def letter_saved(partner: str, has_nudge: bool, when: str | None) -> str:
    if not has_nudge:
        return (
            f"Saved. It goes to {partner} at your next nudge time — you don't have a nudge ritual "
            "yet: /ritual add nudge 15:00 weekdays."
        )
    if when is None:
        return f"Saved. It goes to {partner} at your next nudge time."
    return f"Saved. It goes to {partner} at your next nudge time, {when}."


CHECKIN_PROMPT = "How are you feeling?"
MOODS = {1: "1 😞", 2: "2 😕", 3: "3 😐", 4: "4 🙂", 5: "5 😄"}
ADD_WORDS_BUTTON = "✍️ Add a few words"


def checkin_answered(mood: str, partner: str) -> str:
    return (
        f"You're at {mood} today. Shared with {partner}. Anything to add? Send it, and it goes "
        "with your check-in."
    )


def checkin_shared(name: str, mood: str) -> str:
    return f"{name} checked in: {mood}"


def checkin_note_prompt(partner: str) -> str:
    return f"What would you like {partner} to know? Your next message goes with your check-in."


def checkin_note_shared(name: str, words: str) -> str:
    return f"{name} added to their check-in: {words}"


CHECKIN_ALREADY = "You've already answered this check-in."


# dates and talks
PLANNED_BUTTON = "Planned ✓"


def date_reminder(when: str) -> str:
    """`when` as texts.moment says it: "Friday 19:00 Berlin (13:00 your time)"."""
    return f"{when} is yours — plan something?"


def date_planned(name: str) -> str:
    return f"{name} marked your date as planned ✓"


DATE_PLANNED_SELF = "Marked as planned ✓"


def date_marked_planned(reminder: str) -> str:
    """The date reminder, once its reader has pressed Planned ✓."""
    return f"{reminder}\n{DATE_PLANNED_SELF}".strip()


TALK_PROMPT = (
    "Time for your weekly talk. Three short prompts to begin:\n"
    "• One thing you appreciated this week\n"
    "• What felt good between you\n"
    "• One need for the week ahead"
)


# reaching people
def partner_unreachable(name: str) -> str:
    return (
        f"Steady can't reach {name} on Telegram right now, so their rituals are paused. They "
        f"start again when {name} opens Steady."
    )


def partner_reachable(name: str) -> str:
    return f"{name} is back in Steady, so their rituals are on again."


# --- the practices: safe word and pause ------------------------------------------------------

MOMENT_BUTTON = "⏸ I need a moment"
BREATHE_TOGETHER_BUTTON = "🌬 Breathe with me"
SAFEWORD_MAX_CHARS = 32
SAFEWORD_USAGE = (
    "Send /safeword and a word you both will recognise, for example /safeword pineapple. Your "
    "partner agrees first; after that, sending the word alone starts a pause."
)
SAFEWORD_BAD = (
    "A safe word is one to three plain words, up to 32 characters, for example /safeword pineapple."
)
SAFEWORD_NONE = "You don't have a safe word yet. " + SAFEWORD_USAGE
SAFEWORD_OFF = "The safe word is off. /pause still works whenever you need a moment."
SAFEWORD_NOTHING_TO_CLEAR = "There's no safe word to turn off."


def safeword_current(word: str) -> str:
    return (
        f"Your safe word is {quoted(word)}. Sending it alone, /pause, or {MOMENT_BUTTON} starts "
        "a pause. /safeword off removes it."
    )


def safeword_proposed(partner: str, word: str) -> str:
    return (
        f"I've asked {partner} to agree to {quoted(word)} as your safe word. It works once they do."
    )


def safeword_request(name: str, word: str) -> str:
    return (
        f"{name} suggests {quoted(word)} as your safe word. When either of you sends it, the other "
        "hears that you need a moment, and rituals wait. Agree?"
    )


def safeword_agreed(word: str) -> str:
    return f"{quoted(word)} is your safe word now. Send it alone whenever you need a moment."


def safeword_agreed_by(name: str, word: str) -> str:
    return f"{name} agreed: {quoted(word)} is your safe word now. Send it alone whenever you need a moment."


def safeword_declined_by(name: str, word: str) -> str:
    return f"{name} would rather not use {quoted(word)}. You could suggest another word."


def safeword_removed_by(name: str) -> str:
    return f"{name} turned the safe word off. /pause still works for both of you."


SAFEWORD_SAME = "That's already your safe word."
AGREEMENT_DECLINED = "Okay, left as it was."
PAUSE_ASK = "Take the time you need. For how long?"
PAUSE_LENGTHS = ("20 minutes", "1 hour", "2 hours", "Until tomorrow morning")


def pause_started(partner: str, until: str) -> str:
    return (
        f"Take the time you need. {partner} knows you'll be back at {until}, and rituals wait "
        "until then. /resume ends it sooner. Would you like to breathe together?"
    )


def pause_notice(name: str, until: str) -> str:
    return (
        f"{name} needs a moment to settle. They'll be back at {until} (your time). Nothing you "
        "need to do now."
    )


def pause_already(until: str) -> str:
    return f"You're taking a moment until {until}. /resume ends it sooner."


def pause_extended(until: str) -> str:
    return f"Okay, a little longer. Back at {until}."


def pause_extended_notice(name: str, until: str) -> str:
    return (
        f"{name} needs a little longer. They'll be back at {until} (your time). Nothing you need "
        "to do now."
    )


PAUSE_RETURN_SELF = (
    "Coming back together. When you're ready, two gentle ways to start:\n"
    "• “I'm back. Thank you for giving me that time.”\n"
    "• “Can we start again? What I wanted to say was …”"
)


def pause_return_partner(name: str) -> str:
    return (
        f"{name} is coming back. Two gentle ways to start:\n"
        "• “Welcome back. How are you now?”\n"
        "• “I'm glad you took the time. I'm here.”"
    )


EXTEND_BUTTONS = ("⏸ 20 more minutes", "⏸ Another hour")
NOT_PAUSED = "You're not taking a moment right now. /pause starts one."
PAUSE_EXTEND_USED = "You've already extended this moment once. /pause starts a new one."
PAUSE_EXTEND_LATE = "This moment ended a while ago. /pause starts a new one if you need it."
PAUSE_EXTEND_MAX = (
    "A moment lasts a day at most, and this one already reaches that. When it ends, /pause "
    "starts a new one if you need it."
)


def asked_during_pause(notice: str) -> str:
    """A reassurance notice held for the end of a pause (it comes in the pause's bundle, under
    "While you took a moment:"): it is no longer "just now"."""
    return notice.replace(" just now.", ".", 1)


def partner_pausing_note(name: str, until: str) -> str:
    return f"{name} is taking a moment until {until}; they'll hear you asked when they're back."


# --- self-soothing --------------------------------------------------------------------------

STOP_BUTTON = "⏹ Stop"
BREATHE_PHASES = ("Breathe in", "Hold", "Breathe out", "Hold")


def breathe_frame(phase: str, seconds: int, round_no: int, rounds: int) -> str:
    return f"🌬 {phase} … {seconds}\n\nRound {round_no} of {rounds}. Follow the words; nothing else to do."


BREATHE_START = "🌬 Let's breathe together: in 4, hold 4, out 4, hold 4. Starting now."
BREATHE_DONE = "That's it. A little steadier?"
BREATHE_STOPPED = "Stopped. You can come back to /breathe any time."
# A Stop pressed on a run that is gone (it ended, or the bot restarted in between).
BREATHE_OVER = "This breathing has ended. /breathe starts it again any time."
STEADIER_YES = "🙂 A little"
STEADIER_NOT_YET = "Not yet"
STEADIER_GLAD = "Good. I'm here whenever you need a moment."
STEADIER_MORE = (
    "That's okay. Another round of /breathe, or /ground to notice what's around you, can help."
)
GROUND_NEXT = "Next ›"
GROUND_STEPS = (
    "🌿 Look around. Name 5 things you can see.",
    "Now 4 things you can touch. Notice how they feel.",
    "3 things you can hear, near or far.",
    "2 things you can smell — or two smells you like.",
    "1 thing you can taste.",
)
GROUND_DONE = "You're here, in this moment. Take one slow breath. A little steadier?"


def ground_step(index: int) -> str:
    return f"{GROUND_STEPS[index]}\n\nStep {index + 1} of {len(GROUND_STEPS)}. Tap Next when you're ready."


# --- availability ---------------------------------------------------------------------------

BUSY_USAGE = (
    "Send /busy with a time or a length, and a reason if you like: /busy 17:00 work, or "
    "/busy 2h at the gym. /available clears it."
)
BUSY_TOO_LONG = "Busy can last up to 24 hours. For time apart, /away takes a date."
BUSY_NEEDS_ZONE = "To say busy until a clock time, set your time zone first with /timezone — or use a length like /busy 2h."
BUSY_REASON_MAX = 120
# The units of a typed length, as in /busy 2h, /busy 1h30m or /balance 3 90min.
TYPED_HOURS = ("h",)
TYPED_MINUTES = ("min", "m")
AVAILABLE = "You're available again."
NOT_BUSY = "You weren't marked busy."


def busy_set(until: str, reason: str | None) -> str:
    about = f" — {quoted(reason)}" if reason else ""
    return f"You're busy until {until}{about}. Your partner sees it in /status; the agreed words still reach them at once."


def busy_note(name: str, until: str, reason: str | None) -> str:
    """ "Bob is busy until 17:00 (your time, tomorrow) — “at the gym”; it's about that, not about
    you." The reason is quoted as they wrote it, never spliced into the sentence."""
    if reason:
        return f"{name} is busy until {until} — {quoted(reason)}; it's about that, not about you."
    return f"{name} is busy until {until} — it's about their day, not about you."


def busy_status(name: str, until: str, reason: str | None) -> str:
    who = "You're" if not name else f"{name} is"
    return f"{who} busy until {until}" + (f" — {quoted(reason)}" if reason else "") + "."


def pause_status(name: str, until: str) -> str:
    who = "You're" if not name else f"{name} is"
    return f"{who} taking a moment until {until}."


def away_status(name: str, day: str) -> str:
    who = "You're" if not name else f"{name} is"
    return f"{who} away until {day}."


# --- the shared journal ---------------------------------------------------------------------

JOURNAL_MAX_CHARS = 1000
JOURNAL_CAPTION_MAX_CHARS = 900  # a photo caption must fit Telegram's 1024 with the framing
JOURNAL_EMPTY = (
    "Your journal is empty so far. Add a moment with /journal and a few words, or send a photo "
    "with a caption."
)
JOURNAL_PAGE_SIZE = 5
OLDER_BUTTON = "‹ Older"
NEWER_BUTTON = "Newer ›"
SHOW_PHOTOS_BUTTON = "📷 Show photos"
PHOTOS_UNAVAILABLE = "I couldn't show those photos just now. Please try again in a moment."
PHOTO_NEEDS_CAPTION = (
    "To keep a photo in your journal, send it again with a caption — a few words about the moment."
)
APPRECIATE_USAGE = "Send /appreciate and what you appreciate about your partner, for example /appreciate You made me laugh all evening."


def journal_added(partner: str) -> str:
    return f"Added to your journal. {partner} can see it too."


def journal_notice(name: str, words: str) -> str:
    return f"📓 {name} added to your journal:\n{words}"


def appreciation_notice(name: str, words: str) -> str:
    return f"💛 {name} appreciates you:\n{words}"


# An entry on a /journal page is cut to this many UTF-16 units, so five always fit a message.
JOURNAL_LINE_MAX = 650


# The reader, where both partners' entries are listed (the journal, the digest, the picture).
YOU = "You"


def journal_line(name: str, when: str, words: str, photo: bool, appreciation: bool) -> str:
    mark = "💛 " if appreciation else ("📷 " if photo else "")
    return f"{when} · {name}: {mark}{shortened(words, JOURNAL_LINE_MAX)}"


def journal_page(lines: list[str], page: int, pages: int) -> str:
    head = "Your journal" + (f" (page {page} of {pages})" if pages > 1 else "")
    return head + ", newest first:\n\n" + "\n\n".join(lines)


DIGEST_HEAD = "📓 Your week together"
DIGEST_APPRECIATIONS = "Appreciations"
DIGEST_MOMENTS = "Moments"
DIGEST_NOTHING = (
    "No journal entries this week — /journal adds one whenever something feels worth keeping."
)


DIGEST_LINE_MAX = 150  # UTF-16 units of one entry in the digest


def digest_line(day: str, name: str, words: str, photo: bool) -> str:
    """ "• Tue · Sam: 📷 a walk by the river" """
    return f"• {day} · {name}: {'📷 ' if photo else ''}{shortened(words, DIGEST_LINE_MAX)}"


def digest_more(count: int) -> str:
    return f"…and {count} more in /journal."


# --- triggers and I-statements ----------------------------------------------------------------

TRIGGER_MAX_CHARS = 500
TRIGGER_USAGE = (
    "Send /trigger and what happened, for example /trigger You didn't reply all afternoon. It "
    "stays private unless you choose to share it."
)
FEELINGS = ("scared", "unimportant", "alone", "overlooked")
NEEDS = ("reassurance", "closeness", "to be heard", "time together")
OTHER_BUTTON = "Something else"
TRIGGER_FEELING_ASK = "That sounds hard. What did you feel? (This stays private.)"
TRIGGER_NEED_ASK = "And what did you need?"
TRIGGER_FEELING_TYPE = "In a word or two, what did you feel? Send it as your next message."
TRIGGER_NEED_TYPE = "In a few words, what did you need? Send it as your next message."
TRIGGER_WORD_MAX_CHARS = 60
TRIGGER_KEPT = "Kept private. It's in /triggers whenever you want to look back."
TRIGGER_FOR_TALK = "Saved for your next talk. It comes with the talk prompt, for both of you."
TRIGGER_FOR_TALK_NO_RITUAL = (
    "Saved for your next talk. You don't have a talk ritual yet — /ritual add talk 18:00 sun — "
    "until then it waits in /triggers."
)
TRIGGERS_NONE = "Nothing logged yet. /trigger and what happened starts one; it stays private."
TRIGGER_STATUS = {
    "draft": "private, not finished",
    "private": "private",
    "shared": "shared",
    "talk": "for your next talk",
    "talked": "brought to a talk",
}
KEEP_PRIVATE_BUTTON = "🔒 Keep private"
FOR_TALK_BUTTON = "🗓 Bring it to our next talk"


def share_with_button(partner: str) -> str:
    return f"💬 Share with {shortened(partner, 24)}"


def what_happened(typed: str) -> str:
    """Typed words as they read after "When": a capitalised first word is lowered ("You didn't
    reply" → "you didn't reply"), but not "I" or an acronym."""
    if typed[:1].isupper() and not typed[:2].isupper() and not typed.startswith("I "):
        return typed[0].lower() + typed[1:]
    return typed


def i_statement(what: str, feeling: str, need: str) -> str:
    return f"When {what}, I felt {feeling}. I need {need}."


def trigger_offer(statement: str) -> str:
    return f"Here's a way to say it:\n\n{quoted(statement)}\n\nWhat would you like to do with it?"


def trigger_shared(partner: str) -> str:
    return f"Shared with {partner}."


def trigger_from(name: str, statement: str) -> str:
    return f"{name} wanted to share something:\n\n{quoted(statement)}"


def triggers_list(items: list[tuple[str, str, str]]) -> str:
    lines = ["Your log (only you see it, unless you shared):"]
    lines += [f"\n{when} — {text}\n({status})" for when, text, status in items]
    return "\n".join(lines)


TALK_TOPIC_MAX = 400  # UTF-16 units of one statement in a talk prompt


def talk_topics(statements: list[tuple[str, str]]) -> str:
    lines = ["\n\nTo bring up today:"]
    lines += [f"• {name}: {quoted(s)}" for name, s in statements]
    return "\n".join(lines)


# --- time apart -----------------------------------------------------------------------------

AWAY_USAGE = (
    "Send /away and the day you're back, for example /away 2026-12-24 visiting family. /back "
    "ends it early."
)
AWAY_TOO_FAR = "/away takes a day within the next year."
AWAY_NOTE_MAX = 200
NOT_AWAY = "You weren't marked away."
RECONNECT = "You're back together — 20 minutes to reconnect?"
RECONNECT_YES = "💛 I'd like that"


def away_set(day: str) -> str:
    return (
        f"Away until {day}. Date reminders wait until then; check-ins continue. On {day} you'll "
        "both get a nudge to reconnect. /back ends it early."
    )


def away_notice(name: str, day: str, note: str | None) -> str:
    about = f" ({note})" if note else ""
    return (
        f"{name} is away until {day}{about}. Date reminders wait until you're together again; "
        "check-ins continue."
    )


def reconnect_wish(name: str) -> str:
    return f"{name} would like 20 minutes to reconnect with you. 💛"


def reconnect_sent(partner: str) -> str:
    return f"I've let {partner} know."


# --- balance --------------------------------------------------------------------------------

BALANCE_DEFAULT = (3, 120)
BALANCE_USAGE = (
    "Balance: after a number of requests for reassurance within a time, I first offer a minute "
    "of breathing — the words still arrive, always. Both of you agree to it. Send, for example, "
    "/balance 3 2h, or /balance off."
)
BALANCE_BAD = (
    "Send /balance with a number and a length, for example /balance 3 2h (1–20 requests, 30m–24h)."
)
BALANCE_TYPED_JOINERS = ("in", "per")  # /balance 3 in 2h, as well as 3/2h
BALANCE_OFF = "Balance is off: the words always come at once."
BALANCE_NOTHING_TO_CLEAR = "Balance is already off."
BALANCE_SAME = "That's already your balance setting."
PROPOSE_DEFAULT_BUTTON = "Suggest 3 in 2 hours"
BREATHE_FIRST = "Breathe with me first? One minute, then your words are here. They come either way."
BREATHE_FIRST_BUTTON = "🌬 Breathe first"
SKIP_BUTTON = "Just the words"


def balance_words(count: int, minutes: int) -> str:
    """ "after 3 requests within 2 hours, …": a balance setting, from its stored numbers."""
    requests = "1 request" if count == 1 else f"{count} requests"
    hours, rest = divmod(minutes, 60)
    if not rest:
        window = "1 hour" if hours == 1 else f"{hours} hours"
    elif not hours:
        window = f"{minutes} minutes"
    else:
        window = f"{hours} h {rest} min"
    return f"after {requests} within {window}, a minute of breathing is offered first"


def balance_current(description: str) -> str:
    return (
        f"Your balance setting: {description}. The words always arrive. /balance off turns it off."
    )


def balance_proposed(partner: str, description: str) -> str:
    return f"I've asked {partner} to agree: {description}."


def balance_request(name: str, description: str) -> str:
    return (
        f"{name} suggests a balance setting: {description}. The agreed words still always arrive. "
        "Agree?"
    )


def balance_agreed(description: str) -> str:
    return f"Agreed: {description}."


def balance_agreed_by(name: str, description: str) -> str:
    return f"{name} agreed: {description}."


def balance_declined_by(name: str) -> str:
    return f"{name} would rather keep things as they are for now."


def balance_removed_by(name: str) -> str:
    return f"{name} turned balance off: the words always come at once."


REVIEW_KEEP = "👍 Keep them"
REVIEW_CHANGE = "✏️ Change something"
REVIEW_KEPT = "Kept as they are."


def review(labels: list[str]) -> str:
    listed = "\n".join(f"• {label}" for label in labels) or "• (no rituals yet)"
    return f"Do these rituals still work for you both?\n\n{listed}"


def review_kept_by(name: str) -> str:
    return f"{name} is happy with your rituals as they are."


# --- the weekly picture ---------------------------------------------------------------------

INSIGHTS_CAPTION = (
    "Your last 8 weeks together: your check-in moods, the rituals you kept together, and — "
    "only for you — the times you reached for reassurance. A picture, not a score."
)
CHART_TITLE = "Your rhythm together, the last 8 weeks"
CHART_MOOD = "Check-in moods, both of you (1–5)"
CHART_RHYTHM = "Rituals kept together, and your own reassurance requests"
CHART_TOGETHER = "Kept together"
CHART_MY_REQUESTS = "Your requests (only you see these)"

# --- support --------------------------------------------------------------------------------

SUPPORT = (
    "Steady supports practices from therapy; it isn't therapy, and it never diagnoses.\n\n"
    "If things feel heavy, talking to a professional can help:\n"
    "• as a couple — for example Emotionally Focused Therapy (EFT);\n"
    "• on your own — for example CBT or EMDR.\n\n"
    "If you or someone else is in danger, contact your local emergency services now."
)


# --- privacy --------------------------------------------------------------------------------

EXPORT_ABOUT = (
    "Everything Steady stores about you, table by table. Texts you wrote are here as you wrote "
    "them; messages already sent keep no text."
)
EXPORT_CAPTION = (
    "Everything Steady stores about you, as a JSON file — the same as the page above, for "
    "another app."
)
EXPORT_FILENAME = "steady-export.json"
DELETE_CONFIRM = (
    "Delete everything Steady stores about you? Your pairing ends, your partner is told you've "
    "left, and your words, notes, journal entries, triggers and check-ins are erased. This "
    "can't be undone."
)
DELETE_YES_BUTTON = "Yes, delete everything"
DELETED = (
    "Done. Everything Steady stored about you is erased. /start begins again, if you ever want to."
)
DELETE_CANCELLED = "Okay, nothing was deleted."


def partner_deleted(name: str) -> str:
    return f"{name} has left Steady and erased their data, so your pairing has ended."


# --- buttons that are not yours or no longer apply -------------------------------------------

BUTTON_STALE = "This button doesn't work any more."

# --- everything else ------------------------------------------------------------------------

UNKNOWN_COMMAND = "I don't know that command. /help lists everything I can do."
TEXT_ONLY = "I can only read text messages here. /help lists what I can do."
EDITED_MESSAGE = "I act on new messages only — please send it again if you meant something by it."
PRIVATE_ONLY = "I work in a private chat only. Open a chat with me directly to use Steady."
SOMETHING_WENT_WRONG = "Something went wrong on my side. Please try again in a moment."


# Telegram measures text in UTF-16 code units (an emoji is two): 4096 for a message, 1024 for
# a caption. Pages leave room so they never brush against the limit.
PAGE_LIMIT = 3800


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def shortened(words: str, limit: int) -> str:
    """Words on one line, cut to `limit` UTF-16 units (Telegram's measure) with an ellipsis."""
    flat = " ".join(words.split())
    if utf16_len(flat) <= limit:
        return flat
    cut: list[str] = []
    size = 0
    for char in flat:
        size += 2 if ord(char) > 0xFFFF else 1
        if size > limit - 1:
            break
        cut.append(char)
    return "".join(cut) + ELLIPSIS


NAMELESS = "Partner"  # for a Telegram name made only of control characters
REMOVE_LABEL_PREFIX = "✖ "
ELLIPSIS = "…"


def idle_text_paired(partner: str) -> str:
    return (
        f"I only pass words to {partner} when you ask me to. Tap {REASSURE_BUTTON} when you need "
        "it, or see /help."
    )


IDLE_TEXT_UNPAIRED = (
    "I'm here to help two partners keep small, reliable rituals. Send /pair to invite your "
    "partner, or /help to see everything."
)


# --- for the person running Steady (terminal, not Telegram) ----------------------------------

NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather in Telegram (send it /newbot), "
    "then put TELEGRAM_BOT_TOKEN=<your token> in a file named .env next to the Makefile, or in "
    "the environment."
)
MALFORMED_TOKEN = (
    "TELEGRAM_BOT_TOKEN does not look like a bot token (it should be digits, a colon and a long "
    "code, as @BotFather gives it): copy it again from @BotFather (/mybots → your bot → API "
    "Token)."
)
REJECTED_TOKEN = (
    "Telegram did not accept TELEGRAM_BOT_TOKEN: copy the token again from @BotFather "
    "(/mybots → your bot → API Token) and set it in .env."
)
BAD_DATA_KEY = (
    'DATA_KEY (or DATA_KEY_PREVIOUS) is not a Fernet key: make one with python -c "from '
    'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" and keep it safe '
    "— without it, encrypted text can't be read."
)
DATA_KEY_NEEDED = (
    "The database holds encrypted text that the configured keys don't open: set DATA_KEY to the "
    "key it was written with (or list that key in DATA_KEY_PREVIOUS)."
)


def rotated(count: int) -> str:
    return f"Encrypted {count} stored values with the current DATA_KEY."


def stats_report(couples: int, people: int, rituals: int, deliveries: dict[str, int]) -> str:
    outcomes = ", ".join(f"{status} {n}" for status, n in sorted(deliveries.items())) or "none"
    return (
        f"couples: {couples}\n"
        f"people: {people}\n"
        f"active rituals: {rituals}\n"
        f"deliveries in the last 24 h: {sum(deliveries.values())} ({outcomes})"
    )


ROTATE_NEEDS_KEY = "Set DATA_KEY first: rotate-key encrypts everything with it."
DATABASE_UP_TO_DATE = "The database is up to date."


WEBHOOK_SECRET_NEEDED = (
    'WEBHOOK_URL is set but WEBHOOK_SECRET is not: make one with python -c "import secrets; '
    'print(secrets.token_urlsafe(32))" and set WEBHOOK_SECRET=<it>, so that only Telegram can '
    "post updates to the bot."
)


def cannot_listen(address: str, error: str) -> str:
    return (
        f"Could not listen for Telegram's webhook on {address} ({error}): is another program "
        "using that port? Change WEBHOOK_LISTEN."
    )


def cannot_serve_metrics(address: str, error: str) -> str:
    return (
        f"Could not serve /metrics and /healthz on {address} ({error}): is another program "
        "using that port? Change METRICS_LISTEN."
    )


def webhook_refused(reason: str) -> str:
    return f"Telegram refused the webhook ({reason}): check WEBHOOK_URL — it must be public HTTPS."


def settings_to_fix(problems: str) -> str:
    return f"A setting needs fixing — {problems}."


# What is wrong with one setting; settings_to_fix lists them after the setting's name.
DATABASE_URL_BAD = (
    "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user:pass@host/db"
)
WEBHOOK_URL_BAD = "it must be the public https:// address Telegram posts updates to"
WEBHOOK_SECRET_BAD = "use 16 to 256 characters: letters, digits, _ and -"
LISTEN_BAD = "use host:port, for example 127.0.0.1:8080"
API_BASE_URL_BAD = "it must start with http:// or https://"


def api_unreachable(base: str, error: str) -> str:
    return (
        f"Could not reach the Telegram Bot API at {base} ({error}): check the internet "
        "connection and TELEGRAM_API_BASE_URL."
    )


def database_unreachable(url: str, error: str) -> str:
    return (
        f"Could not open the database at {url} ({error}): check DATABASE_URL and that the "
        "database is reachable."
    )


# Pause bundle -------------------------------------------------------------------------------
# What the partner sent during a pause arrives as one message when it ends (bot/services/pause.py).

PAUSE_BUNDLE_HEAD = "While you took a moment:"
PAUSE_BUNDLE_MORE = "While you took a moment (continued):"  # the head of a bundle's next part
PAUSE_BUNDLE_PHOTO = "\n(with a photo — /journal shows it)"
MESSAGE_MAX_CHARS = 4096  # Telegram's limit for one message


def pause_started_partner_paused(partner: str, until: str) -> str:
    """Started while the partner is taking a moment too: they hear of it when theirs ends, and
    only if this one is still going then."""
    return (
        f"Take the time you need. Rituals wait until {until}. {partner} is taking a moment too; "
        "if yours is still going when theirs ends, they'll hear when you'll be back. /resume "
        "ends it sooner. Would you like to breathe together?"
    )


def pause_bundle(items: list[str]) -> list[str]:
    """The held messages, oldest first, under one heading; only if they don't fit in one
    Telegram message do they go in more (the partner's words are never cut)."""
    parts: list[str] = []
    current = PAUSE_BUNDLE_HEAD
    for item in items:
        joined = f"{current}\n\n{item}"
        if utf16_len(joined) > MESSAGE_MAX_CHARS and current != PAUSE_BUNDLE_HEAD:
            parts.append(current)
            joined = f"{PAUSE_BUNDLE_MORE}\n\n{item}"
        if utf16_len(joined) > MESSAGE_MAX_CHARS:  # one message as long as Telegram allows
            joined = item
        current = joined
    parts.append(current)
    return parts


def bundle_item(number: int, text: str) -> str:
    """An item of a bundle whose buttons would look like another item's: it is numbered."""
    return f"[{number}] {text}"


def bundle_label(label: str, number: int) -> str:
    """A button of a numbered bundle item: it says which item it answers."""
    return f"{label} [{number}]"


def bundle_number(label: str) -> int | None:
    """The item a numbered bundle button answers (bundle_label), if it is one."""
    found = re.search(r" \[(\d+)\]$", label)
    return int(found.group(1)) if found else None


def is_bundle(text: str | None) -> bool:
    """Whether a message is (a part of) a pause's bundle."""
    return text is not None and text.startswith((PAUSE_BUNDLE_HEAD, PAUSE_BUNDLE_MORE))


# Balance ---------------------------------------------------------------------------------------
# The partner's notice of a request past the agreed balance says what actually happened.


def reassurance_asked_breathing_offered(requester: str, words: str) -> str:
    return (
        f"{requester} asked for reassurance and took a minute to breathe first. Your words reach "
        f"them now: {quoted(words)}\nYou can follow up with one tap."
    )


def reassurance_asked_breathing(requester: str, words: str) -> str:
    return (
        f"{requester} asked for reassurance and chose to breathe first. Your words reach them in "
        f"a minute: {quoted(words)}\nYou can follow up with one tap."
    )


def reassurance_asked_words_now(requester: str, words: str) -> str:
    return (
        f"{requester} asked for reassurance just now. Your words reach them now: {quoted(words)}"
        "\nYou can follow up with one tap."
    )


def reassurance_asked_after_breathing(requester: str, words: str) -> str:
    return (
        f"{requester} asked for reassurance and had a minute to breathe first, then your words: "
        f"{quoted(words)}\nYou can follow up with one tap."
    )


# Joint rituals and the question ---------------------------------------------------------------
# A joint ritual (date, talk, question, the digest and review) happens at one instant for both,
# on the couple's clock; every time shown says whose clock it is and what it is for the reader.


def zone_city(zone: str) -> str:
    """ "Europe/Berlin" → "Berlin", "America/New_York" → "New York": how a clock is named."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def your_time(time: str, shift: int, days: int, every_day: bool) -> str:
    """The reader's side of a shared time: "12:00", "Saturdays 01:00", "04:00 the next day"."""
    if shift == 0:
        return time
    if every_day:
        return f"{time} the {'next day' if shift > 0 else 'day before'}"
    return f"{days_words(days)} {time}"


def joint_label(
    kind: str, time: str, days: int, city: str, mine: str | None, paused: bool = False
) -> str:
    """ "Weekly talk · Sundays 18:00 Berlin (12:00 your time)"; "… Berlin time" when the clocks
    agree."""
    yours = f" ({mine} your time)" if mine is not None else _time_word(city)
    text = f"{RITUAL_NAMES[kind]} · {days_words(days)} {time} {city}{yours}"
    return text + (" (paused)" if paused else "")


def _time_word(city: str) -> str:
    """ "Berlin time", but plain "UTC"."""
    return "" if city == "UTC" else " time"


# After a check-in's label: whose clock it follows.
OWN_CLOCKS = " · each at your own local time"


def giver_clock(giver: str | None, mine: str | None) -> str:
    """After a nudge's label: " · your clock", or " · Sam's clock (09:00 your time)"."""
    if giver is None:
        return " · your clock"
    return f" · {giver}'s clock" + (f" ({mine} your time)" if mine is not None else "")


def moment(weekday: str, time: str, city: str, mine: str | None, my_weekday: str | None) -> str:
    """ "Friday 19:00 Berlin (13:00 your time)" — one instant on the couple's clock and yours."""
    if mine is None:
        return f"{weekday} {time} {city}{_time_word(city)}"
    return f"{weekday} {time} {city} ({f'{my_weekday} ' if my_weekday else ''}{mine} your time)"


def clock_chosen(city: str) -> str:
    return (
        f"Shared rituals happen at one moment for you both, on {city} time. Either of you can "
        "change that with /ritual zone <Area/City>."
    )


def clock_adopted(city: str, name: str) -> str:
    return (
        f"Your shared rituals now follow {city} time ({name}'s clock), one moment for you both. "
        "Either of you can change it with /ritual zone <Area/City>."
    )


def _joint_lines(labels: list[str]) -> str:
    return "".join(f"\n• {label}" for label in labels)


def clock_view(city: str | None, labels: list[str]) -> str:
    if city is None:
        return (
            "Shared rituals (date, talk, question) happen at one moment for you both, on a clock "
            "you choose. Set it with /ritual zone <Area/City>, e.g. /ritual zone Europe/Berlin."
        )
    return (
        f"Your shared rituals follow {city} time, one moment for you both.{_joint_lines(labels)}\n"
        "Change it with /ritual zone <Area/City>."
    )


def clock_set(city: str, labels: list[str]) -> str:
    return f"Your shared rituals now follow {city} time.{_joint_lines(labels)}"


def partner_moved_clock(name: str, city: str, labels: list[str]) -> str:
    return f"{name} moved your shared rituals to {city} time.{_joint_lines(labels)}"


CLOCK_SAME = "Your shared rituals already follow that clock."
RITUAL_PICK_SHARED_TIME = (
    "At what time? It's one moment for you both, on your shared clock (yours, if you haven't "
    "chosen one yet)."
)


def clock_unknown(suggestions: list[str]) -> str:
    text = "I don't know that time zone. Send /ritual zone <Area/City>, e.g. /ritual zone Europe/Berlin."
    if suggestions:
        text += " Did you mean: " + ", ".join(suggestions) + "?"
    return text


# When a date is announced: the day before at its time, or the morning of.
DATE_AHEAD_WORDS = {"eve": "the day before", "morning": "on the morning of the day"}
TYPED_DATE_AHEAD = {
    "eve": "eve",
    "day-before": "eve",
    "daybefore": "eve",
    "before": "eve",
    "morning": "morning",
}
DATE_AHEAD_USAGE = (
    "Send /ritual remind eve (a date is announced the day before, at its time) or "
    "/ritual remind morning (at 09:00 on the day)."
)
DATE_AHEAD_SAME = "That's already how your dates are announced."


def date_ahead_set(ahead: str) -> str:
    return f"Your dates are now announced {DATE_AHEAD_WORDS[ahead]}, to you both."


def partner_set_date_ahead(name: str, ahead: str) -> str:
    return f"{name} chose to have your dates announced {DATE_AHEAD_WORDS[ahead]}."


DATE_ALREADY_PLANNED = "Already planned ✓"


def review_changed_by(name: str) -> str:
    return f"{name} would like to change something in your rituals. /rituals shows them."


# The question for two
QUESTION_ANSWER_BUTTON = "✍️ Answer"


def question_prompt(question: str) -> str:
    return (
        f"A question for you both:\n\n“{question}”\n\n"
        "Your answer stays between you and Steady until you've both answered; then you both see both."
    )


def question_answer_prompt(question: str) -> str:
    return f"“{question}”\nThe next text you send is your answer."


QUESTION_KEPT = "Kept. When you've both answered, you'll both see both answers."
QUESTION_ALREADY = "You've answered this one. Both answers come once you've both answered."
QUESTION_PASSED = "That question has passed. A new one comes at the next time."


def question_revealed(question: str, mine: str, name: str, theirs: str) -> str:
    return f"You both answered “{question}”\n\nYou: {mine}\n\n{name}: {theirs}"


# At least 60, asked in a different order for each couple, none twice until all were asked.
QUESTIONS: tuple[str, ...] = (
    "What's one small thing I do that makes you feel loved?",
    "When did you first feel you could really trust me?",
    "What's a memory of us you return to when you need comfort?",
    "What helps you feel close to me when we're apart?",
    "What's something you'd love us to do together this year?",
    "Which words from me mean the most to you?",
    "What did you notice about me the first time we met?",
    "When do you feel most at home with me?",
    "What's one thing you'd like me to understand better about you?",
    "Which day with me would you like to live again?",
    "What's a hope you have for us that you haven't said out loud?",
    "How do you most like to be comforted after a hard day?",
    "What's something I did recently that you appreciated?",
    "What's a place you'd love us to see together?",
    "What do you think we're good at, as a couple?",
    "When did you last feel proud of us?",
    "What's a song that makes you think of me?",
    "What's a small ritual of ours you'd miss if it stopped?",
    "What makes you feel seen by me?",
    "What's a meal that reminds you of a good moment of ours?",
    "What's one way I could show you love that would surprise you?",
    "What did you learn from our first disagreement?",
    "What's a quality of mine you'd like to have too?",
    "What do you want our ordinary Sundays to feel like?",
    "What's something that made you laugh with me lately?",
    "Which touch or gesture from me calms you most?",
    "What's a dream of yours I could help with?",
    "When have you felt most supported by me?",
    "What's a tradition you'd like us to start?",
    "What's a moment when you felt I really listened?",
    "What does a perfect lazy day with me look like?",
    "What's something about your childhood you'd like me to know?",
    "What helps you most when you feel unsure of us?",
    "What's a photo of us you love, and why?",
    "Which of your needs do you find hardest to ask for?",
    "What would you like us to do more of?",
    "What's a kindness from me you still think about?",
    "What do you imagine us doing in ten years?",
    "How do you know, without words, that I care?",
    "What's a trip or outing of ours you'd repeat tomorrow?",
    "What's something new you'd like to learn together?",
    "What makes our home feel like ours?",
    "What's a fear that feels lighter when we talk about it?",
    "Which of my habits secretly makes you smile?",
    "What did you think the first time you heard my voice?",
    "What's one thing you'd like to thank me for today?",
    "When do you feel most playful with me?",
    "What's a book, film or show you'd love us to share?",
    "How would you like us to celebrate the next good news?",
    "What's one thing that helps you reconnect after we argue?",
    "What's a moment you felt we were a team?",
    "What do you hope I never stop doing?",
    "What are you looking forward to with me this month?",
    "What's a word that describes us right now?",
    "What's a little surprise you'd love to get from me?",
    "When did you last feel completely relaxed with me?",
    "What's one thing you'd like to hear from me more often?",
    "What's a challenge we got through that you're glad about?",
    "How do you like to be greeted when we see each other again?",
    "What's a memory of us that still makes you blush?",
    "What does feeling safe with me mean to you?",
    "What's a way you'd like us to spend time apart and still feel close?",
    "What's something about me you'd brag about to a friend?",
    "Which season feels most like us, and why?",
    "What's the kindest thing I've said to you?",
)
# Answering warmth ----------------------------------------------------------------------------
# 💛 and ✍️ Reply under the partner's words; "Send this to Sam?" for free text typed soon after
# them; a hard moment answered (bot/services/replies.py, bot/services/comfort.py).

TAPBACK_BUTTON = "💛"
WARM_REPLY_BUTTON = "✍️ Reply"
TAPBACK_ALREADY = "Already sent."


def tapped_back(name: str) -> str:
    return f"{name} sent 💛 back."


def send_this(partner: str) -> str:
    return f"Send this to {partner}?"


def send_draft_button(partner: str) -> str:
    return f"Send to {partner}"


KEEP_DRAFT_BUTTON = "Keep it"
DRAFT_KEPT = "Kept. Nothing was sent."

HUG_BUTTON = "💛 Send a hug"
CALL_BUTTON = "📞 I'll call"
WRITE_BUTTON = "✍️ Write"
COMFORT_ALREADY = "Already sent."


def hug_from(name: str) -> str:
    return f"💛 {name} sends you a hug."


def will_call(name: str) -> str:
    return f"📞 {name}: I'll call you."


OKAY_BUTTON = "💛 I'm okay now"


def okay_offer(partner: str) -> str:
    return f"If you'd like {partner} to know you're steadier, one tap tells them."


def okay_now(name: str) -> str:
    return f"{name} is okay now."


def okay_told(partner: str) -> str:
    return f"I've let {partner} know."


OKAY_ALREADY = "They already know."
STARTER_TYPE_TIME = "Tap a time, or type your own (like 19:45)."
STARTER_BAD_TIME = "That isn't a time I can read. Type it as HH:MM, like 19:45, or tap a time."
# Dates that matter ---------------------------------------------------------------------------

DATE_NAME_MAX = 60
DATES_MAX = 30
# What people type after /dates.
TYPED_DATE_ACTIONS = {
    "add": "add",
    "set": "add",
    "list": "list",
    "remove": "remove",
    "delete": "remove",
    "rm": "remove",
}
TYPED_ANNIVERSARY = "anniversary"
TYPED_BIRTHDAY = "birthday"
TYPED_ME = {"me", "my", "mine", "myself"}
TYPED_PARTNER = {"partner", "partners", "partner's"}
TYPED_MONTHS = tuple(
    (short.lower(), full)
    for short, full in zip(
        MONTHS_SHORT,
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        strict=True,
    )
)
DATES_USAGE = (
    "Add a date that matters with /dates add, then what it is and the day:\n"
    "/dates add anniversary 2019-06-14\n"
    "/dates add birthday 1990-04-03 (yours)\n"
    "/dates add birthday partner 1991-11-20\n"
    "/dates add First trip together 14 Sep\n"
    "/dates alone lists them; /dates remove 2 removes the second."
)
DATES_EMPTY = "No dates yet.\n\n" + DATES_USAGE
DATE_NAME_EMPTY = (
    "What should the date be called? For example /dates add First trip together 2021-09-14."
)
DATES_FULL = f"You have {DATES_MAX} dates already. Remove one with /dates remove <number> first."
DATE_UNCHANGED = "That date is already in your dates, just like that."
DATE_REMOVE_USAGE = "Send /dates remove and the number from /dates, for example /dates remove 2."
DATE_REMOVE_BUTTON = "✖ Remove"


def date_unreadable(typed: str) -> str:
    typed = typed if len(typed) <= 30 else typed[:29] + "…"  # an echo, not a wall of text
    return (
        f"I couldn't read {quoted(typed)} as a day of the year. Write it like 2019-06-14 or "
        "14 Jun. Nothing was added."
    )


def date_year_unlikely(year: int) -> str:
    return f"{year} looks like a typo for the year. Nothing was added."


def date_name_too_long(length: int) -> str:
    return (
        f"That name is {length} characters; please keep it to {DATE_NAME_MAX} or fewer. "
        "Nothing was added."
    )


def no_such_date(number: int) -> str:
    return f"There's no date number {number}. /dates shows them, numbered."


def day_of_year(month: int, day: int, year: int | None = None) -> str:
    """ "14 Jun", or "14 Jun 2019" with the year it began."""
    label = f"{day} {MONTHS_SHORT[month - 1]}"
    return f"{label} {year}" if year else label


def date_title(kind: str, name: str | None, whose: str | None) -> str:
    """What a date is called for the reader: whose is "" for their own birthday, else a name."""
    if kind == "anniversary":
        return "Your anniversary"
    if kind == "birthday":
        return "Your birthday" if not whose else f"{whose}'s birthday"
    return quoted(name or "")


def in_days(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def date_line(number: int, title: str, day: str, next_day: date, days: int) -> str:
    if days == 0:
        return f"{number}. {title} · {day} — today"
    return f"{number}. {title} · {day} — next {date_label(next_day)}, {in_days(days)}"


def dates_list(lines: list[str], remind_at: str) -> str:
    return "\n".join(
        [
            "Dates that matter:",
            *lines,
            "",
            f"Each of you gets a reminder a week and a day before, at {remind_at} your time "
            "(a birthday's go to the other of you). /dates add adds one.",
        ]
    )


def date_added(title: str, day: str, partner: str, remind_at: str) -> str:
    return (
        f"Added: {title} · {day}. {partner} knows too. Reminders come a week and a day "
        f"before, at {remind_at} your time."
    )


def date_changed(title: str, old: str, new: str, partner: str) -> str:
    return f"Changed: {title} · {old} → {new}. {partner} knows too."


def date_removed(title: str, day: str, partner: str) -> str:
    return f"Removed: {title} · {day}. {partner} knows too."


def date_added_notice(name: str, title: str, day: str) -> str:
    return f"{name} added a date that matters: {title} · {day}. See them all with /dates."


def date_changed_notice(name: str, title: str, old: str, new: str) -> str:
    return f"{name} changed a date that matters: {title} · {old} → {new}."


def date_removed_notice(name: str, title: str, day: str) -> str:
    return f"{name} removed a date: {title} · {day}."


def day_ahead(title: str, lead: int, occasion: date, years: int | None) -> str:
    """A week or a day ahead; with how many years, for an anniversary with its year."""
    when = "tomorrow" if lead == 1 else "in a week"
    since = f" — {years} {'year' if years == 1 else 'years'}" if years else ""
    return f"{title} is {when}, {date_label(occasion)}{since}. 🗓"


def away_countdown(days: int) -> str:
    """After "… away until Tue 10 Mar." in /status."""
    return "Back tomorrow." if days <= 1 else f"Back in {days} days."


def reunion_eve(partner: str) -> str:
    """The evening before time apart ends, to each of you."""
    return f"One more night — tomorrow you and {partner} are together again. 🌙"


# Picture and export --------------------------------------------------------------------------

PICTURE_STEADIER = "Steadier than last week"
PICTURE_HEAVIER = "A heavier week than the last — go gently"
PICTURE_EVEN = "About as steady as last week"
_COUNT_WORDS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")


def _count(n: int) -> str:
    return _COUNT_WORDS[n] if n < len(_COUNT_WORDS) else str(n)


def picture_summary(trend: str | None, checkins: int, rituals: int, any_mood: bool) -> str:
    """The weekly picture's one sentence: `trend` (one of the PICTURE_ words, or None when a week
    has no check-ins to compare), `checkins` days both of you checked in, `rituals` other rituals
    kept together this week."""
    kept = checkins + rituals
    if kept == 0:
        together = ""
    elif rituals == 0:
        together = f"{_count(kept)} check-in{'s' if kept != 1 else ''} together"
    else:
        together = f"{_count(kept)} ritual{'s' if kept != 1 else ''} kept together"
    if trend is not None and together:
        return f"{trend}, with {together[0].lower()}{together[1:]}."
    if trend is not None:
        return f"{trend}."
    if together:
        return f"{together} this week."
    if any_mood:
        return "A week of check-ins — the picture fills in as you go."
    return "A quiet week — nothing to draw yet, and that's fine."


def picture_caption(summary: str) -> str:
    return f"{summary}\n\n{INSIGHTS_CAPTION}"


EXPORT_READABLE_FILENAME = "steady-export.txt"
EXPORT_READABLE_CAPTION = (
    "Everything Steady keeps about you, as a page to read: your words, your partner's, your "
    "rituals, journal, triggers, check-ins and dates, each with its date."
)
EXPORT_NOTES = "Notes you wrote for nudges"
EXPORT_RITUALS = "Your rituals"
EXPORT_JOURNAL = "Your journal, both of you"
EXPORT_TRIGGERS = "Your triggers"
EXPORT_CHECKINS = "Your check-ins"
EXPORT_REQUESTS = "When you tapped 💛 Reassure me"
EXPORT_DATES = "Dates that matter"
EXPORT_NOTHING = "  (nothing yet)"
EXPORT_FOOT = (
    "\nBot chats are not end-to-end encrypted. /delete erases everything Steady keeps about you."
)


def export_head(name: str, when: str, zone: str | None) -> str:
    clock = f"your time, {zone}" if zone else "UTC — you haven't set a time zone"
    return f"Steady — what we keep for {name}\nExported {when} ({clock}). Every time below is on this clock."


def export_when(moment: datetime) -> str:
    """ "Tue 01 Dec 2026, 18:20" on the reader's clock."""
    return f"{entry_date(moment.date())} {moment.year}, {clock(moment)}"


def export_section(title: str, lines: list[str]) -> list[str]:
    return ["", title, "-" * len(title), *(lines or [EXPORT_NOTHING])]


def export_line(when: str, text: str, who: str | None = None) -> str:
    return f"• {when} — {who + ': ' if who else ''}{text}"


def export_request(when: str) -> str:
    return f"• {when}"


def export_your_words(partner: str | None) -> str:
    return f"Your words for {partner}" if partner else "Your words for your partner"


def export_partner_words(partner: str | None) -> str:
    return f"{partner}'s words for you" if partner else "Your partner's words for you"


def export_phrase(text: str, agreed: bool, when: str) -> str:
    state = f"agreed {when}" if agreed else f"suggested {when}, not agreed yet"
    return f"• {quoted(text)} — {state}"


def export_ritual(label: str, paused: bool) -> str:
    return f"• {label}{' (paused)' if paused else ''}"


def export_trigger(when: str, what: str, feeling: str | None, need: str | None) -> str:
    parts = [quoted(what)]
    if feeling:
        parts.append(f"I felt {feeling}")
    if need:
        parts.append(f"I needed {need}")
    return f"• {when} — {'; '.join(parts)}"


def export_checkin(when: str, mood: int, note: str | None) -> str:
    line = f"• {when} — mood {MOODS.get(mood, str(mood))}"
    return f"{line}: {quoted(note)}" if note else line


# Words that read right

AWAY_TODAY = "That's today. /away takes the day you're back — tomorrow or later."


def away_no_such_day(typed: str) -> str:
    """ "/away 2026-13-45": written like a date, but the calendar has no such day."""
    return (
        f"{typed} isn't a date that exists — months go from 1 to 12, and days only as far as the "
        "month has. For example: /away 2026-12-24."
    )


def away_past(day: date, this_year: int) -> str:
    """A return day that has already passed, named so it is plain which one ("Wed 24 Dec 2025")."""
    named = date_label(day) + (f" {day.year}" if day.year != this_year else "")
    return f"{named} is in the past. /away takes the day you're back — tomorrow or later."


def request_not_reached(partner: str) -> str:
    """A 💛 request whose notice could not reach the partner: she wrote no message, so none is
    said to be lost."""
    return (
        f"{partner} couldn't be reached just now, so they don't know you asked. You can ask "
        "again in a little while."
    )


def day_from_today(days: int, day: date) -> str:
    """A day after today, as said after a time: "tomorrow", else its name ("Friday")."""
    return "tomorrow" if days == 1 else WEEKDAY_NAMES[day.weekday()]


def until_words(clock: str, day: str | None, yours: bool) -> str:
    """A time someone else set, in the reader's time: "17:00 (your time, tomorrow)"; on the
    reader's own clock, or in UTC before they have a zone: "17:00 tomorrow", "11:00 UTC"."""
    if yours:
        return f"{clock} (your time{f', {day}' if day else ''})"
    return f"{clock} {day}" if day else clock


# Whether typed words read right after "When" (bot/services/triggers.py: reads_as_clause).
CLAUSE_SUBJECTS = frozenset(
    {"i", "you", "we", "they", "he", "she", "it", "there", "nobody", "somebody", "someone"}
)
CLAUSE_VERBS = frozenset(
    {
        "was",
        "were",
        "is",
        "are",
        "am",
        "did",
        "had",
        "has",
        "have",
        "got",
        "went",
        "came",
        "said",
        "told",
        "left",
        "forgot",
        "took",
        "kept",
        "made",
        "ran",
        "saw",
        "heard",
        "gave",
        "felt",
        "met",
        "sent",
        "spent",
        "began",
        "broke",
        "fell",
        "hung",
        "lost",
        "never",
        "won't",
        "can't",
    }
)
CLAUSE_DETERMINERS = frozenset(
    {"a", "an", "the", "my", "your", "our", "his", "her", "their", "this", "that", "no", "one"}
)
CLAUSE_NEGATION = "n't"
CLAUSE_PAST = "ed"
CLAUSE_PUNCTUATION = ",.;:!?()\"'“”‘’"


def without_when(typed: str) -> str:
    """ "When you left" typed in answer to "When you …" → "you left"."""
    first, _, rest = typed.partition(" ")
    return rest if first.lower() == "when" and rest else typed


def when_you(typed: str) -> str:
    """The end of "When you …" → "you replied hours later"."""
    return f"you {typed}"


TRIGGER_WHEN_YOU_AGAIN = "How would you finish “When you …”? Send it as your next message."


def trigger_when_you(typed: str) -> str:
    """/trigger with words that would not read right after "When" ("late reply")."""
    return (
        f"{quoted(typed)} — how would you finish “When you …”? For example: replied hours "
        "later. Send it as your next message."
    )


# A one-tap reply tapped again: it went the first time.
ALREADY_SENT = "Already sent."


def chosen(choice: str) -> str:
    """Beneath a question whose buttons went: the choice made."""
    return f"✓ {choice}"


def settled(question: str, outcome: str) -> str:
    """A question whose buttons went, with what became of the press beneath it."""
    return f"{question}\n\n{outcome}"


# Menu and help -------------------------------------------------------------------------------

BREATHE_BUTTON = "🌬 Breathe"
GROUND_BUTTON = "🌿 Ground"


def nudge_to_agree_words(requester: str) -> str:
    """Under the partner's first "asked, no words yet" notice, once."""
    return (
        f"Words you agree on now reach {requester} at once next time, even while you sleep: "
        "offer some with a tap."
    )


MENU_BUTTON = "☰ More"
MENU_TEXT = "What would help right now? Everything is a tap away."
# ☰ More and /help: (action, label), in rows. The actions are bot/handlers/menu.py's.
MENU_ROWS: list[list[tuple[str, str]]] = [
    [("b", "🌬 Breathe"), ("g", "🌿 Ground")],
    [("u", "💼 Busy"), ("a", "🧳 Time apart")],
    [("t", "🪞 A trigger"), ("j", "📔 Journal")],
    [("r", "🔁 Rituals"), ("d", "🗓 Dates")],
    [("w", "💬 Words"), ("p", "📈 Picture")],
    [("h", "❔ Help")],
]
# Voice words
# A recording as agreed words: a voice message or a video note the giver recorded, sent on 💛
# by Telegram's file_id (bot/services/voice.py).

RECORDING_MAX_SECONDS = 60
VOICE_MARK = "🎤"
VIDEO_MARK = "📹"


def duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def recording_label(kind: str, seconds: int) -> str:
    """How a recording is named wherever words are shown: "🎤 a voice message (0:12)"."""
    if kind == "video_note":
        return f"{VIDEO_MARK} a video message ({duration(seconds)})"
    return f"{VOICE_MARK} a voice message ({duration(seconds)})"


_RECORDING_LABEL = re.compile(
    rf"(?:{VOICE_MARK} a voice|{VIDEO_MARK} a video) message \(\d+:\d\d\)"
)


def is_recording_label(words: str) -> bool:
    return _RECORDING_LABEL.fullmatch(words) is not None


RECORD_HINT = (
    f"Or record it: a voice message {VOICE_MARK} or a round video message {VIDEO_MARK} "
    "(up to a minute) — they'll hear your own voice."
)


def recording_too_long(seconds: int) -> str:
    return (
        f"That recording is {duration(seconds)} long. Words for a hard moment work best short — "
        f"could you record them again in under a minute? I'm still listening."
    )


RECORDING_EMPTY = "That recording seems to be empty. Could you record it again?"


def recording_offer(giver: str, words: str, asked: str | None) -> str:
    """To the receiver, with the recording (its caption, or just under a video message)."""
    pointer = "" if words.startswith(VOICE_MARK) else " ☝️"
    why = (
        f"{giver} answered your request {quoted(asked)} with a recording"
        if asked
        else f"{giver} recorded words for you"
    )
    return (
        f"{why}{pointer}: {words}\n\n"
        f"Listen first. Would you like to hear it when you tap {REASSURE_BUTTON}?"
    )


def recording_sent_to_listen(receiver: str, words: str) -> str:
    return (
        f"Sent to {receiver} to listen to: {words}\n"
        f"It is only ever played to {receiver} if they accept it; you'll hear when they answer."
    )


def recording_words(partner: str, words: str) -> str:
    """On 💛: the caption of the partner's voice message (or the line under their video)."""
    pointer = "" if words.startswith(VOICE_MARK) else " ☝️"
    return f"💛 From {partner}, in their own voice{pointer}"


def recording_not_awaited(partner: str) -> str:
    return (
        f"A recording can become words {partner} hears when they tap {REASSURE_BUTTON}: "
        "send /offer (or choose Offer words in /phrases), then record. "
        "Stickers, photos and other files I can't use here."
    )


RECORDING_UNPAIRED = (
    "Recordings become words your partner hears on a hard day — once you're paired. "
    "/start shows how to pair."
)
RECORDING_ASK_WITH_TEXT = (
    "Recordings are words your partner records for you. Ask with typed words "
    "(your next message), and they can answer with a recording."
)
RECORDING_NOT_HERE = (
    "I need typed words for this one. Recordings can be words you offer (/offer) or a note "
    "for your partner (/note)."
)
RECORDING_GONE = (
    "(The recording itself couldn't be played: Telegram no longer has it. "
    "/phrases shows the words you have; a new one can be recorded any time.)"
)


def letter_prompt(partner: str) -> str:
    return (
        f"What would you like {partner} to find at your next nudge time? Type it as your next "
        f"message — or record a voice message {VOICE_MARK}."
    )
