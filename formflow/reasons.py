"""Why a form was handed back, in a few Danish words: the reason codes as people read them.

The ingest records a returned form's reason codes in the audit log (`required_missing`,
`date_invalid`, `identity`...: stable, English, what programs and support search for).
`formflow status` and the web page's round show a returned form's reasons under its row,
where leaders and HR read them: as the short phrases here ("afvist: ugyldig dato"). The codes
stay where a machine reads them (`--json`, the CSV's reason columns, the audit log) and at
the bottom of the explanation beside the returned form. The full Danish explanation of each
problem, with the value read, is that explanation's (`formflow.notices`); these are its
headlines.

A code without a phrase here (a newer formflow's, in an older audit log) shows as itself:
better the code than nothing, and never a guess at what it meant. Pure.
"""

from __future__ import annotations

REASON_WORDS: dict[str, str] = {
    # the rules over a form (formflow.validate)
    "unknown_form": "ukendt skema",
    "required_missing": "et krævet felt er tomt",
    "invalid_date": "ugyldig dato",
    "goal_end_before_start": "et mål slutter før det starter",
    "status_out_of_range": "status er ikke 1-4",
    "mark_out_of_range": "et svar er ikke ét kryds 1-5",
    "colleague_input_empty": "tomt input fra kollega",
    "year_mismatch": "årstallet passer ikke til samtalens dato",
    "signature_date_before_meeting": "underskrift dateret før samtalen",
    "date_in_future": "underskrift dateret efter i dag",
    "next_meeting_not_after_meeting": "næste samtale ligger ikke efter denne",
    "next_meeting_too_late": "næste samtale ligger for langt ude",
    "followup_before_meeting": "opfølgning før samtalen",
    "preparation_late": "forberedelsesskemaet kom for sent",
    "agreement_late": "aftaleskemaet blev færdigt for sent",
    "signature_missing": "underskrift mangler",
    "signature_kind_not_allowed": "underskriften er af en type, der ikke godtages",
    "signature_name_mismatch": "forkert navn i underskriften",
    "signature_wrong_role": "underskrift i den andens felt",
    "signature_broken": "digital signatur er ugyldig",
    "signature_wrong_signer": "digital signatur er en andens",
    "changed_after_signing": "ændret efter underskrift",
    "signature_untrusted": "digital signatur fra ukendt udsteder",
    "digital_signature_unmatched": "digital signatur uden rolle",
    # what the readers find (formflow.read)
    "date_invalid": "ugyldig dato",
    "date_unreadable": "dato kan ikke læses",
    "year_unknown": "skemaets år kan ikke læses",
    "fields_unknown": "ukendte felter",
    "number_from_roster": "medarbejdernummer fundet i medarbejderlisten",
    "number_assigned": "medarbejder valgt af en person",
    "leader_not_roster": "anden leder end i medarbejderlisten",
    # a file that is no readable form (formflow.read, formflow.intake, formflow.workers)
    "cannot_open": "filen kan ikke åbnes",
    "empty": "filen er tom",
    "too_big": "filen er for stor",
    "wrong_type": "hverken PDF eller Word",
    "old_word": "gammelt Word-format eller adgangskode",
    "not_docx": "kan ikke læses som Word-dokument",
    "truncated": "filen er ikke hel",
    "corrupt": "filen er beskadiget",
    "encrypted": "filen har adgangskode",
    "zip_bomb": "Word-filen pakker sig unormalt stort ud",
    "unsafe_xml": "Word-filen har usikkert indhold",
    "scanned": "scanning uden læsbar tekst",
    "too_many_pages": "for mange sider",
    "several_forms": "flere skemaer i én fil",
    "not_a_form": "ikke et MUS-skema",
    "timeout": "det tog for lang tid at læse filen",
    "too_much_memory": "filen kræver for meget hukommelse",
    "crashed": "filen fik læseprogrammet til at gå ned",
    "not_a_file": "ikke en almindelig fil",
    "hardlink": "hård link til en anden fil",
    "symlink": "genvej i stedet for skemaet",
    "outside_inbox": "filen ligger uden for indbakken",
    # held for a person (formflow.ingest)
    "identity": "uklart, hvis skema det er",
    "archive_refused": "kan ikke lægges i en personalemappe",
    "internal_error": "teknisk fejl i formflow",
    "transcription_scan_missing": "det scannede skema til afskriften mangler",
    "scan_unread": "scanning skal læses af en person",
}


def reason_words(codes: str) -> str:
    """The reason codes as the audit log keeps them (comma-separated) in Danish words, each
    phrase once, in the codes' order; "-" for none."""
    words = (REASON_WORDS.get(code.strip(), code.strip()) for code in codes.split(","))
    return ", ".join(dict.fromkeys(word for word in words if word)) or "-"
