"""Every text a person reads, in Bahasa Indonesia (the default) and English, and how numbers and times look.

Times are shown in WIB. Indonesia has kept UTC+7 without daylight saving since 1964, so a fixed offset
is exact and needs no tz database on the wall-screen machines.
"""
from __future__ import annotations

import datetime as dt

from data_sources.reference import kecamatan_by_code

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")

# key: (Bahasa Indonesia, English)
TEXTS: dict[str, tuple[str, str]] = {
    "app.title": ("Pantau Surabaya", "Pantau Surabaya"),
    "app.subtitle": ("Pemantauan langsung Pemerintah Kota Surabaya", "Live monitoring, Surabaya City Government"),
    "status.live": ("Langsung", "Live"),
    "status.stale": ("Data tertunda", "Data delayed"),
    "status.stale_hint": ("Menampilkan data terakhir yang tersedia", "Showing the last data available"),
    "status.loading": ("Memuat data…", "Loading data…"),
    "card.open_complaints": ("Aduan terbuka", "Open complaints"),
    "card.overdue": ("{n} lewat 1x24 jam belum ditanggapi", "{n} past 1x24 h without a response"),
    "card.none_overdue": ("Semua dalam batas 1x24 jam", "All within 1x24 h"),
    "card.active_incidents": ("Insiden 112 aktif", "Active 112 incidents"),
    "card.no_incidents": ("Tidak ada insiden aktif", "No active incidents"),
    "card.last_event": ("Kejadian terakhir", "Latest event"),
    "card.no_events": ("Belum ada kejadian", "No events yet"),
    "events.title": ("Kejadian terbaru", "Newest events"),
    "events.time": ("Waktu", "Time"),
    "events.type": ("Jenis", "Type"),
    "events.category": ("Kategori", "Category"),
    "events.place": ("Kecamatan", "District"),
    "events.subject": ("Nomor", "Number"),
    "events.empty": ("Belum ada kejadian yang masuk.", "No events have arrived yet."),
    "place.unknown": ("Lokasi tidak diketahui", "Location unknown"),
    "health.title": ("Kesehatan feed", "Feed health"),
    "health.pending": ("antre {n}", "pending {n}"),
    "health.last_read": ("dibaca {time}", "read {time}"),
    "health.never_read": ("belum pernah dibaca", "never read"),
    "health.dead_letters": ("ditolak {n}", "refused {n}"),
    "ago.now": ("baru saja", "just now"),
    "ago.seconds": ("{n} detik lalu", "{n} s ago"),
    "ago.minutes": ("{n} menit lalu", "{n} min ago"),
    "ago.hours": ("{n} jam lalu", "{n} h ago"),
    "ago.days": ("{n} hari lalu", "{n} days ago"),
    "stream.complaints": ("Aduan", "Complaints"),
    "stream.incidents": ("Insiden 112", "112 incidents"),
    "stream.egov": ("E-gov", "E-gov"),
    # maps
    "map.schematic": ("Peta skematis: batas kecamatan perkiraan, bukan batas resmi",
                      "Schematic map: approximate kecamatan boundaries, not the official ones"),
    "map.no_data": ("Tidak ada data", "No data"),
    "map.fire_post": ("Pos pemadam kebakaran", "Fire post"),
    "map.priority": ("Prioritas {n}", "Priority {n}"),
    "map.priority_top": ("Prioritas 1 (tertinggi)", "Priority 1 (highest)"),
    "map.reported": ("Dilaporkan {time} WIB", "Reported {time} WIB"),
    "map.active_here": ("{n} insiden aktif", "{n} active incidents"),
    "map.active_here.one": ("{n} insiden aktif", "{n} active incident"),
    "map.without_place": ("{n} insiden tanpa koordinat", "{n} incidents without coordinates"),
    "map.without_place.one": ("{n} insiden tanpa koordinat", "{n} incident without coordinates"),
    "map.size_hint": ("Besar = prioritas lebih tinggi", "Larger = higher priority"),
    # the Media Center wall (/wall)
    "wall.title": ("Media Center Pantau Surabaya", "Pantau Surabaya Media Center"),
    "wall.scene.overview": ("Ringkasan", "Overview"),
    "wall.scene.sla": ("Batas waktu aduan 1x24 jam", "Complaint deadlines 1x24 h"),
    "wall.scene.112": ("Darurat 112 langsung", "112 emergencies live"),
    "wall.scene.egov": ("Indikator e-government", "E-government indicators"),
    "wall.tile.received": ("Aduan masuk hari ini", "Complaints today"),
    "wall.tile.yesterday": ("kemarin {n}", "yesterday {n}"),
    "wall.tile.sla_rate": ("Ditanggapi ≤ 1x24 jam", "Answered ≤ 1x24 h"),
    "wall.tile.sla_measured": ("dari {n} aduan terukur", "of {n} measured"),
    "wall.tile.response": ("Respons 112 (p50 · p90)", "112 response (p50 · p90)"),
    "wall.tile.response_target": ("target kota {n} menit", "city target {n} min"),
    "wall.tile.backlog": ("Aduan terbuka", "Open complaints"),
    "wall.tile.breached": ("{n} lewat batas", "{n} past deadline"),
    "wall.tile.active": ("Insiden 112 aktif", "Active 112 incidents"),
    "wall.tile.incidents_today": ("{n} laporan hari ini", "{n} reports today"),
    "wall.minutes": ("{n} mnt", "{n} min"),
    "wall.no_value": ("–", "–"),
    "wall.sla.title": ("Paling dekat batas waktu", "Nearest their deadline"),
    "wall.sla.empty": ("Tidak ada aduan terbuka", "No open complaints"),
    "wall.sla.number": ("Nomor", "Number"),
    "wall.sla.category": ("Kategori", "Category"),
    "wall.sla.place": ("Kecamatan", "District"),
    "wall.sla.opd": ("OPD", "Department"),
    "wall.sla.left": ("Sisa waktu", "Time left"),
    "wall.sla.overdue": ("lewat", "over"),
    "wall.sla.state.on_track": ("Aman", "On track"),
    "wall.sla.state.at_risk": ("Waspada", "At risk"),
    "wall.sla.state.critical": ("Kritis", "Critical"),
    "wall.sla.state.breached": ("Lewat batas", "Breached"),
    "wall.incidents.title": ("Laporan 112 terbaru", "Newest 112 reports"),
    "wall.incidents.empty": ("Belum ada laporan 112", "No 112 reports yet"),
    "wall.incidents.p1": ("P1", "P1"),
    "wall.incidents.closed": ("selesai", "closed"),
    "wall.egov.empty": ("Belum ada indikator e-government", "No e-government indicators yet"),
    "wall.egov.target": ("target {n}", "target {n}"),
    "wall.egov.rag.green": ("Tercapai", "On target"),
    "wall.egov.rag.amber": ("Mendekati", "Near target"),
    "wall.egov.rag.red": ("Di bawah target", "Below target"),
    "wall.egov.rag.none": ("Tanpa target", "No target"),
    "wall.health.newest": ("terbaru {ago}", "newest {ago}"),
    "wall.health.none": ("belum ada", "none yet"),
    "wall.health.pending": ("antre {n}", "pending {n}"),
    "wall.health.dead": ("ditolak {n}", "refused {n}"),
    "wall.metric.musrenbang_realized_pct": ("Usulan Musrenbang terealisasi", "Musrenbang proposals realised"),
    "wall.metric.ekinerja_submission_pct": ("Pengisian e-Kinerja", "e-Kinerja submissions"),
    "wall.metric.tender_count": ("Jumlah tender", "Tenders"),
    "wall.metric.tender_savings_idr": ("Efisiensi tender", "Tender savings"),
    "wall.metric.apbd_realization_pct": ("Realisasi APBD", "APBD realisation"),
    "wall.unit.idr_billion": ("Rp {n} M", "IDR {n} bn"),
    "wall.unit.days": ("{n} hari", "{n} days"),
    # the leadership briefing (/briefing)
    "briefing.title": ("Briefing Pimpinan", "Leadership briefing"),
    "briefing.print.city": ("Pemerintah Kota Surabaya", "Surabaya City Government"),
    "briefing.data_time": ("Data per", "Data as of"),
    "briefing.printed": ("Dicetak", "Printed"),
    "briefing.filter.period": ("Periode", "Period"),
    "briefing.filter.from_to": ("Rentang tanggal", "Date range"),
    "briefing.filter.opd": ("OPD", "Department"),
    "briefing.filter.kecamatan": ("Kecamatan", "District"),
    "briefing.filter.channel": ("Kanal", "Channel"),
    "briefing.filter.category": ("Kategori aduan", "Complaint category"),
    "briefing.filter.incident_category": ("Kategori 112", "112 category"),
    "briefing.filter.all": ("Semua", "All"),
    "briefing.filter.reset": ("Atur ulang", "Reset"),
    "briefing.filter.invalid": ("Filter tidak sah diabaikan: {errors}", "Invalid filters ignored: {errors}"),
    "briefing.period.today": ("Hari ini", "Today"),
    "briefing.period.7d": ("7 hari", "7 days"),
    "briefing.period.month": ("Bulan ini", "This month"),
    "briefing.period.custom": ("Rentang sendiri", "Custom range"),
    "briefing.print": ("Cetak", "Print"),
    "briefing.language": ("English", "Bahasa Indonesia"),
    "briefing.export.csv": ("CSV", "CSV"),
    "briefing.export.xlsx": ("Excel", "Excel"),
    "briefing.previous": ("periode sebelumnya {n}", "previous period {n}"),
    "briefing.no_change": ("sama dengan periode sebelumnya", "same as the previous period"),
    "briefing.error": ("Data tidak dapat dimuat. Coba lagi sebentar.", "The data could not be loaded. Try again shortly."),
    "briefing.empty": ("Tidak ada data untuk filter ini", "No data for these filters"),
    "briefing.tile.received": ("Aduan masuk", "Complaints received"),
    "briefing.tile.sla_rate": ("Ditanggapi ≤ 1x24 jam", "Answered ≤ 1x24 h"),
    "briefing.tile.sla_interval": ("dari {n} terukur · IK 95% {low}–{high}%", "of {n} measured · 95% CI {low}–{high}%"),
    "briefing.tile.first_response": ("Tanggapan pertama p50 · p90", "First response p50 · p90"),
    "briefing.tile.open": ("Menunggu tanggapan saat ini", "Awaiting a response now"),
    "briefing.tile.overdue": ("{n} lewat batas belum ditanggapi", "{n} past deadline unanswered"),
    "briefing.tile.incidents": ("Laporan 112", "112 reports"),
    "briefing.tile.response": ("Respons 112 p50 · p90", "112 response p50 · p90"),
    "briefing.tile.within_city": ("{n}% tiba ≤ 7,4 menit", "{n}% arrived ≤ 7.4 min"),
    "briefing.hours": ("{n} jam", "{n} h"),
    "briefing.minutes": ("{n} mnt", "{n} min"),
    "briefing.panel.league": ("Peringkat OPD: tanggapan ≤ 1x24 jam", "OPD league: answered ≤ 1x24 h"),
    "briefing.panel.league_note": ("Diurutkan menurut batas bawah interval Wilson 95%; OPD dengan kurang dari {n} aduan terukur tidak diberi peringkat. Klik nama OPD untuk menyaring tampilan.",
                                   "Ranked by the lower bound of the 95% Wilson interval; OPDs with fewer than {n} measured complaints are not ranked. Click a department to filter the view."),
    "briefing.panel.segments": ("Waktu respons 112 per tahap", "112 response time by segment"),
    "briefing.panel.segments_note": ("p50 dan p90 (NFPA 1710 mengukur persentil ke-90); angka kota: rata-rata {n} menit.",
                                     "p50 and p90 (NFPA 1710 measures the 90th percentile); the city's figure: a mean of {n} min."),
    "briefing.panel.incident_categories": ("Respons 112 per kategori", "112 response by category"),
    "briefing.panel.trend": ("Tren", "Trends"),
    "briefing.panel.map": ("Aduan per kecamatan", "Complaints by district"),
    "briefing.panel.map_hint": ("Klik kecamatan untuk menyaring seluruh tampilan", "Click a district to filter the whole view"),
    "briefing.panel.egov": ("Indikator e-government terhadap target", "E-government indicators against target"),
    "briefing.panel.complaints": ("Daftar aduan (data pribadi, khusus petugas)", "Complaint list (personal data, officers only)"),
    "briefing.panel.complaints_truncated": ("Menampilkan {n} aduan terbaru; persempit filter untuk melihat lainnya.",
                                            "Showing the newest {n} complaints; narrow the filters to see others."),
    "briefing.panel.history": ("Riwayat aduan", "Complaint history"),
    "briefing.panel.history_hint": ("Pilih aduan di daftar untuk melihat riwayat lengkapnya.", "Select a complaint in the list to see its full history."),
    "briefing.panel.history_missing": ("Aduan tidak ditemukan.", "Complaint not found."),
    "briefing.trend.received": ("Aduan masuk", "Complaints received"),
    "briefing.trend.sla_pct": ("% ditanggapi ≤ SLA", "% answered within SLA"),
    "briefing.trend.incidents": ("Laporan 112", "112 reports"),
    "briefing.trend.response": ("Respons 112 p50 / p90 (mnt)", "112 response p50 / p90 (min)"),
    "briefing.trend.city": ("Angka kota 7,4 mnt", "City figure 7.4 min"),
    "briefing.trend.daily": ("per hari", "per day"),
    "briefing.trend.weekly": ("per minggu (mulai Senin)", "per week (from Monday)"),
    "briefing.segment.answer": ("Panggilan dijawab (sejak berdering)", "Call answered (from ringing)"),
    "briefing.segment.dispatch": ("Laporan sampai unit diberangkatkan", "Report to dispatch"),
    "briefing.segment.travel": ("Diberangkatkan sampai tiba", "Dispatch to arrival"),
    "briefing.segment.response": ("Total respons (laporan sampai tiba)", "Total response (report to arrival)"),
    "briefing.segment.on_scene": ("Waktu di lokasi", "Time on scene"),
    "briefing.unit.s": ("detik", "s"),
    "briefing.unit.min": ("menit", "min"),
    "briefing.unit.complaints": ("aduan", "complaints"),
    "briefing.col.rank": ("Peringkat", "Rank"),
    "briefing.col.opd": ("OPD", "Department"),
    "briefing.col.received": ("Masuk", "Received"),
    "briefing.col.measured": ("Terukur", "Measured"),
    "briefing.col.within": ("≤ SLA", "Within SLA"),
    "briefing.col.rate_pct": ("% ≤ SLA", "% within SLA"),
    "briefing.col.ci_low_pct": ("IK 95% bawah", "95% CI low"),
    "briefing.col.ci_high_pct": ("IK 95% atas", "95% CI high"),
    "briefing.col.first_response_p50_h": ("Tanggapan p50 (jam)", "Response p50 (h)"),
    "briefing.col.first_response_p90_h": ("Tanggapan p90 (jam)", "Response p90 (h)"),
    "briefing.col.open": ("Terbuka", "Open"),
    "briefing.col.overdue_open": ("Lewat batas", "Past deadline"),
    "briefing.col.segment": ("Tahap", "Segment"),
    "briefing.col.p50": ("p50", "p50"),
    "briefing.col.p90": ("p90", "p90"),
    "briefing.col.unit": ("Satuan", "Unit"),
    "briefing.col.target": ("Target", "Target"),
    "briefing.col.category": ("Kategori", "Category"),
    "briefing.col.reported": ("Laporan", "Reports"),
    "briefing.col.response_measured": ("Terukur", "Measured"),
    "briefing.col.response_mean_min": ("Rata-rata (mnt)", "Mean (min)"),
    "briefing.col.response_p50_min": ("p50 (mnt)", "p50 (min)"),
    "briefing.col.response_p90_min": ("p90 (mnt)", "p90 (min)"),
    "briefing.col.within_7_4_min_pct": ("% ≤ 7,4 mnt", "% ≤ 7.4 min"),
    "briefing.col.domain": ("Bidang", "Domain"),
    "briefing.col.metric": ("Indikator", "Indicator"),
    "briefing.col.period": ("Periode", "Period"),
    "briefing.col.value": ("Nilai", "Value"),
    "briefing.col.previous": ("Sebelumnya", "Previous"),
    "briefing.col.rag": ("Status", "State"),
    "briefing.col.complaint_id": ("Nomor", "Number"),
    "briefing.col.created_at": ("Masuk (WIB)", "Received (WIB)"),
    "briefing.col.channel": ("Kanal", "Channel"),
    "briefing.col.kecamatan": ("Kecamatan", "District"),
    "briefing.col.status": ("Status", "Status"),
    "briefing.col.due_at": ("Batas (WIB)", "Due (WIB)"),
    "briefing.col.first_response_at": ("Ditanggapi (WIB)", "Answered (WIB)"),
    "briefing.col.reporter_name": ("Pelapor", "Reporter"),
    "briefing.col.reporter_phone": ("Telepon pelapor", "Reporter's phone"),
    "briefing.history.reporter": ("Pelapor", "Reporter"),
    "briefing.history.text": ("Isi aduan", "Complaint text"),
    "briefing.history.events": ("Perjalanan status", "Status history"),
    "briefing.history.created": ("Aduan diterima", "Complaint received"),
    "briefing.status.received": ("Diterima", "Received"),
    "briefing.status.verified": ("Diverifikasi", "Verified"),
    "briefing.status.dispositioned": ("Didisposisikan", "Dispositioned"),
    "briefing.status.in_progress": ("Diproses", "In progress"),
    "briefing.status.responded": ("Ditanggapi", "Responded"),
    "briefing.status.resolved": ("Selesai", "Resolved"),
    "briefing.status.rejected": ("Ditolak", "Rejected"),
    "briefing.status.reopened": ("Dibuka kembali", "Reopened"),
    "briefing.egov.city": ("Seluruh kota", "Whole city"),
    "briefing.opd.unassigned": ("Belum didisposisikan", "Not yet assigned"),
    "briefing.grid.page": ("Halaman", "Page"),
    "briefing.grid.of": ("dari", "of"),
    "briefing.grid.to": ("sampai", "to"),
    "briefing.grid.page_size": ("Baris per halaman:", "Rows per page:"),
    "briefing.egov.note": ("Nilai terakhir per OPD; warna: hijau tercapai, kuning ≥ 90% target, merah di bawahnya. Arahkan kursor untuk melihat target.",
                           "Latest value per OPD; green: on target, amber: ≥ 90% of it, red: below. Hover for the target."),
    # login and logout (data_sources/auth_routes.py, layouts/login.py)
    "login.title": ("Masuk", "Log in"),
    "login.heading": ("Masuk dengan akun Anda", "Log in with your account"),
    "login.org": ("Pemerintah Kota Surabaya", "Surabaya City Government"),
    "login.username": ("Nama pengguna", "User name"),
    "login.password": ("Kata sandi", "Password"),
    "login.submit": ("Masuk", "Log in"),
    "login.failed": ("Nama pengguna atau kata sandi salah.", "Wrong user name or password."),
    "login.locked": ("Terlalu banyak percobaan gagal. Coba lagi dalam {minutes} menit.",
                     "Too many failed attempts. Try again in {minutes} min."),
    "login.expired": ("Formulir sudah kedaluwarsa. Silakan coba lagi.", "The form has expired. Please try again."),
    "login.unavailable": ("Layanan masuk sedang tidak tersedia. Coba lagi sebentar lagi.",
                          "Logging in is unavailable right now. Please try again shortly."),
    "login.logged_out": ("Anda telah keluar.", "You have logged out."),
    "login.wall_link_invalid": ("Tautan layar dinding ini tidak berlaku. Masuk dengan akun Anda.",
                                "This wall screen link is not valid. Log in with your account."),
    "login.help": ("Belum punya akun? Hubungi admin Media Center.",
                   "No account yet? Ask the Media Center administrator."),
    "login.switch_language": ("English", "Bahasa Indonesia"),
    "login.logout": ("Keluar", "Log out"),
    "login.logout_question": ("Keluar dari Pantau Surabaya sebagai {name}?", "Log out of Pantau Surabaya as {name}?"),
    "login.cancel": ("Batal", "Cancel"),
    "login.signed_in_as": ("Masuk sebagai {name}", "Logged in as {name}"),
    "login.role.viewer": ("Peninjau", "Viewer"),
    "login.role.officer": ("Petugas", "Officer"),
    "login.role.admin": ("Admin", "Admin"),
    # public transparency embeds (/embed/...)
    "embed.gallery.title": ("Widget transparansi Pantau Surabaya", "Pantau Surabaya transparency widgets"),
    "embed.gallery.intro": ("Widget ini boleh dipasang di situs PPID dan portal resmi Pemerintah Kota Surabaya. "
                            "Semua angka adalah agregat; jumlah 1 sampai 4 ditampilkan sebagai \"<5\" dan tidak "
                            "ada data pribadi.",
                            "These widgets may be embedded on the PPID site and official Surabaya City portals. "
                            "Every figure is an aggregate; counts from 1 to 4 show as \"<5\" and there is no "
                            "personal data."),
    "embed.gallery.params": ("Parameter: lang=id|en, theme=light|dark, period={periods}",
                             "Parameters: lang=id|en, theme=light|dark, period={periods}"),
    "embed.gallery.snippet": ("Kode untuk disalin", "Snippet to copy"),
    "embed.gallery.open": ("Buka widget", "Open widget"),
    "embed.widget.complaints-month": ("Aduan warga bulan ini", "Citizen complaints this month"),
    "embed.widget.sla-trend": ("Ketepatan waktu tanggapan per bulan", "Response on time by month"),
    "embed.widget.complaints-category": ("Aduan menurut kategori", "Complaints by category"),
    "embed.widget.complaints-map": ("Aduan menurut kecamatan", "Complaints by district"),
    "embed.widget.incidents-112": ("Darurat 112 per bulan", "112 emergencies by month"),
    "embed.widget.egov": ("Indikator e-government", "E-government indicators"),
    "embed.source.complaints": ("Sumber: kanal pengaduan Pemerintah Kota Surabaya, diolah Pantau Surabaya",
                                "Source: Surabaya City complaint channels, compiled by Pantau Surabaya"),
    "embed.source.incidents": ("Sumber: Command Center 112 Surabaya, diolah Pantau Surabaya",
                               "Source: Surabaya 112 Command Center, compiled by Pantau Surabaya"),
    "embed.source.egov": ("Sumber: laporan perangkat daerah (e-government), diolah Pantau Surabaya",
                          "Source: department reports (e-government), compiled by Pantau Surabaya"),
    "embed.as_of": ("Data per {time} WIB · periode {period}", "Data as of {time} WIB · period {period}"),
    "embed.received": ("Aduan masuk", "Complaints received"),
    "embed.within": ("Ditanggapi ≤ 1x24 jam", "Answered ≤ 1x24 h"),
    "embed.within_of": ("dari {n} aduan terukur", "of {n} measured"),
    "embed.too_few": ("terlalu sedikit untuk diukur", "too few to measure"),
    "embed.total": ("Jumlah", "Total"),
    "embed.suppressed_note": ("\"<5\": 1 sampai 4, disamarkan untuk melindungi warga",
                              "\"<5\": 1 to 4, withheld to protect residents"),
    "embed.unknown_place": ("Tanpa lokasi", "No location"),
    "embed.share_pct": ("% ditanggapi ≤ 1x24 jam", "% answered ≤ 1x24 h"),
    "embed.reported": ("Laporan 112", "112 reports"),
    "embed.response_p50": ("Waktu respons median (menit)", "Median response time (min)"),
    "embed.sensitive_note": ("Kategori sensitif hanya sebagai jumlah bulanan sekota",
                             "Sensitive categories only as city-wide monthly counts"),
    "embed.egov.value": ("Nilai", "Value"),
    "embed.egov.target": ("Target", "Target"),
    "embed.egov.period": ("Periode", "Period"),
    "embed.egov.empty": ("Belum ada indikator", "No indicators yet"),
    "embed.error.title": ("Widget tidak dapat ditampilkan", "The widget cannot be shown"),
    "embed.error.unavailable": ("Data sedang tidak tersedia; coba lagi nanti.",
                                "The data is unavailable right now; please try again later."),
    "embed.period.this_month": ("bulan ini", "this month"),
    "embed.period.last_month": ("bulan lalu", "last month"),
    "embed.period.months": ("{n} bulan terakhir", "last {n} months"),
    "embed.period.latest": ("terbaru", "latest"),
    "embed.gallery.height": ("Tinggi iframe: {narrow} px untuk lebar 300 px, {wide} px untuk lebar 800 px",
                             "Iframe height: {narrow} px at 300 px wide, {wide} px at 800 px wide"),
    "embed.gallery.copy": ("Salin kode", "Copy snippet"),
    "embed.gallery.copied": ("Tersalin", "Copied"),
    "wall.tile.yesterday_by_now": ("kemarin s.d. jam ini {n}", "yesterday by this time {n}"),
}

MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
MONTHS_LONG = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
# Monday first, as datetime.weekday() counts.
WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "event_type": {
        "complaint.created": ("Aduan baru", "New complaint"),
        "complaint.status": ("Status aduan", "Complaint status"),
        "incident.reported": ("Laporan 112", "112 report"),
        "incident.dispatched": ("Unit diberangkatkan", "Unit dispatched"),
        "incident.arrived": ("Unit tiba", "Unit arrived"),
        "incident.closed": ("Insiden ditutup", "Incident closed"),
        "egov.kpi": ("Indikator e-gov", "E-gov indicator"),
    },
    "complaint_category": {
        "jalan_rusak": ("Jalan rusak", "Damaged road"),
        "banjir_genangan": ("Banjir/genangan", "Flooding"),
        "sampah": ("Sampah", "Waste"),
        "penerangan_jalan": ("Penerangan jalan", "Street lighting"),
        "administrasi_kependudukan": ("Adminduk", "Civil registry"),
        "kesehatan": ("Kesehatan", "Health"),
        "pendidikan": ("Pendidikan", "Education"),
        "perizinan": ("Perizinan", "Permits"),
        "ketertiban_umum": ("Ketertiban umum", "Public order"),
        "lainnya": ("Lainnya", "Other"),
    },
    "incident_category": {
        "fire": ("Kebakaran", "Fire"),
        "flood": ("Banjir", "Flood"),
        "traffic_accident": ("Kecelakaan lalu lintas", "Traffic accident"),
        "medical": ("Medis", "Medical"),
        "social": ("Masalah sosial", "Social problem"),
        "missing_person": ("Orang hilang", "Missing person"),
        "infrastructure": ("Infrastruktur", "Infrastructure"),
        "other": ("Lainnya", "Other"),
    },
    "channel": {
        "phone": ("Telepon", "Phone"), "sms": ("SMS", "SMS"), "whatsapp": ("WhatsApp", "WhatsApp"),
        "email": ("Surel", "E-mail"), "app": ("Aplikasi warga", "Citizen app"), "web": ("Situs web", "Web form"),
        "twitter": ("X/Twitter", "X/Twitter"), "instagram": ("Instagram", "Instagram"),
        "facebook": ("Facebook", "Facebook"), "walk_in": ("Datang langsung", "Walk-in"),
    },
    "egov_domain": {
        "planning": ("Perencanaan", "Planning"), "staffing": ("Kepegawaian", "Staffing"),
        "procurement": ("Pengadaan", "Procurement"), "budgeting": ("Penganggaran", "Budgeting"),
    },
}


def language(value: object) -> str:
    """An allowed language code; anything else (a forged or missing value) is the default."""
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGUAGES.index(language(lang))]


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    return _pick(TEXTS[key], lang).format(**values) if values else _pick(TEXTS[key], lang)


def label(kind: str, code: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The name of a code; category lists are open, so an unknown code is shown tidied rather than hidden."""
    if not code:
        return "–"
    pair = LABELS[kind].get(code)
    return _pick(pair, lang) if pair else code.replace("_", " ").capitalize()


def kecamatan_name(code: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    place = kecamatan_by_code().get(code or "")
    return place.name if place else t("place.unknown", lang)


def format_number(value: float | int, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """1.234,5 in Indonesian, 1,234.5 in English."""
    text = f"{value:,.{decimals}f}"
    if language(lang) == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text



def format_metric(value: float | None, unit: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """An e-government reading in its unit: 79,6%, Rp 1,2 M, 14 hari; a dash when there is none."""
    if value is None:
        return "–"
    if unit == "pct":
        return f"{format_number(value, lang, 1)}%"
    if unit == "idr":
        return t("wall.unit.idr_billion", lang, n=format_number(value / 1e9, lang, 1))
    if unit == "days":
        return t("wall.unit.days", lang, n=format_number(value, lang, 1))
    return format_number(value, lang)

def to_wib(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times are stored and passed timezone-aware")
    return moment.astimezone(WIB)


def format_time(moment: dt.datetime, lang: str = DEFAULT_LANGUAGE, seconds: bool = False) -> str:
    """08.15 in Indonesian (the period is the Indonesian time separator), 08:15 in English."""
    local = to_wib(moment)
    sep = "." if language(lang) == "id" else ":"
    parts = [local.hour, local.minute] + ([local.second] if seconds else [])
    return sep.join(f"{p:02d}" for p in parts)


def format_date(moment: dt.datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """27 Nov 2026"""
    local = to_wib(moment)
    return f"{local.day} {MONTHS[language(lang)][local.month - 1]} {local.year}"


def format_datetime(moment: dt.datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """27 Nov 2026 08.15 WIB"""
    return f"{format_date(moment, lang)} {format_time(moment, lang)} WIB"


def format_date_long(moment: dt.datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """Jumat, 27 November 2026"""
    local, lang = to_wib(moment), language(lang)
    return f"{WEEKDAYS[lang][local.weekday()]}, {local.day} {MONTHS_LONG[lang][local.month - 1]} {local.year}"


def format_ago(seconds: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """How long ago, coarsely; a moment in the future (a producer's clock ahead of ours) is 'just now'."""
    s = int(seconds)
    if s < 5:
        return t("ago.now", lang)
    for key, unit in (("ago.days", 86_400), ("ago.hours", 3_600), ("ago.minutes", 60)):
        if s >= unit:
            return t(key, lang, n=format_number(s // unit, lang))
    return t("ago.seconds", lang, n=s)


def browser_clock_texts(lang: str = DEFAULT_LANGUAGE) -> dict[str, object]:
    """What the browser's clock and 'how long ago' need, so the ticking script holds no text of its own."""
    lang = language(lang)
    texts: dict[str, object] = {key.split(".", 1)[1]: t(key, lang) for key in TEXTS if key.startswith("ago.")}
    texts.update(
        lang=lang, time_sep="." if lang == "id" else ":", months=MONTHS_LONG[lang],
        weekdays=WEEKDAYS[lang], live=t("status.live", lang), stale=t("status.stale", lang),
        stale_hint=t("status.stale_hint", lang), thousands="." if lang == "id" else ",",
    )
    return texts
