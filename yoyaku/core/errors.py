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
