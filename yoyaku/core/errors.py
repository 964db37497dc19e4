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
    "payment_already_received": _(
        "お支払いはすでに受け付けています。予約の確認画面で状況をご確認ください。"
    ),
    "payment_amount_invalid": _("金額は1円以上で入力してください。"),
    "payment_in_progress": _(
        "お支払いの手続きがすでに始まっています。予約の確認画面からお進みください。"
    ),
    "payment_method_unavailable": _("この施設では、この方法でのお支払いはできません。"),
    "payment_more_than_owed": _("お支払いいただく金額（%(owed)s円）を超えています。"),
    "payment_not_due": _("この予約は、いまお支払いいただくものではありません。"),
    "payment_nothing_owed": _("お支払いいただく金額はありません。"),
    "payment_provider_down": _(
        "ただいま決済サービスに接続できません。しばらくしてから、もう一度お試しください。"
        "お支払いの手続きは失われていません。"
    ),
    "receipt_number_required": _("受付番号（領収書の番号）を入力してください。"),
    "refund_not_counter": _("この返金は決済サービスを通じて行われます。"),
    "unpaid_balance": _(
        "お支払いいただいていない料金（%(amount)s円）があるため、新しい予約はできません。"
        "マイページの「お支払い」からお支払いください。"
    ),
    "password_reset_throttled": _(
        "パスワード再設定のお申し込みが短時間に続いたため、ただいま受け付けられません。"
        "%(minutes)s分ほどおいてから、もう一度お試しください。"
    ),
    "registration_workplace_required": _("在勤の方は入力してください。"),
    "registration_category_not_allowed": _("この在住・在勤区分では利用者登録ができません。"),
    "registration_kind_not_allowed": _("この区分（個人・団体）では利用者登録ができません。"),
    "birth_date_invalid": _("生年月日が正しくありません。実在する日付を入力してください。"),
    "name_change_proof_required": _(
        "氏名を変更するときは、新しい氏名が分かる書類（戸籍抄本など）を添付してください。"
    ),
    "birth_date_future": _("生年月日が未来の日付になっています。"),
    "registration_too_young": _("利用者登録は%(age)s歳以上の方が対象です。"),
    "pending_upload_throttled": _(
        "短時間に多くのファイルが添付されたため、ただいまファイルを受け付けられません。"
        "%(minutes)s分ほどおいてから、もう一度お試しください。"
    ),
    "pending_uploads_full": _(
        "ただいま混み合っているため、ファイルを受け付けられません。"
        "しばらくおいてから、もう一度お試しください。"
    ),
    "pending_upload_expired": _(
        "添付した在勤証明書の保存期限（1時間）が過ぎました。"
        "「修正する」から、もう一度ファイルを添付してください。"
    ),
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
    "signal_gone": _(
        "この疑いは、すでに対応済みか内容が変わりました。一覧を読み込み直してください。"
    ),
    "signal_member_invalid": _("この疑いに含まれる登録者を選んでください。"),
    "signal_targets_required": _("抹消する登録者を選んでください。"),
    "no_fee_owed": _("この予約に取消料はかかっていません。"),
    "fee_already_received": _("この取消料はすでに受領済みです。"),
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
    "service_closed": _("受付時間外のため、申込み・変更はできません。"),
    "unit_not_bookable": _("この室場は予約できません。"),
    "registrant_under_review": _("利用者登録の審査が終わるまで、予約の申込みはできません。"),
    "registrant_duplicate": _("重複登録の確認が終わるまで、予約の申込みはできません。"),
    "registrant_expired": _("利用者登録の有効期限が切れているため、予約の申込みはできません。"),
    "registrant_ended": _("利用者登録が有効ではないため、予約の申込みはできません。"),
    "penalty_active": _("直前の取消または無断不使用のため、%(until)sまで新しい予約はできません。"),
    "category_not_allowed": _("この施設は、ご登録の区分（在住・在勤など）では予約できません。"),
    "date_past": _("過去の日付は予約できません。"),
    "window_not_open": _("この日の予約の受付は%(opens)sからです。"),
    "window_closed": _(
        "この日の予約の受付は%(closes)sで終了しました。施設に直接お問い合わせください。"
    ),
    "nights_limit": _("宿泊数は1～%(max)s泊で指定してください。"),
    "rooms_limit": _("部屋数は1～%(max)s室で指定してください。"),
    "adult_required": _("大人1名以上で申し込んでください。"),
    "too_many_persons": _(
        "人数が部屋の定員（%(max)s名）を超えています。部屋数を増やしてください。"
    ),
    "too_few_persons": _("1部屋あたりの最少人数に足りません（%(min)s名以上）。"),
    "infants_exceeded": _("4歳未満の人数が部屋の定員（%(max)s名）を超えています。"),
    "head_count_negative": _("人数は0以上で入力してください。"),
    "slot_required": _("利用する時間区分を選んでください。"),
    "slot_not_in_schedule": _("この室場の時間区分ではありません。"),
    "slots_overlap": _("重なる時間区分は同時に選べません。"),
    "slot_started": _("%(slot)sはすでに始まっているため予約できません。"),
    "party_size_required": _("利用予定人数を入力してください。"),
    "capacity_exceeded": _("利用予定人数が定員（%(max)s名）を超えています。"),
    "purpose_not_allowed": _("この室場で選べる利用目的を選んでください。"),
    "reduction_not_granted": _("この減免は承認されていないため適用できません。"),
    "date_closed": _("%(date)sは休館日のため予約できません（%(reason)s）。"),
    "lottery_period": _("%(date)sは抽選の対象日です。抽選結果の発表後に空いていれば予約できます。"),
    "too_many_reservations": _("この施設で同時に持てる予約は%(max)s件までです。"),
    "rooms_full": _("%(date)sは空き室が足りません。"),
    "bundle_item_refused": _("%(item)s：%(reason)s（何も予約していません）"),
    "bundle_items_overlap": _("同じ枠が二度含まれています。"),
    "bundle_empty": _("予約する日時がありません。"),
    "bundle_nothing_to_cancel": _("取り消せる予約は残っていません。"),
    "series_groups_only": _("定期利用の申込みは、団体登録の方だけができます。"),
    "series_period_order": _("終了日は開始日以降にしてください。"),
    "series_too_long": _("期間は%(days)s日以内にしてください。"),
    "series_no_dates": _("期間内に、選んだ曜日の日がありません。"),
    "series_too_many_dates": _("一度に申し込める日は%(max)s日までです。期間を分けてください。"),
    "series_no_free_dates": _("空いている日がありません。"),
    "slot_taken": _("この枠はすでに予約されています。別の日時をお選びください。"),
    "reservation_wrong_state": _("この予約は現在「%(status)s」のため、この操作はできません。"),
    "change_after_start": _("利用日を過ぎた予約は変更・取消できません。"),
    "nothing_to_change": _("変更はありません。"),
    "not_yet_used": _("利用日より前には、利用済み・無断不使用にできません。"),
    "lottery_choice_count": _("第1希望から第%(max)s希望までの範囲で指定してください。"),
    "lottery_unit_not_in_round": _("第%(rank)s希望の室場は、この抽選の対象ではありません。"),
    "lottery_date_not_in_round": _("第%(rank)s希望の日付は、この抽選の対象期間外です。"),
    "lottery_not_open": _("この抽選は現在申込みを受け付けていません。"),
    "lottery_application_limit": _("この抽選に申し込めるのは%(max)s件までです。"),
    "lottery_already_drawn": _("この抽選はすでに実施されています。"),
    "lottery_still_open": _("申込みの受付期間中は抽選できません。"),
    "lottery_seed_key_missing": _(
        "抽選の鍵（LOTTERY_SEED_KEY）が設定されていないため、抽選を作成・実施できません。"
    ),
    "lottery_seed_key_changed": _(
        "抽選の鍵が作成時と異なり、公開済みのシードのハッシュと一致しないため、抽選できません。"
    ),
    "lottery_public_source_required": _("公開乱数の出典を入力してください。"),
    "lottery_public_source_locked": _("申込みの受付開始後は、公開乱数の出典を変更できません。"),
    "lottery_public_value_before_close": _(
        "公開乱数が決まる日時は、申込みの受付終了より後にしてください。"
    ),
    "lottery_public_value_not_used": _("この抽選は公開乱数を使いません。"),
    "lottery_public_value_required": _("公開乱数の値を入力してください。"),
    "lottery_public_value_too_long": _("公開乱数の値は%(max)s文字以内で入力してください。"),
    "lottery_public_value_not_drand": _(
        "drandの乱数は64桁の16進数（0〜9、a〜f）で入力してください。"
    ),
    "lottery_public_value_too_early": _(
        "公開乱数が決まる日時（%(when)s）より前には入力できません。"
    ),
    "lottery_public_value_confirmed": _("公開乱数の値は確認済みのため、変更できません。"),
    "lottery_public_value_not_entered": _("公開乱数の値がまだ入力されていません。"),
    "lottery_public_value_same_person": _(
        "公開乱数の値は、入力した職員とは別の職員が確認してください。"
    ),
    "lottery_public_value_mismatch": _(
        "入力済みの値と一致しません。出典をもう一度確認してください。"
    ),
    "lottery_public_value_missing": _(
        "公開乱数の値が入力・確認されていないため、まだ抽選できません。"
    ),
    "required": _("入力してください。"),
    "round_name_required": _("抽選の名前を入力してください。"),
    "round_name_taken": _("同じ名前の抽選がすでにあります。"),
    "round_close_before_open": _("受付終了は受付開始より後にしてください。"),
    "round_draw_before_close": _("抽選日時は受付終了以降にしてください。"),
    "round_first_come_before_draw": _("先着順の受付開始は抽選日時以降にしてください。"),
    "round_deadline_before_draw": _("当選の確認期限は抽選日時より後にしてください。"),
    "round_deadline_after_first_come": _("当選の確認期限は先着順の受付開始までにしてください。"),
    "round_use_order": _("終了日は開始日以降にしてください。"),
    "round_use_before_close": _("対象の利用日は、受付終了の翌日以降にしてください。"),
    "round_number_out_of_range": _("%(min)s以上%(max)s以下の数を入力してください。"),
    "round_units_required": _("対象の室場を1つ以上選んでください。"),
    "lottery_confirm_deadline_passed": _("当選の確認期限を過ぎています。"),
    "reduction_already_decided": _("この減免の申請はすでに処理されています。"),
    "penalty_already_waived": _("この予約の停止はすでに解除されています。"),
    "reduction_already_requested": _("この減免はすでに申請済み、または承認済みです。"),
    "reduction_proof_required": _("減免の確認に必要な書類を添付してください。"),
    "fee_not_set": _("この利用区分の使用料が設定されていません。施設にお問い合わせください。"),
    "reduction_not_for_commercial": _("営利目的の利用には減免を適用できません。"),
    "terms_agreement_required": _(
        "利用規約をお読みのうえ、同意する場合はチェックを入れてください。"
    ),
    "terms_not_current": _(
        "利用規約が改定されました。新しい利用規約をお読みのうえ、もう一度同意してください。"
    ),
    "terms_body_required": _("利用規約の本文を入力してください。"),
    "terms_body_unchanged": _("本文が現在の版と同じです。変更してから公開してください。"),
    "recalculate_forbidden": _("担当外の施設の予約は再計算できません。"),
    "reduction_unknown": _("この減免の区分は選べません。"),
    # Setup in the console (施設の設定).
    "setup_number_out_of_range": _("%(min)s以上%(max)s以下の数を入力してください。"),
    "facility_slug_invalid": _(
        "URL用の名前は半角英小文字・数字・ハイフンで入力してください（例: bunka-kaikan）。"
    ),
    "facility_slug_taken": _("このURL用の名前は、ほかの施設で使われています。"),
    "closed_days_invalid": _("休館日の曜日を一覧から選んでください。"),
    "season_incomplete": _(
        "営業期間は、開始と終了の月・日をすべて入力するか、すべて空欄にしてください。"
    ),
    "season_date_invalid": _("営業期間の月日が正しくありません。実在する月日を入力してください。"),
    "categories_invalid": _("予約できる区分を一覧から選んでください。"),
    "payment_methods_invalid": _("支払方法を一覧から選んでください。"),
    "booking_window_invalid": _(
        "受付開始（利用日の%(months)sか月前）が受付終了（%(days)s日前）より後になっています。"
    ),
    "cancellation_tiers_invalid": _("取消料の段階を確認してください。%(reason)s"),
    "cancellation_tiers_format": _(
        "取消料の段階は1行に1段階、「7 0」のように日数と割合（%）を半角数字で入力してください。"
    ),
    "unit_name_taken": _("この施設には同じ名前の室場がすでにあります。"),
    "unit_parent_invalid": _(
        "全体の室場は、この施設の時間区分で予約する室場から選んでください（自分自身や自分の部分は選べません）。"
    ),
    "unit_parent_schedule": _("部分の室場は、全体の室場と同じ時間区分にしてください。"),
    "unit_schedule_required": _("時間区分で予約する室場には、時間区分を選んでください。"),
    "unit_rooms_required": _("宿泊の室場には、客室数と1室の定員を入力してください。"),
    "unit_kind_locked": _(
        "料金表のある室場の予約方法・時間区分は変更できません。新しい室場として登録してください。"
    ),
    "slot_schedule_name_taken": _("同じ名前の時間区分がすでにあります。"),
    "slots_required": _("時間区分を1つ以上入力してください。"),
    "slots_format": _(
        "%(line)s行目: 「am 午前 9:00 12:00」のように、コード・名称・開始・終了を空白で区切って入力してください。"
    ),
    "slot_code_duplicate": _("コード「%(code)s」が重複しています。"),
    "slot_time_order": _("「%(label)s」の終了時刻は開始時刻より後にしてください。"),
    "slot_basic_overlap": _(
        "「%(first)s」と「%(second)s」の時間が重なっています。基本の区分は重ならないようにしてください。"
    ),
    "slot_combined_misaligned": _(
        "組み合わせの区分「%(label)s」は、基本の区分の開始時刻に始まり、終了時刻に終わるようにしてください。"
    ),
    "fee_table_past": _("料金表の適用開始日は今日以降にしてください。"),
    "fee_table_later_exists": _(
        "%(date)sから適用する料金表がすでにあります。それより後の日付を指定してください。"
    ),
    "fee_table_incomplete": _("「%(what)s」の料金を入力してください。"),
    "fee_table_day_class": _(
        "料金の曜日の区分は、全日・平日・土日祝（宿泊は休前日）から選んでください。"
    ),
    "fee_table_duplicate": _("同じ区分の料金が二つあります。一つにしてください。"),
    "unit_not_in_facility": _("この施設の室場を選んでください。"),
    "reduction_percent_range": _("減額の割合は1～100（%）で入力してください。"),
    "reduction_name_taken": _("同じ名前の減免区分がすでにあります。"),
    # Staff accounts.
    "staff_login_id_invalid": _(
        "職員IDは半角英数字と「.」「_」「-」で、2～50文字で入力してください（先頭は英数字）。"
    ),
    "staff_login_id_taken": _("この職員IDは既に使われています。別の職員IDにしてください。"),
    "staff_role_invalid": _("役割を選んでください。"),
    "staff_facility_invalid": _("この自治体の施設から選んでください。"),
    "staff_last_admin": _(
        "有効な自治体管理者がほかにいなくなるため、この変更はできません。"
        "先に別の職員を自治体管理者にしてください。"
    ),
    "staff_email_invalid": _("メールアドレスの形式が正しくありません。"),
    "staff_already_active": _("この職員アカウントは既に有効です。"),
    "staff_already_inactive": _("この職員アカウントは既に停止されています。"),
    "municipality_has_admin": _(
        "この自治体には既に有効な自治体管理者がいます。職員アカウントは管理画面で作成してください。"
    ),
    "municipality_slug_invalid": _(
        "自治体の識別名は半角英小文字・数字・「-」で入力してください（staff など予約語は使えません）。"
    ),
    # Bulk closures (一括休館).
    "closure_in_the_past": _("休館の開始日は今日以降の日付にしてください。"),
    "closure_too_long": _("一度に休館できるのは366日までです。"),
    "closure_unit_elsewhere": _("選んだ室場はこの施設のものではありません。"),
    # The municipality's policies and its permit and card layouts (自治体の設定).
    "municipality_field_required": _("「%(label)s」を入力してください。"),
    "municipality_field_too_long": _("「%(label)s」は%(max)s文字以内で入力してください。"),
    "municipality_number_range": _("「%(label)s」は%(low)s～%(high)sの数字で入力してください。"),
    "municipality_mode_invalid": _("利用者登録の方式を選んでください。"),
    "municipality_service_hours": _(
        "受付時間は0:00～24:00の間で、終了を開始より後にしてください（例: 8:00～24:00）。"
    ),
    "municipality_date_invalid": _(
        "「%(label)s」は実在する月日を入力してください（2月29日は除く）。"
    ),
    "municipality_nobody_registers": _(
        "在住・在勤・市外のいずれかの方が利用者登録できるようにしてください。"
    ),
    "municipality_phone_invalid": _(
        "電話番号の例は半角数字とハイフンで入力してください（例: 0943-12-3456）。"
    ),
    "municipality_kana_invalid": _(
        "氏名カタカナの例はカタカナで入力してください（例: ウキハ　タロウ）。"
    ),
    "municipality_digits_in_use": _(
        "利用者番号の桁数は、利用者が登録された後は変更できません（ログインできなくなるため）。"
    ),
    "seal_too_big": _("公印の画像は1MB以下にしてください。"),
    "seal_type": _("公印の画像はPNG（.png）またはJPEG（.jpg）形式のファイルにしてください。"),
    "api_token_name_required": _("トークンの名前を入力してください。"),
    "api_token_limit": _(
        "APIトークンは%(max)s個まで作成できます。使わないものを取り消してください。"
    ),
    "api_token_revoked": _("このAPIトークンはすでに取り消されています。"),
    "seal_broken": _("公印の画像が壊れているか、読み取れません。別のファイルを選んでください。"),
    # API tokens.
    "api_token_name_too_long": _("トークンの名前は%(max)s文字以内で入力してください。"),
    "api_token_too_many": _(
        "有効なトークンは%(max)s個までです。使わないトークンを無効にしてから作成してください。"
    ),
    "api_token_not_yours": _("このトークンは操作できません。"),
    # キャンセル待ち.
    "waitlist_disabled": _("この施設はキャンセル待ちを受け付けていません。"),
    "waitlist_not_full": _("この枠には空きがあります。キャンセル待ちではなく予約してください。"),
    "waitlist_closed": _("この日のキャンセル待ちの受付は終了しました（%(date)sまで）。"),
    "waitlist_duplicate": _("同じ内容のキャンセル待ちにすでに登録しています。"),
    "waitlist_limit": _("この施設で同時に登録できるキャンセル待ちは%(max)s件までです。"),
    "waitlist_wrong_state": _("このキャンセル待ちは操作できません（%(status)s）。"),
    "waitlist_offer_expired": _("案内の期限が過ぎました。"),
    # 受付開始直後の公平な受付 (reservations.opening).
    "booking_attempts_exceeded": _(
        "予約の申込みが短い時間に多すぎます。%(seconds)s秒後に、もう一度お申し込みください。"
    ),
    "first_minute_queued": _(
        "受付開始直後の申込みは、締切後に無作為の順で処理します。"
        "結果は%(closes)s以降に、申込み番号%(ticket)sでご確認ください。"
    ),
    "opening_hour_invalid": _("受付開始時刻は0から23までの数（時）で入力してください。"),
    "fair_window_invalid": _("受付開始直後の抽選の秒数は0から600までで入力してください。"),
    "passkey_name_required": _("パスキーの名前を入力してください。"),
    "passkey_too_many": _(
        "パスキーは%(limit)s個まで登録できます。使わなくなったものを削除してから登録してください。"
    ),
    "passkey_invalid": _("パスキーを確認できませんでした。お手数ですが、もう一度お試しください。"),
    "passkey_duplicate": _("このパスキーはすでに登録されています。"),
}


class DomainError(Exception):
    """A rule of the domain refused an action."""

    def __init__(self, code: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
        # The input the refusal is about, so a form can show it next to that field.
        self.field = field

    @property
    def message(self) -> str:
        template = MESSAGES.get(self.code)
        if template is None:
            return str(_("処理できませんでした。内容をご確認のうえ、もう一度お試しください。"))
        return str(template) % self.params if self.params else str(template)

    def __str__(self) -> str:
        return self.message
