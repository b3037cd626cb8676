"""Every word Steady says, in one place, so the tone can be read and changed in one pass.

Tone (../shared/PRODUCT.md): second person, present tense, one or two short sentences, at most
one emoji, no exclamation marks, no clinical labels. Buttons are verbs. Messages are sent as plain
text, so anything a person typed is shown exactly as typed."""

from __future__ import annotations

# --- buttons and labels that are part of the interface -------------------------------------

REASSURE_BUTTON = "💛 Reassure me"
AGREE_BUTTON = "✅ Agree"
EDIT_BUTTON = "✏️ Edit"
DECLINE_BUTTON = "✖ Decline"
ACCEPT_BUTTON = "✅ Accept"
NO_THANKS_BUTTON = "✖ No thanks"
REMOVE_BUTTON = "✖ Remove"
UNPAIR_YES_BUTTON = "Yes, unpair"
CANCEL_BUTTON = "Cancel"
PROPOSE_BUTTON = "➕ Ask for words"
OFFER_BUTTON = "➕ Offer words"
REMOVE_SOME_BUTTON = "✖ Remove words"
DONE_BUTTON = "Done"
PREVIOUS_BUTTON = "‹ Back"
NEXT_BUTTON = "More ›"

REPLY_HERE = "💛 I'm here"
REPLY_CALL = "📞 I'll call soon"
REPLY_TONIGHT = "🕐 Let's talk tonight"
REPLY_WRITE = "✍️ Write back"
REPLY_LABELS = {"h": REPLY_HERE, "c": REPLY_CALL, "t": REPLY_TONIGHT}

# --- the command menu and /help (one list serves both) ---------------------------------------

COMMANDS: list[tuple[str, str]] = [
    ("start", "Welcome, and what to do next"),
    ("pair", "Invite your partner"),
    ("join", "Use the invite code your partner sent"),
    ("phrase", "Ask your partner for words that reassure you"),
    ("offer", "Offer words you're glad to say to your partner"),
    ("phrases", "See and manage your agreed words"),
    ("reassure", "Get your partner's words now (same as 💛 Reassure me)"),
    ("unpair", "End the pairing"),
    ("cancel", "Stop what you're in the middle of"),
    ("help", "This list"),
]

BOT_DESCRIPTION = (
    "Steady is for two partners. It keeps small, reliable rituals: words you agree on in calm "
    "moments, there at one tap when a moment isn't calm — and your partner hears that you "
    "asked, so they can follow up. Start with /pair."
)
BOT_SHORT_DESCRIPTION = "Agreed words at one tap, for two partners. Start with /pair."


def help_text() -> str:
    lines = ["Here's what I can do:"]
    lines += [f"/{name} — {description}" for name, description in COMMANDS]
    lines.append(f"\nOnce you're paired, the {REASSURE_BUTTON} button stays under the text box.")
    return "\n".join(lines)


def quoted(words: str) -> str:
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


def paired(partner: str) -> str:
    return (
        f"You're paired with {partner}. 💛\n\n"
        f"Next, tell {partner} which words reassure you: send /phrase and the words, for "
        "example /phrase I'm not going anywhere. They'll be asked to agree first."
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
    f"You have {PHRASES_PER_DIRECTION} sets of words in this direction already. Remove one in "
    "/phrases to make room."
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
        f"{giver} agreed to say {quoted(words)} They're there whenever you tap {REASSURE_BUTTON}."
    )


def phrase_edit_prompt(words: str) -> str:
    return f"Send the words the way you'd say them. Your next message replaces {quoted(words)}"


def phrase_reworded_giver(words: str) -> str:
    return f"Done. You'll say: {quoted(words)}"


def phrase_reworded_receiver(giver: str, words: str) -> str:
    return (
        f"{giver} put your words their own way: {quoted(words)}\n"
        f"They're there whenever you tap {REASSURE_BUTTON}. You can remove them if they don't fit."
    )


def phrase_declined_giver(words: str) -> str:
    return f"Okay, you won't be asked to say {quoted(words)}"


def phrase_declined_receiver(giver: str, words: str) -> str:
    return (
        f"{giver} would rather not use {quoted(words)} You can suggest other words any time "
        "with /phrase."
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
    return f"Okay, {quoted(words)} won't be used."


def offer_declined_giver(receiver: str, words: str) -> str:
    return f"{receiver} would rather not use {quoted(words)} Other words are always welcome."


def phrase_removed(words: str) -> str:
    return f"Removed {quoted(words)}"


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
    say: list[str],
    say_pending: list[str],
) -> list[str]:
    """The /phrases view as sections; the caller pages them to fit Telegram's message size."""
    sections = [f"Words you'll hear from {partner}:"]
    sections += [f"• {quoted(w)}" for w in hear] or ["(none yet — /phrase asks for some)"]
    if hear_pending:
        sections.append(f"\nWaiting for {partner} to agree:")
        sections += [f"• {quoted(w)}" for w in hear_pending]
    sections.append(f"\nWords you've agreed to say to {partner}:")
    sections += [f"• {quoted(w)}" for w in say] or ["(none yet)"]
    if say_pending:
        sections.append("\nWaiting for your answer:")
        sections += [f"• {quoted(w)}" for w in say_pending]
    return sections


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
    return (
        f"{partner} hasn't agreed to any words yet, so there's nothing to send this time. "
        f"I've let {partner} know you'd like reassurance. You can ask for words with /phrase."
    )


def reassurance_asked_with_words(requester: str, words: str) -> str:
    return (
        f"{requester} asked for reassurance just now. They received your words: "
        f"{quoted(words)}\nYou can follow up with one tap."
    )


def reassurance_asked_no_words(requester: str) -> str:
    return (
        f"{requester} asked for reassurance just now. You haven't agreed on words yet, so "
        "nothing was sent. You can reply with one tap."
    )


def reply_sent(partner: str) -> str:
    return f"Sent to {partner}."


def reply_noted(label: str) -> str:
    return f"✓ You replied: {label}"


def write_back_prompt(partner: str) -> str:
    return f"Write your message. The next text you send goes to {partner} as yours."


def written_back(partner: str) -> str:
    return f"Sent to {partner}."


EMPTY_MESSAGE = "That message had no words in it, so nothing was sent."
INPUT_CANCELLED = "Okay, cancelled."
NOTHING_TO_CANCEL = "There's nothing to cancel."


def could_not_reach(partner: str) -> str:
    return (
        f"I couldn't reach {partner} on Telegram just now, so your message didn't arrive. They "
        "may have stopped the bot."
    )


def could_not_deliver(partner: str) -> str:
    return f"I couldn't get your message to {partner} just now. Please try again in a little while."


# --- buttons that are not yours or no longer apply -------------------------------------------

BUTTON_STALE = "This button doesn't work any more."

# --- everything else ------------------------------------------------------------------------

UNKNOWN_COMMAND = "I don't know that command. /help lists everything I can do."
TEXT_ONLY = "I can only read text messages here. /help lists what I can do."
EDITED_MESSAGE = "I act on new messages only — please send it again if you meant something by it."
PRIVATE_ONLY = "I work in a private chat only. Open a chat with me directly to use Steady."
SOMETHING_WENT_WRONG = "Something went wrong on my side. Please try again in a moment."


def idle_text_paired(partner: str) -> str:
    return (
        f"I only pass words to {partner} when you ask me to. Tap {REASSURE_BUTTON} when you need "
        "it, or see /help."
    )


IDLE_TEXT_UNPAIRED = (
    "I'm here to help two partners keep small, reliable rituals. Send /pair to invite your "
    "partner, or /help to see everything."
)
