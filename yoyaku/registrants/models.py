"""Registrants (登録者): people and groups who may book, from application to anonymisation."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core import clock
from yoyaku.core.models import Municipality, User


class Registrant(models.Model):
    """One registration of a person or a group in one municipality.

    The status is an explicit state machine; only services in ``registrants.services`` change
    it (see ``TRANSITIONS`` there). The person logs in through ``user`` with the user number.
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("個人")
        GROUP = "group", _("団体")

    class Category(models.TextChoices):
        RESIDENT = "resident", _("在住")
        WORKER = "worker", _("在勤")
        OTHER = "other", _("区域外")

    class Status(models.TextChoices):
        APPLIED = "applied", _("審査中")
        INFO_REQUESTED = "info_requested", _("追加確認中")
        ACTIVE = "active", _("登録済")
        REJECTED = "rejected", _("登録取消（資格を確認できませんでした）")
        MERGED = "merged", _("重複のため統合")
        EXPIRED = "expired", _("有効期限切れ")
        DEREGISTERED = "deregistered", _("廃止")
        DELETED = "deleted", _("抹消")

    class Channel(models.TextChoices):
        ONLINE = "online", _("インターネット")
        COUNTER = "counter", _("窓口")
        POST = "post", _("郵送（はがき・申請書）")

    class DeletionReason(models.TextChoices):
        # Ukiha art. 8 (1)–(7).
        DEREGISTRATION = "deregistration", _("廃止の申請を受けたとき（第8条第1号）")
        EXPIRED = "expired", _("有効期間を過ぎたとき（第8条第2号）")
        FRAUD = "fraud", _("偽りその他不正の手段により登録されたとき（第8条第3号）")
        UNREACHABLE = "unreachable", _("通知又は連絡を行うことができないとき（第8条第4号）")
        VIOLATION = "violation", _("告示の規定に違反したとき（第8条第5号）")
        OBSTRUCTION = (
            "obstruction",
            _(
                "予約システム又は施設の運営を故意又は重大な過失により破壊・妨害したとき（第8条第6号）"
            ),
        )
        OTHER = "other", _("その他抹消すべき事由があると認めるとき（第8条第7号）")

    ENDED = (Status.REJECTED, Status.MERGED, Status.DEREGISTERED, Status.DELETED, Status.EXPIRED)

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="registrants"
    )
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="registrant")
    user_number = models.CharField(max_length=10)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    category = models.CharField(max_length=20, choices=Category.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    # The person (for a group: its representative, 代表者).
    name_kana = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    birth_date = models.DateField()
    phone = models.CharField(max_length=20)
    email = models.EmailField(blank=True)
    postal_code = models.CharField(max_length=8)
    prefecture = models.CharField(max_length=10)
    city = models.CharField(max_length=50)
    street = models.CharField(max_length=200)
    # Groups (団体, Ukiha art. 3).
    group_name = models.CharField(max_length=100, blank=True)
    group_name_kana = models.CharField(max_length=100, blank=True)
    member_count = models.PositiveIntegerField(null=True, blank=True)
    activity = models.CharField(max_length=200, blank=True)
    # Workers (在勤): workplace and the proof of employment, kept outside public paths.
    workplace_name = models.CharField(max_length=100, blank=True)
    workplace_postal_code = models.CharField(max_length=8, blank=True)
    workplace_prefecture = models.CharField(max_length=10, blank=True)
    workplace_city = models.CharField(max_length=50, blank=True)
    workplace_street = models.CharField(max_length=200, blank=True)
    workplace_phone = models.CharField(max_length=20, blank=True)
    employment_proof = models.FileField(upload_to="proofs/%Y/%m/", blank=True)
    employment_proof_type = models.CharField(max_length=30, blank=True)
    # Life cycle.
    registered_at = models.DateTimeField(help_text="利用者番号の付与日時")
    approved_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="最後に予約・抽選を申し込んだ日時（有効期間の自動更新）"
    )
    expiry_notice_for = models.DateField(null=True, blank=True)
    password_is_initial = models.BooleanField(default=True, help_text="パスワードが生年月日のまま")
    staff_message = models.TextField(blank=True, help_text="審査での依頼・取消の理由（本人に通知）")
    applicant_reply = models.TextField(blank=True)
    deletion_reason = models.CharField(max_length=20, choices=DeletionReason.choices, blank=True)
    deletion_note = models.TextField(
        blank=True, help_text="抹消の補足（職員の記録用。本人には知らせない）"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)
    # Duplicate registration (Ukiha art. 11.5): flagged for staff, never silently accepted.
    duplicate_suspected = models.BooleanField(default=False)
    possible_duplicates = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )

    class Meta:
        verbose_name = _("登録者")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user_number"], name="registrant_user_number_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="group") | ~Q(group_name=""), name="registrant_group_has_name"
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status"], name="registrant_status"),
            models.Index(fields=["municipality", "birth_date"], name="registrant_birth_date"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality.slug}:{self.user_number}"

    @property
    def display_name(self) -> str:
        return self.group_name or self.name

    @property
    def is_ended(self) -> bool:
        return self.status in self.ENDED

    @classmethod
    def category_label_for(cls, municipality, category: str) -> str:
        """The municipality's own words for a 在住・在勤区分 (e.g. うきは市内在住の方)."""
        if category == cls.Category.WORKER:
            return municipality.display_worker_label
        if category == cls.Category.OTHER:
            return municipality.display_non_resident_label
        return municipality.display_resident_label

    @property
    def category_label(self) -> str:
        return self.category_label_for(self.municipality, self.category)

    def is_eligible(self, allowed: list[str] | None) -> bool:
        """Whether a facility's or a round's list of allowed categories admits this person:
        an empty list admits everyone; a registered group also passes as ``group``."""
        if not allowed:
            return True
        keys = {self.category, "group"} if self.kind == self.Kind.GROUP else {self.category}
        return bool(keys & set(allowed))


class ChangeRequest(models.Model):
    """登録事項の変更 (Ukiha art. 6) that needs staff review: it affects eligibility, or it
    changes the name (with a proof of the new name)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("審査中")
        APPROVED = "approved", _("承認")
        REJECTED = "rejected", _("不承認")

    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="change_requests"
    )
    changes = models.JSONField(help_text="field name → new value")
    employment_proof = models.FileField(upload_to="proofs/%Y/%m/", blank=True)
    # The content type found when the proof was checked; the only one it is served with.
    employment_proof_type = models.CharField(max_length=30, blank=True)
    # A change of name (e.g. after marriage) comes with a document showing it (戸籍抄本 …);
    # kept with the request only: it is not the registrant's proof of employment.
    name_proof = models.FileField(upload_to="proofs/%Y/%m/", blank=True)
    name_proof_type = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open change request per registrant: a second one waits for the first.
            models.UniqueConstraint(
                fields=["registrant"],
                condition=Q(status="pending"),
                name="change_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.registrant} {self.status}"


class ReductionGrant(models.Model):
    """A registrant's right to a fee reduction (減免), after staff checked the proof."""

    class Status(models.TextChoices):
        PENDING = "pending", _("審査中")
        APPROVED = "approved", _("承認")
        REJECTED = "rejected", _("不承認")

    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="reduction_grants"
    )
    category = models.ForeignKey(
        "facilities.ReductionCategory", on_delete=models.PROTECT, related_name="grants"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    proof = models.FileField(upload_to="reduction-proofs/%Y/%m/", blank=True)
    proof_type = models.CharField(max_length=30, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["registrant", "category"],
                condition=Q(status__in=["pending", "approved"]),
                name="reduction_grant_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.registrant} {self.category} {self.status}"


class PendingUpload(models.Model):
    """A proof attached to an online application that has not been sent yet.

    The file waits under ``pending/`` between the form and 送信 on the confirmation page;
    these rows let the limits on anonymous uploads (``services.pending_upload_store``) sum the
    space in use without listing the storage, and the hourly clean-up find what is abandoned.
    """

    path = models.CharField(max_length=200, unique=True)
    size = models.PositiveBigIntegerField()
    stored_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["stored_at"], name="pending_upload_stored_at")]

    def __str__(self) -> str:
        return f"{self.path} ({self.size} bytes)"


class TermsOfUse(models.Model):
    """利用規約: one published version of a municipality's terms of use (plain text).

    Versions only grow: a change is a new row, never an edit, so every agreement points at the
    very text the person saw. The current version is the latest one published.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="terms_of_use"
    )
    version = models.PositiveIntegerField()
    body = models.TextField(help_text="本文（書式のないテキスト。改行はそのまま表示）")
    change_summary = models.TextField(
        blank=True, help_text="前の版からの主な変更点（再同意の画面に表示）"
    )
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["municipality", "-version"]
        verbose_name = _("利用規約")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "version"], name="terms_of_use_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="terms_of_use_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality.slug} v{self.version}"

    @property
    def published_on(self):
        return clock.local(self.published_at).date()


class AppendOnly(Exception):
    """Agreements to the terms are records of what a person said: never changed or deleted."""


class TermsAgreementQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("terms agreements cannot be changed")

    def delete(self):
        raise AppendOnly("terms agreements cannot be deleted")


class TermsAgreement(models.Model):
    """A registrant agreed to one version of the terms, at a time, through a door: online at
    registration or at a log-in (``citizen``), or on a paper application typed in at the
    counter (``staff``). Append-only; the registrant's current agreement is the latest row."""

    registrant = models.ForeignKey(
        Registrant, on_delete=models.PROTECT, related_name="terms_agreements"
    )
    terms = models.ForeignKey(TermsOfUse, on_delete=models.PROTECT, related_name="agreements")
    agreed_at = models.DateTimeField()
    # The codes of core's AuditVia (citizen, staff, api).
    via = models.CharField(max_length=10)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TermsAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-agreed_at", "-id"]
        verbose_name = _("利用規約への同意")
        indexes = [
            models.Index(fields=["registrant", "-agreed_at"], name="terms_agreement_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.registrant} agreed v{self.terms.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("terms agreements cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("terms agreements cannot be deleted")
