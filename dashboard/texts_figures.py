"""The texts of the shared figures (dashboard/figures.py): one label and one definition per figure, in Bahasa
Indonesia and English. dashboard.texts merges them into its table; read them through dashboard.figures."""

from __future__ import annotations

# key: (Bahasa Indonesia, English)
FIGURE_TEXTS: dict[str, tuple[str, str]] = {
    "figure.complaints_received": ("Aduan masuk", "Complaints received"),
    "figure.complaints_received.definition": (
        "Aduan yang dibuat dalam periode (waktu WIB).",
        "Complaints created in the period (WIB).",
    ),
    "figure.sla_rate": ("Ditanggapi ≤ 1x24 jam", "Answered ≤ 1x24 h"),
    "figure.sla_rate.definition": (
        "Menurut tanggal masuk: dari aduan yang masuk dalam periode, yang ditanggapi dalam batas waktunya, dibagi "
        "yang sudah ditanggapi ditambah yang lewat batas tanpa tanggapan. Aduan terbuka yang belum jatuh tempo "
        "tidak dihitung, maka untuk periode yang masih berjalan angka ini terlalu baik.",
        "By creation: of the complaints created in the period, those answered within their deadline, divided by "
        "those answered plus those past their deadline unanswered. Open complaints not yet due are left out, so "
        "for a period still running this figure flatters.",
    ),
    "figure.sla_rate_by_deadline": ("Tepat waktu (jatuh tempo)", "On time (by deadline)"),
    "figure.sla_rate_by_deadline.definition": (
        "Menurut jatuh tempo: dari aduan yang batas waktunya jatuh dalam periode sampai saat ini, yang ditanggapi "
        "paling lambat pada batas waktunya. Setiap aduan ini sudah punya hasil, maka angka ini tidak bisa "
        "terlalu baik untuk periode yang masih berjalan.",
        "By deadline: of the complaints whose deadline fell in the period so far, the share answered by their "
        "deadline. Every one of them has its outcome, so the figure cannot flatter a period still running.",
    ),
    "figure.sla_measured": ("dari {n} aduan terukur", "of {n} measured"),
    "figure.sla_due": ("dari {n} aduan jatuh tempo", "of {n} complaints due"),
    "figure.sla_due_today": ("dari {n} jatuh tempo hari ini", "of {n} due today"),
    "figure.first_response": ("Tanggapan pertama p50 · p90", "First response p50 · p90"),
    "figure.first_response.definition": (
        "Jam dari aduan masuk sampai tanggapan pertama, median (p50) dan persentil ke-90, untuk aduan periode ini "
        "yang sudah ditanggapi.",
        "Hours from creation to the first response, median (p50) and 90th percentile, of the period's complaints "
        "answered so far.",
    ),
    "figure.complaints_open": ("Aduan terbuka", "Open complaints"),
    "figure.complaints_open.definition": (
        "Semua aduan yang belum selesai saat ini, sudah ditanggapi atau belum, dari tanggal berapa pun.",
        "Every complaint not yet closed now, answered or not, whenever it came in.",
    ),
    "figure.awaiting_first_response": ("Belum ditanggapi", "Unanswered"),
    "figure.awaiting_first_response.count": ("{n} belum ditanggapi", "{n} unanswered"),
    "figure.awaiting_first_response.definition": (
        "Aduan terbuka yang belum mendapat tanggapan pertama saat ini: jam batas waktunya masih berjalan.",
        "Open complaints without a first response now: their deadline clock is still running.",
    ),
    "figure.overdue_unanswered": ("Lewat batas", "Past deadline"),
    "figure.overdue_unanswered.count": ("{n} lewat batas", "{n} past deadline"),
    "figure.overdue_unanswered.definition": (
        "Aduan terbuka yang belum ditanggapi dan batas waktu tanggapan pertamanya (1x24 jam) sudah lewat.",
        "Open complaints without a first response whose first-response deadline (1x24 h) has passed.",
    ),
    "figure.incidents_active": ("Insiden 112 aktif", "Active 112 incidents"),
    "figure.incidents_active.definition": (
        "Insiden 112 yang sudah dilaporkan dan belum ditutup saat ini.",
        "112 incidents reported and not yet closed now.",
    ),
    "figure.incidents_reported": ("Laporan 112", "112 reports"),
    "figure.incidents_reported.count": ("{n} laporan", "{n} reports"),
    "figure.incidents_reported.definition": (
        "Insiden 112 yang dilaporkan dalam periode (telepon mulai berdering).",
        "112 incidents reported in the period (the call starting to ring).",
    ),
    "figure.response_112": ("Respons 112 p50 · p90", "112 response p50 · p90"),
    "figure.response_112.definition": (
        "Menit dari laporan sampai unit pertama tiba, median (p50) dan persentil ke-90; rata-rata kota 7,4 menit.",
        "Minutes from the report to the first unit's arrival, median (p50) and 90th percentile; city mean 7.4 min.",
    ),
    "figure.reopened_rate": ("Dibuka kembali", "Re-opened"),
    "figure.reopened_rate.definition": (
        "Dari aduan yang masuk dalam periode, bagian yang dibuka kembali setidaknya sekali setelah diselesaikan: "
        "selesai belum tentu beres.",
        "Of the complaints created in the period, the share re-opened at least once after being closed: closed "
        "is not fixed.",
    ),
    "figure.same_channel_rate": ("Dijawab lewat kanal yang sama", "Answered on the same channel"),
    "figure.same_channel_rate.definition": (
        "Dari aduan periode ini yang sudah ditanggapi, bagian yang tanggapan pertamanya dikirim lewat kanal yang "
        "dipakai warga untuk mengadu.",
        "Of the period's complaints answered so far, the share whose first response went out on the channel the "
        "citizen used to complain.",
    ),
    "figure.of_received": ("dari {n} aduan masuk", "of {n} received"),
    "figure.of_answered": ("dari {n} aduan ditanggapi", "of {n} answered"),
    "figure.by_creation": ("menurut tanggal masuk {pct}", "by creation {pct}"),
    "figure.period.today": ("hari ini", "today"),
    "figure.definitions": ("Definisi angka", "How the figures are defined"),
}
