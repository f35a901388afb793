"""Vocabulary and sentence templates of the synthetic workspace (bench/workspace.py), English and Korean.

Templates use `{slot}`; in Korean, `{slot|은}` attaches the particle that fits the slot's last sound
(은/는, 이/가, 을/를, 으로/로, 과/와), as Korean writers do: 배포는, 배포를, PROJ-7로, Redis로, JSON으로.
"""

import re

# (user id, handle, real name, display name, name as written in text, native language)
PEOPLE = (
    ("U01", "alice", "Alice Chen", "Alice", "Alice", "en"),
    ("U02", "ben", "Ben Carter", "Ben", "Ben", "en"),
    ("U03", "chloe", "Chloe Martin", "Chloe", "Chloe", "en"),
    ("U04", "david", "David Okafor", "David", "David", "en"),
    ("U05", "emma", "Emma Schultz", "Emma", "Emma", "en"),
    ("U06", "frank", "Frank Liu", "Frank", "Frank", "en"),
    ("U07", "minsu", "Kim Minsu", "김민수", "민수", "ko"),
    ("U08", "jiyoung", "Lee Jiyoung", "이지영", "지영", "ko"),
    ("U09", "donghyun", "Park Donghyun", "박동현", "동현", "ko"),
    ("U10", "seoyeon", "Choi Seoyeon", "최서연", "서연", "ko"),
    ("U11", "hajun", "Jung Hajun", "정하준", "하준", "ko"),
    ("U12", "yujin", "Han Yujin", "한유진", "유진", "ko"),
)
ROMAN = {
    "U07": "Minsu",
    "U08": "Jiyoung",
    "U09": "Donghyun",
    "U10": "Seoyeon",
    "U11": "Hajun",
    "U12": "Yujin",
}

SERVICES = (
    ("payments service", "결제 서비스"),
    ("search indexer", "검색 인덱서"),
    ("mobile login", "모바일 로그인"),
    ("billing migration", "빌링 마이그레이션"),
    ("notification worker", "알림 워커"),
    ("admin dashboard", "관리자 대시보드"),
    ("data pipeline", "데이터 파이프라인"),
    ("SSO integration", "SSO 연동"),
    ("onboarding flow", "온보딩 플로우"),
    ("image upload", "이미지 업로드"),
    ("recommendation engine", "추천 엔진"),
    ("audit log", "감사 로그"),
)
BUGS = (
    ("memory leak", "메모리 누수"),
    ("login timeout", "로그인 타임아웃"),
    ("duplicate charge", "중복 결제"),
    ("broken pagination", "페이지네이션 오류"),
    ("slow query", "슬로우 쿼리"),
    ("crash on startup", "시작 시 크래시"),
    ("currency rounding error", "통화 반올림 오류"),
    ("missing push notifications", "푸시 알림 누락"),
    ("stale cache", "캐시 갱신 안 되는 문제"),
    ("timezone bug", "시간대 버그"),
)
TASKS = (
    ("load test", "부하 테스트"),
    ("security review", "보안 검토"),
    ("migration runbook", "마이그레이션 런북"),
    ("API docs update", "API 문서 업데이트"),
    ("rollback plan", "롤백 계획"),
    ("cost estimate", "비용 산정"),
    ("on-call handover", "온콜 인수인계"),
    ("dashboard cleanup", "대시보드 정리"),
)
# (aspect en, aspect ko, options as (en, ko))
ASPECTS = (
    ("message queue", "메시지 큐", (("Kafka", "Kafka"), ("RabbitMQ", "RabbitMQ"), ("SQS", "SQS"))),
    ("cache", "캐시", (("Redis", "Redis"), ("Memcached", "Memcached"), ("Hazelcast", "Hazelcast"))),
    ("deploy strategy", "배포 방식", (("blue-green", "블루그린"), ("canary", "카나리"), ("rolling", "롤링"))),
    ("feature flag tool", "피처 플래그 도구", (("LaunchDarkly", "LaunchDarkly"), ("Unleash", "Unleash"))),
    ("serialization format", "직렬화 포맷", (("Protobuf", "Protobuf"), ("Avro", "Avro"), ("JSON", "JSON"))),
    ("release day", "릴리스 요일", (("Tuesday", "화요일"), ("Wednesday", "수요일"), ("Thursday", "목요일"))),
    ("CI runner", "CI 러너", (("GitHub Actions", "GitHub Actions"), ("Buildkite", "Buildkite"))),
)
REASONS = (
    ("The team already knows it well.", "팀이 이미 익숙하니까요."),
    ("It is cheaper at our volume.", "우리 트래픽 규모에서는 더 저렴해요."),
    ("Ops support is better.", "운영 지원이 더 좋아요."),
    ("The benchmark numbers were clearly better.", "벤치마크 결과가 확실히 더 좋았어요."),
    ("Licensing was a blocker for the other option.", "다른 쪽은 라이선스 문제가 있었어요."),
)
TIMES = (
    ("3pm", "오후 3시"),
    ("10:30", "10시 반"),
    ("4pm", "오후 4시"),
    ("11am", "오전 11시"),
    ("2pm", "오후 2시"),
)
WEEKDAYS_KO = "월화수목금토일"

# Facts: statement, thread opener, short reply in the thread, question (`q`) and a paraphrase of it with
# fewer words in common with the statement (`q2`). Slot `{v}` is the value.
FACTS = (
    {
        "values": ("120", "300", "600", "900", "1200", "1800", "2400"),
        "en": "FYI the {svc} API is rate limited to {v} requests per minute per client.",
        "ko": "참고로 {svc} API 요청 제한은 클라이언트당 분당 {v}회예요.",
        "open_en": "What's the rate limit on the {svc} API again?",
        "open_ko": "{svc} API 요청 제한이 얼마였죠?",
        "short_en": "{v} requests per minute per client.",
        "short_ko": "클라이언트당 분당 {v}회요.",
        "q_en": "What is the rate limit for the {svc} API?",
        "q_ko": "{svc} API 요청 제한은 얼마예요?",
        "q2_en": "How many calls a minute can one client make to the {svc}?",
        "q2_ko": "{svc}에 클라이언트 하나가 1분에 몇 번까지 호출할 수 있어요?",
    },
    {
        "values": ("5", "10", "15", "30", "45", "60", "90"),
        "en": "We set the {svc} upstream timeout to {v} seconds.",
        "ko": "{svc} 업스트림 타임아웃은 {v}초로 설정했어요.",
        "open_en": "Did anyone change the {svc} upstream timeout?",
        "open_ko": "{svc} 업스트림 타임아웃 바꾸신 분 있어요?",
        "short_en": "Yes, it's {v} seconds now.",
        "short_ko": "네, 지금 {v}초예요.",
        "q_en": "What is the upstream timeout of the {svc}?",
        "q_ko": "{svc} 업스트림 타임아웃은 몇 초예요?",
        "q2_en": "How long does the {svc} wait on a slow dependency before giving up?",
        "q2_ko": "{svc|은} 업스트림 응답을 얼마나 기다렸다가 끊어요?",
    },
    {
        "values": ("pg-{w}-01.stg.internal", "db-{w}.staging.internal", "{w}-pg.stg.internal"),
        "en": "The {svc} staging database moved to {v}.",
        "ko": "{svc} 스테이징 DB는 {v|로} 옮겼어요.",
        "open_en": "Where does the {svc} staging database live now?",
        "open_ko": "{svc} 스테이징 DB 지금 어디에 있어요?",
        "short_en": "It's on {v} since the move.",
        "short_ko": "이전 후로는 {v}에 있어요.",
        "q_en": "Where is the staging database for the {svc}?",
        "q_ko": "{svc} 스테이징 DB 주소가 뭐예요?",
        "q2_en": "What is the hostname of the pre-prod Postgres behind the {svc}?",
        "q2_ko": "{svc} 테스트용 데이터베이스 호스트명 알려주세요.",
    },
    {
        "values": ("18.19", "20.11", "20.14", "22.3", "22.9"),
        "en": "Heads up: the {svc} is pinned to Node {v} until the upgrade lands.",
        "ko": "공지: {svc|은} 업그레이드 전까지 Node {v} 버전으로 고정합니다.",
        "open_en": "Which Node version is the {svc} on?",
        "open_ko": "{svc} 지금 Node 몇 버전이에요?",
        "short_en": "Pinned to {v} for now.",
        "short_ko": "당분간 {v|로} 고정이에요.",
        "q_en": "Which Node version is the {svc} pinned to?",
        "q_ko": "{svc|은} Node 몇 버전으로 고정돼 있어요?",
        "q2_en": "What runtime version does the {svc} run on right now?",
        "q2_ko": "{svc|은} 지금 어떤 런타임 버전에서 돌아가요?",
    },
    {
        "values": ("250", "400", "500", "800", "1200"),
        "en": "The p99 latency alert threshold for the {svc} is now {v} ms.",
        "ko": "{svc} p99 지연 시간 알림 기준을 {v}ms로 바꿨어요.",
        "open_en": "What's the p99 latency alert threshold for the {svc}?",
        "open_ko": "{svc} p99 지연 알림 기준이 몇이었죠?",
        "short_en": "{v} ms as of this week.",
        "short_ko": "이번 주부터 {v}ms예요.",
        "q_en": "What is the p99 latency alert threshold of the {svc}?",
        "q_ko": "{svc} p99 지연 시간 알림 기준은 얼마예요?",
        "q2_en": "Past how many milliseconds do we get paged for slow {svc} responses?",
        "q2_ko": "{svc} 응답이 몇 밀리초 넘으면 알림이 와요?",
    },
)
DECISION = {
    "en": "Decision for the {svc}: we'll go with {a} as the {aspect}. {why}",
    "ko": "{svc} {aspect|은} {a|으로} 가기로 결정했어요. {why}",
    "rev_en": "Change of plan on the {svc} {aspect}: we're dropping {a} and switching to {b}. {why}",
    "rev_ko": "{svc} {aspect} 결정 번복합니다. {a} 대신 {b|으로} 바꾸기로 했어요. {why}",
    "q_en": "Which {aspect} are we using for the {svc}?",
    "q_ko": "{svc} {aspect|은} 뭘로 하기로 했어요?",
    "q2_en": "What is the final call on the {aspect} for the {svc}?",
    "q2_ko": "{svc}에 {aspect} 최종적으로 뭐 쓰기로 했죠?",
}
TICKET = {
    "en": "Filed PROJ-{n} for the {bug} in the {svc}.",
    "ko": "{svc} {bug} 건은 PROJ-{n|으로} 등록했어요.",
    "q_en": "Which ticket tracks the {bug} in the {svc}?",
    "q_ko": "{svc} {bug} 티켓 번호가 뭐예요?",
    "q2_en": "Is there an issue number for the {bug} we saw in the {svc}?",
    "q2_ko": "{svc}에서 난 {bug} 이슈 번호 있어요?",
    "id_en": "What is PROJ-{n} about?",
    "id_ko": "PROJ-{n|은} 무슨 이슈예요?",
    "id2_en": "Remind me what PROJ-{n} was.",
    "id2_ko": "PROJ-{n} 내용이 뭐였죠?",
}
PR = {
    "en": "PR #{n} fixes the {bug} in the {svc}, could someone review?",
    "ko": "{svc} {bug} 수정한 PR #{n} 올렸어요. 리뷰 부탁드려요!",
    "q_en": "Which PR fixes the {bug} in the {svc}?",
    "q_ko": "{svc} {bug} 고치는 PR이 몇 번이에요?",
    "q2_en": "Has anyone sent a fix for the {svc} {bug}? Which pull request?",
    "q2_ko": "{svc} {bug} 고친 풀 리퀘스트 있나요?",
    "id_en": "What does PR #{n} fix?",
    "id_ko": "PR #{n|은} 뭘 고치는 PR이에요?",
    "id2_en": "What is pull request {n} for?",
    "id2_ko": "풀 리퀘스트 {n}번은 뭐 하는 거예요?",
}
ACTION = {
    "en": "Action item: {who} will finish the {task} for the {svc} by {due}.",
    "ko": "액션 아이템: {svc} {task|은} {who}님이 {due}까지 맡기로 했어요.",
    "q_en": "Who is doing the {task} for the {svc}?",
    "q_ko": "{svc} {task|은} 누가 맡았어요?",
    "q2_en": "Whose plate is the {svc} {task} on?",
    "q2_ko": "{svc} {task} 담당자가 누구예요?",
    "due_en": "When is the {task} for the {svc} due?",
    "due_ko": "{svc} {task} 마감이 언제예요?",
    "due2_en": "What is the deadline for the {svc} {task}?",
    "due2_ko": "{svc} {task|은} 언제까지 끝내야 해요?",
}
ACKS = {
    "en": ("Thanks, that helps!", "Got it.", "Perfect, thanks.", "👍", "Noted."),
    "ko": ("감사합니다!", "확인했어요.", "오 고마워요.", "👍", "넵 알겠습니다."),
}
# Distractors: same vocabulary as the planted facts, no answers.
CHATTER = {
    "en": (
        "Is anyone else seeing the {svc} dashboards lag this morning?",
        "Let's not decide the {aspect} for the {svc} today, we need more data.",
        "The {bug} in the {svc} came up in the support queue again.",
        "Can we go over the {task} for the {svc} at the {time} sync?",
        "Deploy of the {svc} finished, everything looks green.",
        "Who has context on the {svc} rate limits? Writing a doc.",
        "I'm out at {time} for a dentist appointment.",
        "Reminder: retro is at {time} in the big room.",
        "Coffee run, anyone?",
        "Nice work on the {svc} demo yesterday!",
        "Looking at the {svc} timeouts now, will report back.",
        "Review queue is long today, please pick up a PR if you can.",
        "The staging environment for the {svc} is flaky again.",
        "{who}, can you take a look at my comments when you have a minute?",
        "Ticket triage moved to {time} this week.",
        "Has the {task} for the {svc} been scheduled yet?",
        "I think the {bug} might be related to the last deploy.",
        "Anyone tried {a} before? Curious how it compares for the {aspect}.",
        "Lunch at {time}? Thinking ramen.",
        "Updated the on-call calendar for next week.",
    ),
    "ko": (
        "오늘 아침에 {svc} 대시보드 느린 거 저만 그런가요?",
        "{svc} {aspect} 얘기는 데이터 좀 더 보고 정하죠.",
        "{svc} {bug} 문의가 고객센터에 또 들어왔어요.",
        "{time} 싱크 때 {svc} {task} 얘기 잠깐 해요.",
        "{svc} 배포 끝났습니다. 이상 없어요.",
        "{svc} 요청 제한 히스토리 아시는 분 있나요? 문서 정리 중이에요.",
        "저 {time}에 병원 때문에 잠깐 나가요.",
        "회고는 {time}에 큰 회의실에서 해요.",
        "커피 드실 분?",
        "어제 {svc} 데모 좋았어요!",
        "{svc} 타임아웃 지금 보고 있어요. 확인하고 공유할게요.",
        "오늘 리뷰 대기 PR이 많아요. 여유 있으신 분 하나씩 봐주세요.",
        "{svc} 스테이징 환경이 또 불안정하네요.",
        "{who}님, 시간 되실 때 코멘트 한번 봐주세요.",
        "이번 주 티켓 트리아지는 {time|로} 옮겼어요.",
        "{svc} {task} 일정 잡혔나요?",
        "{bug|은} 지난 배포랑 관련 있는 것 같아요.",
        "{a} 써보신 분 있어요? {aspect|로} 어떤지 궁금해요.",
        "점심 {time}에 어때요? 국밥 생각나네요.",
        "다음 주 온콜 캘린더 업데이트했어요.",
    ),
}
# Chatter that names an earlier ticket or PR without saying what it is about.
MENTIONS = {
    "en": (
        "Any update on {ref}? It's blocking the {svc} release.",
        "{ref} is still waiting for review.",
        "Linking {ref} here for context.",
    ),
    "ko": (
        "{ref} 진행 상황 어떻게 돼요? {svc} 릴리스가 막혀 있어요.",
        "{ref} 아직 리뷰 대기 중이에요.",
        "참고용으로 {ref} 링크 남겨요.",
    ),
}
FILLER = {
    "en": ("", "", "", " Thanks!", " cc {cc}", " (will update the doc)", " 🙏"),
    "ko": ("", "", "", " 감사합니다!", " cc {cc}님", " (문서도 업데이트할게요)", " 🙏"),
}

_PAIRS = {
    "은": "은는",
    "는": "은는",
    "이": "이가",
    "가": "이가",
    "을": "을를",
    "를": "을를",
    "과": "과와",
    "와": "과와",
}
_SLOT = re.compile(r"\{(\w+)(?:\|(으로|로|은|는|이|가|을|를|과|와))?\}")


def _final_sound(word: str) -> tuple[bool, bool]:
    """(ends in a consonant when read aloud, that consonant is ㄹ) for the word's last character."""
    ch = next((c for c in reversed(word) if c.isalnum()), "a")
    if "가" <= ch <= "힣":
        final = (ord(ch) - 0xAC00) % 28
        return final != 0, final == 8
    if ch.isdigit():  # 영 일 이 삼 사 오 육 칠 팔 구
        return ch in "0136780", ch in "178"
    ch = ch.lower()  # letters read as their English names: -l (엘), -m (엠), -n (엔) end in a consonant
    return ch in "lmn", ch == "l"


def particle(word: str, mark: str) -> str:
    """`word` with the Korean particle `mark` adjusted to it (배포+은 -> 배포는, JSON+로 -> JSON으로)."""
    closed, rieul = _final_sound(word)
    if mark in ("으로", "로"):
        return word + ("으로" if closed and not rieul else "로")
    pair = _PAIRS[mark]
    return word + (pair[0] if closed else pair[1])


def fill(template: str, slots: dict[str, str]) -> str:
    """Substitute `{slot}` and `{slot|particle}` in `template`."""

    def sub(m: re.Match[str]) -> str:
        value = slots[m.group(1)]
        return particle(value, m.group(2)) if m.group(2) else value

    return _SLOT.sub(sub, template)
