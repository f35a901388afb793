"""Strings of digests and App Home (English and Korean). Keys must be unique across app/strings."""

from summarizer.language import Language

STRINGS: dict[str, dict[Language, str]] = {
    # --- channel digests ---------------------------------------------------------------------------
    "digest_title": {"en": ":memo: *Digest of {channel}*", "ko": ":memo: *{channel} 요약*"},
    "digest_since": {"en": "Since {since}", "ko": "{since} 이후"},
    "digest_activity_one": {"en": "1 message", "ko": "메시지 1개"},
    "digest_activity_many": {"en": "{count} messages", "ko": "메시지 {count}개"},
    "digest_people_one": {"en": "1 person", "ko": "1명 참여"},
    "digest_people_many": {"en": "{count} people", "ko": "{count}명 참여"},
    "digest_nothing": {
        "en": "Nothing changed since the last digest: no new messages, decisions, action items or questions.",
        "ko": "지난 요약 이후 바뀐 것이 없어요. 새 메시지, 결정, 할 일, 질문이 없습니다.",
    },
    "digest_decisions": {"en": "*Decisions*", "ko": "*결정 사항*"},
    "digest_reversed": {"en": "reversed", "ko": "번복됨"},
    "digest_actions": {"en": "*Action items*", "ko": "*할 일*"},
    "digest_due": {"en": "due {date}", "ko": "기한 {date}"},
    "digest_overdue": {"en": ":warning: *overdue*", "ko": ":warning: *기한 지남*"},
    "digest_done": {"en": ":white_check_mark: done", "ko": ":white_check_mark: 완료"},
    "digest_questions": {"en": "*Open questions*", "ko": "*열린 질문*"},
    "digest_answered": {"en": "answered", "ko": "답변됨"},
    "digest_threads": {"en": "*Busiest threads*", "ko": "*가장 활발한 스레드*"},
    "digest_replies_one": {"en": "1 reply", "ko": "답글 1개"},
    "digest_replies_many": {"en": "{count} replies", "ko": "답글 {count}개"},
    "digest_source": {"en": "source", "ko": "원문"},
    "digest_more": {"en": "…and {count} more", "ko": "…외 {count}개"},
    "digest_untitled_thread": {"en": "(a thread)", "ko": "(스레드)"},
    # --- App Home ----------------------------------------------------------------------------------
    "home_title": {"en": "Kiok — your team's memory", "ko": "Kiok — 팀의 기억"},
    "home_intro": {
        "en": "Channels you are in where Kiok remembers the conversation.",
        "ko": "내가 참여한 채널 중 Kiok이 대화를 기억하는 채널이에요.",
    },
    "home_no_channels": {
        "en": "Kiok holds no memory of a channel you are in yet. Invite @kiok to a channel to start.",
        "ko": "아직 내가 참여한 채널의 기억이 없어요. 채널에 @kiok을 초대해 보세요.",
    },
    "home_more_channels": {"en": "…and {count} more channels", "ko": "…외 채널 {count}개"},
    "home_schedule_daily": {
        "en": ":calendar: Daily digest at {time} ({tz})",
        "ko": ":calendar: 매일 {time} ({tz})에 요약",
    },
    "home_schedule_weekly": {
        "en": ":calendar: Weekly digest on {weekday} at {time} ({tz})",
        "ko": ":calendar: 매주 {weekday} {time} ({tz})에 요약",
    },
    "home_schedule_none": {"en": ":calendar: No scheduled digest", "ko": ":calendar: 예약된 요약 없음"},
    "home_last_digest": {"en": "last digest {when}", "ko": "마지막 요약 {when}"},
    "home_weekdays": {
        "en": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
        "ko": "월요일,화요일,수요일,목요일,금요일,토요일,일요일",
    },
    "home_recent_decisions": {"en": "Recent decisions:", "ko": "최근 결정:"},
    "home_no_decisions": {"en": "No decisions recorded yet.", "ko": "아직 기록된 결정이 없어요."},
    "home_remembering": {
        "en": ":large_green_circle: Kiok remembers your messages in channels it is in.",
        "ko": ":large_green_circle: Kiok이 참여한 채널에서 내 메시지를 기억하고 있어요.",
    },
    "home_opted_out": {
        "en": ":no_entry_sign: You opted out: Kiok does not store your messages.",
        "ko": ":no_entry_sign: 기억 거부 중: Kiok이 내 메시지를 저장하지 않아요.",
    },
    "home_btn_refresh": {"en": "Refresh", "ko": "새로고침"},
    "home_btn_opt_out": {"en": "Opt out", "ko": "기억 거부"},
    "home_btn_opt_in": {"en": "Opt in", "ko": "기억 허용"},
    "home_btn_digest_now": {"en": "Post digest now", "ko": "지금 요약 올리기"},
    "home_btn_daily": {"en": "Daily digest at {time}", "ko": "매일 {time} 요약"},
    "home_btn_digest_off": {"en": "Turn digest off", "ko": "요약 끄기"},
    "home_confirm_title": {"en": "Opt out of memory?", "ko": "기억을 거부할까요?"},
    "home_confirm_text": {
        "en": "Kiok will erase every message of yours it stored and stop storing new ones.",
        "ko": "Kiok이 저장한 내 메시지를 모두 지우고 앞으로 저장하지 않아요.",
    },
    "home_confirm_yes": {"en": "Erase and opt out", "ko": "지우고 거부하기"},
    "home_confirm_no": {"en": "Cancel", "ko": "취소"},
    "home_notice_posted": {
        "en": ":white_check_mark: Digest posted in {channel}.",
        "ko": ":white_check_mark: {channel}에 요약을 올렸어요.",
    },
    "home_notice_skipped": {
        "en": "A digest of {channel} was already posted a moment ago.",
        "ko": "{channel}의 요약은 방금 이미 올라갔어요.",
    },
    "home_notice_failed": {
        "en": ":warning: Slack refused the digest in {channel} ({error}). Is Kiok still in the channel?",
        "ko": ":warning: Slack이 {channel}의 요약을 거부했어요 ({error}). Kiok이 채널에 있나요?",
    },
    "home_notice_scheduled": {
        "en": ":calendar: {channel} now gets a daily digest at {time} ({tz}).",
        "ko": ":calendar: {channel}에 매일 {time} ({tz}) 요약을 올려요.",
    },
    "home_notice_unscheduled": {"en": "Digests of {channel} are off.", "ko": "{channel}의 요약을 껐어요."},
    "home_notice_opted_out": {
        "en": "Done: {count} of your messages were erased, and new ones will not be stored.",
        "ko": "완료: 내 메시지 {count}개를 지웠고 앞으로 저장하지 않아요.",
    },
    "home_notice_opted_in": {
        "en": "Kiok will remember your messages again.",
        "ko": "이제 Kiok이 다시 내 메시지를 기억해요.",
    },
    "home_notice_admin_only": {
        "en": "Only {who} can change digest schedules.",
        "ko": "요약 일정은 {who}만 바꿀 수 있어요.",
    },
    "home_notice_not_member": {
        "en": "You are not a member of that channel.",
        "ko": "그 채널의 멤버가 아니에요.",
    },
}

__all__ = ["STRINGS"]
