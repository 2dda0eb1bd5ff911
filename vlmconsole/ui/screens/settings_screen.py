"""The settings screen: model, window policy, image transport and max tokens for the next turns."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Integer, ValidationResult, Validator
from textual.widgets import Button, Input, Label, Select, Static

from vlmconsole.model.run_settings import TRANSPORTS, RunSettings
from vlmconsole.model.window_policy import PolicyError, WindowPolicy

MAX_TOKENS_LIMIT = 32768


class PolicyValidator(Validator):
    """Accepts what `WindowPolicy.parse` reads; the failure carries the PolicyError text."""

    def validate(self, value: str) -> ValidationResult:
        """Returns success, or a failure whose description is the PolicyError message."""
        try:
            WindowPolicy.parse(value)
        except PolicyError as error:
            return self.failure(str(error), value)
        return self.success()


class SettingsScreen(ModalScreen[RunSettings | None]):
    """Edits the run settings; dismisses with the new RunSettings, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    DEFAULT_CSS = """
    SettingsScreen {
        align: center middle;
        background: $background 60%;
    }
    SettingsScreen #settings-dialog {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        border: round $primary;
        border-title-color: $accent;
        background: $surface;
        padding: 0 1;
    }
    SettingsScreen .settings-row {
        height: auto;
    }
    SettingsScreen .settings-row > Label {
        width: 16;
        padding: 1 1 0 0;
        color: $foreground;
    }
    SettingsScreen .settings-field {
        width: 1fr;
        height: auto;
    }
    SettingsScreen .field-error {
        color: $error;
        padding: 0 1;
        display: none;
    }
    SettingsScreen .field-error.shown {
        display: block;
    }
    SettingsScreen #settings-buttons {
        height: auto;
        align-horizontal: right;
    }
    SettingsScreen #settings-buttons Button {
        margin-left: 1;
    }
    """

    def __init__(self, current: RunSettings, models: Sequence[str]) -> None:
        """Opens on `current`; the model is picked from `models` (current's model is kept)."""
        super().__init__()
        self.current = current
        self.models = list(dict.fromkeys([*models, current.model]))
        transports = list(TRANSPORTS)
        if current.transport not in transports:
            transports.append(current.transport)
        self.transports = transports

    def compose(self) -> ComposeResult:
        """Returns the dialog: four labelled fields, their messages and the buttons."""
        with Vertical(id="settings-dialog") as dialog:
            dialog.border_title = "Run settings"
            with Horizontal(classes="settings-row"):
                yield Label("Model")
                yield Select(
                    [(model, model) for model in self.models],
                    value=self.current.model,
                    allow_blank=False,
                    id="model",
                    classes="settings-field",
                )
            with Horizontal(classes="settings-row"):
                yield Label("Window policy")
                with Vertical(classes="settings-field"):
                    yield Input(
                        str(self.current.policy),
                        placeholder="none, slide:N or chunk:N",
                        validators=[PolicyValidator()],
                        validate_on=["changed", "submitted"],
                        id="policy",
                    )
                    yield Static("", id="policy-error", classes="field-error")
            with Horizontal(classes="settings-row"):
                yield Label("Transport")
                yield Select(
                    [(name, name) for name in self.transports],
                    value=self.current.transport,
                    allow_blank=False,
                    id="transport",
                    classes="settings-field",
                )
            with Horizontal(classes="settings-row"):
                yield Label("Max tokens")
                with Vertical(classes="settings-field"):
                    yield Input(
                        str(self.current.max_tokens),
                        type="integer",
                        validators=[
                            Integer(
                                minimum=1,
                                maximum=MAX_TOKENS_LIMIT,
                                failure_description=(
                                    f"max tokens is a whole number from 1 to {MAX_TOKENS_LIMIT}"
                                ),
                            )
                        ],
                        validate_on=["changed", "submitted"],
                        id="max-tokens",
                    )
                    yield Static("", id="max-tokens-error", classes="field-error")
            with Horizontal(id="settings-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    @on(Input.Changed)
    def _show_validation(self, event: Input.Changed) -> None:
        """Shows or clears the message under the field that changed."""
        if event.input.id is not None:
            self._show_error(event.input.id, event.validation_result)

    def _show_error(self, field_id: str, result: ValidationResult | None) -> None:
        """Writes the first failure's description under the field, or hides the line."""
        message = ""
        if result is not None and not result.is_valid:
            message = "; ".join(result.failure_descriptions[:1])
        line = self.query_one(f"#{field_id}-error", Static)
        line.update(message)
        line.set_class(bool(message), "shown")

    @on(Input.Submitted)
    def _next_or_save(self, event: Input.Submitted) -> None:
        """Enter on the last field saves; on any other field it moves to the next one."""
        if event.input.id == "max-tokens":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def read_settings(self) -> RunSettings | None:
        """Returns the settings the fields describe, or None after showing what is wrong."""
        policy_input = self.query_one("#policy", Input)
        tokens_input = self.query_one("#max-tokens", Input)
        results = {"policy": policy_input.validate(policy_input.value)}
        results["max-tokens"] = tokens_input.validate(tokens_input.value)
        for field_id, result in results.items():
            self._show_error(field_id, result)
        if not all(result is None or result.is_valid for result in results.values()):
            return None
        model = self.query_one("#model", Select).value
        transport = self.query_one("#transport", Select).value
        return RunSettings(
            model=model if isinstance(model, str) else self.current.model,
            policy=WindowPolicy.parse(policy_input.value),
            transport=transport if isinstance(transport, str) else self.current.transport,
            max_tokens=int(tokens_input.value),
        )

    def action_save(self) -> None:
        """Dismisses with the new settings; stays open with the messages when any is wrong."""
        settings = self.read_settings()
        if settings is None:
            self.notify("Fix the fields marked in red, or press escape.", severity="warning")
            return
        self.dismiss(settings)

    def action_cancel(self) -> None:
        """Dismisses with None: nothing changes."""
        self.dismiss(None)
