"""Secret redaction on a corpus: planted secrets found, false positives on ordinary text, throughput.

The planted set puts every kind of secret in realistic English and Korean messages (secrets are generated
at run time from a seed, so no real-looking token sits in the repository). The ordinary set is chatter
that resembles secrets (ticket ids, versions, SHAs, UUIDs, phone and order numbers, URLs, code that says
`password`) plus the generated benchmark workspace (`bench/workspace.py`).

    .venv/bin/python -m bench.redaction_false_positives --repeat 20
"""

import argparse
import random
import statistics
import string
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from bench.workspace import generate
from memory.redaction import Redactor

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Plant:
    """A message with one secret in it: `template` holds `{s}` where `secret` goes."""

    kind: str
    template: str
    secret: str

    @property
    def text(self) -> str:
        return self.template.replace("{s}", self.secret)


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def luhn_card(rng: random.Random, prefix: str, length: int) -> str:
    """A Luhn-valid number with the given prefix (test-card style, never a real account)."""
    body = prefix + _r(rng, string.digits, length - len(prefix) - 1)
    for check in string.digits:
        digits = body + check
        total = sum(
            (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
            for i, d in enumerate(int(c) for c in reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def _grouped(number: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, pos = [], 0
    for size in sizes:
        parts.append(number[pos : pos + size])
        pos += size
    return sep.join(parts)


def planted(seed: int = 11) -> list[Plant]:
    """≥ 60 secrets of every kind, in English and Korean messages."""
    rng = random.Random(seed)
    slack = [
        f"xoxb-{_r(rng, string.digits, 12)}-{_r(rng, string.digits, 13)}-{_r(rng, ALNUM, 24)}",
        f"xoxp-{_r(rng, string.digits, 12)}-{_r(rng, string.digits, 12)}-{_r(rng, string.digits, 13)}-"
        + _r(rng, HEX, 32),
        f"xoxa-2-{_r(rng, ALNUM, 40)}",
        f"xoxr-{_r(rng, ALNUM, 36)}",
        f"xoxs-{_r(rng, string.digits, 10)}-{_r(rng, ALNUM, 30)}",
        f"xapp-1-A{_r(rng, ALNUM.upper(), 10)}-{_r(rng, string.digits, 13)}-{_r(rng, HEX, 64)}",
    ]
    hook = f"https://hooks.slack.com/services/T{_r(rng, ALNUM.upper(), 8)}/B{_r(rng, ALNUM.upper(), 8)}/"
    hook += _r(rng, ALNUM, 24)
    akia, asia = (
        "AKIA" + _r(rng, string.ascii_uppercase + string.digits, 16),
        "ASIA" + _r(rng, ALNUM.upper(), 16),
    )
    aws_secret = _r(rng, ALNUM + "/+", 40)
    gh = [f"{p}_{_r(rng, ALNUM, 36)}" for p in ("ghp", "gho", "ghu", "ghs", "ghr")]
    gh_pat = f"github_pat_{_r(rng, ALNUM, 22)}_{_r(rng, ALNUM, 59)}"
    openai = [f"sk-{_r(rng, ALNUM, 48)}", f"sk-proj-{_r(rng, B64URL, 56)}"]
    anthropic = f"sk-ant-api03-{_r(rng, B64URL, 93)}AA"
    google = "AIza" + _r(rng, B64URL, 35)
    stripe = [
        "sk_live_" + _r(rng, ALNUM, 24),
        "rk_live_" + _r(rng, ALNUM, 24),
        "pk_live_" + _r(rng, ALNUM, 24),
    ]
    jwt = f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{_r(rng, B64URL, 40)}.{_r(rng, B64URL, 43)}"
    pem_body = "\n".join(_r(rng, ALNUM + "+/", 64) for _ in range(4))
    pems = [
        f"-----BEGIN {k}PRIVATE KEY-----\n{pem_body}\n-----END {k}PRIVATE KEY-----"
        for k in ("RSA ", "OPENSSH ", "")
    ]
    pwd = ["Tr0ub4dor&3", "hunter2", "S3cure!pass", "Qwer1234!", "dragon-42-Moon", "P@ssw0rd2024", "482913"]
    cards = [
        "4111111111111111",
        _grouped(luhn_card(rng, "4", 16), (4, 4, 4, 4), " "),
        _grouped(luhn_card(rng, "51", 16), (4, 4, 4, 4), "-"),
        _grouped(luhn_card(rng, "2221", 16), (4, 4, 4, 4), " "),
        _grouped(luhn_card(rng, "37", 15), (4, 6, 5), " "),
        luhn_card(rng, "6011", 16),
        _grouped(luhn_card(rng, "35", 16), (4, 4, 4, 4), "-"),
        _grouped(luhn_card(rng, "36", 14), (4, 6, 4), " "),
        luhn_card(rng, "4", 13),
        _grouped(luhn_card(rng, "62", 19), (4, 4, 4, 4, 3), " "),
    ]
    bearer = _r(rng, B64URL, 40)
    return [
        Plant(
            "slack-token", "Here's the bot token for the staging app: {s} — please rotate it after.", slack[0]
        ),
        Plant("slack-token", "스테이징 봇 토큰 {s} 입니다. 테스트 끝나면 폐기할게요.", slack[1]),
        Plant("slack-token", "old legacy token {s} still works?", slack[2]),
        Plant("slack-token", "refresh token is {s} fyi", slack[3]),
        Plant("slack-token", "세션 토큰({s})이 로그에 찍혀 있었어요", slack[4]),
        Plant("slack-token", "SLACK_APP_TOKEN={s}\nSLACK_LOG_LEVEL=debug", slack[5]),
        Plant("slack-webhook", "Alerts go to {s} now, can someone test it?", hook),
        Plant("slack-webhook", "웹훅 주소: <{s}> 로 바꿨어요", hook),
        Plant("aws-access-key", "AWS_ACCESS_KEY_ID={s} for the backup bucket", akia),
        Plant("aws-access-key", "임시 키 {s} 로 S3 접근돼요", asia),
        Plant("aws-secret-key", "aws_secret_access_key = {s}\nregion = ap-northeast-2", aws_secret),
        Plant("aws-secret-key", "AWS secret key: {s} (rotate on Friday)", aws_secret),
        Plant("github-token", "CI uses {s} to push tags", gh[0]),
        Plant("github-token", "깃허브 OAuth 토큰 {s} 만료됐어요", gh[1]),
        Plant("github-token", "user-to-server token {s} from the app", gh[2]),
        Plant("github-token", "`GITHUB_TOKEN={s}` in the runner env", gh[3]),
        Plant("github-token", "refresh: {s}", gh[4]),
        Plant("github-token", "fine-grained PAT {s} scoped to kiok only", gh_pat),
        Plant("gitlab-token", "GitLab token for the mirror: {s}", "glpat-" + _r(rng, B64URL, 20)),
        Plant("gitlab-token", "미러용 깃랩 토큰은 {s} 예요", "glpat-" + _r(rng, ALNUM, 20)),
        Plant("openai-key", "OPENAI_API_KEY={s}", openai[0]),
        Plant("openai-key", "새 프로젝트 키 {s} 로 바꿔주세요", openai[1]),
        Plant("anthropic-key", "Claude key for the eval job: {s}", anthropic),
        Plant("anthropic-key", "평가용 키 {s} 공유드려요", anthropic),
        Plant("google-api-key", "Maps key {s} is restricted to our referrer", google),
        Plant("google-api-key", "구글 API 키: {s}", google),
        Plant("stripe-key", "prod stripe secret {s} — don't paste it in #general again", stripe[0]),
        Plant("stripe-key", "restricted key {s} for the reporting job", stripe[1]),
        Plant("stripe-key", "결제 공개키는 {s} 입니다", stripe[2]),
        Plant("jwt", "this session token fails to verify: {s}", jwt),
        Plant("jwt", "토큰 값 {s} 디코드해보면 만료 시간이 이상해요", jwt),
        Plant("private-key", "deploy key below, remove after use\n```{s}```\nthanks", pems[0]),
        Plant("private-key", "서버 접속 키예요\n{s}\n확인하면 지워주세요", pems[1]),
        Plant("private-key", "service account json has {s} inside", pems[2]),
        Plant("password", "staging admin password: {s} thanks", pwd[0]),
        Plant("password", "password={s}", pwd[1]),
        Plant("password", "The wifi password is {s} for guests", pwd[2]),
        Plant("password", "passwd: {s}", pwd[3]),
        Plant("password", "DB_PASSWORD={s}\nDB_HOST=db.internal", pwd[4]),
        Plant("password", "login with pwd={s} and change it", pwd[5]),
        Plant("password", '{"user": "admin", "password": "{s}"}', pwd[0]),
        Plant("password", "비밀번호: {s} 입니다", pwd[5]),
        Plant("password", "와이파이 비번은 {s}예요", pwd[3]),
        Plant("password", "비번 {s} 으로 바꿨어요", pwd[1]),
        Plant("password", "회의실 도어락 비밀번호는 {s} 입니다", pwd[6]),
        Plant("password", "패스워드={s} 로 설정했어요", pwd[4]),
        Plant("password", "the password for the staging db is {s} until Monday", pwd[0]),
        Plant("password", "*Password*: {s}", pwd[2]),
        Plant("password", "password: '{s}'", "correct horse battery staple"),
        Plant("connection-string", "DATABASE_URL=postgres://{s}@db.internal:5432/kiok", "kiok:" + pwd[0]),
        Plant("connection-string", "mysql://{s}@10.0.3.7/shop 로 붙으면 돼요", "root:" + pwd[3]),
        Plant("connection-string", "mongodb+srv://{s}@cluster0.ab1cd.mongodb.net/app", "svc:" + pwd[5]),
        Plant("connection-string", "cache is redis://{s}@cache:6379/0", ":" + pwd[1]),
        Plant("connection-string", "amqp://{s}@rabbit:5672/ for the worker", "guest:" + pwd[2]),
        Plant(
            "connection-string",
            "git remote: https://{s}@github.com/acme/kiok.git",
            "deploy:" + _r(rng, ALNUM, 20),
        ),
        Plant("bearer-token", "curl -H 'Authorization: Bearer {s}' https://api.example.com/v1/me", bearer),
        Plant("bearer-token", "헤더에 Authorization: Bearer {s} 넣으면 돼요", bearer),
        Plant("bearer-token", "use bearer {s} for the admin API", bearer),
        Plant("secret", "signing secret: {s}", _r(rng, HEX, 32)),
        Plant("secret", "api_key={s}&format=json", _r(rng, ALNUM, 32)),
        Plant("secret", "클라이언트 시크릿은 {s} 이에요", _r(rng, ALNUM, 28) + "7"),
        *(
            Plant("credit-card", template, card)
            for template, card in zip(
                (
                    "My card is {s} exp 12/27, can you book the offsite?",
                    "Corporate card {s}, CVC in DM",
                    "법인카드 {s} 로 결제해주세요",
                    "card: {s}",
                    "Amex {s} for the hotel",
                    "카드번호{s}이고 유효기간은 09/26",
                    "charged to {s} yesterday",
                    "diners {s}",
                    "old visa {s}",
                    "UnionPay {s} 로 결제됐어요",
                ),
                cards,
                strict=True,
            )
        ),
    ]


_ORDINARY = [
    "Please reset your password via the portal.",
    "Forgot your password? Use the SSO login instead.",
    "Password: reset via the self-service portal, not by asking in this channel.",
    "The password policy now requires 12 characters.",
    "Did anyone change the password rotation schedule?",
    "passwords are stored hashed with argon2id",
    "We never log passwords or tokens.",
    "def check_password(pw: str) -> bool:",
    "if password == confirm: save(user)",
    "password = getpass()",
    "user.password = hash_password(raw)",
    "login(user, password=pw)",
    "conn = connect(host, password=settings.db_password)",
    "password = os.environ['DB_PASSWORD']",
    "Set password=<your password> in .env (see .env.example)",
    "password: ******",
    "The token expired, please re-authenticate.",
    "token: see 1Password vault",
    "The API key lives in Vault under kv/kiok.",
    "Rotate the secret key quarterly.",
    "Bearer authentication is required for the admin API.",
    "Authorization header is missing in the webhook call.",
    "비밀번호 변경은 포털에서 해주세요.",
    "비번 바꿨어요",
    "비밀번호 8자리 이상이어야 해요",
    "비밀번호 정책이 2024년부터 바뀌었어요",
    "비번이 기억 안 나면 SSO로 로그인하세요",
    "암호화는 AES256으로 하기로 했어요",
    "암호화폐 얘기는 #random에서 해주세요",
    "토큰 만료되면 다시 로그인하면 돼요",
    "API 키는 볼트에 있어요",
    "PROJ-123 is blocked by PROJ-456.",
    "Fixed in v2.3.1, rolling out with 2.4.0-rc.1 next week.",
    "See https://github.com/acme/kiok/pull/4452 for the fix",
    "Docs: https://docs.example.com:8443/guide#install",
    "Dashboard at http://grafana.internal:3000/d/abc123/latency?orgId=1",
    "mailto:ops@example.com for access requests",
    "ssh git@github.com:acme/kiok.git works now",
    "postgres://db.internal:5432/kiok is the staging database",
    "redis://cache:6379/0 is shared with the worker",
    "Call me at 010-1234-5678 or +82 10 2345 6789.",
    "US office: +1 (415) 555-2671 ext. 1234",
    "Order 1234 5678 9012 3456 shipped.",
    "Invoice INV-2026-000123 is overdue.",
    "Release on 2026-10-05 at 10:30 KST.",
    "Meeting 2026/10/05 14:00-15:00",
    "commit 3f9a2c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39 fixes it",
    "cherry-pick a1b2c3d onto main",
    "request id 123e4567-e89b-12d3-a456-426614174000",
    "Slack ts 1700000000.000100 is the root message",
    "Channel C01ENG and user U07 are in the export",
    "That costs ₩1,234,567,890 a year.",
    "Latency p99 went from 1200 ms to 340 ms.",
    "We processed 12,345,678 events yesterday.",
    "The sk-learn pipeline is deprecated; use scikit-learn directly.",
    "ask-the-team-about-on-call-rotation-2026 doc is updated",
    "Use the AKIA prefix check in the linter rule.",
    "eyJ is how base64 JSON starts, fun fact",
    "Our GitHub org uses ghp tokens only for bots.",
    "-----BEGIN CERTIFICATE----- blocks are public, that's fine to share.",
    "The PEM header says BEGIN PUBLIC KEY, so it's not the private one.",
    "x-api-key header is documented in the README",
    "The xoxo at the end of her message was sweet.",
]

_KO_ORDINARY = [
    "배포 끝났습니다. 이상 없어요.",
    "내일 오전 10시에 회고 있어요.",
    "PROJ-7816으로 등록했어요.",
    "결제 서비스 타임아웃 지금 보고 있어요.",
    "스테이징 DB는 db-onboarding.staging.internal로 옮겼어요.",
    "주문번호 2026100512345678 확인 부탁드려요.",
    "연락처는 010-9876-5432 입니다.",
    "v1.14.2 에서 고쳐졌어요.",
]


def ordinary(seed: int = 5) -> list[str]:
    """≥ 200 messages that are not secrets but look like something."""
    rng = random.Random(seed)
    out = list(_ORDINARY) + list(_KO_ORDINARY)
    for _ in range(25):
        out.append(f"PROJ-{rng.randint(1, 9999)} and PR #{rng.randint(1, 9999)} are linked")
        out.append(f"commit {_r(rng, HEX, 40)} on main, tag v{rng.randint(0, 9)}.{rng.randint(0, 30)}")
        out.append(
            f"trace {uuid.UUID(int=rng.getrandbits(128), version=4)} failed at step {rng.randint(1, 9)}"
        )
        number = luhn_card(rng, str(rng.choice("456")), 16)
        bad = number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)  # fails Luhn
        out.append(f"주문번호 {_grouped(bad, (4, 4, 4, 4), '-')} 배송 완료")
        out.append(f"order #{bad} refunded")
        out.append(f"전화 010-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)} 로 주세요")
        out.append(f"{rng.randint(2024, 2027)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 배포 예정")
    return out


def run(redactor: Redactor, repeat: int) -> None:
    plants = planted()
    missed = [p for p in plants if p.secret in redactor.redact(p.text).text]
    kinds = Counter(p.kind for p in plants)
    print(f"planted secrets: {len(plants)} across {len(kinds)} kinds")
    print(f"  redacted: {100 * (len(plants) - len(missed)) / len(plants):.1f}%  missed: {len(missed)}")
    for p in missed:
        print(f"    MISSED {p.kind}: {p.text!r}")

    ws = generate(7, days=30, per_day=40)
    corpus = ordinary() + [m.text for m in ws.messages]
    flagged = [(text, redactor.redact(text)) for text in corpus]
    flagged = [(t, r) for t, r in flagged if r.found]
    print(f"ordinary messages: {len(corpus)} ({len(ordinary())} look-alikes + {len(ws.messages)} workspace)")
    print(f"  false positives: {len(flagged)}")
    for text, result in flagged[:10]:
        print(f"    {result.found}: {text!r} -> {result.text!r}")

    mixed = corpus + [p.text for p in plants]
    for label, texts in (("ordinary", corpus), ("mixed (with planted)", mixed)):
        passes = []
        for _ in range(repeat):
            start = time.perf_counter()
            for text in texts:
                redactor.redact(text)
            passes.append((time.perf_counter() - start) / len(texts))
        best, median = min(passes), statistics.median(passes)
        print(
            f"throughput {label}: best {1 / best:,.0f} messages/s ({1e6 * best:.1f} µs/message), "
            f"median {1 / median:,.0f} messages/s over {repeat} passes of {len(texts)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20, help="passes over the corpus for throughput")
    args = parser.parse_args()
    run(Redactor(), args.repeat)


if __name__ == "__main__":
    main()
