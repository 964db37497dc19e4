"""The tenant (Municipality), users, the audit log, notices and maintenance windows."""

from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class LocalizedNameMixin:
    """``display_name`` picks ``name_en`` on English pages when one is set."""

    name: str
    name_en: str

    @property
    def display_name(self) -> str:
        if (get_language() or "ja").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Municipality(LocalizedNameMixin, models.Model):
    """A city or ward using the system: the top-level tenant. URLs start with its slug."""

    class RegistrationMode(models.TextChoices):
        # Minato (000 §2(1)): book at once, staff confirm residency afterwards.
        BOOK_BEFORE_REVIEW = "book_before_review", _("登録後すぐ予約可（後から資格確認）")
        # Ukiha (004 art. 4): staff review first, then the registrant may book.
        REVIEW_BEFORE_BOOKING = "review_before_booking", _("審査完了後に予約可")

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=50)
    name_en = models.CharField(max_length=80, blank=True)
    system_name = models.CharField(max_length=100)
    system_name_en = models.CharField(max_length=150, blank=True)
    registration_mode = models.CharField(max_length=30, choices=RegistrationMode.choices)
    user_number_digits = models.PositiveSmallIntegerField(default=6)
    registration_validity_years = models.PositiveSmallIntegerField(default=2)
    minimum_age = models.PositiveSmallIntegerField(default=18)
    # Service hours as minutes after midnight; 1440 means "until midnight" (24:00).
    service_open_minute = models.PositiveSmallIntegerField(default=8 * 60)
    service_close_minute = models.PositiveSmallIntegerField(default=24 * 60)
    # Year-end closure (年末年始), e.g. 12/29 – 1/3, inclusive.
    year_end_start_month = models.PositiveSmallIntegerField(default=12)
    year_end_start_day = models.PositiveSmallIntegerField(default=29)
    year_end_end_month = models.PositiveSmallIntegerField(default=1)
    year_end_end_day = models.PositiveSmallIntegerField(default=3)
    allows_residents = models.BooleanField(default=True)
    allows_workers = models.BooleanField(default=True)
    allows_groups = models.BooleanField(default=True)
    # A lottery win given back before first-come opens goes to the round's runner-ups (次点)
    # in their published order instead of being held (lottery.services.runner_up).
    lottery_runner_up = models.BooleanField(default=False)
    # 市外 (neither living nor working here) may register: Ukiha lets anyone register and
    # charges the non-resident rate; Minato's resort facilities are for residents and workers.
    allows_non_residents = models.BooleanField(
        default=False, help_text="市外（在住・在勤でない方）も利用者登録できる"
    )
    resident_label = models.CharField(max_length=50, help_text="例: 港区内在住の方")
    worker_label = models.CharField(max_length=50, help_text="例: 港区内在勤の方")
    non_resident_label = models.CharField(
        max_length=50, blank=True, help_text="例: うきは市外の方（空欄: 市外の方）"
    )
    resident_label_en = models.CharField(max_length=80, blank=True)
    worker_label_en = models.CharField(max_length=80, blank=True)
    non_resident_label_en = models.CharField(max_length=80, blank=True)
    # Examples shown on this municipality's forms; blank falls back to a neutral example, so
    # that one municipality's name or area code never appears on another's forms.
    example_name_kana = models.CharField(max_length=50, blank=True, help_text="例: ウキハ　タロウ")
    example_name = models.CharField(max_length=50, blank=True, help_text="例: 浮羽　太郎")
    example_phone = models.CharField(max_length=20, blank=True, help_text="例: 0943-12-3456")
    # Children below this age are free and not counted (resort facilities).
    free_child_age = models.PositiveSmallIntegerField(default=4)
    contact_text = models.TextField(blank=True, help_text="問合せ先（プレーンテキスト）")
    about_text = models.TextField(blank=True, help_text="予約システムについて（プレーンテキスト）")
    order = models.PositiveSmallIntegerField(default=0)
    # The permit (使用許可書) and the registration card as printed, set in the console. Blank
    # keeps the standard wording (reservations.permit, registrants.card): 〇〇区長 /
    # 〇〇市教育委員会, the standard conditions of use, the card's keep-it-safe note.
    permit_issuer = models.CharField(max_length=60, blank=True)
    permit_conditions = models.TextField(blank=True, help_text="一行に一つ")
    card_note = models.CharField(max_length=60, blank=True)
    # The official seal (公印): PNG or JPEG, checked by content, stored outside public paths.
    seal = models.FileField(upload_to="seals/", blank=True)
    seal_content_type = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("自治体")
        constraints = [
            models.CheckConstraint(
                condition=Q(service_open_minute__lt=models.F("service_close_minute"))
                & Q(service_close_minute__lte=1440),
                name="municipality_service_hours_valid",
            ),
            models.CheckConstraint(
                # These path segments belong to the site itself, not to a municipality.
                condition=~Q(slug__in=["staff", "static", "i18n", "font-size", "api", "dev"]),
                name="municipality_slug_not_reserved",
            ),
            models.CheckConstraint(
                condition=Q(user_number_digits__gte=4) & Q(user_number_digits__lte=10),
                name="municipality_user_number_digits_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def is_lodging_only(self) -> bool:
        """Only resort facilities (Minato's case): menus say 空き室照会 instead of 空き状況."""
        facilities = self.facilities.filter(is_active=True)
        return facilities.exists() and not facilities.exclude(kind="resort").exists()

    def _localized(self, japanese: str, english: str) -> str:
        return english if (get_language() or "ja").startswith("en") and english else japanese

    @property
    def display_resident_label(self) -> str:
        return self._localized(self.resident_label, self.resident_label_en)

    @property
    def display_worker_label(self) -> str:
        return self._localized(self.worker_label, self.worker_label_en)

    @property
    def display_non_resident_label(self) -> str:
        label = self._localized(self.non_resident_label, self.non_resident_label_en)
        return label or str(_("市外の方"))

    @property
    def form_examples(self) -> dict[str, str]:
        """The example name, kana name and phone number the forms of this municipality show."""
        return {
            "name_kana": self.example_name_kana or "ヤマダ　タロウ",
            "name": self.example_name or "山田　太郎",
            "phone": self.example_phone or "090-1234-5678",
        }

    @property
    def display_system_name(self) -> str:
        if (get_language() or "ja").startswith("en") and self.system_name_en:
            return self.system_name_en
        return self.system_name

    @staticmethod
    def _minute_label(minute: int) -> str:
        return f"{minute // 60}:{minute % 60:02d}"

    @property
    def service_hours_label(self) -> str:
        return (
            f"{self._minute_label(self.service_open_minute)}"
            f"～{self._minute_label(self.service_close_minute)}"
        )

    def in_year_end_closure(self, day: dt.date) -> bool:
        start = (self.year_end_start_month, self.year_end_start_day)
        end = (self.year_end_end_month, self.year_end_end_day)
        md = (day.month, day.day)
        if start <= end:
            return start <= md <= end
        return md >= start or md <= end  # wraps over New Year


class UserManager(DjangoUserManager):
    def create_user(self, username, email=None, password=None, **extra_fields):
        return super().create_user(username, email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who logs in: registrants (by user number) and staff (by staff id).

    ``username`` is an internal unique key ``<municipality slug>:<login id>`` so that user
    number 123456 of Minato and 123456 of Ukiha are different people. People never type it:
    they choose the municipality by URL and type their ``login_id``.
    """

    class Kind(models.TextChoices):
        REGISTRANT = "registrant", _("登録者")
        STAFF = "staff", _("職員")

    class StaffRole(models.TextChoices):
        # Least privilege (what each may do is the table in yoyaku.core.permissions): a
        # municipality admin runs the whole municipality; a facility manager sets up and works
        # their own facilities; a clerk reviews, approves and serves the counter; a viewer only
        # reads. Facility managers, clerks and viewers see their assigned facilities only.
        ADMIN = "admin", _("自治体管理者")
        FACILITY = "facility", _("施設管理者")  # the facility manager; the stored value is older
        CLERK = "clerk", _("窓口担当者")
        VIEWER = "viewer", _("閲覧のみの職員")

    username = models.CharField(max_length=150, unique=True)
    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    login_id = models.CharField(max_length=50)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    staff_role = models.CharField(max_length=20, choices=StaffRole.choices, blank=True)
    display_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # Django's flag: may use the staff console
    date_joined = models.DateTimeField(auto_now_add=True)
    # The language of the mails and LINE messages this person gets: set when they use the
    # language switch while logged in, and on my page. Mails are Japanese or やさしい日本語
    # (an English reader gets the Japanese mail: there are no English mail templates).
    language = models.CharField(
        _("お知らせの言語"), max_length=10, choices=settings.LANGUAGES, default="ja"
    )
    # Staff log in with a second factor (TOTP, RFC 6238). The secret is base32; it counts only
    # once confirmed by a first code. ``totp_last_step`` is the 30-second step of the last code
    # accepted, so a code seen over someone's shoulder cannot be used a second time.
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    # Facility staff see and act on these facilities only (least privilege); municipality
    # admins see every facility of their municipality whatever is assigned here.
    facilities = models.ManyToManyField("facilities.Facility", blank=True, related_name="staff")

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("利用者アカウント")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind", "login_id"], name="user_login_id_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="staff") | ~Q(staff_role=""), name="user_staff_has_role"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @staticmethod
    def make_username(municipality: Municipality | None, kind: str, login_id: str) -> str:
        prefix = municipality.slug if municipality else "_"
        return f"{prefix}:{kind}:{login_id}"


class AuditAction(models.TextChoices):
    """Every kind of audit row. The values are the stored codes (``app.verb``)."""

    API_TOKEN_CREATE = "api_token.create", _("APIトークンの作成")
    API_TOKEN_REVOKE = "api_token.revoke", _("APIトークンの取消し")
    CALENDAR_FEED_CREATE = "calendar_feed.create", _("カレンダー配信の作成")
    CALENDAR_FEED_REGENERATE = "calendar_feed.regenerate", _("カレンダー配信の再発行")
    CALENDAR_FEED_REVOKE = "calendar_feed.revoke", _("カレンダー配信の停止")
    LOTTERY_APPLY = "lottery.apply", _("抽選の申込み")
    LOTTERY_CHANGE = "lottery.change", _("抽選申込みの変更")
    LOTTERY_WITHDRAW = "lottery.withdraw", _("抽選申込みの取下げ")
    LOTTERY_CREATE = "lottery.create", _("抽選の作成")
    LOTTERY_DRAW = "lottery.draw", _("抽選の実施")
    LOTTERY_WIN = "lottery.win", _("当選")
    LOTTERY_LOSE = "lottery.lose", _("落選")
    LOTTERY_SCHEDULE_CREATE = "lottery.schedule_create", _("定期抽選の作成")
    LOTTERY_SCHEDULE_PAUSE = "lottery.schedule_pause", _("定期抽選の停止")
    LOTTERY_SCHEDULE_RESUME = "lottery.schedule_resume", _("定期抽選の再開")
    LOTTERY_VIEW = "lottery.view", _("抽選申込みの閲覧")
    LOTTERY_PUBLIC_SOURCE = "lottery.public_source", _("公開乱数の出典の設定")
    LOTTERY_PUBLIC_VALUE_ENTER = "lottery.public_value_enter", _("公開乱数の値の入力")
    LOTTERY_PUBLIC_VALUE_CONFIRM = "lottery.public_value_confirm", _("公開乱数の値の確認")
    LOTTERY_FREEZE = "lottery.freeze", _("抽選申込みの一覧の確定")
    LOTTERY_RUNNER_UP = "lottery.runner_up", _("次点の繰り上げ当選")
    MAINTENANCE_SCHEDULE = "maintenance.schedule", _("システム休止の予定")
    MAINTENANCE_CANCEL = "maintenance.cancel", _("システム休止の取消し")
    MAINTENANCE_END = "maintenance.end", _("システム休止の終了")
    NOTICE_PUBLISH = "notice.publish", _("お知らせの掲載")
    NOTICE_UPDATE = "notice.update", _("お知らせの更新")
    NOTICE_WITHDRAW = "notice.withdraw", _("お知らせの取下げ")
    PENALTY_WAIVE = "penalty.waive", _("予約停止の解除")
    REDUCTION_REQUEST = "reduction.request", _("減免の申請")
    REDUCTION_APPROVE = "reduction.approve", _("減免の承認")
    REDUCTION_REJECT = "reduction.reject", _("減免の不承認")
    REDUCTION_PROOF_VIEW = "reduction.proof_view", _("減免の証明書の閲覧")
    REGISTRANT_CARD_PRINT = "registrant.card_print", _("利用者カードの印刷")
    REGISTRANT_CHANGE = "registrant.change", _("登録内容の変更")
    REGISTRANT_CHANGE_APPROVE = "registrant.change_approve", _("変更届の承認")
    REGISTRANT_CHANGE_REJECT = "registrant.change_reject", _("変更届の不承認")
    REGISTRANT_EMAIL_CHANGE = "registrant.email_change", _("メールアドレスの変更")
    REGISTRANT_EMAIL_CHANGE_REQUEST = (
        "registrant.email_change_request",
        _("メールアドレス変更の確認メール送信"),
    )
    REGISTRANT_PASSWORD_CHANGE = "registrant.password_change", _("パスワードの変更")
    REGISTRANT_PASSWORD_RESET = "registrant.password_reset", _("パスワードの再設定")
    REGISTRANT_PROOF_VIEW = "registrant.proof_view", _("証明書の閲覧")
    REGISTRANT_SEARCH = "registrant.search", _("登録者の検索")
    REGISTRANT_VIEW = "registrant.view", _("登録者の閲覧")
    REGISTRATION_ANONYMIZE = "registration.anonymize", _("個人情報の匿名化")
    REGISTRATION_APPLY = "registration.apply", _("利用者登録の申請")
    REGISTRATION_APPROVE = "registration.approve", _("利用者登録の承認")
    REGISTRATION_DELETE = "registration.delete", _("登録の抹消")
    REGISTRATION_DEREGISTER = "registration.deregister", _("登録の廃止")
    REGISTRATION_EXPIRE = "registration.expire", _("有効期間の満了")
    REGISTRATION_MERGE = "registration.merge", _("重複登録の統合")
    REGISTRATION_NOT_DUPLICATE = "registration.not_duplicate", _("重複でないことの確認")
    REGISTRATION_REJECT = "registration.reject", _("利用者登録の不承認")
    REGISTRATION_RENEW = "registration.renew", _("有効期間の更新")
    REGISTRATION_REPLY = "registration.reply", _("照会への回答")
    REGISTRATION_REQUEST_INFO = "registration.request_info", _("申請者への照会")
    RESERVATION_BOOK = "reservation.book", _("申込み")
    RESERVATION_APPROVE = "reservation.approve", _("許可")
    RESERVATION_REJECT = "reservation.reject", _("不許可")
    RESERVATION_CANCEL = "reservation.cancel", _("取消")
    RESERVATION_CHANGE_NIGHTS = "reservation.change_nights", _("宿泊数の変更")
    RESERVATION_CHANGE_PARTY = "reservation.change_party", _("人数の変更")
    RESERVATION_RECALCULATE = "reservation.recalculate", _("使用料の再計算")
    RESERVATION_LOTTERY_CONFIRM = "reservation.lottery_confirm", _("当選の確認")
    RESERVATION_LOTTERY_EXPIRE = "reservation.lottery_expire", _("確認のない当選の取消し")
    RESERVATION_USED = "reservation.used", _("利用済")
    RESERVATION_NO_SHOW = "reservation.no_show", _("無断不使用")
    RESERVATION_FEE_RECEIVED = "reservation.fee_received", _("取消料の受領")
    RESERVATION_PAID = "reservation.paid", _("支払いによる予約確定")
    RESERVATION_PAYMENT_EXPIRE = "reservation.payment_expire", _("支払期限切れによる取消し")
    RESERVATION_CHANGE_DATE = "reservation.change_date", _("利用日の変更")
    BUNDLE_BOOK = "bundle.book", _("予約のまとまりの申込み・割当て")
    BUNDLE_CANCEL = "bundle.cancel", _("予約のまとまりの取消")
    BUNDLE_CHANGE = "bundle.change", _("予約のまとまりの一括変更")
    PAYMENT_START = "payment.start", _("支払いの開始")
    PAYMENT_RECEIVED = "payment.received", _("入金")
    PAYMENT_FAILED = "payment.failed", _("支払いの失敗")
    PAYMENT_CLOSED = "payment.closed", _("支払いの中止・期限切れ")
    PAYMENT_COUNTER = "payment.counter", _("窓口・振込の入金記録")
    PAYMENT_LATE = "payment.late", _("期限後の入金（自動返金）")
    PAYMENT_UNKNOWN = "payment.unknown", _("照合できない入金の通知")
    REFUND_START = "refund.start", _("返金の開始")
    REFUND_DONE = "refund.done", _("返金の完了")
    REFUND_FAILED = "refund.failed", _("返金の失敗")
    LEDGER_ADJUST = "ledger.adjust", _("会計の調整")
    PAYMENT_VIEW = "payment.view", _("支払い情報の閲覧")
    RESERVATION_PERMIT_PRINT = "reservation.permit_print", _("使用許可書の出力")
    RESERVATION_VIEW = "reservation.view", _("予約の閲覧")
    SECURITY_VIEW = "security.view", _("ログイン記録の閲覧")
    STAFF_LOGIN = "staff.login", _("職員のログイン")
    STAFF_TOTP_ENROLLED = "staff.totp_enrolled", _("確認コードの登録")
    STAFF_TOTP_FAILED = "staff.totp_failed", _("確認コードの誤り")
    STAFF_TOTP_RESET = "staff.totp_reset", _("確認コードの再設定")
    # Passkeys (パスキー): registrants' log-in, staff's second factor.
    PASSKEY_ADD = "passkey.add", _("パスキーの登録")
    PASSKEY_REMOVE = "passkey.remove", _("パスキーの削除")
    PASSKEY_RESET = "passkey.reset", _("職員のパスキーの一括削除")
    PASSKEY_LOGIN = "passkey.login", _("パスキーによるログイン")
    PASSKEY_FAILED = "passkey.failed", _("パスキーの確認の失敗")
    TERMS_AGREE = "terms.agree", _("利用規約への同意")
    TERMS_PUBLISH = "terms.publish", _("利用規約の改定")
    UNIT_BLOCK = "unit.block", _("利用停止")
    UNIT_UNBLOCK = "unit.unblock", _("利用停止の解除")
    # キャンセル待ち (yoyaku.waitlist).
    WAITLIST_JOIN = "waitlist.join", _("キャンセル待ちの登録")
    WAITLIST_WITHDRAW = "waitlist.withdraw", _("キャンセル待ちの取下げ")
    WAITLIST_OFFER = "waitlist.offer", _("キャンセル待ちの案内")
    WAITLIST_ACCEPT = "waitlist.accept", _("キャンセル待ちの案内の受諾")
    WAITLIST_PASS = "waitlist.pass", _("キャンセル待ちの案内の辞退・期限切れ")
    WAITLIST_VIEW = "waitlist.view", _("キャンセル待ちの閲覧")
    # Setup in the console (施設の設定).
    FACILITY_CREATE = "facility.create", _("施設の登録")
    FACILITY_UPDATE = "facility.update", _("施設の設定の変更")
    UNIT_CREATE = "unit.create", _("室場の登録")
    UNIT_UPDATE = "unit.update", _("室場の変更")
    SLOT_SCHEDULE_CREATE = "slot_schedule.create", _("時間区分の登録")
    FEE_TABLE_PUBLISH = "fee_table.publish", _("料金表の登録")
    CLOSURE_ADD = "closure.add", _("臨時休館の登録")
    CLOSURE_REMOVE = "closure.remove", _("臨時休館の取消し")
    REDUCTION_CATEGORY_CREATE = "reduction_category.create", _("減免区分の登録")
    REDUCTION_CATEGORY_UPDATE = "reduction_category.update", _("減免区分の変更")
    # Staff accounts and the first administrator of a new municipality.
    MUNICIPALITY_CREATE = "municipality.create", _("自治体の作成")
    STAFF_CREATE = "staff.create", _("職員アカウントの作成")
    STAFF_CHANGE = "staff.change", _("職員の役割・担当施設の変更")
    STAFF_DEACTIVATE = "staff.deactivate", _("職員アカウントの停止")
    STAFF_REACTIVATE = "staff.reactivate", _("職員アカウントの再開")
    STAFF_PASSWORD_ISSUE = "staff.password_issue", _("職員の仮パスワードの発行")
    # Reports and the audit log search.
    REPORT_EXPORT = "report.export", _("集計のダウンロード")
    AUDIT_SEARCH = "audit.search", _("監査ログの検索")
    AUDIT_EXPORT = "audit.export", _("監査ログのダウンロード")
    # Daily work and bulk closures (一括休館).
    CLOSURE_BULK_START = "closure.bulk_start", _("一括休館の開始")
    CLOSURE_BULK_DONE = "closure.bulk_done", _("一括休館の完了")
    # The municipality's policies and its permit and card layouts.
    MUNICIPALITY_UPDATE = "municipality.update", _("自治体の設定の変更")
    MUNICIPALITY_DOCUMENTS_UPDATE = "municipality.documents_update", _("許可書・登録証の様式の変更")
    # Multiple accounts and shared IDs (多重登録・ID共有の疑い).
    SIGNAL_VIEW = "signal.view", _("多重登録の疑いの閲覧")
    SIGNAL_DISMISS = "signal.dismiss", _("多重登録の疑い：問題なし")
    SIGNAL_WARN = "signal.warn", _("多重登録の疑い：警告")
    SIGNAL_MERGE = "signal.merge", _("多重登録の疑い：統合")
    SIGNAL_DELETE = "signal.delete", _("多重登録の疑い：抹消")
    # LINE notifications (LINE通知): linked on my page with a code, unlinked there or by an
    # "unfollow".
    LINE_LINK = "line.link", _("LINE通知の連携")
    LINE_UNLINK = "line.unlink", _("LINE通知の連携解除")


class AuditVia(models.TextChoices):
    """Through which door an audited action came."""

    CITIZEN = "citizen", _("利用者画面")
    STAFF = "staff", _("職員画面")
    API = "api", _("API")
    JOB = "job", _("自動処理")
    WEBHOOK = "webhook", _("外部通知")


class AppendOnly(Exception):
    """Audit rows are never changed or deleted."""


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit rows cannot be changed")

    def delete(self):
        raise AppendOnly("audit rows cannot be deleted")


class AuditLog(models.Model):
    """One row per staff action, per staff view of personal data and per state change.

    Append-only: the model refuses to save an existing row or delete one, its query set
    refuses ``update()`` and ``delete()``, and on PostgreSQL a trigger refuses UPDATE and
    DELETE from any client."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The codes of AuditAction (not declared as choices, so a new action needs no migration;
    # audit_record refuses a code that is not in the enum).
    action = models.CharField(max_length=80, db_index=True)
    via = models.CharField(max_length=10, choices=AuditVia.choices, default=AuditVia.JOB)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("監査ログ")
        triggers = [
            pgtrigger.Protect(
                name="audit_log_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit rows cannot be deleted")

    @property
    def action_label(self) -> str:
        try:
            return str(AuditAction(self.action).label)
        except ValueError:
            return self.action


class Notice(models.Model):
    """お知らせ on a municipality's top page. ``body`` is HTML sanitised on every write."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="notices")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    published_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    is_important = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_important", "-published_at", "-id"]
        verbose_name = _("お知らせ")

    def __str__(self) -> str:
        return self.title


class MaintenanceWindow(models.Model):
    """An announced stop (システム休止), e.g. 3/31 0:00 – 4/1 5:00 in 000.

    ``scope`` decides what stops: only the pages that change data (viewing stays open), or the
    whole site. ``municipality`` empty means every municipality of this deployment.
    """

    class Scope(models.TextChoices):
        WRITES = "writes", _("申込み等の受付を停止（閲覧は可能）")
        FULL = "full", _("サイト全体を停止")

    municipality = models.ForeignKey(
        Municipality,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.WRITES)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("システム休止")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")), name="maintenance_window_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M} {self.scope}"


class ApiToken(models.Model):
    """A personal API token (registrant or staff): a name, its scopes, and the SHA-256 of its
    secret. The secret is shown once when made and never stored; ``prefix`` (its first
    characters) lets the owner tell tokens apart and finds the row to compare against.
    A revoked row is kept for the record and authenticates nothing."""

    class Scope(models.TextChoices):
        READ = "read", _("読み取り")
        WRITE = "write", _("読み取りと書き込み")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=50)
    prefix = models.CharField(max_length=16, db_index=True)
    hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, help_text='["read"] or ["read", "write"]')
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("APIトークン")

    def __str__(self) -> str:
        return f"API token {self.prefix}… of user {self.user_id}"

    @property
    def can_write(self) -> bool:
        return self.Scope.WRITE in self.scopes

    @property
    def scope_list(self) -> list[str]:
        return list(self.scopes)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class ApiIdempotency(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key``: a repeat of the same key
    (same token, method and path) gets it back without acting again. Kept 24 hours."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.TextField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("APIの冪等キー")
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key", "method", "path"], name="api_idempotency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} key {self.key[:20]}"


class Heartbeat(models.Model):
    """The last time a background process showed it was alive (``scheduler``, ``worker``).

    One row per name, overwritten: the health endpoint reads the table in its one query."""

    name = models.CharField(max_length=30, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"
