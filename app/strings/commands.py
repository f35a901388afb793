"""Strings of the /kiok command and message shortcuts (English and Korean). Keys start with `cmd_`."""

from summarizer.language import Language

_HELP: dict[str, dict[Language, str]] = {
    "cmd_help_title": {"en": "Kiok commands", "ko": "Kiok 명령어"},
    "cmd_help_ask": {
        "en": "Answer a question from this channel's memory, privately",
        "ko": "이 채널의 기억으로 질문에 답해요 (나에게만 보여요)",
    },
    "cmd_help_recall": {
        "en": "Search this channel's memory, with links to the messages",
        "ko": "이 채널의 기억을 검색해요 (메시지 링크 포함)",
    },
    "cmd_help_remember": {
        "en": "Store a fact for this channel; it shows in the brief",
        "ko": "이 채널에 사실 하나를 기억시켜요 (브리프에 표시돼요)",
    },
    "cmd_help_forget": {
        "en": "Erase a message, a thread (`thread <link>`), all your messages (`me`) or the channel (admins)",
        "ko": "메시지, 스레드(`thread <링크>`), 내 모든 메시지(`me`), 채널 전체(관리자)를 지워요",
    },
    "cmd_help_decisions": {
        "en": "Decisions made here, reversed ones marked; `since` is a date or `7d` / `2w`",
        "ko": "이 채널의 결정 사항 (번복된 것은 표시); 기간은 날짜 또는 `7d` / `2w`",
    },
    "cmd_help_brief": {"en": "The channel's living project brief", "ko": "채널의 최신 프로젝트 브리프"},
    "cmd_help_catchup": {
        "en": "What changed here since your last catch-up",
        "ko": "마지막으로 확인한 뒤 달라진 내용",
    },
    "cmd_help_digest": {
        "en": "Post a digest now, or schedule one (admins)",
        "ko": "지금 요약을 올리거나 정기 요약을 예약해요 (관리자)",
    },
    "cmd_help_optout": {
        "en": "Erase your messages and stop Kiok storing new ones",
        "ko": "내 메시지를 지우고 앞으로 저장하지 않게 해요",
    },
    "cmd_help_optin": {"en": "Let Kiok remember your messages again", "ko": "내 메시지를 다시 기억하게 해요"},
    "cmd_help_status": {
        "en": "What Kiok remembers here, and which model it uses",
        "ko": "Kiok이 여기서 기억하는 것과 사용하는 모델",
    },
    "cmd_help_help": {"en": "This list", "ko": "이 목록"},
    "cmd_help_footer": {
        "en": "Only you see the results, unless you add `--share`. Kiok remembers the channels it was "
        "invited to.",
        "ko": "`--share`를 붙이지 않으면 결과는 나에게만 보여요. Kiok은 초대된 채널만 기억해요.",
    },
    "cmd_unknown": {
        "en": "I don't know `{word}`. Here is what I can do:",
        "ko": "`{word}`는 모르는 명령이에요. 할 수 있는 일은 다음과 같아요:",
    },
    "cmd_usage": {
        "en": ":warning: Usage: `{usage}`\n{description}",
        "ko": ":warning: 사용법: `{usage}`\n{description}",
    },
    "cmd_problem_link": {
        "en": "That is not a Slack message link: use *Copy link* on the message.",
        "ko": "Slack 메시지 링크가 아니에요: 메시지에서 *링크 복사*를 사용하세요.",
    },
    "cmd_problem_too_long": {
        "en": "That is too long: at most {limit} characters.",
        "ko": "너무 길어요: 최대 {limit}자까지 가능해요.",
    },
    "cmd_problem_no_args": {"en": "This command takes no arguments.", "ko": "이 명령은 인자를 받지 않아요."},
    "cmd_problem_since": {
        "en": "Give a date as YYYY-MM-DD, or a span such as `7d` or `2w`.",
        "ko": "날짜(YYYY-MM-DD)나 `7d`, `2w` 같은 기간을 입력하세요.",
    },
    "cmd_problem_weekday": {
        "en": "`{day}` is not a day of the week: use mon, tue, … sun.",
        "ko": "`{day}`는 요일이 아니에요: 월, 화, … 일 또는 mon … sun을 쓰세요.",
    },
    "cmd_problem_time": {
        "en": "`{time}` is not a time of day: use HH:MM (24-hour).",
        "ko": "`{time}`는 시각이 아니에요: HH:MM (24시간제)로 입력하세요.",
    },
}

_COMMON: dict[str, dict[Language, str]] = {
    "cmd_working": {
        "en": ":hourglass_flowing_sand: Working on it…",
        "ko": ":hourglass_flowing_sand: 처리하는 중…",
    },
    "cmd_error": {
        "en": ":warning: Something went wrong ({kind}). The error is in Kiok's log; please try again.",
        "ko": ":warning: 문제가 생겼어요 ({kind}). 오류는 Kiok 로그에 남았어요. 다시 시도해 주세요.",
    },
    "cmd_unavailable": {
        "en": ":warning: Kiok's memory is unavailable right now ({detail}). Please try again in a minute.",
        "ko": ":warning: 지금은 Kiok의 기억을 쓸 수 없어요 ({detail}). 잠시 후 다시 시도해 주세요.",
    },
    "cmd_denied_channel": {
        "en": ":no_entry: Only {who} can erase a channel's memory.",
        "ko": ":no_entry: 채널의 기억은 {who}만 지울 수 있어요.",
    },
    "cmd_denied_message": {
        "en": ":no_entry: Kiok has nothing you wrote stored at that link. "
        "Only the author of that message or {who} can erase it.",
        "ko": ":no_entry: 그 링크에는 내가 쓴 메시지로 저장된 것이 없어요. "
        "그 메시지는 작성자나 {who}만 지울 수 있어요.",
    },
    "cmd_denied_digest": {
        "en": ":no_entry: Only {who} can change digest schedules.",
        "ko": ":no_entry: 정기 요약 일정은 {who}만 바꿀 수 있어요.",
    },
    "access_who_slack": {"en": "workspace admins", "ko": "워크스페이스 관리자"},
    "access_who_slack_one": {"en": "a workspace admin", "ko": "워크스페이스 관리자"},
    "access_who_listed": {
        "en": "Kiok admins (the people listed in Kiok's settings)",
        "ko": "Kiok 관리자(Kiok 설정에 등록된 사람)",
    },
    "access_who_listed_one": {
        "en": "a Kiok admin (listed in Kiok's settings)",
        "ko": "Kiok 관리자(Kiok 설정에 등록된 사람)",
    },
    "cmd_sources": {"en": "Sources", "ko": "출처"},
    "cmd_weekdays": {
        "en": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
        "ko": "월요일,화요일,수요일,목요일,금요일,토요일,일요일",
    },
    "cmd_kind_decision": {"en": "decision", "ko": "결정"},
    "cmd_kind_action_item": {"en": "action item", "ko": "할 일"},
    "cmd_kind_open_question": {"en": "open question", "ko": "열린 질문"},
    "cmd_kind_fact": {"en": "fact", "ko": "사실"},
    "cmd_kind_convention": {"en": "how we work", "ko": "일하는 방식"},
    "cmd_kind_episode": {"en": "summary", "ko": "요약"},
    "cmd_kind_message": {"en": "message", "ko": "메시지"},
}

_RESULTS: dict[str, dict[Language, str]] = {
    "cmd_ask_asked": {"en": "<@{user}> asked: {question}", "ko": "<@{user}> 님의 질문: {question}"},
    "cmd_ask_empty": {
        "en": "I don't have anything about that in this channel's memory.",
        "ko": "이 채널의 기억에는 그에 대한 내용이 없어요.",
    },
    "cmd_ask_no_memory": {
        "en": "_(Memory search is unavailable right now, so I only used the channel's brief.)_",
        "ko": "_(지금은 기억 검색을 쓸 수 없어서 채널 브리프만 참고했어요.)_",
    },
    "cmd_recall_title": {"en": "Memory for “{query}”", "ko": "“{query}”에 대한 기억"},
    "cmd_recall_none": {
        "en": "Nothing in this channel's memory matches “{query}”.",
        "ko": "이 채널의 기억에서 “{query}”와 맞는 내용을 찾지 못했어요.",
    },
    "cmd_remembered": {
        "en": ":white_check_mark: Remembered for <#{channel}>: _{fact}_\nIt is in `/kiok brief` now.",
        "ko": ":white_check_mark: <#{channel}>에 기억했어요: _{fact}_\n이제 `/kiok brief`에 보여요.",
    },
    "cmd_remembered_already": {
        "en": "I already remember that in this channel.",
        "ko": "이 채널에서 이미 기억하고 있는 내용이에요.",
    },
    "cmd_remember_opted_out": {
        "en": "You opted out of Kiok's memory, so I don't store facts from you. `/kiok optin` starts again.",
        "ko": "Kiok 기억에서 제외를 선택하셔서 사실을 저장하지 않아요. "
        "`/kiok optin`으로 다시 시작할 수 있어요.",
    },
    "cmd_remember_author_opted_out": {
        "en": "The author of that message opted out of Kiok's memory, so I won't store it.",
        "ko": "그 메시지 작성자가 Kiok 기억에서 제외를 선택해서 저장하지 않아요.",
    },
    "cmd_remember_empty": {
        "en": "That message has no text to remember.",
        "ko": "기억할 텍스트가 없는 메시지예요.",
    },
    "cmd_confirm_me": {
        "en": ":warning: This erases every message of yours that Kiok remembers, in every channel, with the "
        "summaries built from them. It cannot be undone. Kiok keeps storing new messages (`/kiok optout` "
        "stops that).",
        "ko": ":warning: 모든 채널에서 Kiok이 기억하는 내 메시지와 그로부터 만든 요약을 모두 지워요. "
        "되돌릴 수 없어요. 새 메시지는 계속 저장돼요 (`/kiok optout`으로 멈출 수 있어요).",
    },
    "cmd_confirm_channel": {
        "en": ":warning: This erases everything Kiok remembers of <#{channel}>: {count} messages with their "
        "summaries, decisions and brief. It cannot be undone.",
        "ko": ":warning: Kiok이 기억하는 <#{channel}>의 모든 것을 지워요: 메시지 {count}개와 "
        "요약, 결정 사항, 브리프. 되돌릴 수 없어요.",
    },
    "cmd_confirm_optout": {
        "en": ":warning: Opting out erases every message of yours that Kiok remembers, in every channel, and "
        "Kiok stops storing new ones until `/kiok optin`.",
        "ko": ":warning: 제외를 선택하면 모든 채널에서 Kiok이 기억하는 내 메시지를 지우고, "
        "`/kiok optin` 전까지 새 메시지도 저장하지 않아요.",
    },
    "cmd_button_erase": {"en": "Erase", "ko": "지우기"},
    "cmd_button_optout": {"en": "Opt out and erase", "ko": "제외하고 지우기"},
    "cmd_button_cancel": {"en": "Cancel", "ko": "취소"},
    "cmd_cancelled": {"en": "Cancelled: nothing was erased.", "ko": "취소했어요. 아무것도 지우지 않았어요."},
    "cmd_not_yours": {
        "en": "That button belongs to someone else's request.",
        "ko": "다른 사람의 요청에 딸린 버튼이에요.",
    },
    "cmd_forgot": {
        "en": ":wastebasket: Erased {count} messages from Kiok's memory, with the summaries built from them.",
        "ko": ":wastebasket: Kiok의 기억에서 메시지 {count}개와 그로부터 만든 요약을 지웠어요.",
    },
    "cmd_forgot_channel": {
        "en": ":wastebasket: Erased Kiok's memory of <#{channel}>: {count} messages, "
        "their summaries and brief.",
        "ko": ":wastebasket: <#{channel}>에 대한 Kiok의 기억을 지웠어요: 메시지 {count}개, 요약과 브리프.",
    },
    "cmd_forget_nothing": {
        "en": "Kiok has nothing stored for that message.",
        "ko": "Kiok이 그 메시지에 대해 저장한 것이 없어요.",
    },
    "cmd_opted_out": {
        "en": ":no_entry_sign: You are opted out: {count} of your messages were erased and Kiok won't store "
        "new ones. `/kiok optin` starts again.",
        "ko": ":no_entry_sign: 제외되었어요: 내 메시지 {count}개를 지웠고 새 메시지도 저장하지 않아요. "
        "`/kiok optin`으로 다시 시작할 수 있어요.",
    },
    "cmd_opted_in": {
        "en": ":white_check_mark: Kiok remembers your messages again from now on (erased ones stay erased).",
        "ko": ":white_check_mark: 지금부터 다시 내 메시지를 기억해요 (지운 메시지는 복원되지 않아요).",
    },
}

_VIEWS: dict[str, dict[Language, str]] = {
    "cmd_decisions_title": {"en": "Decisions in this channel", "ko": "이 채널의 결정 사항"},
    "cmd_decisions_since": {"en": "Decisions since {since}", "ko": "{since} 이후의 결정 사항"},
    "cmd_decisions_none": {
        "en": "No decisions recorded for this channel yet.",
        "ko": "이 채널에 기록된 결정 사항이 아직 없어요.",
    },
    "cmd_reversed": {"en": "reversed", "ko": "번복됨"},
    "cmd_more_earlier": {
        "en": "+{count} earlier not shown: narrow with `/kiok decisions <since>`.",
        "ko": "이전 항목 {count}개는 생략했어요: `/kiok decisions <기간>`으로 좁혀 보세요.",
    },
    "cmd_brief_title": {"en": "Project brief", "ko": "프로젝트 브리프"},
    "cmd_brief_none": {
        "en": "No brief for this channel yet: Kiok writes one once conversation here is summarized (quiet "
        "threads after an hour, each day's messages the next day). `/kiok remember <fact>` adds to it now.",
        "ko": "이 채널의 브리프가 아직 없어요. 대화가 요약되면 만들어져요 (조용해진 스레드는 "
        "한 시간 뒤, 하루치 메시지는 다음 날). `/kiok remember <사실>`로 바로 추가할 수 있어요.",
    },
    "cmd_brief_updating": {
        "en": "Newer conversation is being summarized now: ask again in a minute for the updated brief.",
        "ko": "새 대화를 지금 요약하고 있어요. 잠시 후 다시 확인하면 갱신된 브리프를 볼 수 있어요.",
    },
    "cmd_brief_building": {
        "en": "No brief for this channel yet: its conversation is being summarized now. "
        "Ask again in a minute.",
        "ko": "이 채널의 브리프가 아직 없어요. 지금 대화를 요약하고 있으니 잠시 후 다시 확인해 주세요.",
    },
    "cmd_catchup_title": {"en": "Since your last catch-up ({since})", "ko": "마지막 확인({since}) 이후"},
    "cmd_catchup_title_first": {"en": "The last {days} days here", "ko": "최근 {days}일 동안"},
    "cmd_catchup_nothing": {
        "en": "Nothing new here since your last catch-up ({since}).",
        "ko": "마지막 확인({since}) 이후 새로운 내용이 없어요.",
    },
    "cmd_catchup_counts": {
        "en": "*{messages}* new messages from *{people}* people.",
        "ko": "*{people}*명이 새 메시지 *{messages}*개를 남겼어요.",
    },
    "cmd_catchup_decisions": {"en": "New decisions", "ko": "새 결정 사항"},
    "cmd_catchup_reversed": {"en": "Reversed decisions", "ko": "번복된 결정"},
    "cmd_catchup_actions": {"en": "New action items", "ko": "새 할 일"},
    "cmd_catchup_questions": {"en": "Open questions", "ko": "열린 질문"},
    "cmd_catchup_threads": {"en": "Busiest threads", "ko": "가장 활발한 스레드"},
    "cmd_catchup_thread": {"en": "{count} new messages", "ko": "새 메시지 {count}개"},
    "cmd_status_title": {"en": "What Kiok remembers here", "ko": "Kiok이 여기서 기억하는 것"},
    "cmd_status_messages": {"en": "Messages", "ko": "메시지"},
    "cmd_status_items": {"en": "Live memory items", "ko": "유효한 기억 항목"},
    "cmd_status_items_value": {
        "en": "{decision} decisions, {action_item} action items, {open_question} open questions, "
        "{fact} facts",
        "ko": "결정 {decision}개, 할 일 {action_item}개, 열린 질문 {open_question}개, 사실 {fact}개",
    },
    "cmd_status_brief": {"en": "Brief", "ko": "브리프"},
    "cmd_status_brief_value": {"en": "about {tokens} tokens", "ko": "약 {tokens} 토큰"},
    "cmd_status_none": {"en": "none yet", "ko": "아직 없음"},
    "cmd_status_backlog": {"en": "Waiting to be indexed", "ko": "색인 대기"},
    "cmd_status_jobs": {"en": "Summaries waiting", "ko": "요약 대기"},
    "cmd_status_model": {"en": "Model", "ko": "모델"},
    "cmd_status_embedding": {"en": "Embeddings", "ko": "임베딩"},
    "cmd_status_policy": {"en": "Memory of this channel", "ko": "이 채널의 기억"},
    "cmd_status_shared": {"en": "shared with the workspace", "ko": "워크스페이스와 공유"},
    "cmd_status_private": {"en": "seen from this channel only", "ko": "이 채널에서만 보임"},
    "cmd_status_retention": {"en": "kept {days} days", "ko": "{days}일 보관"},
    "cmd_status_forever": {"en": "kept until forgotten", "ko": "지울 때까지 보관"},
    "cmd_status_you": {"en": "Your messages", "ko": "내 메시지"},
    "cmd_status_opted_out": {"en": "not stored (opted out)", "ko": "저장 안 함 (제외)"},
    "cmd_status_opted_in": {"en": "stored", "ko": "저장함"},
    "cmd_digest_unavailable": {
        "en": "Digests are not available in this Kiok yet.",
        "ko": "이 Kiok에서는 아직 정기 요약을 쓸 수 없어요.",
    },
    "cmd_digest_posted": {"en": "Posted a digest of this channel.", "ko": "이 채널의 요약을 올렸어요."},
    "cmd_digest_open": {"en": "Open it", "ko": "열기"},
    "cmd_digest_already": {
        "en": "A digest of this channel was posted a moment ago.",
        "ko": "이 채널의 요약을 방금 올렸어요.",
    },
    "cmd_digest_next": {"en": "Next: {when}.", "ko": "다음 요약: {when}."},
    "cmd_digest_daily": {
        "en": ":calendar: A digest of this channel every day at {time} ({tz}).",
        "ko": ":calendar: 매일 {time}({tz})에 이 채널의 요약을 올려요.",
    },
    "cmd_digest_weekly": {
        "en": ":calendar: A digest of this channel every {day} at {time} ({tz}).",
        "ko": ":calendar: 매주 {day} {time}({tz})에 이 채널의 요약을 올려요.",
    },
    "cmd_digest_off": {"en": "Digests for this channel are off.", "ko": "이 채널의 정기 요약을 껐어요."},
    "cmd_digest_none": {
        "en": "No digest is scheduled for this channel.",
        "ko": "이 채널에 예약된 정기 요약이 없어요.",
    },
    "cmd_digest_failed": {
        "en": ":warning: The digest could not be done: {detail}",
        "ko": ":warning: 요약을 처리하지 못했어요: {detail}",
    },
    "cmd_summarizing": {
        "en": ":hourglass_flowing_sand: Summarizing the thread…",
        "ko": ":hourglass_flowing_sand: 스레드를 요약하는 중…",
    },
    "cmd_summary_title": {"en": "Thread summary", "ko": "스레드 요약"},
    "cmd_section_decision": {"en": "Decisions", "ko": "결정 사항"},
    "cmd_section_action_item": {"en": "Open action items", "ko": "진행 중인 할 일"},
    "cmd_section_open_question": {"en": "Open questions", "ko": "열린 질문"},
    "cmd_section_fact": {"en": "Key facts", "ko": "주요 사실"},
    "cmd_section_convention": {"en": "How we work", "ko": "일하는 방식"},
    "cmd_summary_open": {"en": "Open the thread", "ko": "스레드 열기"},
    "cmd_summary_empty": {
        "en": "That thread has no messages to summarize.",
        "ko": "요약할 메시지가 없는 스레드예요.",
    },
    "cmd_not_in_channel": {
        "en": "I can't read that conversation: invite me with `/invite @kiok` first.",
        "ko": "그 대화를 읽을 수 없어요: 먼저 `/invite @kiok`으로 초대해 주세요.",
    },
}

STRINGS: dict[str, dict[Language, str]] = {**_HELP, **_COMMON, **_RESULTS, **_VIEWS}

__all__ = ["STRINGS"]
