"""AI features as pure engines over the model service: inline completion, explain, verified
fixes, generate, chat, feedback. The LSP server and the CLI are thin faces over these."""

from csound_assist.ai.chat import ChatEvent, ChatSession
from csound_assist.ai.complete import AdaptiveDebounce, Completion, InlineCompleter
from csound_assist.ai.feedback import FeedbackLog
from csound_assist.ai.fix import FixResult, verified_fix
from csound_assist.ai.generate import GenerateResult, generate_csd, write_csd
from csound_assist.ai.verify import CompileResult, check_csd

__all__ = [
    "AdaptiveDebounce",
    "ChatEvent",
    "ChatSession",
    "CompileResult",
    "Completion",
    "FeedbackLog",
    "FixResult",
    "GenerateResult",
    "InlineCompleter",
    "check_csd",
    "generate_csd",
    "verified_fix",
    "write_csd",
]
