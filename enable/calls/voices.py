"""The rep found by voice: voice profiles learnt from calls, and the speakers of one-channel calls named from them.

A profile grows from the rep's channel of their stereo calls (the pipeline) and from one-channel calls where someone
confirmed which speaker was the rep (`confirm_rep`). On a one-channel call whose rep has a profile, the speaker
closest to it (voiceprint.PROFILE_THRESHOLD) becomes "rep" and the others "customer"; until then each speaker's voice
is kept (CallVoice) so that a confirmation can teach the profile. Commit-free: callers commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from enable.auth import services as accounts
from enable.auth.models import User, VoiceProfile
from enable.calls.models import Call, CallStatus, CallVoice
from enable.calls.services import read_transcript, require_manage, transcript_store
from enable.errors import UserError
from enable.extensions import db
from enable.transcription.speakers import speaker_number
from enable.transcription.store import TranscriptUnreadable
from enable.transcription.types import Transcript
from enable.transcription.voiceprint import Voice, closest_speaker, fold, rename_speakers, rep_names

profile_of = accounts.voice_profile


def learn_voice(user_id: int, voice: Voice, model: str, call_id: int) -> VoiceProfile:
    """Fold a voice heard on a call into the user's profile (made on first use); a call it has learnt from already
    (processed again) is not folded twice, and a profile of another speaker model starts again from this voice."""
    profile = profile_of(user_id)
    if profile is None:
        profile = VoiceProfile(user_id=user_id, vector=voice.to_bytes(), seconds=voice.seconds, calls=1, model=model,
                               call_ids=[call_id])
        db.session.add(profile)
    elif profile.model == model and call_id in (profile.call_ids or []):
        return profile
    else:
        same_model = profile.model == model
        current = Voice.from_bytes(profile.vector, profile.seconds) if same_model else None
        folded = fold(current, voice)
        profile.vector, profile.seconds, profile.model = folded.to_bytes(), folded.seconds, model
        profile.calls = (profile.calls if same_model else 0) + 1
        profile.call_ids = [*(profile.call_ids if same_model else []), call_id]  # a new list: JSON change seen
    db.session.flush()
    return profile


def rep_voice(call: Call, model: str) -> Voice | None:
    """The voice profile of the call's rep, when they have one learnt with this speaker model (an anchor for
    telling the call's voices apart)."""
    profile = profile_of(call.rep_id)
    if profile is None or profile.model != model:
        return None
    return Voice.from_bytes(profile.vector, profile.seconds)


def name_speakers(call: Call, transcript: Transcript, voices: dict[str, Voice], model: str) -> Transcript:
    """After diarization of a one-channel call: name its speakers from the rep's profile (rep, customer...), or
    keep their voices for a later confirmation when they cannot be named."""
    db.session.execute(delete(CallVoice).where(CallVoice.call_id == call.id))
    if not voices:
        return transcript
    profile = profile_of(call.rep_id)
    if profile is not None and profile.model == model:
        rep = closest_speaker(Voice.from_bytes(profile.vector, profile.seconds), voices)
        if rep is not None:
            return rename_speakers(transcript, rep_names(transcript.speakers, rep))
    for speaker, voice in voices.items():
        db.session.add(CallVoice(call_id=call.id, speaker=speaker, vector=voice.to_bytes(), seconds=voice.seconds,
                                 model=model))
    return transcript


def unnamed_speakers(transcript: Transcript | None) -> list[str]:
    """The speakers of a transcript told apart by voice but not named ("speaker1"...): each can be confirmed as
    the rep."""
    if transcript is None or any(speaker_number(s) is None for s in transcript.speakers):
        return []
    return [s for s in transcript.speakers if speaker_number(s) is not None]


class CannotConfirm(UserError):
    """The speaker cannot be confirmed as the rep (no rep set, the call not ready, an unknown speaker)."""


def confirm_rep(call: Call, speaker: str, user: User) -> Transcript:
    """Name `speaker` of a one-channel call its rep and the others customers: the call's figures are recomputed
    and the speaker's voice folded into the rep's profile. The caller recuts the bites from the returned
    transcript, saves it (`save_transcript`), commits, then reindexes."""
    require_manage(user, call)
    if call.rep_id is None:
        raise CannotConfirm(_("Choose the call's rep first (Edit), then say which speaker they are."))
    if call.status != CallStatus.READY:
        raise CannotConfirm(_("The call is still being processed; try again when it is ready."))
    try:
        transcript = read_transcript(call.id)
    except TranscriptUnreadable as exc:
        raise CannotConfirm(_("The transcript file of this call cannot be read; transcribe the call again.")) from exc
    if speaker not in unnamed_speakers(transcript):
        raise CannotConfirm(_("This speaker is not on the call, or the call's speakers are already named."))
    assert transcript is not None
    renamed = rename_speakers(transcript, rep_names(transcript.speakers, speaker))
    stored = db.session.scalar(select(CallVoice).where(CallVoice.call_id == call.id, CallVoice.speaker == speaker))
    if stored is not None:
        learn_voice(call.rep_id, Voice.from_bytes(stored.vector, stored.seconds), stored.model, call.id)
    db.session.execute(delete(CallVoice).where(CallVoice.call_id == call.id))  # not needed once named
    call.stats = renamed.stats or {}
    from enable.audit import record

    record(user, "call.confirm_rep", call, {"speaker": speaker, "rep_id": call.rep_id})
    db.session.flush()
    return renamed


def save_transcript(call: Call, transcript: Transcript) -> None:
    """Replace the call's transcript file (atomically: the old one stays whole when this fails)."""
    try:
        transcript_store().write(call.id, transcript)
    except OSError as exc:
        raise CannotConfirm(_("The transcript could not be saved: %(why)s. Free disk space or fix the permissions of "
                              "the transcripts folder (TRANSCRIPTS_DIR), then retry.",
                              why=exc.strerror or str(exc))) from exc
