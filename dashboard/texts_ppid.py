"""The texts of the PPID screens (public-information requests, UU KIP 14/2008), in Bahasa Indonesia and English.

Kept apart from dashboard/texts.py for size; texts.py merges them into TEXTS and LABELS, so they are read
through dashboard.i18n like every other text.
"""

from __future__ import annotations

PPID_TEXTS: dict[str, tuple[str, str]] = {
    # the briefing's PPID league and the officers' request list
    "briefing.panel.ppid": (
        "PPID: permohonan informasi publik per OPD (UU KIP 14/2008)",
        "PPID: public-information requests per OPD (UU KIP 14/2008)",
    ),
    "briefing.panel.ppid_note": (
        "Tepat waktu: dijawab paling lambat akhir hari kerja ke-10 setelah diterima (ke-17 bila diperpanjang), "
        "dibagi yang dijawab ditambah yang lewat batas tanpa jawaban. Peringkat menurut batas bawah interval "
        "Wilson 95%; OPD dengan kurang dari {n} permohonan terukur ditampilkan tanpa peringkat. Keberatan "
        "dijawab atasan PPID dalam 30 hari kerja. Hari kerja: tanpa akhir pekan, libur nasional dan cuti bersama.",
        "On time: answered by the end of the 10th working day after receipt (the 17th when extended), divided by "
        "those answered plus those past their deadline unanswered. Ranked by the lower bound of the Wilson 95% "
        "interval; departments with fewer than {n} measured requests are shown unranked. Objections are answered "
        "by the PPID's superior within 30 working days. Working days skip weekends, national holidays and cuti "
        "bersama.",
    ),
    "briefing.panel.ppid_city": ("Seluruh kota", "Whole city"),
    "briefing.panel.info_requests": (
        "Permohonan informasi dan pemohon (khusus petugas)",
        "Information requests and requesters (officers only)",
    ),
    "briefing.panel.info_requests_truncated": (
        "Hanya {n} permohonan terbaru yang ditampilkan; persempit periode atau OPD.",
        "Only the {n} newest requests are shown; narrow the period or the department.",
    ),
    "briefing.col.answered": ("Dijawab", "Answered"),
    "briefing.col.answered_within_deadline": ("Tepat waktu", "On time"),
    "briefing.col.answered_within_deadline_pct": ("% tepat waktu", "% on time"),
    "briefing.col.unanswered_past_deadline": ("Lewat batas, belum dijawab", "Past deadline, unanswered"),
    "briefing.col.extended": ("Diperpanjang", "Extended"),
    "briefing.col.granted": ("Dikabulkan", "Granted"),
    "briefing.col.partially_granted": ("Dikabulkan sebagian", "Partly granted"),
    "briefing.col.rejected": ("Ditolak", "Refused"),
    "briefing.col.exemptions": ("Pengecualian dikutip", "Exemptions cited"),
    "briefing.col.not_held": ("Tidak dikuasai", "Not held"),
    "briefing.col.objections": ("Keberatan", "Objections"),
    "briefing.col.objections_answered_within_deadline": (
        "Keberatan dijawab ≤ 30 hari kerja",
        "Objections answered ≤ 30 working days",
    ),
    "briefing.col.working_days_to_answer_p50": ("Hari kerja menjawab p50", "Working days to answer p50"),
    "briefing.col.working_days_to_answer_p90": ("Hari kerja menjawab p90", "Working days to answer p90"),
    "briefing.col.request_id": ("Nomor permohonan", "Request number"),
    "briefing.col.received_at": ("Diterima (WIB)", "Received (WIB)"),
    "briefing.col.information_kind": ("Jenis informasi", "Kind of information"),
    "briefing.col.answer": ("Jawaban", "Answer"),
    "briefing.col.answered_at": ("Dijawab (WIB)", "Answered (WIB)"),
    "briefing.col.exemption": ("Pengecualian", "Exemption"),
    "briefing.col.requester_name": ("Pemohon", "Requester"),
    "briefing.col.requester_organisation": ("Lembaga pemohon", "Requester's organisation"),
    "briefing.col.requester_contact": ("Kontak pemohon", "Requester's contact"),
    "briefing.col.request_text": ("Informasi yang diminta", "Information requested"),
    "ppid.exemption_short": ("Ps. 17{letter}", "Art. 17({letter})"),
    "ppid.unanswered": ("Belum dijawab", "Not answered yet"),
    # the wall: requests due today and overdue
    "wall.ppid.title": ("PPID: permohonan jatuh tempo", "PPID: requests due"),
    "wall.ppid.overdue": ("{n} lewat batas", "{n} overdue"),
    "wall.ppid.due_today": ("{n} jatuh tempo hari ini", "{n} due today"),
    "wall.ppid.none": ("Tidak ada permohonan jatuh tempo hari ini", "No request is due today"),
    "wall.ppid.number": ("Nomor", "Number"),
    "wall.ppid.opd": ("OPD", "Department"),
    "wall.ppid.left": ("Sisa waktu", "Time left"),
    "wall.ppid.today": ("hari ini", "today"),
    "wall.ppid.late": ("lewat {n} hari kerja", "{n} working days late"),
    "wall.ppid.late.one": ("lewat {n} hari kerja", "{n} working day late"),
    "wall.ppid.extended": ("diperpanjang", "extended"),
    "wall.ppid.more": ("+{n} lainnya", "+{n} more"),
    # the public embed: the information-service report (Komisi Informasi's annual report shape)
    "embed.widget.ppid": ("Layanan informasi publik (PPID)", "Public information service (PPID)"),
    "embed.source.ppid": (
        "Sumber: PPID perangkat daerah Pemerintah Kota Surabaya (UU 14/2008), diolah Pantau Surabaya",
        "Source: the PPID of each Surabaya City department (Law 14/2008), compiled by Pantau Surabaya",
    ),
    "embed.period.year": ("tahun {year}", "year {year}"),
    "embed.ppid.all": ("Seluruh OPD", "All departments"),
    "embed.ppid.col.opd": ("OPD", "Department"),
    "embed.ppid.col.received": ("Permohonan", "Requests"),
    "embed.ppid.col.granted": ("Dikabulkan", "Granted"),
    "embed.ppid.col.partially_granted": ("Sebagian", "Partly granted"),
    "embed.ppid.col.rejected": ("Ditolak", "Refused"),
    "embed.ppid.col.not_held": ("Tidak dikuasai", "Not held"),
    "embed.ppid.col.in_process": ("Diproses", "In process"),
    "embed.ppid.col.objections": ("Keberatan", "Objections"),
    "embed.ppid.col.median_working_days": ("Median hari kerja", "Median working days"),
    "embed.ppid.exemptions": (
        "Penolakan menurut pengecualian (Pasal 17 UU KIP)",
        "Refusals by exemption (art. 17 of the Law)",
    ),
    "embed.ppid.answered": (
        "{n} permohonan telah dijawab ({pct} dari permohonan)",
        "{n} requests answered ({pct} of the requests)",
    ),
    "embed.ppid.no_refusals": ("Tidak ada penolakan", "No refusals"),
    "embed.ppid.empty": ("Belum ada permohonan pada periode ini", "No requests in this period yet"),
    "embed.ppid.median_note": (
        "Median hari kerja dari diterima sampai dijawab (tanpa akhir pekan, libur nasional, cuti bersama), "
        "bila sedikitnya {n} permohonan dijawab",
        "Median working days from receipt to answer (no weekends, national holidays, cuti bersama), "
        "where at least {n} requests were answered",
    ),
}

PPID_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "info_answer": {
        "granted": ("Dikabulkan", "Granted"),
        "partially_granted": ("Dikabulkan sebagian", "Partly granted"),
        "rejected": ("Ditolak", "Refused"),
        "not_held": ("Tidak dikuasai", "Not held"),
    },
    "info_channel": {
        "web": ("Situs web", "Web form"),
        "email": ("Surel", "E-mail"),
        "letter": ("Surat", "Letter"),
        "walk_in": ("Datang langsung", "Walk-in"),
        "phone": ("Telepon", "Phone"),
        "app": ("Aplikasi warga", "Citizen app"),
    },
    "information_kind": {
        "anggaran": ("Anggaran", "Budget"),
        "pengadaan": ("Pengadaan", "Procurement"),
        "perizinan": ("Perizinan", "Permits"),
        "kepegawaian": ("Kepegawaian", "Staffing"),
        "perencanaan": ("Perencanaan", "Planning"),
        "lainnya": ("Lainnya", "Other"),
    },
    # UU KIP art. 17: what may be withheld, letter by letter
    "exemption": {
        "pasal_17_a": ("Ps. 17a penegakan hukum", "Art. 17(a) law enforcement"),
        "pasal_17_b": ("Ps. 17b HKI, persaingan usaha", "Art. 17(b) intellectual property, competition"),
        "pasal_17_c": ("Ps. 17c pertahanan, keamanan", "Art. 17(c) defence, security"),
        "pasal_17_d": ("Ps. 17d kekayaan alam", "Art. 17(d) natural resources"),
        "pasal_17_e": ("Ps. 17e ketahanan ekonomi", "Art. 17(e) economic resilience"),
        "pasal_17_f": ("Ps. 17f hubungan luar negeri", "Art. 17(f) foreign relations"),
        "pasal_17_g": ("Ps. 17g akta otentik, wasiat", "Art. 17(g) authentic deeds, wills"),
        "pasal_17_h": ("Ps. 17h rahasia pribadi", "Art. 17(h) personal secrets"),
        "pasal_17_i": ("Ps. 17i memorandum badan publik", "Art. 17(i) internal memoranda"),
        "pasal_17_j": ("Ps. 17j dilarang undang-undang", "Art. 17(j) barred by law"),
        "unknown": ("Tanpa pasal", "No article"),
    },
}
