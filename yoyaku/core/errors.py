"""Domain errors: every refused rule raises one, with a stable code.

Services raise ``DomainError("code", **params)``; the Japanese text for each code lives in
:data:`MESSAGES` (translated to English through Django i18n), so that every face — citizen
pages, staff console, API — shows the same words for the same refusal.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "notice_title_required": _("件名を入力してください。"),
    "notice_expiry_before_publish": _("掲載終了は掲載開始より後にしてください。"),
    "maintenance_window_order": _("終了日時は開始日時より後にしてください。"),
    "maintenance_already_over": _("このシステム休止はすでに終了しています。"),
    "block_outside_schedule": _("この施設の時間区分にない時間帯は指定できません。"),
    "block_dates_order": _("終了日は開始日以降にしてください。"),
    "block_already_occupied": _("指定した枠の一部はすでに予約または利用停止されています。"),
    "block_rooms_out_of_range": _("部屋数は1以上、客室数以下で指定してください。"),
    "registrant_wrong_state": _("現在の登録状況（%(status)s）では、この操作はできません。"),
    "registration_email_required": _(
        "メールアドレスの入力がない場合は、インターネットでの利用者登録はできません。"
        "専用はがき又は窓口でお申し込みください。"
    ),
    "registration_proof_required": _("在勤の方は在勤証明書を添付してください。"),
    "user_number_exhausted": _(
        "利用者番号を発行できませんでした。時間をおいてもう一度お試しください。"
    ),
    "registration_duplicate_unresolved": _(
        "重複登録の疑いがあります。先に重複の確認（別人として承認、または統合）を行ってください。"
    ),
    "reason_required": _("理由を入力してください。"),
    "reply_required": _("回答を入力するか、書類を添付してください。"),
    "merge_target_invalid": _("統合先の登録者が正しくありません。"),
    "deregister_has_obligations": _(
        "%(what)sがあるため、利用者登録を廃止できません。取消・お支払いの後に、もう一度お手続きください。"
    ),
    "deletion_reason_invalid": _("抹消の理由を選んでください。"),
    "password_current_wrong": _("現在のパスワードが正しくありません。"),
    "password_format": _("パスワードは8～12桁の半角英数字で入力してください。"),
    "password_is_birth_date": _("生年月日と同じパスワードは設定できません。"),
    "nothing_changed": _("変更された項目がありません。"),
    "change_request_pending": _(
        "審査中の変更届があります。審査が終わってから、もう一度お届けください。"
    ),
    "change_request_decided": _("この変更届はすでに処理されています。"),
    "link_expired": _("リンクの有効期限が切れています。もう一度お手続きください。"),
    "link_invalid": _("リンクが正しくありません。"),
    "unknown_action": _("操作を選んでください。"),
}


class DomainError(Exception):
    """A rule of the domain refused an action."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        template = MESSAGES.get(self.code)
        if template is None:
            return str(_("処理できませんでした。内容をご確認のうえ、もう一度お試しください。"))
        return str(template) % self.params if self.params else str(template)

    def __str__(self) -> str:
        return self.message
