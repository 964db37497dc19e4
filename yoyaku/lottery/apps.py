from django.apps import AppConfig


class LotteryConfig(AppConfig):
    name = "yoyaku.lottery"
    label = "lottery"

    def ready(self) -> None:
        # Reservations sit below the lottery: they learn of held dates and held capacity
        # through their registries, never by importing this app.
        from yoyaku.lottery import selectors, services, tasks
        from yoyaku.registrants import hooks as registrant_hooks
        from yoyaku.reservations import hooks

        hooks.register_hold_periods(selectors.lottery_hold_periods)
        hooks.register_release_handler(services.release_cancelled_win)
        registrant_hooks.register_end_handler(services.lottery_withdraw_for_registrant)
        if tasks.send_results_after_drawing not in services.AFTER_DRAWING:
            services.AFTER_DRAWING.append(tasks.send_results_after_drawing)
