"""The round's mail: invitations and reminders by e-mail (`formflow remind`, issue 17).

`schedule` (pure) says what is due on a day, from the meetings (`meetings`), the filed forms
and the offsets in `[mail]`, minus what the `outbox` has sent; `facts` reads those at the
edge; `compose` makes each message (Danish `templates/`, the calendar entry, the pre-filled
form); `smtp` sends it; `run` ties them together for one day and `daily` runs that once a day
inside `formflow watch`.
"""
